"""``python -m skdeep demo``: the main job runs and reports every model."""

import io
import subprocess
import sys

import numpy as np
import pytest

from skdeep._demo import diabetes_note, main, run_demo


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


def test_demo_output_reads_for_a_new_user(quick_demo):
    results, output = quick_demo
    # what it does and how long, before anything else
    assert output.startswith("skdeep demo: tunes 7 models")
    # 7 + 7 + 7 + 13 + 4 + 7 + 4: candidates x folds and a refit per model
    assert "49 fits, under a minute" in " ".join(output.split())
    assert "1 candidate x 3 folds" in output and "1 candidates" not in output
    # full parameter names, as set_params takes them
    assert "regressor__mlpregressor__alpha=1.0" in output
    assert "estimator__alpha=1.0" in results["diabetes"][2]["params"]
    # the columns explained once, under the first table
    assert output.count("fit (s): the mean time of one fit") == 1
    assert output.index("fit (s): the") < output.index("== diabetes")
    for name, score in [("digits", "accuracy"), ("diabetes", "R^2")]:
        gaps = [row["test"] - row["cv"] for row in results[name]]
        line = f"test minus CV {score}: {min(gaps):+.3f} to {max(gaps):+.3f}"
        assert line in output
    assert "much of the gap because of the split" in " ".join(output.split())
    summary = output[output.index("== summary") :]
    for rows in results.values():
        best = max(rows, key=lambda row: row["cv"])
        assert f"{best['cv']:.4f}  {best['label']}" in summary


def test_diabetes_note_measures_the_split():
    # test targets half as spread as training ones: R^2 0.5 becomes 1 - 0.5 * 4
    note = diabetes_note(np.array([-2.0, 2.0, -2.0, 2.0]), np.array([-1.0, 1.0]))
    assert "the 2 test rows' targets vary less than the 4 training rows'" in note
    assert "(standard deviation 1.0 against 2.0)" in note
    assert "scores -1.00 on the test rows" in note


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
