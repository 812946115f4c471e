"""scikit-learn's own estimator checks, on every public skdeep estimator."""

import inspect

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import (
    check_param_validation,
    parametrize_with_checks,
)

import skdeep

ESTIMATOR_CLASSES = sorted(
    (
        obj
        for name in skdeep.__all__
        if inspect.isclass(obj := getattr(skdeep, name))
        and issubclass(obj, BaseEstimator)
    ),
    key=lambda cls: cls.__name__,
)

# Small, quick settings; the defaults would only make the checks slower.
FAST = {"max_iter": 50, "n_hidden": 16, "learning_rate_init": 0.01, "random_state": 0}


def _instances():
    for cls in ESTIMATOR_CLASSES:
        yield cls(**FAST)
        yield cls(**{**FAST, "solver": "lbfgs"})


def test_every_public_estimator_is_checked():
    assert [cls.__name__ for cls in ESTIMATOR_CLASSES] == [
        "FeedForwardClassifier",
        "FeedForwardRegressor",
    ]


@parametrize_with_checks(list(_instances()))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda cls: cls.__name__)
def test_param_validation(cls):
    check_param_validation(cls.__name__, cls(**FAST))
