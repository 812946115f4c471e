"""Ensembles, searches and dask-ml training on a local Dask cluster.

They need the ``distributed`` extra (Dask, distributed and dask-ml).
"""

import os
import warnings

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.datasets import make_classification, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skdeep import (
    BaggedNetEnsemble,
    DeepFFNRegressor,
    FeedForwardClassifier,
    FeedForwardRegressor,
)

# CI sets SKDEEP_REQUIRE_DISTRIBUTED=1: there a skip would hide a failure
REQUIRED = bool(os.environ.get("SKDEEP_REQUIRE_DISTRIBUTED"))
if REQUIRED:
    import dask.distributed as distributed
else:
    distributed = pytest.importorskip("dask.distributed")
try:  # the distributed extra brings dask-ml; a bare Dask install runs the rest
    import dask.array as da
    import dask_ml.preprocessing as dask_preprocessing
    import dask_ml.wrappers as dask_wrappers
except ImportError:
    if REQUIRED:
        raise
    dask_wrappers = None
needs_dask_ml = pytest.mark.skipif(
    dask_wrappers is None, reason="needs dask-ml (the distributed extra)"
)

pytestmark = pytest.mark.filterwarnings(
    # the cluster's own start-up and shutdown chatter is not ours to judge
    "ignore::DeprecationWarning",
    "ignore::ResourceWarning",
)
# The members stop at max_iter on purpose, to keep the tests quick. Only that
# warning is silenced, test by test: a fit that diverges still shows.
short_fits = pytest.mark.filterwarnings(
    "ignore:.*maximum iterations:sklearn.exceptions.ConvergenceWarning"
)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # loopback only, any free port
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()
    assert cluster.status.name == "closed"


@pytest.fixture(scope="module")
def data():
    return make_friedman1(n_samples=300, noise=0.5, random_state=0)


def _ensemble():
    net = FeedForwardRegressor(n_hidden=10, solver="lbfgs", max_iter=60)
    return BaggedNetEnsemble(net, n_estimators=4, n_jobs=-1, random_state=0)


@short_fits
def test_ensemble_on_a_cluster_equals_the_local_fit(client, data):
    X, y = data
    local = _ensemble().fit(X, y)
    with parallel_config(backend="dask"), distributed.get_task_stream() as stream:
        remote = _ensemble().fit(X, y)
    assert len(stream.data) >= 4  # the four members ran as cluster tasks
    assert {task["worker"] for task in stream.data} <= set(client.run(lambda: 0))
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))
    np.testing.assert_array_equal(remote.member_scores_, local.member_scores_)


@short_fits
def test_grid_search_over_the_ensemble_on_a_cluster(client, data):
    X, y = data
    grid = {"combine": ["mean", "best"], "n_estimators": [2, 3]}
    local = GridSearchCV(_ensemble(), grid, cv=3).fit(X, y)
    with parallel_config(backend="dask"), distributed.get_task_stream() as stream:
        remote = GridSearchCV(_ensemble(), grid, cv=3, n_jobs=-1).fit(X, y)
    assert len(stream.data) >= 12  # 4 candidates x 3 folds ran on the workers
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_


def test_cluster_workers_follow_the_callers_warning_filters(client, data):
    X, y = data
    net = FeedForwardRegressor(n_hidden=3, max_iter=2)
    ensemble = BaggedNetEnsemble(net, n_estimators=2, n_jobs=-1, random_state=0)
    with parallel_config(backend="dask"), warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="maximum iterations"):
            ensemble.fit(X, y)


# -- training with dask-ml: partial_fit over the chunks of a dask array --------


def _chunked(X, y, rows):
    """``X`` and ``y`` as dask arrays of ``rows``-row chunks."""
    return da.from_array(X, chunks=(rows, -1)), da.from_array(y, chunks=rows)


def _partial_fit_tasks(stream):
    """Incremental's ``partial_fit`` tasks: keys ``("fit-<token>", i)``, one per
    chunk, after ``("fit-<token>", -1)``, which holds the unfitted model."""
    return [
        task
        for task in stream.data
        if "'fit-" in str(task["key"]) and not str(task["key"]).endswith(", -1)")
    ]


@pytest.fixture(scope="module")
def classes():
    X, y = make_classification(n_samples=1000, n_features=8, n_informative=4,
                               class_sep=2.0, random_state=0)  # fmt: skip
    return X[:800], y[:800], X[800:], y[800:]


@needs_dask_ml
def test_incremental_classifier_learns_from_every_chunk(client, classes):
    X, y, X_test, y_test = classes
    Xd, yd = _chunked(X, y, rows=200)
    net = FeedForwardClassifier(n_hidden=16, learning_rate_init=0.01, random_state=0)
    model = dask_wrappers.Incremental(net, shuffle_blocks=False)
    with distributed.get_task_stream() as stream:
        model.fit(Xd, yd, classes=[0, 1])  # one pass over the 4 chunks
        for _ in range(4):  # and 4 more, continuing
            model.partial_fit(Xd, yd, classes=[0, 1])
    trained = _partial_fit_tasks(stream)
    assert len(trained) == 5 * 4  # a cluster task per chunk and pass
    assert {task["worker"] for task in trained} <= set(client.run(lambda: 0))
    # one epoch per chunk and pass, every row of every chunk seen each pass
    assert model.estimator_.n_iter_ == 5 * 4
    assert model.estimator_.t_ == 5 * 800
    assert model.score(X_test, y_test) > 0.8  # chance is 0.5
    # the same as partial_fit on each chunk in turn, here
    local = FeedForwardClassifier(n_hidden=16, learning_rate_init=0.01, random_state=0)
    for _ in range(5):
        for start in range(0, 800, 200):
            rows = slice(start, start + 200)
            local.partial_fit(X[rows], y[rows], classes=[0, 1])
    np.testing.assert_allclose(
        model.predict_proba(X_test), local.predict_proba(X_test), rtol=1e-10
    )


@needs_dask_ml
def test_incremental_regressor_learns(client):
    X, y = make_friedman1(n_samples=1000, noise=0.5, random_state=0)
    Xd, yd = _chunked(X[:800], y[:800], rows=200)
    net = DeepFFNRegressor((32,), learning_rate_init=0.01, random_state=0)
    model = dask_wrappers.Incremental(net, random_state=0)  # chunks shuffled
    for _ in range(10):
        model.partial_fit(Xd, yd)
    assert model.estimator_.n_iter_ == 10 * 4
    assert model.score(X[800:], y[800:]) > 0.7  # R^2; a constant scores 0


@short_fits
@needs_dask_ml
def test_parallel_post_fit_predicts_as_the_network(client, classes):
    X, y, X_test, y_test = classes
    net = FeedForwardClassifier(n_hidden=16, learning_rate_init=0.01, max_iter=30,
                                random_state=0).fit(X, y)  # fmt: skip
    X_big = da.from_array(X_test, chunks=(50, -1))
    wrapped = dask_wrappers.ParallelPostFit(net)
    labels, proba = wrapped.predict(X_big), wrapped.predict_proba(X_big)
    assert isinstance(labels, da.Array) and labels.numblocks == (4,)
    np.testing.assert_array_equal(labels.compute(), net.predict(X_big.compute()))
    np.testing.assert_allclose(proba.compute(), net.predict_proba(X_test), rtol=1e-12)
    score = wrapped.score(X_big, da.from_array(y_test, chunks=50))
    assert score == pytest.approx(net.score(X_test, y_test))
    # Incremental predicts through its fitted estimator the same way
    inc = dask_wrappers.Incremental(net).partial_fit(*_chunked(X, y, rows=400),
                                                        classes=[0, 1])  # fmt: skip
    np.testing.assert_array_equal(
        inc.predict(X_big).compute(), inc.estimator_.predict(X_test)
    )


def _sorted_by_time(n_samples=1600):
    """Rows in time order: a time stamp and a volume that grows over time, beside
    four informative features (the classes do not depend on time)."""
    X, y = make_classification(n_samples=n_samples, n_features=6, n_informative=4,
                               random_state=0)  # fmt: skip
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, n_samples)
    volume = rng.lognormal(size=n_samples) * np.exp(8 * t)
    return np.column_stack([X, 3650 * t, volume]), y


# dask-ml 2024.4 (the oldest the distributed extra allows) calls scikit-learn
# 1.6's deprecated feature checks from its StandardScaler
@pytest.mark.filterwarnings("ignore:`BaseEstimator._check:FutureWarning")
@needs_dask_ml
def test_standardise_the_whole_array_first(client):
    X, y = _sorted_by_time()
    test = np.arange(len(y)) % 5 == 0  # held out from every period
    Xd, yd = _chunked(X[~test], y[~test], rows=320)
    # the trap: the network's own scaling comes from the first chunk alone
    first = dask_wrappers.Incremental(FeedForwardClassifier(), shuffle_blocks=False)
    first.partial_fit(Xd, yd, classes=[0, 1])
    volume_scale = X[~test, -1].std()
    assert first.estimator_.scaler_.scale_[-1] < volume_scale / 100
    # the recipe: statistics of the whole array, then no scaling in the network
    scaler = dask_preprocessing.StandardScaler().fit(Xd)
    np.testing.assert_allclose(scaler.scale_[-1], volume_scale)
    net = FeedForwardClassifier(n_hidden=16, learning_rate_init=0.01,
                                standardize=False, random_state=0)  # fmt: skip
    model = dask_wrappers.Incremental(net, shuffle_blocks=False)
    for _ in range(5):
        model.partial_fit(scaler.transform(Xd), yd, classes=[0, 1])
    assert model.score(scaler.transform(X[test]), y[test]) > 0.8
