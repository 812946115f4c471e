"""Behaviour of BaggedNetEnsemble: restarts, bagging, combining, out-of-bag."""

import os
import re
import subprocess
import sys
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import config_context, get_config
from sklearn.base import BaseEstimator, RegressorMixin, is_classifier, is_regressor
from sklearn.datasets import make_classification, make_friedman1
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.metrics import accuracy_score, mean_squared_error, r2_score
from sklearn.model_selection import StratifiedKFold, check_cv, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skdeep import (
    BaggedNetEnsemble,
    DeepFFNRegressor,
    FeedForwardClassifier,
    FeedForwardRegressor,
)
from skdeep.utils._shared import shared_with_workers

# The members here stop at max_iter on purpose, to keep the tests quick. Only
# that warning is silenced, test by test: a fit that diverges still shows.
short_fits = pytest.mark.filterwarnings(
    "ignore:.*maximum iterations:sklearn.exceptions.ConvergenceWarning"
)
# Tests that expect rows with no out-of-bag prediction (few members).
rows_in_every_sample = pytest.mark.filterwarnings(
    "ignore:.*rows were in every member's sample:UserWarning"
)


@pytest.fixture(scope="module")
def regression():
    X, y = make_friedman1(n_samples=300, noise=0.5, random_state=0)
    return train_test_split(X, y, test_size=100, random_state=0)


@pytest.fixture(scope="module")
def classification():
    return make_classification(
        n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


def _net(**params):
    return FeedForwardRegressor(n_hidden=10, solver="lbfgs", max_iter=60, **params)


def _classifier_net():
    return FeedForwardClassifier(n_hidden=8, solver="lbfgs", max_iter=40)


def _all_weights(ensemble):
    return np.concatenate(
        [coef.ravel() for m in ensemble.estimators_ for coef in m.coefs_]
    )


@short_fits
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_same_seed_same_ensemble_whatever_n_jobs(solver, regression):
    X, _, y, _ = regression
    net = FeedForwardRegressor(n_hidden=10, solver=solver, max_iter=30)
    fits = [
        BaggedNetEnsemble(net, n_estimators=4, n_jobs=n_jobs, random_state=3).fit(X, y)
        for n_jobs in (1, 2)
    ]
    np.testing.assert_array_equal(_all_weights(fits[0]), _all_weights(fits[1]))
    np.testing.assert_array_equal(fits[0].predict(X), fits[1].predict(X))
    samples = zip(*(fit.estimators_samples_ for fit in fits), strict=True)
    for a, b in samples:
        np.testing.assert_array_equal(a, b)


@short_fits
@rows_in_every_sample
def test_workers_share_large_data_from_files_deleted_after_fit(tmp_path, monkeypatch):
    # Above 1 MiB, X, y and the members' rows reach the workers as memory
    # maps of files in joblib's temporary folder, gone when fit ends; the
    # ensemble is the one n_jobs=1 fits, and keeps no memory map.
    monkeypatch.setenv("JOBLIB_TEMP_FOLDER", str(tmp_path))
    dumped = []
    dump = joblib.dump
    monkeypatch.setattr(
        joblib, "dump", lambda data, path: dumped.append(path) or dump(data, path)
    )
    X, y = make_friedman1(n_samples=8_000, n_features=20, random_state=0)
    X_given, y_given = X.copy(), y.copy()
    net = FeedForwardRegressor(n_hidden=5, max_iter=2, batch_size=2_000)
    fits = [
        BaggedNetEnsemble(
            net, n_estimators=2, oob_score=True, n_jobs=n_jobs, random_state=0
        ).fit(X, y)
        for n_jobs in (1, 2)
    ]
    assert dumped and all(path.startswith(str(tmp_path)) for path in dumped)
    assert not list(tmp_path.glob("skdeep_shared_*"))
    np.testing.assert_array_equal(_all_weights(fits[0]), _all_weights(fits[1]))
    assert fits[0].oob_score_ == fits[1].oob_score_
    assert not any(isinstance(rows, np.memmap) for rows in fits[1].estimators_samples_)
    np.testing.assert_array_equal(X, X_given)
    np.testing.assert_array_equal(y, y_given)


def test_shared_data_is_memory_mapped_only_for_several_jobs_and_1_mib(tmp_path):
    dense, rows = np.arange(2.0**17).reshape(-1, 8), np.arange(10)
    sparse = sp.random(1000, 1000, density=0.1, format="csr", random_state=0)
    data = (dense, sparse, None, [rows])
    with shared_with_workers(1, data) as as_given:
        assert as_given is data
    with shared_with_workers(2, (rows, None)) as (small, _):
        assert small is rows  # pickled with each task at little cost
    with shared_with_workers(2, data) as (X, S, nothing, [R]):
        assert isinstance(X, np.memmap) and not X.flags.writeable
        assert isinstance(S.data, np.memmap) and isinstance(R, np.memmap)
        np.testing.assert_array_equal(X, dense)
        np.testing.assert_array_equal(R, rows)
        assert (S != sparse).nnz == 0 and nothing is None
        folder = os.path.dirname(X.filename)
    assert not os.path.exists(folder)
    # data memory-mapped already (larger than memory, say) is never copied
    mapped = np.memmap(tmp_path / "X.dat", mode="w+", shape=dense.shape)
    with shared_with_workers(2, (np.asarray(mapped), rows)) as (X, R):
        assert np.shares_memory(X, mapped) and R is rows


@short_fits
def test_members_get_distinct_seeds_drawn_from_random_state(regression):
    X, _, y, _ = regression
    ensemble = BaggedNetEnsemble(_net(), n_estimators=4, random_state=0).fit(X, y)
    seeds = [m.random_state for m in ensemble.estimators_]
    assert len(set(seeds)) == 4 and all(isinstance(s, int) for s in seeds)
    other = BaggedNetEnsemble(_net(), n_estimators=4, random_state=1).fit(X, y)
    assert seeds != [m.random_state for m in other.estimators_]


@short_fits
def test_estimator_type_follows_the_estimator(classification):
    X, y = classification
    classifier = BaggedNetEnsemble(_classifier_net(), n_estimators=2)
    regressor = BaggedNetEnsemble(_net(), n_estimators=2)
    assert is_classifier(classifier) and not is_regressor(classifier)
    assert is_regressor(regressor) and not is_classifier(regressor)
    assert is_regressor(BaggedNetEnsemble())  # default: a FeedForwardRegressor
    assert is_classifier(make_pipeline(StandardScaler(), classifier))
    assert isinstance(check_cv(3, y, classifier=is_classifier(classifier)),
                      StratifiedKFold)  # fmt: skip
    classifier.set_params(random_state=0).fit(X, y)
    assert classifier.score(X, y) == accuracy_score(y, classifier.predict(X))


# -- a regressor member on class labels -------------------------------------


@short_fits
@pytest.mark.parametrize(
    "member, labels",
    [(_net, np.int64), (None, np.int64), (_net, np.int32), (_net, np.uint8)],
    ids=["given", "default", "int32", "uint8"],
)
def test_regressor_member_on_class_labels_warns_naming_the_fix(
    member, labels, classification
):
    X, y = classification  # labels 0, 1, 2 of 200 rows
    ensemble = (
        BaggedNetEnsemble(n_estimators=1, random_state=0)  # quick: one member
        if member is None
        else BaggedNetEnsemble(member(), n_estimators=2, random_state=0)
    )
    with pytest.warns(UserWarning, match="looks like class labels") as record:
        ensemble.fit(X, y.astype(labels))
    [warning] = [w for w in record if "class labels" in str(w.message)]
    message = str(warning.message)
    assert "3 integer codes from 0 to 2" in message
    assert "BaggedNetEnsemble(FeedForwardClassifier(...))" in message
    assert ("(the default estimator)" in message) == (member is None)
    assert warning.filename == __file__  # the line that called fit


@short_fits
@pytest.mark.parametrize(
    "data, member",
    [
        (lambda X, y: (X, y + 0.5 * X[:, 0]), _net),  # an ordinary target
        (lambda X, y: (X, y.astype(float)), _net),  # floats are targets
        (lambda X, y: (X, y + 3), _net),  # scores 3 to 5, like wine quality
        (lambda X, y: (X[:30], y[:30]), _net),  # as few rows as sklearn's checks
        (lambda X, y: (X, y), _classifier_net),
    ],
    ids=["continuous", "floats", "integers-from-3", "few-rows-per-label", "classifier"],
)
def test_no_class_label_warning_for_regression_targets(data, member, classification):
    X, y = data(*classification)
    ensemble = BaggedNetEnsemble(member(), n_estimators=2, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ensemble.fit(X, y)
    messages = [str(warning.message) for warning in caught]
    assert not [m for m in messages if "y looks like class labels" in m], messages
    assert len(ensemble.estimators_) == 2


@short_fits
def test_averaged_probabilities_sum_to_one(classification):
    X, y = classification
    ensemble = BaggedNetEnsemble(_classifier_net(), n_estimators=3, random_state=0)
    proba = ensemble.fit(X, y).predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    members = [m.predict_proba(X) for m in ensemble.estimators_]
    np.testing.assert_allclose(proba, np.mean(members, axis=0))
    np.testing.assert_array_equal(
        ensemble.predict(X), ensemble.classes_[proba.argmax(axis=1)]
    )
    np.testing.assert_allclose(ensemble.predict_log_proba(X), np.log(proba))


@short_fits
def test_members_that_missed_a_class_give_aligned_probabilities():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = np.array(["a"] * 29 + ["b"] * 29 + ["rare"] * 2)
    X[y == "rare"] += 4.0
    ensemble = BaggedNetEnsemble(_classifier_net(), n_estimators=6, random_state=0).fit(
        X, y
    )
    np.testing.assert_array_equal(ensemble.classes_, ["a", "b", "rare"])
    missed = [m for m in ensemble.estimators_ if len(m.classes_) == 2]
    assert missed, "some bootstrap sample should miss the two 'rare' rows"
    proba = ensemble.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    saw_rare = [m for m in ensemble.estimators_ if len(m.classes_) == 3]
    expected_rare = sum(m.predict_proba(X)[:, 2] for m in saw_rare) / 6
    np.testing.assert_allclose(proba[:, 2], expected_rare)


@short_fits
def test_averaging_beats_the_typical_member_on_held_out_data(regression):
    X, X_test, y, y_test = regression
    ensemble = BaggedNetEnsemble(_net(), n_estimators=6, random_state=0).fit(X, y)
    members = np.array([m.predict(X_test) for m in ensemble.estimators_])
    member_errors = [mean_squared_error(y_test, p) for p in members]
    averaged_error = mean_squared_error(y_test, ensemble.predict(X_test))
    # The mean of the members' errors is the averaged prediction's error plus
    # their spread about it: equality holds only if predict is their average.
    spread = members.var(axis=0).mean()
    assert averaged_error == pytest.approx(np.mean(member_errors) - spread, rel=1e-9)
    # Bagged 10-unit networks on 200 rows vary a lot; averaging them is about
    # a third better than the median member here (0.67 of its error).
    assert averaged_error < 0.8 * np.median(member_errors)


@short_fits
def test_median_combines_by_the_median(regression):
    X, X_test, y, _ = regression
    ensemble = BaggedNetEnsemble(_net(), n_estimators=5, combine="median",
                                 random_state=0).fit(X, y)  # fmt: skip
    members = np.array([m.predict(X_test) for m in ensemble.estimators_])
    np.testing.assert_allclose(ensemble.predict(X_test), np.median(members, axis=0))


@short_fits
@pytest.mark.parametrize(
    "settings", [{"bootstrap": True}, {"bootstrap": False, "validation_fraction": 0.3}]
)
def test_best_predicts_exactly_as_the_best_scored_member(settings, regression):
    X, X_test, y, _ = regression
    ensemble = BaggedNetEnsemble(
        _net(), n_estimators=4, combine="best", random_state=0, **settings
    ).fit(X, y)
    assert ensemble.best_index_ == np.argmax(ensemble.member_scores_)
    best = ensemble.estimators_[ensemble.best_index_]
    np.testing.assert_array_equal(ensemble.predict(X_test), best.predict(X_test))
    _, std = ensemble.predict(X_test, return_std=True)
    np.testing.assert_array_equal(std, 0.0)


@short_fits
def test_member_scores_are_out_of_bag_scores(regression):
    X, _, y, _ = regression
    ensemble = BaggedNetEnsemble(_net(), n_estimators=3, random_state=0).fit(X, y)
    for member, rows, score in zip(
        ensemble.estimators_,
        ensemble.estimators_samples_,
        ensemble.member_scores_,
        strict=True,
    ):
        out = np.setdiff1d(np.arange(len(y)), rows)
        assert score == pytest.approx(member.score(X[out], y[out]), rel=1e-12)


@short_fits
def test_held_out_rows_are_never_trained_on(classification):
    X, y = classification
    ensemble = BaggedNetEnsemble(
        _classifier_net(), n_estimators=3, bootstrap=False,
        validation_fraction=0.25, random_state=0,
    ).fit(X, y)  # fmt: skip
    trained = ensemble.estimators_samples_[0]
    assert len(trained) == 150 and len(np.unique(trained)) == 150
    for rows in ensemble.estimators_samples_[1:]:
        np.testing.assert_array_equal(rows, trained)  # one split, all members
    held_out = np.setdiff1d(np.arange(len(y)), trained)
    counts = np.bincount(y[held_out])
    assert counts.max() - counts.min() <= 1  # stratified: 50 = 17 + 17 + 16


def test_return_std_is_exactly_zero_for_identical_members(regression):
    X, X_test, y, _ = regression
    constant = DummyRegressor(strategy="constant", constant=0.1)
    ensemble = BaggedNetEnsemble(constant, n_estimators=3).fit(X, y)
    mean, std = ensemble.predict(X_test, return_std=True)
    np.testing.assert_allclose(mean, 0.1, rtol=1e-15)
    assert np.std([0.1, 0.1, 0.1]) > 0  # the mean of equal floats is not them
    np.testing.assert_array_equal(std, 0.0)


@short_fits
@pytest.mark.parametrize("combine", ["mean", "median"])
def test_return_std_is_the_spread_of_restarts_about_their_mean(combine, regression):
    X, X_test, y, _ = regression
    ensemble = BaggedNetEnsemble(_net(), n_estimators=4, bootstrap=False,
                                 combine=combine, random_state=0).fit(X, y)  # fmt: skip
    _, std = ensemble.predict(X_test, return_std=True)
    members = np.array([m.predict(X_test) for m in ensemble.estimators_])
    about_mean = np.sqrt(((members - members.mean(axis=0)) ** 2).mean(axis=0))
    np.testing.assert_allclose(std, about_mean, rtol=1e-10)
    assert np.all(std > 0)  # restarts land in different minima


@short_fits
@rows_in_every_sample
def test_out_of_bag_uses_only_members_that_did_not_see_the_row(regression):
    X, _, y, _ = regression
    ensemble = BaggedNetEnsemble(
        _net(), n_estimators=8, oob_score=True, random_state=0
    ).fit(X, y)
    predictions = np.array([m.predict(X) for m in ensemble.estimators_])
    for row in range(0, len(y), 7):
        unseen = [
            k for k, rows in enumerate(ensemble.estimators_samples_) if row not in rows
        ]
        if not unseen:
            assert np.isnan(ensemble.oob_prediction_[row])
            continue
        assert ensemble.oob_prediction_[row] == pytest.approx(
            predictions[unseen, row].mean(), rel=1e-10
        )
    seen = ~np.isnan(ensemble.oob_prediction_)
    assert ensemble.oob_score_ == pytest.approx(
        1 - np.mean((ensemble.oob_prediction_[seen] - y[seen]) ** 2) / np.var(y[seen])
    )


@short_fits
@rows_in_every_sample
def test_classifier_out_of_bag_decision_function(classification):
    X, y = classification
    ensemble = BaggedNetEnsemble(
        _classifier_net(), n_estimators=8, oob_score=True, random_state=0
    ).fit(X, y)
    decision = ensemble.oob_decision_function_
    assert decision.shape == (len(y), 3)
    seen = ~np.isnan(decision[:, 0])
    assert seen.mean() > 0.9
    np.testing.assert_allclose(decision[seen].sum(axis=1), 1.0)
    predicted = ensemble.classes_[decision[seen].argmax(axis=1)]
    assert ensemble.oob_score_ == pytest.approx(accuracy_score(y[seen], predicted))
    assert ensemble.oob_score_ < ensemble.score(X, y)  # honest: unseen rows


@short_fits
def test_rows_in_every_sample_warn_and_get_nan(regression):
    X, _, y, _ = regression
    ensemble = BaggedNetEnsemble(_net(), n_estimators=2, oob_score=True,
                                 random_state=0)  # fmt: skip
    with pytest.warns(UserWarning, match="no out-of-bag prediction"):
        ensemble.fit(X, y)
    both = np.intersect1d(*ensemble.estimators_samples_)
    assert np.isnan(ensemble.oob_prediction_[both]).all()
    assert np.isfinite(ensemble.oob_score_)


@pytest.mark.parametrize(
    "bootstrap, max_samples, size, unique",
    [(True, 1.0, 200, None), (True, 50, 50, None), (False, 0.5, 100, 100),
     (False, 1.0, 200, 200)],
)  # fmt: skip
def test_samples_follow_bootstrap_and_max_samples(
    bootstrap, max_samples, size, unique, regression
):
    X, _, y, _ = regression
    ensemble = BaggedNetEnsemble(
        LinearRegression(), n_estimators=3, bootstrap=bootstrap,
        max_samples=max_samples, random_state=0,
    ).fit(X, y)  # fmt: skip
    for rows in ensemble.estimators_samples_:
        assert len(rows) == size
        if unique is not None:
            assert len(np.unique(rows)) == unique
        else:
            assert len(np.unique(rows)) < size  # drawn with replacement
    a, b = ensemble.estimators_samples_[:2]
    assert np.array_equal(a, b) == (not bootstrap and max_samples == 1.0)


@short_fits
def test_subnetworks_keep_a_fraction_of_hidden_units(regression):
    X, _, y, _ = regression
    ensemble = BaggedNetEnsemble(_net(), n_estimators=2, subnetwork=0.3,
                                 random_state=0).fit(X, y)  # fmt: skip
    assert [m.n_hidden for m in ensemble.estimators_] == [3, 3]
    assert ensemble.estimators_[0].coefs_[0].shape == (X.shape[1], 3)
    deep = DeepFFNRegressor(hidden_layer_sizes=(20, 5, 1), max_iter=5)
    ensemble = BaggedNetEnsemble(deep, n_estimators=1, subnetwork=0.5).fit(X, y)
    assert ensemble.estimators_[0].hidden_layer_sizes == (10, 2, 1)
    with pytest.raises(ValueError, match="subnetwork needs an estimator with n_hidden"):
        BaggedNetEnsemble(LinearRegression(), subnetwork=0.5).fit(X, y)


@short_fits
def test_warm_start_fits_only_the_new_members(regression):
    X, X_test, y, _ = regression
    ensemble = BaggedNetEnsemble(_net(), n_estimators=2, warm_start=True,
                                 random_state=0).fit(X, y)  # fmt: skip
    first = list(ensemble.estimators_)
    ensemble.set_params(n_estimators=4).fit(X, y)
    assert ensemble.estimators_[:2] == first  # the very same fitted objects
    assert len(ensemble.estimators_) == len(ensemble.estimators_samples_) == 4
    fresh = BaggedNetEnsemble(_net(), n_estimators=4, random_state=0).fit(X, y)
    np.testing.assert_array_equal(ensemble.predict(X_test), fresh.predict(X_test))
    with pytest.raises(ValueError, match="must be at least the 4 members"):
        ensemble.set_params(n_estimators=3).fit(X, y)


def test_hard_votes_for_members_without_probabilities(classification):
    X, y = classification
    ensemble = BaggedNetEnsemble(LinearSVC(), n_estimators=3, random_state=0)
    assert not hasattr(ensemble, "predict_proba")
    ensemble.fit(X, y)
    votes = np.array([m.predict(X) for m in ensemble.estimators_])
    majority = [np.bincount(column, minlength=3).argmax() for column in votes.T]
    np.testing.assert_array_equal(ensemble.predict(X), majority)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"combine": "median"}, "combine='median' averages regression outputs"),
        ({"oob_score": True, "bootstrap": False}, "oob_score=True needs bootstrap"),
        ({"combine": "best", "bootstrap": False}, "set bootstrap=True or a valid"),
        ({"oob_score": True, "warm_start": True}, "oob_score=True needs warm_start"),
    ],
)
def test_settings_that_cannot_work_raise(params, message, classification):
    X, y = classification
    ensemble = BaggedNetEnsemble(_classifier_net(), n_estimators=2, **params)
    with pytest.raises(ValueError, match=message):
        ensemble.fit(X, y)


def test_best_without_any_scored_member_raises(regression):
    X, _, y, _ = regression
    rows = slice(0, 20)  # 1000 draws from 20 rows leave nothing out of bag
    ensemble = BaggedNetEnsemble(_net(), n_estimators=2, max_samples=1000,
                                 combine="best", random_state=0)  # fmt: skip
    with pytest.raises(ValueError, match="could not score any member"):
        ensemble.fit(X[rows], y[rows])


@short_fits
def test_return_std_is_for_regressors(classification):
    X, y = classification
    ensemble = BaggedNetEnsemble(_classifier_net(), n_estimators=2, random_state=0)
    with pytest.raises(ValueError, match="return_std is for regressors"):
        ensemble.fit(X, y).predict(X, return_std=True)


@short_fits
def test_caller_arrays_are_left_alone(regression):
    X, _, y, _ = regression
    X_before, y_before = X.copy(), y.copy()
    weights = np.linspace(0.5, 1.5, len(y))
    weights_before = weights.copy()
    BaggedNetEnsemble(_net(), n_estimators=2, random_state=0).fit(X, y, weights)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(weights, weights_before)


@short_fits
def test_sample_weights_reach_the_members(regression):
    X, X_test, y, _ = regression
    weights = np.where(np.arange(len(y)) < 100, 1.0, 0.0)
    restarts = {"n_estimators": 2, "bootstrap": False, "random_state": 0}
    weighted = BaggedNetEnsemble(_net(), **restarts).fit(X, y, weights)
    subset = BaggedNetEnsemble(_net(), **restarts).fit(X[:100], y[:100])
    np.testing.assert_allclose(
        weighted.predict(X_test), subset.predict(X_test), rtol=1e-6, atol=1e-8
    )


# -- samples that hold a single class ---------------------------------------


@pytest.fixture(scope="module")
def three_positives():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 4))
    y = np.zeros(100, dtype=int)
    y[:3] = 1
    X[:3] += 3.0
    return X, y


def _aligned_proba(member, X):
    """A member's probabilities on the classes [0, 1]."""
    proba = np.zeros((len(X), 2))
    proba[:, member.classes_] = member.predict_proba(X)
    return proba


@short_fits
@rows_in_every_sample
@pytest.mark.parametrize("seed", [1, 2, 8, 10])  # each draws a sample with no 1
def test_members_whose_sample_holds_one_class_predict_it(seed, three_positives):
    X, y = three_positives
    ensemble = BaggedNetEnsemble(
        _classifier_net(), n_estimators=10, oob_score=True, random_state=seed
    ).fit(X, y)
    one_class = [len(np.unique(y[rows])) == 1 for rows in ensemble.estimators_samples_]
    assert any(one_class)
    for member, alone in zip(ensemble.estimators_, one_class, strict=True):
        assert isinstance(member, DummyClassifier) == alone
        if alone:
            np.testing.assert_array_equal(member.predict_proba(X), 1.0)
    members = np.array([_aligned_proba(m, X) for m in ensemble.estimators_])
    np.testing.assert_allclose(ensemble.predict_proba(X), members.mean(axis=0))
    np.testing.assert_array_equal(ensemble.classes_, [0, 1])
    seen = ~np.isnan(ensemble.oob_decision_function_[:, 0])
    np.testing.assert_allclose(ensemble.oob_decision_function_[seen].sum(axis=1), 1)
    assert np.isfinite(ensemble.oob_score_)
    assert np.isfinite(ensemble.member_scores_).all()
    assert ensemble.best_index_ == np.argmax(ensemble.member_scores_)


@short_fits
@pytest.mark.parametrize("seed", [1, 8])
def test_best_of_members_some_with_one_class(seed, three_positives):
    X, y = three_positives
    ensemble = BaggedNetEnsemble(
        _classifier_net(), n_estimators=10, combine="best", random_state=seed
    ).fit(X, y)
    best = ensemble.estimators_[ensemble.best_index_]
    np.testing.assert_allclose(ensemble.predict_proba(X), _aligned_proba(best, X))


@pytest.mark.parametrize("weighted", [False, True])
def test_data_of_one_class_still_fails_as_the_member_does(weighted):
    X = np.random.RandomState(0).normal(size=(20, 3))
    y = np.arange(20) % 2 if weighted else np.zeros(20, dtype=int)
    weights = y.astype(float) if weighted else None  # weight 0 on every 0
    ensemble = BaggedNetEnsemble(_classifier_net(), n_estimators=2, random_state=0)
    with pytest.raises(ValueError, match="at least 2 classes"):
        ensemble.fit(X, y, sample_weight=weights)


# -- sample_weight ------------------------------------------------------------


@pytest.fixture(scope="module")
def weighted_classes():
    """Labels 0 and 1 on weighted rows; label 2 only on rows of weight 0."""
    X, y = make_classification(
        n_samples=150, n_features=4, n_informative=3, n_redundant=0,
        n_classes=3, random_state=0,
    )  # fmt: skip
    weights = np.where(y == 2, 0.0, np.where(y == 1, 3.0, 1.0))
    return X, y, weights


@pytest.mark.parametrize(
    "estimator",
    [
        KNeighborsClassifier(n_neighbors=3),
        make_pipeline(StandardScaler(), FeedForwardClassifier(n_hidden=4, max_iter=20)),
    ],  # fmt: skip
    ids=["knn", "pipeline"],
)
@short_fits
def test_bootstrap_draws_rows_by_weight_for_members_without_weights(
    estimator, weighted_classes
):
    X, y, weights = weighted_classes
    ensemble = BaggedNetEnsemble(estimator, n_estimators=6, random_state=0)
    ensemble.fit(X, y, sample_weight=weights)
    drawn = np.concatenate(ensemble.estimators_samples_)
    assert not np.isin(drawn, np.flatnonzero(weights == 0)).any()
    counts = np.bincount(drawn, minlength=len(y))
    ratio = counts[y == 1].mean() / counts[y == 0].mean()
    assert 2.5 < ratio < 3.5  # weight 3 against weight 1
    np.testing.assert_array_equal(ensemble.classes_, [0, 1, 2])
    np.testing.assert_array_equal(ensemble.predict_proba(X)[:, 2], 0.0)


@short_fits
def test_pipeline_members_are_seeded_too(weighted_classes):
    X, y, _ = weighted_classes
    net = FeedForwardClassifier(n_hidden=4, max_iter=20)
    pipe = make_pipeline(StandardScaler(), net)
    fits = [BaggedNetEnsemble(pipe, n_estimators=2, random_state=0).fit(X, y)
            for _ in range(2)]  # fmt: skip
    seeds = [m[-1].random_state for m in fits[0].estimators_]
    assert all(isinstance(seed, int) for seed in seeds) and seeds[0] != seeds[1]
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))


def test_without_bootstrap_members_must_take_sample_weight(weighted_classes):
    X, y, weights = weighted_classes
    pipe = make_pipeline(StandardScaler(), KNeighborsClassifier())
    ensemble = BaggedNetEnsemble(pipe, n_estimators=2, bootstrap=False)
    with pytest.raises(ValueError, match="Pipeline.fit takes no sample_weight"):
        ensemble.fit(X, y, sample_weight=weights)
    assert not hasattr(ensemble, "n_features_in_")  # left unfitted


@pytest.mark.parametrize("bootstrap", [True, False])
def test_sample_weight_counts_once(bootstrap):
    # Targets 0 (weight 1) and 1 (weight 3): their weighted mean is 0.75. Were
    # the weights used for the draw and again in the members' fits, members
    # would average to 9 / 10.
    X = np.zeros((200, 1))
    y = np.repeat([0.0, 1.0], 100)
    weights = np.repeat([1.0, 3.0], 100)
    ensemble = BaggedNetEnsemble(DummyRegressor(), n_estimators=40,
                                 bootstrap=bootstrap, random_state=0)  # fmt: skip
    prediction = ensemble.fit(X, y, sample_weight=weights).predict(X[:1])[0]
    assert prediction == pytest.approx(0.75, abs=0.01 if bootstrap else 1e-12)


@short_fits
@rows_in_every_sample
def test_scores_weigh_rows_by_sample_weight(regression):
    X, _, y, _ = regression
    weights = np.random.RandomState(0).randint(0, 3, size=len(y)).astype(float)
    ensemble = BaggedNetEnsemble(_net(), n_estimators=6, oob_score=True,
                                 random_state=0)  # fmt: skip
    ensemble.fit(X, y, sample_weight=weights)
    for member, rows, score in zip(
        ensemble.estimators_,
        ensemble.estimators_samples_,
        ensemble.member_scores_,
        strict=True,
    ):
        out = np.setdiff1d(np.arange(len(y)), rows)
        expected = r2_score(y[out], member.predict(X[out]), sample_weight=weights[out])
        assert score == pytest.approx(expected, rel=1e-12)
    seen = ~np.isnan(ensemble.oob_prediction_)
    expected = r2_score(y[seen], ensemble.oob_prediction_[seen],
                        sample_weight=weights[seen])  # fmt: skip
    assert ensemble.oob_score_ == pytest.approx(expected, rel=1e-12)


# -- workers follow the caller's warning filters and configuration ------------

_WARNINGS_SCRIPT = """
import sys, warnings
from sklearn.datasets import make_friedman1
from skdeep import BaggedNetEnsemble, FeedForwardRegressor

X, y = make_friedman1(n_samples=60, random_state=0)
net = FeedForwardRegressor(n_hidden=3, max_iter=2)
ensemble = BaggedNetEnsemble(net, n_estimators=2, n_jobs=2, random_state=0)
warnings.simplefilter("always")
ensemble.fit(X, y)
print("-- ignored from here --", file=sys.stderr, flush=True)
warnings.simplefilter("ignore")
ensemble.fit(X, y)
"""


def test_worker_processes_follow_the_callers_warning_filters():
    # Worker processes print their warnings on the stderr they inherit, which
    # pytest does not capture: run the fits in a process of their own.
    result = subprocess.run(
        [sys.executable, "-c", _WARNINGS_SCRIPT],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    shown, ignored = result.stderr.split("-- ignored from here --")
    # once for both members, by the caller, at the line that called fit
    assert shown.count("ConvergenceWarning") == 1
    assert re.match(r"<string>:10: ConvergenceWarning: .* \(2 of 2 members\)", shown)
    assert "ConvergenceWarning" not in ignored


class _Recorder(RegressorMixin, BaseEstimator):
    """Predicts the mean; records the layout of its training X and a config key."""

    def fit(self, X, y):
        self.c_ordered_ = X.flags.c_contiguous
        self.assume_finite_ = get_config()["assume_finite"]
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(X.shape[0], self.mean_)


def test_worker_processes_follow_the_callers_sklearn_config(regression):
    X, _, y, _ = regression
    ensemble = BaggedNetEnsemble(_Recorder(), n_estimators=2, n_jobs=2)
    with config_context(assume_finite=True):
        ensemble.fit(X, y)
    assert [m.assume_finite_ for m in ensemble.estimators_] == [True, True]
    ensemble.fit(X, y)
    assert [m.assume_finite_ for m in ensemble.estimators_] == [False, False]


def test_warnings_as_errors_in_workers_fail_the_fit(regression):
    # After the other n_jobs=2 tests: joblib restarts its workers after an error.
    X, _, y, _ = regression
    net = FeedForwardRegressor(n_hidden=3, max_iter=2)
    ensemble = BaggedNetEnsemble(net, n_estimators=2, n_jobs=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="maximum iterations"):
            ensemble.fit(X, y)


@pytest.mark.parametrize("bootstrap", [True, False])
def test_members_train_on_row_major_rows_of_column_major_input(bootstrap, regression):
    X, _, y, _ = regression
    ensemble = BaggedNetEnsemble(_Recorder(), n_estimators=2, bootstrap=bootstrap)
    ensemble.fit(np.asfortranarray(X), y)
    assert all(m.c_ordered_ for m in ensemble.estimators_)


# -- a failed fit changes nothing ---------------------------------------------


def test_a_failed_fit_keeps_the_previous_model(regression):
    X, X_test, y, _ = regression
    net = FeedForwardRegressor(n_hidden=3, max_iter=2)
    ensemble = BaggedNetEnsemble(net, n_estimators=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ensemble.fit(X, y)
    before = dict(vars(ensemble))
    prediction = ensemble.predict(X_test)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning):
            ensemble.fit(X[:, :4], y)  # fails in a member, after validation
    assert vars(ensemble).keys() == before.keys()
    assert all(vars(ensemble)[key] is value for key, value in before.items())
    np.testing.assert_array_equal(ensemble.predict(X_test), prediction)


def test_a_failed_first_fit_leaves_the_ensemble_unfitted(regression):
    X, _, y, _ = regression
    net = FeedForwardRegressor(n_hidden=3, max_iter=2)
    ensemble = BaggedNetEnsemble(net, n_estimators=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning):
            ensemble.fit(X, y)
    with pytest.raises(NotFittedError):
        ensemble.predict(X)


@short_fits
def test_warm_start_keeps_the_features_and_classes_it_was_fitted_on(classification):
    X, y = classification
    ensemble = BaggedNetEnsemble(_classifier_net(), n_estimators=2, warm_start=True,
                                 random_state=0).fit(X, y)  # fmt: skip
    members = ensemble.estimators_
    ensemble.set_params(n_estimators=3)
    with pytest.raises(ValueError, match="has 5 features"):
        ensemble.fit(X[:, :5], y)
    with pytest.raises(ValueError, match=r"classes already fitted, \[0, 1, 2\]"):
        ensemble.fit(X, np.where(y == 2, 1, y))
    assert ensemble.estimators_ is members and ensemble.n_features_in_ == 6
