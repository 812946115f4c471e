"""scikit-learn's callbacks (sklearn.callback, scikit-learn >= 1.9) on skdeep."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import (
    DeepFFNClassifier,
    FeedForwardClassifier,
    FeedForwardRegressor,
    PPRRegressor,
)

callback = pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9")


class Recorder:
    """Records ``(hook, task names from the root)`` of every call, in order."""

    def __init__(self, stop_after=None):
        self.calls, self.stop_after = [], stop_after

    def setup(self, estimator, context):
        self.calls.append(("setup", ()))

    def teardown(self, estimator, context):
        self.calls.append(("teardown", ()))

    def on_fit_task_begin(self, estimator, context):
        self.calls.append(("begin", _path(context)))

    def on_fit_task_end(self, estimator, context):
        self.calls.append(("end", _path(context)))
        ended = sum(hook == "end" and path[-1] == "epoch" for hook, path in self.calls)
        return self.stop_after is not None and ended >= self.stop_after

    def ended(self, *path):
        return [
            p for hook, p in self.calls if hook == "end" and p[-len(path) :] == path
        ]


class PropagatedRecorder(Recorder):
    max_propagation_depth = None


def _path(context):
    names = []
    while context is not None:
        names.append(context.task_name)
        context = context.parent
    return tuple(reversed(names))


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400], y[:400]


def _balanced(recorder):
    begun = [path for hook, path in recorder.calls if hook == "begin"]
    ended = [path for hook, path in recorder.calls if hook == "end"]
    return sorted(begun) == sorted(ended)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_is_the_root_task_and_epochs_its_subtasks(digits):
    recorder = Recorder()
    net = FeedForwardClassifier(n_hidden=8, max_iter=7, random_state=0)
    net.set_callbacks(recorder).fit(*digits)
    assert recorder.calls[0] == ("setup", ())
    assert recorder.calls[1] == ("begin", ("fit",))
    assert recorder.calls[-2:] == [("end", ("fit",)), ("teardown", ())]
    assert len(recorder.ended("fit", "epoch")) == net.n_iter_ == 7
    assert _balanced(recorder)
    assert not hasattr(net, "_callback_fit_ctx")  # torn down


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_restarts_and_pretraining_stages_are_subtasks(digits):
    recorder = Recorder()
    net = DeepFFNClassifier(
        (8, 8), n_init=2, pretraining="greedy", pretraining_max_iter=3,
        max_iter=3, random_state=0,
    )  # fmt: skip
    net.set_callbacks(recorder).fit(*digits)
    assert len(recorder.ended("fit", "restart")) == 2
    stages = ("greedy 1/2", "greedy 2/2", "fine-tune")
    for stage in stages:
        assert len(recorder.ended("restart", stage)) == 2
        assert len(recorder.ended("restart", stage, "epoch")) == 2 * 3
    assert _balanced(recorder)
    assert len(net.history_) == 9  # the kept restart's stages


def test_scoring_monitor_scores_the_model_of_every_epoch(digits):
    X, y = digits
    monitor = callback.ScoringMonitor(scoring="accuracy")
    net = FeedForwardClassifier(n_hidden=8, max_iter=12, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    epochs = [row["accuracy"] for row in rows if row["task_name"] == "epoch"]
    assert len(epochs) == 12
    assert epochs[-1] == pytest.approx(net.score(X, y))
    assert epochs[0] < epochs[-1]  # the model of epoch 1, not the final one
    root = [row["accuracy"] for row in rows if row["task_name"] == "fit"]
    assert root == [pytest.approx(net.score(X, y))]


def test_a_callback_can_stop_training(digits, capsys):
    recorder = Recorder(stop_after=3)
    net = FeedForwardClassifier(n_hidden=8, max_iter=50, verbose=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a stop is no failure
        net.set_callbacks(recorder).fit(*digits)
    assert net.n_iter_ == 3
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "Stopped after epoch 3: a callback asked to stop."


@pytest.mark.parametrize("max_iter", [4, 200])
def test_lbfgs_iterations_are_epochs(max_iter):
    X, y = make_regression(200, 5, noise=1.0, random_state=0)
    recorder, monitor = Recorder(), callback.ScoringMonitor(scoring="r2")
    net = FeedForwardRegressor(n_hidden=4, solver="lbfgs", max_iter=max_iter,
                               random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.set_callbacks(recorder, monitor).fit(X, y)
    assert _balanced(recorder)
    scored = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(scored) == net.n_iter_
    assert scored[-1]["r2"] == pytest.approx(net.score(X, y))


def test_warm_start_and_partial_fit_report_their_epochs(digits):
    X, y = digits
    recorder = Recorder()
    net = FeedForwardClassifier(n_hidden=8, max_iter=3, warm_start=True,
                                random_state=0).set_callbacks(recorder)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X, y).fit(X, y)
    assert len(recorder.ended("fit", "epoch")) == 6 == net.n_iter_
    net.partial_fit(X, y)
    assert len(recorder.ended("fit", "epoch")) == 7 == net.n_iter_


def test_ppr_terms_added_and_pruned_are_subtasks():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(200, 3))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    recorder, monitor = Recorder(), callback.ScoringMonitor(scoring="r2")
    ppr = PPRRegressor(n_terms=2, max_terms=3, random_state=0)
    ppr.set_callbacks(recorder, monitor).fit(X, y)
    steps = [
        path[1] for hook, path in recorder.calls if hook == "end" and len(path) == 2
    ]
    assert steps == ["add term 1", "add term 2", "add term 3", "prune to 2 terms"]
    rows = {row["task_name"]: row["r2"] for row in monitor.get_logs().data}
    assert rows["add term 1"] < rows["add term 3"]
    assert rows["prune to 2 terms"] == pytest.approx(ppr.score(X, y))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_callbacks_reach_networks_inside_a_search_and_a_pipeline(digits):
    recorder = PropagatedRecorder()
    pipe = make_pipeline(StandardScaler(), FeedForwardClassifier(max_iter=2))
    search = GridSearchCV(pipe, {"feedforwardclassifier__n_hidden": [4, 8]}, cv=2)
    search.set_callbacks(recorder).fit(*digits)
    epochs = recorder.ended("epoch")
    # 2 candidates x 2 folds + the refit, 2 epochs each
    assert len(epochs) == (2 * 2 + 1) * 2
    assert all(path[0] == "fit" for path in epochs)
    assert _balanced(recorder)


def test_progress_bar_draws_the_fit(digits, capsys):
    pytest.importorskip("rich")
    net = FeedForwardClassifier(n_hidden=8, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.set_callbacks(callback.ProgressBar()).fit(*digits)
    out = capsys.readouterr().out
    assert "FeedForwardClassifier - fit" in out and "100%" in out


def test_a_failed_fit_tears_callbacks_down_and_keeps_the_model(digits):
    X, y = digits
    recorder = Recorder()
    net = FeedForwardClassifier(n_hidden=8, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.set_callbacks(recorder).fit(X, y)
    coefs = [c.copy() for c in net.coefs_]
    X_bad = X.copy()
    X_bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        net.fit(X_bad, y)
    assert recorder.calls[-1] == ("teardown", ())
    assert not hasattr(net, "_callback_fit_ctx")
    for before, after in zip(coefs, net.coefs_, strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_model_fitted_with_callbacks_pickles(digits):
    X, y = digits
    net = FeedForwardClassifier(n_hidden=8, max_iter=2, random_state=0)
    net.set_callbacks(callback.ScoringMonitor(scoring="accuracy")).fit(X, y)
    again = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(again.predict(X), net.predict(X))
