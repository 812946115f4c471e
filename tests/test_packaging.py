"""The README's quick start is what CI runs; metadata lives in one place."""

import configparser
import re
from pathlib import Path

import pytest

import skdeep
import skdeep.datasets
import skdeep.preprocessing

ROOT = Path(__file__).resolve().parents[1]


def _quick_start_commands():
    text = (ROOT / "README.rst").read_text()
    section = text.split("Quick start\n-----------\n", 1)[1].split("\n\n", 3)
    block = section[1] if section[0].rstrip().endswith("::") else section[2]
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_readme_opens_with_two_quick_start_commands():
    commands = _quick_start_commands()
    assert commands == [
        "python -m pip install . && python -m skdeep demo",
        'python -m pip install -e ".[test]" && python -m pytest',
    ]


def test_ci_runs_exactly_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    for command in _quick_start_commands():
        assert command in ci


def test_metadata_in_setup_cfg_only():
    pyproject = (ROOT / "pyproject.toml").read_text()  # no tomllib on 3.10
    assert not re.search(r"(?m)^\[project", pyproject)
    assert 'build-backend = "setuptools.build_meta"' in pyproject
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    assert setup["metadata"]["name"] == "skdeep"
    assert "scikit-learn>=1.6" in setup["options"]["install_requires"]
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+)?", skdeep.__version__)


def test_public_names_are_sorted_and_importable():
    assert skdeep.__all__ == sorted(skdeep.__all__)
    for name in skdeep.__all__:
        assert getattr(skdeep, name) is not None


def _readme_code_block():
    """The README's first Python block: the indented lines after the directive."""
    text = (ROOT / "README.rst").read_text()
    after = text.split(".. code-block:: python\n", 1)[1]
    block = re.match(r"(?:(?:    .*)?\n)*", after).group()
    return re.sub(r"(?m)^    ", "", block)


# A user's first run shows no warning: every fit in the snippet converges.
@pytest.mark.filterwarnings("error")
def test_readme_pipeline_example_runs():
    code = _readme_code_block()
    assert code.lstrip().startswith("from ") and "GridSearchCV" in code
    namespace = {}
    exec(compile(code, "README.rst", "exec"), namespace)
    search = namespace["search"]
    assert search.best_score_ > 0.9
    assert set(search.best_params_) == {
        "feedforwardclassifier__n_hidden",
        "feedforwardclassifier__alpha",
    }


def test_every_public_name_is_in_the_api_reference():
    api = (ROOT / "doc" / "api.rst").read_text()
    names = [name for name in skdeep.__all__ if not name.startswith("_")]
    names += skdeep.datasets.__all__ + skdeep.preprocessing.__all__
    assert [name for name in names if f"\n   {name}\n" not in api] == []


def test_every_example_is_linked_from_the_user_guide():
    guide = "".join(path.read_text() for path in (ROOT / "doc").glob("*.rst"))
    examples = sorted(path.stem for path in (ROOT / "examples").glob("plot_*.py"))
    assert len(examples) >= 9
    missing = [name for name in examples if f"auto_examples_{name}.py`" not in guide]
    assert missing == []
