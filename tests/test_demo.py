"""``python -m skdeep demo``: the main job runs and reports both libraries."""

import io
import subprocess
import sys

import pytest

from skdeep._demo import main, run_demo


@pytest.fixture(scope="module")
def quick_demo():
    stream = io.StringIO()
    rows = run_demo(quick=True, stream=stream)
    return rows, stream.getvalue()


def test_demo_tunes_both_models_and_prints_progress(quick_demo):
    rows, output = quick_demo
    assert [row["label"] for row in rows] == [
        "skdeep FeedForwardClassifier",
        "scikit-learn MLPClassifier",
    ]
    # one progress line per candidate, as each finishes
    assert output.count("[1/2]") == 2 and output.count("[2/2]") == 2
    assert "CV accuracy" in output.splitlines()[-4]
    ours = rows[0]
    assert ours["params"] == "alpha=0.01, n_hidden=64"  # the wider net wins
    assert ours["cv"] > 0.85 and ours["test"] > 0.85
    assert ours["fit_time"] > 0 and ours["search_time"] > ours["fit_time"]


def test_command_line_entry_point(capsys):
    assert main(["demo", "--quick"]) == 0
    assert "skdeep FeedForwardClassifier" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["no-such-command"])


def test_module_is_runnable():
    result = subprocess.run(
        [sys.executable, "-m", "skdeep", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "demo" in result.stdout
