"""Bad input gets a clear error; the caller's arrays are never modified."""

import numpy as np
import pytest
import scipy.sparse as sp

from skdeep import FeedForwardClassifier, FeedForwardRegressor

# These tests stop training early on purpose; any other ConvergenceWarning
# (a divergence above all) still shows.
MAX_ITER = pytest.mark.filterwarnings(
    "ignore:Solver .* maximum iterations:sklearn.exceptions.ConvergenceWarning"
)


ESTIMATORS = [FeedForwardClassifier, FeedForwardRegressor]


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = (X[:, 0] > 0).astype(int)
    return X, y


def _model(Model, **params):
    return Model(n_hidden=4, max_iter=5, random_state=0, **params)


@MAX_ITER
@pytest.mark.parametrize("Model", ESTIMATORS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_X_is_rejected(Model, bad, data):
    X, y = data
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        _model(Model).fit(X, y)
    fitted = _model(Model).fit(data[0], y)
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        fitted.predict(X)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_y_is_rejected(bad, data):
    X, y = data
    y = y.astype(float)
    y[0] = bad
    with pytest.raises(ValueError, match="Input y contains (NaN|infinity)"):
        _model(FeedForwardRegressor).fit(X, y)


@MAX_ITER
@pytest.mark.parametrize("Model", ESTIMATORS)
def test_wrong_number_of_features_at_predict(Model, data):
    X, y = data
    model = _model(Model).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but .* expecting 3"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match="X has 2 features"):
        model.transform(X[:, :2])


def test_single_class_is_rejected(data):
    X, _ = data
    with pytest.raises(ValueError, match="at least 2 classes.*only one class: 'a'"):
        _model(FeedForwardClassifier).fit(X, ["a"] * len(X))


@pytest.mark.parametrize("Model", ESTIMATORS)
def test_empty_X_is_rejected(Model):
    with pytest.raises(ValueError, match="0 sample"):
        _model(Model).fit(np.empty((0, 3)), [])


@pytest.mark.parametrize("Model", ESTIMATORS)
def test_non_numeric_X_is_rejected(Model, data):
    X, y = data
    X = X.astype(object)
    X[0, 0] = "high"
    with pytest.raises(ValueError, match="could not convert string to float: 'high'"):
        _model(Model).fit(X, y)


@pytest.mark.parametrize("Model", ESTIMATORS)
def test_bad_sample_weights_are_rejected(Model, data):
    X, y = data
    weights = np.ones(len(y))
    weights[2] = -1
    with pytest.raises(ValueError, match="Negative values in data passed to"):
        _model(Model).fit(X, y, sample_weight=weights)
    with pytest.raises(ValueError, match="at least one non-zero"):
        _model(Model).fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="sample_weight.shape"):
        _model(Model).fit(X, y, sample_weight=np.ones(len(y) + 1))


def test_bad_parameter_values_name_the_parameter(data):
    X, y = data
    with pytest.raises(ValueError, match="'n_hidden' parameter .* Got 0 instead"):
        FeedForwardClassifier(n_hidden=0).fit(X, y)
    with pytest.raises(ValueError, match="'activation' parameter .* Got 'sigmoid'"):
        FeedForwardClassifier(activation="sigmoid").fit(X, y)
    with pytest.raises(ValueError, match="'penalty' parameter .* Got 'ridge'"):
        FeedForwardRegressor(penalty="ridge").fit(X, y)


def test_validation_data_must_come_in_pairs(data):
    X, y = data
    with pytest.raises(ValueError, match="both X_val and y_val"):
        _model(FeedForwardClassifier).fit(X, y, X_val=X)


def test_too_small_validation_split(data):
    X, y = data
    model = _model(FeedForwardRegressor, early_stopping=True, validation_fraction=0.01)
    with pytest.raises(ValueError, match="validation set is too small"):
        model.fit(X[:20], y[:20])


def test_partial_fit_errors(data):
    X, y = data
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        _model(FeedForwardClassifier).partial_fit(X, y)
    with pytest.raises(ValueError, match="early_stopping"):
        _model(FeedForwardRegressor, early_stopping=True).partial_fit(X, y)
    with pytest.raises(ValueError, match="n_init=3"):
        _model(FeedForwardRegressor, n_init=3).partial_fit(X, y)
    assert not hasattr(_model(FeedForwardClassifier, solver="lbfgs"), "partial_fit")
    model = _model(FeedForwardClassifier).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in classes_"):
        model.partial_fit(X, np.full(len(y), 7))


@MAX_ITER
@pytest.mark.parametrize("Model", ESTIMATORS)
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_caller_arrays_are_never_modified(Model, sparse, solver, data):
    X, y = data
    X = np.asfortranarray(X) if not sparse else sp.csr_matrix(np.where(X > 0, X, 0))
    weights = np.linspace(0.5, 2, len(y))
    originals = [X.copy(), y.copy(), weights.copy()]
    model = _model(Model, solver=solver, early_stopping=solver == "adam")
    model.fit(X, y, sample_weight=weights, X_val=X, y_val=y)
    model.predict(X)
    model.transform(X)
    if solver == "adam":
        model.set_params(early_stopping=False).partial_fit(X, y, sample_weight=weights)
    for before, after in zip(originals, [X, y, weights], strict=True):
        if sp.issparse(before):
            before, after = before.toarray(), after.toarray()
        np.testing.assert_array_equal(before, after)


@MAX_ITER
def test_warm_start_cannot_change_the_architecture(data):
    X, y = data
    model = _model(FeedForwardRegressor, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"hidden layers have \(4,\) units"):
        model.set_params(n_hidden=9).fit(X, y)
