"""Ensembles and searches on a local Dask cluster (needs the ``distributed`` extra)."""

import os
import warnings

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skdeep import BaggedNetEnsemble, FeedForwardRegressor

if os.environ.get("SKDEEP_REQUIRE_DISTRIBUTED"):  # CI: a skip would hide a failure
    import dask.distributed as distributed
else:
    distributed = pytest.importorskip("dask.distributed")

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
        dashboard_address=None,
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
