"""Every example script runs to the end (with a non-interactive backend)."""

import runpy
import warnings
from pathlib import Path

import pytest

from skdeep.datasets import get_data_home
from skdeep.datasets._affordability import FILENAME

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


def test_there_are_examples():
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(path, monkeypatch, capsys):
    matplotlib = pytest.importorskip("matplotlib")
    needs_data = "fetch_affordability" in path.read_text()
    if needs_data and not (Path(get_data_home()) / FILENAME).exists():
        pytest.skip(f"{FILENAME} is not in SKDEEP_DATA_HOME (tests never download)")
    if "sklearn.callback" in path.read_text():
        pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9")
    matplotlib.use("Agg")
    monkeypatch.chdir(path.parent)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out.strip()
    import matplotlib.pyplot as plt

    plt.close("all")
