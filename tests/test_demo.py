"""``python -m skdeep demo``: the main job runs and reports every model."""

import io
import subprocess
import sys

import pytest

from skdeep._demo import main, run_demo


@pytest.fixture(scope="module")
def quick_demo():
    stream = io.StringIO()
    results = run_demo(quick=True, stream=stream)
    return results, stream.getvalue()


def test_demo_tunes_every_model_and_prints_progress(quick_demo):
    results, output = quick_demo
    assert [row["label"] for row in results["digits"]] == [
        "skdeep FeedForwardClassifier",
        "skdeep DeepFFNClassifier",
        "scikit-learn MLPClassifier",
    ]
    assert [row["label"] for row in results["diabetes"]] == [
        "skdeep PPRRegressor",
        "skdeep FeedForwardRegressor",
        "skdeep BaggedNetEnsemble",
        "scikit-learn MLPRegressor",
    ]
    # one progress line per candidate, as each finishes
    assert output.count("[1/2]") == 4 and output.count("[4/4]") == 1
    assert "CV accuracy" in output and "CV R^2" in output
    ours = results["digits"][0]
    assert ours["params"] == "alpha=0.01, n_hidden=64"  # the wider net wins
    assert ours["cv"] > 0.85 and ours["test"] > 0.85
    assert ours["fit_time"] > 0 and ours["search_time"] > ours["fit_time"]
    deep = results["digits"][1]
    assert deep["cv"] > 0.8 and "dropout=" in deep["params"]
    ppr = results["diabetes"][0]
    assert ppr["cv"] > 0.35 and "smoother=" in ppr["params"]
    ensemble = results["diabetes"][2]
    assert ensemble["cv"] > 0.35 and "bootstrap=" in ensemble["params"]


def test_command_line_entry_point(capsys):
    assert main(["demo", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "skdeep FeedForwardClassifier" in out and "skdeep PPRRegressor" in out
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
