"""What a fitting BaggedNetEnsemble tells its user: ``verbose`` lines and
its members' warnings, with members fitted in this process and in worker
processes (scikit-learn's callbacks: ``test_ensemble_callbacks.py``)."""

import pathlib
import re
import time
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge

from skdeep import BaggedNetEnsemble, FeedForwardRegressor

# The members stop at max_iter on purpose, to keep the tests quick.
short_fits = pytest.mark.filterwarnings(
    "ignore:.*maximum iterations:sklearn.exceptions.ConvergenceWarning"
)
# Few members leave rows in every sample, without an out-of-bag prediction.
rows_in_every_sample = pytest.mark.filterwarnings(
    "ignore:.*rows were in every member's sample:UserWarning"
)
both_n_jobs = pytest.mark.parametrize("n_jobs", [1, 2])


@pytest.fixture(scope="module")
def data():
    return make_friedman1(n_samples=120, noise=0.5, random_state=0)


def _net(**params):
    return FeedForwardRegressor(**{"n_hidden": 4, "max_iter": 3, **params})


# -- verbose -------------------------------------------------------------------

_LINE = re.compile(
    r"Member (\d+) of (\d+) done(?: \((.+)\))? in [^,]+, elapsed [^,]+"
    r"(, about .+ left)?"
)


def _lines(output):
    """``{member number: (total, score words, says the time left)}``."""
    lines = output.splitlines()
    parsed = [_LINE.fullmatch(line) for line in lines]
    assert all(parsed), lines
    members = {int(m[1]): (int(m[2]), m[3], m[4] is not None) for m in parsed}
    assert len(members) == len(lines)
    assert parsed[-1][4] is None  # the last line has nothing left to wait for
    return members


@short_fits
@both_n_jobs
def test_verbose_prints_a_line_per_member_from_the_caller(n_jobs, data, capsys):
    X, y = data
    ensemble = BaggedNetEnsemble(_net(), n_estimators=4, n_jobs=n_jobs,
                                 random_state=0, verbose=1).fit(X, y)  # fmt: skip
    # capsys holds what this process printed, none of the workers' output
    out, err = capsys.readouterr()
    lines = _lines(out)
    assert sorted(lines) == [1, 2, 3, 4]
    for k, member in enumerate(ensemble.estimators_, start=1):
        assert lines[k][:2] == (4, f"loss {member.loss_:.6f}")
    assert sum(left for _, _, left in lines.values()) == 3
    assert "Parallel" not in err  # no joblib chatter


class _Waiter(RegressorMixin, BaseEstimator):
    """Predicts the mean. The member seeded ``wait_for_seed`` ends only once
    another member has ended (a file in ``folder`` says so)."""

    def __init__(self, folder=None, wait_for_seed=None, random_state=None):
        self.folder = folder
        self.wait_for_seed = wait_for_seed
        self.random_state = random_state

    def fit(self, X, y):
        self.mean_ = float(np.mean(y))
        ended = None if self.folder is None else pathlib.Path(self.folder, "ended")
        self.waited_ = self.random_state == self.wait_for_seed and _wait_for(ended)
        if ended is not None:
            ended.touch()
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def _wait_for(path):
    """Whether ``path`` exists within a minute (a bound on the wait, not a
    measure: it lets the other worker start, however busy the machine)."""
    for _ in range(600):
        if path.exists():
            # the other member touched the file in its fit, before its
            # result went back to the parent: give that transfer (a few
            # ms) ample time, so that the parent hears of it first
            time.sleep(2)
            return True
        time.sleep(0.1)
    return False


def test_lines_come_as_members_end_and_the_members_keep_their_order(
    data, capsys, tmp_path
):
    X, y = data
    params = {"n_estimators": 2, "bootstrap": False, "random_state": 0}
    seeds = [
        m.random_state
        for m in BaggedNetEnsemble(_Waiter(), **params).fit(X, y).estimators_
    ]
    waiter = _Waiter(folder=str(tmp_path), wait_for_seed=seeds[0])
    ensemble = BaggedNetEnsemble(waiter, n_jobs=2, verbose=1, **params).fit(X, y)
    assert [m.random_state for m in ensemble.estimators_] == seeds
    assert [m.waited_ for m in ensemble.estimators_] == [True, False]
    lines = capsys.readouterr().out.splitlines()
    assert [line[:16] for line in lines] == ["Member 2 of 2 do", "Member 1 of 2 do"]


@short_fits
@rows_in_every_sample
def test_verbose_shows_the_out_of_bag_score_with_oob_score(data, capsys):
    X, y = data
    ensemble = BaggedNetEnsemble(_net(), n_estimators=3, oob_score=True,
                                 random_state=0, verbose=1).fit(X, y)  # fmt: skip
    lines = _lines(capsys.readouterr().out)
    for k, score in enumerate(ensemble.member_scores_, start=1):
        assert lines[k][1] == f"out-of-bag R^2 {score:.4f}"


@short_fits
def test_verbose_shows_the_validation_score_of_members_that_have_one(data, capsys):
    X, y = data
    net = _net(early_stopping=True, max_iter=5)
    ensemble = BaggedNetEnsemble(net, n_estimators=2, random_state=0, verbose=1)
    ensemble.fit(X, y)
    lines = _lines(capsys.readouterr().out)
    for k, member in enumerate(ensemble.estimators_, start=1):
        assert lines[k][1] == f"validation score {member.best_validation_score_:.4f}"


@short_fits
def test_verbose_counts_the_members_of_a_warm_start(data, capsys):
    X, y = data
    ensemble = BaggedNetEnsemble(_net(), n_estimators=2, warm_start=True,
                                 random_state=0).fit(X, y)  # fmt: skip
    assert capsys.readouterr().out == ""
    ensemble.set_params(n_estimators=4, verbose=1).fit(X, y)
    lines = _lines(capsys.readouterr().out)
    assert sorted(lines) == [3, 4] and lines[3][0] == lines[4][0] == 4


def test_verbose_lines_of_members_without_scores_say_no_score(data, capsys):
    X, y = data
    BaggedNetEnsemble(Ridge(), n_estimators=2, verbose=1).fit(X, y)
    assert [words for _, words, _ in _lines(capsys.readouterr().out).values()] == [
        None,
        None,
    ]


@short_fits
def test_members_keep_their_own_verbose(data, capsys):
    X, y = data
    ensemble = BaggedNetEnsemble(_net(verbose=1), n_estimators=2, random_state=0)
    ensemble.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("Epoch") for line in lines) == 2 * 3
    assert not any(line.startswith("Member") for line in lines)


# -- the members' warnings -------------------------------------------------------


class _Warner(RegressorMixin, BaseEstimator):
    """Predicts the mean; warns when its seed (drawn by the ensemble) is odd."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y):
        if self.random_state % 2:
            warnings.warn("odd seed", UserWarning, stacklevel=2)
            warnings.warn("odd seed", UserWarning, stacklevel=2)  # counted once
        warnings.warn("fitted", FutureWarning, stacklevel=2)
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


@both_n_jobs
def test_member_warnings_are_given_once_each_at_the_callers_line(n_jobs, data):
    X, y = data
    ensemble = BaggedNetEnsemble(_Warner(), n_estimators=10, n_jobs=n_jobs,
                                 random_state=0)  # fmt: skip
    with pytest.warns((UserWarning, FutureWarning)) as record:
        ensemble.fit(X, y)
    odd = sum(member.random_state % 2 for member in ensemble.estimators_)
    assert 0 < odd < 10
    expected = [
        (UserWarning, f"odd seed ({odd} of 10 members)"),
        (FutureWarning, "fitted (10 of 10 members)"),
    ]
    if not ensemble.estimators_[0].random_state % 2:
        expected.reverse()  # in the order the members gave them
    assert [(w.category, str(w.message)) for w in record] == expected
    assert [w.filename for w in record] == [__file__] * 2


@both_n_jobs
def test_member_warnings_follow_the_callers_filters(n_jobs, data):
    X, y = data
    ensemble = BaggedNetEnsemble(_net(max_iter=2), n_estimators=2, n_jobs=n_jobs,
                                 random_state=0)  # fmt: skip
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message="Solver 'adam': maximum")
        ensemble.fit(X, y)
    assert record == []
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="maximum iterations"):
            ensemble.fit(X, y)
