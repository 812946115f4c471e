"""BaggedNetEnsemble with scikit-learn's callbacks (scikit-learn >= 1.9): the
ensemble's fit is a task, each member's fit a subtask with its own tasks
below, whether members fit in this process or in worker processes."""

import importlib.util
import re
import warnings
from collections import Counter

import pytest
from sklearn.datasets import make_classification, make_friedman1
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV

from skdeep import BaggedNetEnsemble, FeedForwardClassifier, FeedForwardRegressor

callback = pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9")
needs_rich = pytest.mark.skipif(
    importlib.util.find_spec("rich") is None, reason="ProgressBar needs rich"
)


# The members stop at max_iter on purpose, to keep the tests quick.
short_fits = pytest.mark.filterwarnings(
    "ignore:.*maximum iterations:sklearn.exceptions.ConvergenceWarning"
)
both_n_jobs = pytest.mark.parametrize("n_jobs", [1, 2])


@pytest.fixture(scope="module")
def data():
    return make_friedman1(n_samples=120, noise=0.5, random_state=0)


def _net(**params):
    return FeedForwardRegressor(**{"n_hidden": 4, "max_iter": 3, **params})


class _TaskRecorder:
    """A callback writing each task's begin and end to a file, so that copies
    of it in worker processes record too. It propagates to sub-estimators,
    all the way down."""

    max_propagation_depth = None

    def __init__(self, path):
        self.path = path

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        self._write("begin", context)

    def on_fit_task_end(self, estimator, context):
        self._write("end", context)

    def _write(self, event, context):
        name, ids = f"{context.estimator_name}.{context.task_name}", []
        while context is not None:
            ids.insert(0, str(context.task_id))
            context = context.parent
        with open(self.path, "a") as file:
            file.write(f"{event} {'/'.join(ids)} {name}\n")

    def events(self):
        """``(event, task ids from the root, "Estimator.task")`` in order."""
        events = []
        with open(self.path) as file:
            for line in file:
                event, ids, name = line.split()
                events.append((event, tuple(map(int, ids.split("/"))), name))
        return events


def test_task_recorder_follows_the_protocols():
    recorder = _TaskRecorder("unused")
    assert isinstance(recorder, callback.FitCallback)
    assert isinstance(recorder, callback.AutoPropagatedCallback)


def _ended(events):
    """Each ended task's ids and name; asserts every task began once, before."""
    begun = [ids for event, ids, _ in events if event == "begin"]
    ended = {ids: name for event, ids, name in events if event == "end"}
    assert len(set(begun)) == len(begun) and set(begun) == set(ended)
    for ids in ended:
        starts = [i for i, (e, this, _) in enumerate(events) if this == ids]
        assert events[starts[0]][0] == "begin" and events[starts[1]][0] == "end"
    return ended


@short_fits
@both_n_jobs
def test_each_member_fit_is_a_subtask_of_the_ensemble_fit(n_jobs, data, tmp_path):
    X, y = data
    recorder = _TaskRecorder(tmp_path / "tasks")
    ensemble = BaggedNetEnsemble(_net(), n_estimators=3, n_jobs=n_jobs,
                                 random_state=0).set_callbacks(recorder)  # fmt: skip
    ensemble.fit(X, y)
    events = recorder.events()
    assert events[0] == ("begin", (0,), "BaggedNetEnsemble.fit")
    assert events[-1] == ("end", (0,), "BaggedNetEnsemble.fit")
    ended = _ended(events)
    members = {ids: name for ids, name in ended.items() if len(ids) == 2}
    assert members == {(0, k): "FeedForwardRegressor.fit" for k in range(3)}
    epochs = Counter(ids[:2] for ids, name in ended.items() if len(ids) == 3)
    assert epochs == {(0, k): 3 for k in range(3)}  # max_iter=3 epochs each
    assert max(map(len, ended)) == 3


@short_fits
def test_a_warm_start_adds_tasks_for_the_new_members_only(data, tmp_path):
    X, y = data
    ensemble = BaggedNetEnsemble(_net(), n_estimators=2, warm_start=True,
                                 random_state=0).fit(X, y)  # fmt: skip
    recorder = _TaskRecorder(tmp_path / "tasks")
    ensemble.set_params(n_estimators=5).set_callbacks(recorder).fit(X, y)
    members = [ids for ids in _ended(recorder.events()) if len(ids) == 2]
    assert sorted(members) == [(0, 0), (0, 1), (0, 2)]


@both_n_jobs
def test_members_without_callbacks_are_tasks_of_the_ensemble(n_jobs, tmp_path):
    X, y = make_classification(n_samples=100, weights=[0.97], random_state=0)
    net = FeedForwardClassifier(n_hidden=3, solver="lbfgs", max_iter=200)
    recorder = _TaskRecorder(tmp_path / "tasks")
    ensemble = BaggedNetEnsemble(net, n_estimators=6, max_samples=20, n_jobs=n_jobs,
                                 random_state=0).set_callbacks(recorder)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing says a member has no callbacks
        ensemble.fit(X, y)
    kinds = [type(member).__name__ for member in ensemble.estimators_]
    assert {"DummyClassifier", "FeedForwardClassifier"} == set(kinds)
    ended = _ended(recorder.events())
    members = [ended[(0, k)] for k in range(6)]
    expected = {"DummyClassifier": "BaggedNetEnsemble.member"}
    assert members == [expected.get(kind, f"{kind}.fit") for kind in kinds]
    for k, kind in enumerate(kinds):  # L-BFGS iterations below the networks
        below = [ids for ids in ended if ids[:2] == (0, k) and len(ids) > 2]
        assert bool(below) == (kind == "FeedForwardClassifier")


def test_any_regressor_can_be_a_member(data, tmp_path):
    X, y = data
    recorder = _TaskRecorder(tmp_path / "tasks")
    ensemble = BaggedNetEnsemble(Ridge(), n_estimators=3).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ensemble.fit(X, y)
    assert _ended(recorder.events()) == {
        (0,): "BaggedNetEnsemble.fit",
        **{(0, k): "BaggedNetEnsemble.member" for k in range(3)},
    }


@short_fits
@both_n_jobs
def test_a_scoring_monitor_on_the_member_scores_every_member_epoch(n_jobs, data):
    X, y = data
    monitor = callback.ScoringMonitor(scoring="r2")
    net = _net(max_iter=4).set_callbacks(monitor)  # clones share it
    ensemble = BaggedNetEnsemble(net, n_estimators=3, n_jobs=n_jobs, random_state=0)
    ensemble.fit(X, y)
    assert len(monitor.get_logs(select="all")) == 1  # the ensemble's fit
    log = monitor.get_logs().data
    epochs = Counter(r["parent_task_id_path"] for r in log if r["task_name"] == "epoch")
    assert epochs == {(0, k): 4 for k in range(3)}
    fits = {r["task_id_path"]: r["r2"] for r in log if r["task_name"] == "fit"}
    for k, (member, sample) in enumerate(
        zip(ensemble.estimators_, ensemble.estimators_samples_, strict=True)
    ):  # scored on the rows the member trained on
        assert fits[(0, k)] == pytest.approx(member.score(X[sample], y[sample]))


@short_fits
def test_a_scoring_monitor_on_the_ensemble_scores_the_fitted_ensemble(data):
    X, y = data
    monitor = callback.ScoringMonitor(scoring="r2")
    ensemble = BaggedNetEnsemble(_net(), n_estimators=3, random_state=0)
    ensemble.set_callbacks(monitor).fit(X, y)
    (row,) = monitor.get_logs().data  # not propagated to the members
    assert (row["estimator_name"], row["task_name"]) == ("BaggedNetEnsemble", "fit")
    assert row["r2"] == pytest.approx(ensemble.score(X, y))


@needs_rich
@short_fits
@both_n_jobs
def test_a_progress_bar_shows_a_bar_per_member(n_jobs, data, capsys):
    X, y = data
    ensemble = BaggedNetEnsemble(_net(), n_estimators=3, n_jobs=n_jobs)
    ensemble.set_callbacks(callback.ProgressBar()).fit(X, y)
    shown = capsys.readouterr().out
    assert re.search(r"^BaggedNetEnsemble - fit .* 100%", shown, re.M)
    for k in range(3):  # each bar begun by the member, perhaps in a worker
        bar = rf"^  BaggedNetEnsemble - member \| FeedForwardRegressor - fit #{k} "
        assert re.search(bar + r".* 100%", shown, re.M)


@needs_rich
@short_fits
def test_callbacks_on_a_grid_search_reach_the_ensemble_and_its_members(
    data, capsys, tmp_path
):
    X, y = data
    ensemble = BaggedNetEnsemble(_net(), n_estimators=2, random_state=0)
    grid = {"max_samples": [0.5, 1.0]}
    recorder = _TaskRecorder(tmp_path / "tasks")
    search = GridSearchCV(ensemble, grid, cv=2).set_callbacks(
        callback.ProgressBar(), recorder
    )
    search.fit(X, y)
    # four candidate-split fits and the refit, each with its bar
    assert capsys.readouterr().out.count("| BaggedNetEnsemble - fit") == 5
    ended = _ended(recorder.events())
    ensembles = [ids for ids, name in ended.items() if name == "BaggedNetEnsemble.fit"]
    assert len(ensembles) == 5
    for ids in ensembles:
        epochs = [i for i in ended if i[: len(ids)] == ids and len(i) == len(ids) + 2]
        assert len(epochs) == 2 * 3  # two members of three epochs
