"""What training prints with ``verbose`` and which epoch's weights it keeps."""

import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning

from skdeep import DeepFFNClassifier, FeedForwardRegressor, PPRRegressor
from skdeep._engine import format_duration

EPOCH_LINE = re.compile(
    r"^Epoch +(\d+)/(\d+)  loss [\d.]+(  val_loss [\d.]+  val_score [\d.-]+)?"
    r"  \d+ (us|ms|s) \(elapsed [^,)]+(, about .+ left)?\)$"
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:500], y[:500]


@pytest.mark.parametrize(
    "seconds, text",
    [(4e-5, "40 us"), (0.0123, "12 ms"), (3.44, "3.4 s"), (125, "2 min 05 s"),
     (7300, "2 h 01 min")],
)  # fmt: skip
def test_durations_read_as_a_person_would_say_them(seconds, text):
    assert format_duration(seconds) == text


def test_every_epoch_line_says_where_it_is_and_how_long_is_left(digits, capsys):
    net = DeepFFNClassifier((16,), max_iter=5, random_state=0, verbose=1)
    with pytest.warns(ConvergenceWarning):
        net.fit(*digits)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 6
    for number, line in enumerate(lines[:-1], start=1):
        match = EPOCH_LINE.match(line)
        assert match, line
        assert match.group(1, 2) == (str(number), "5")
        assert ("left)" in line) == (number < 5)
    assert lines[-1] == (
        "Stopped after epoch 5: max_iter=5 epochs reached before convergence."
    )


def test_early_stopping_names_the_kept_epoch(digits, capsys):
    net = DeepFFNClassifier((32,), early_stopping=True, n_iter_no_change=3,
                            random_state=0, verbose=1).fit(*digits)  # fmt: skip
    lines = capsys.readouterr().out.strip().splitlines()
    val_losses = net.validation_loss_curve_
    best = int(np.argmin(val_losses)) + 1
    assert net.kept_epoch_ == best < net.n_iter_
    assert lines[-1] == (
        f"Stopped after epoch {net.n_iter_}: the validation loss did not improve "
        f"by more than tol=0.0001 for 3 consecutive epochs. Kept the weights of "
        f"epoch {best} (val_loss {val_losses[best - 1]:.6f})."
    )
    assert EPOCH_LINE.match(lines[0]) and "val_score" in lines[0]


def test_kept_epoch_is_the_last_without_early_stopping(digits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = DeepFFNClassifier((8,), max_iter=4, random_state=0).fit(*digits)
        assert net.kept_epoch_ == 4
        net.set_params(warm_start=True, max_iter=3).fit(*digits)
    assert net.kept_epoch_ == net.n_iter_ == 7


def test_a_divergence_that_keeps_the_start_says_so(capsys):
    X, y = make_regression(200, 5, noise=1.0, random_state=0)
    net = FeedForwardRegressor(
        n_hidden=8, solver="sgd", learning_rate_init=10.0, momentum=0.0,
        max_iter=50, random_state=0, verbose=1,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X, y)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(f"Stopped after epoch {net.n_iter_}: training diverged.")
    if net.kept_epoch_ == 0:
        assert last.endswith("Kept the weights the run started from.")
    else:
        assert f"Kept the weights of epoch {net.kept_epoch_} " in last


def test_partial_fit_prints_one_line_without_a_budget(digits, capsys):
    X, y = digits
    net = DeepFFNClassifier((8,), random_state=0, verbose=1)
    net.partial_fit(X, y, classes=np.unique(y)).partial_fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("  loss")[0] for line in lines] == ["Epoch    1", "Epoch    2"]
    assert "elapsed" not in lines[0] and "Stopped" not in lines[-1]


def test_restarts_say_which_one_was_kept(digits, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = DeepFFNClassifier((8,), n_init=3, max_iter=2, random_state=0,
                                verbose=1).fit(*digits)  # fmt: skip
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line for line in lines if line.startswith("Restart")] == [
        "Restart 1 of 3", "Restart 2 of 3", "Restart 3 of 3"
    ]  # fmt: skip
    kept = net.best_restart_
    assert lines[-1] == (
        f"Kept restart {kept + 1} of 3 (lowest training loss, "
        f"{net.restart_losses_[kept]:.6f})."
    )


def test_pretraining_lines_name_their_stage(digits, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = DeepFFNClassifier((8, 8), pretraining="greedy", pretraining_max_iter=2,
                                max_iter=2, random_state=0, verbose=1)  # fmt: skip
        net.fit(*digits)
    lines = capsys.readouterr().out.strip().splitlines()
    stages = [line.split("]")[0] + "]" for line in lines if line.startswith("[")]
    assert stages == ["[greedy 1/2]"] * 2 + ["[greedy 2/2]"] * 2 + ["[fine-tune]"] * 2
    assert "Stopped after epoch 2: the stage's 2 epochs ran out." in lines


def test_ppr_prints_a_line_per_term_added_and_pruned(capsys):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(200, 3))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    ppr = PPRRegressor(n_terms=2, max_terms=4, random_state=0, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    heads = [line.split(":")[0] for line in lines]
    assert heads == ["Term 1 added", "Term 2 added", "Term 3 added", "Term 4 added",
                     "Pruned to 3 terms", "Pruned to 2 terms"]  # fmt: skip
    losses = [r["loss"] for r in ppr.history_ if r["stage"] in ("add", "prune")]
    for line, loss in zip(lines, losses, strict=True):
        assert f"loss {loss:.6f} (elapsed " in line
