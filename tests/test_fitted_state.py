"""One fitted state, a training run built fresh at every fit: warm starts and
partial fits follow the current parameters, failed fits change nothing,
pickles hold no data, divergence is caught, and the defaults work."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import cross_val_score

from skdeep import (
    DeepFFNClassifier,
    DeepFFNRegressor,
    FeedForwardClassifier,
    FeedForwardRegressor,
)

MAX_ITER = pytest.mark.filterwarnings(
    "ignore:Solver .* maximum iterations:sklearn.exceptions.ConvergenceWarning"
)
NETWORKS = [FeedForwardClassifier, FeedForwardRegressor]


@pytest.fixture(scope="module")
def classification():
    return make_classification(n_samples=300, random_state=0)


@pytest.fixture(scope="module")
def regression():
    return make_regression(n_samples=300, n_features=8, noise=10.0, random_state=0)


def _small(Model, **params):
    size = {"hidden_layer_sizes": (8, 6)} if "DeepFFN" in Model.__name__ else {}
    return Model(**{"max_iter": 15, "random_state": 0, **size, **params})


# -- partial_fit and warm starts follow the current parameters ------------------


def test_first_partial_fit_refuses_labels_outside_classes(classification):
    X, y = classification
    bad = y.copy()
    bad[:5] = 7
    model = FeedForwardClassifier(n_hidden=5, random_state=0)
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in classes"):
        model.partial_fit(X, bad, classes=[0, 1])
    with pytest.raises(NotFittedError):
        model.predict(X)
    model.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\] is not the same"):
        model.partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1)


@MAX_ITER
@pytest.mark.parametrize("Model", [FeedForwardRegressor, DeepFFNClassifier])
def test_warm_start_follows_a_changed_activation(Model, classification):
    X, y = classification
    model = _small(Model, warm_start=True, activation="relu").fit(X, y)
    assert (model.transform(X) >= 0).all()
    model.set_params(activation="tanh").fit(X, y)
    assert (model.transform(X) < 0).any()
    assert model.n_iter_ == 30


@MAX_ITER
def test_warm_start_follows_alpha_loss_dropout_and_learning_rate(regression):
    X, y = regression
    model = _small(DeepFFNRegressor, warm_start=True, shuffle=False).fit(X, y)
    start = model._network.theta.copy()
    changed = dict(alpha=50.0, loss="huber", dropout=0.3, learning_rate_init=0.01)
    twin = pickle.loads(pickle.dumps(model)).set_params(**changed).fit(X, y)
    assert twin._network.loss.name == "huber"
    assert [layer.rate for layer in twin._network.layers if hasattr(layer, "rate")] \
        == [0.3, 0.3]  # fmt: skip
    assert twin._optimizer.learning_rate == 0.01 and twin._optimizer.t > 0
    moved_new = np.linalg.norm(twin._network.theta - start)
    same = pickle.loads(pickle.dumps(model)).fit(X, y)
    moved_old = np.linalg.norm(same._network.theta - start)
    assert moved_new > 2 * moved_old  # a ten times larger step took effect
    assert _weight_norm(twin) < _weight_norm(same)  # and so did the penalty


def _weight_norm(model):
    return sum(float(np.sum(coef**2)) for coef in model.coefs_)


@MAX_ITER
def test_a_solver_switch_starts_its_state_fresh_and_keeps_counting(classification):
    X, y = classification
    model = _small(FeedForwardClassifier, warm_start=True, n_hidden=6).fit(X, y)
    assert type(model._optimizer).__name__ == "Adam"
    model.set_params(solver="sgd", max_iter=5).fit(X, y)
    assert type(model._optimizer).__name__ == "SGD" and model.n_iter_ == 20
    model.set_params(solver="lbfgs", max_iter=5).fit(X, y)
    assert model._optimizer is None and model.n_iter_ <= 25
    assert [record["epoch"] for record in model.history_] == list(
        range(1, model.n_iter_ + 1)
    )


@pytest.mark.parametrize(
    "Model, change, name",
    [
        (FeedForwardRegressor, {"n_hidden": 9}, "n_hidden"),
        (DeepFFNRegressor, {"hidden_layer_sizes": (8, 7)}, "hidden_layer_sizes"),
        (DeepFFNRegressor, {"pretraining": "greedy_with_inputs"}, "pretraining"),
    ],
)
@MAX_ITER
def test_warm_start_refuses_a_changed_architecture(Model, change, name, regression):
    X, y = regression
    model = _small(Model, warm_start=True).fit(X, y)
    before = model.predict(X)
    with pytest.raises(ValueError, match=name):
        model.set_params(**change).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), before)


@MAX_ITER
def test_warm_start_refuses_new_classes_and_outputs(classification, regression):
    X, y = classification
    model = _small(FeedForwardClassifier, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"labels \[2\] that are not in classes_"):
        model.fit(X, np.where(y == 1, 2, y))
    Xr, yr = regression
    reg = _small(FeedForwardRegressor, warm_start=True).fit(Xr, yr)
    with pytest.raises(ValueError, match="y has 2 outputs, but .* fitted with 1"):
        reg.fit(Xr, np.column_stack([yr, yr]))


# -- failed fits, parameters validated before anything is set -------------------


@pytest.mark.parametrize("Model", [FeedForwardClassifier, DeepFFNClassifier])
def test_transform_before_fit_is_not_fitted(Model, classification):
    with pytest.raises(NotFittedError):
        Model().transform(classification[0])


@MAX_ITER
def test_a_failed_refit_keeps_the_previous_model(classification):
    X, y = classification
    model = _small(DeepFFNClassifier).fit(X, y)
    before, attributes = model.predict_proba(X), set(vars(model))
    with pytest.raises(ValueError, match="one per hidden layer"):
        model.set_params(dropout=[0.1] * 7).fit(np.hstack([X, X]), y)
    assert set(vars(model)) == attributes and model.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(
        model.set_params(dropout=0.0).predict_proba(X), before
    )
    with pytest.raises(ValueError, match="only one class"):
        model.fit(X[:40], np.zeros(40))  # fails after validate_data reset
    assert model.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(model.predict_proba(X), before)


def test_a_failed_first_fit_leaves_the_estimator_unfitted(classification):
    X, y = classification
    model = DeepFFNClassifier((4,), dropout=[0.1, 0.2])
    with pytest.raises(ValueError, match="one per hidden layer"):
        model.fit(X, y)
    assert not any(name.endswith("_") for name in vars(model))
    with pytest.raises(NotFittedError):
        model.predict(X)


def test_fractional_layer_sizes_are_refused(classification):
    X, y = classification
    with pytest.raises(ValueError, match=r"must be a positive int .*5\.7"):
        DeepFFNClassifier((5.7, 3)).fit(X, y)


@MAX_ITER
def test_lbfgs_ignores_early_stopping_and_holds_out_nothing(regression):
    X, y = regression
    common = dict(n_hidden=5, solver="lbfgs", max_iter=30, random_state=0)
    stopped = FeedForwardRegressor(early_stopping=True, **common).fit(X, y)
    plain = FeedForwardRegressor(**common).fit(X, y)
    assert stopped.validation_scores_ is None
    np.testing.assert_array_equal(stopped._network.theta, plain._network.theta)


# -- divergence ---------------------------------------------------------------


def test_an_exploding_but_finite_loss_is_caught(classification):
    X, y = classification
    model = FeedForwardClassifier(
        n_hidden=20, solver="sgd", learning_rate_init=10.0, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="diverged.*learning_rate_init"):
        model.fit(X, y)
    curve = model.loss_curve_
    assert curve[0] == pytest.approx(3.22, abs=0.01) and curve[-1] > 1e4 * curve[0]
    assert model.n_iter_ < 200  # stopped when it exploded
    # no epoch ended better than the start, which was kept: its loss is that of
    # a fresh network (about log 2), far below every epoch's
    assert model.loss_ < 1.0 < min(curve)
    fresh = FeedForwardClassifier(n_hidden=20, max_iter=1, learning_rate_init=1e-12,
                                  random_state=0)  # fmt: skip
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        fresh.fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), fresh.predict_proba(X),
                               atol=1e-6)  # fmt: skip


@pytest.mark.parametrize(
    "Model, params",
    [
        (FeedForwardRegressor, {"learning_rate_init": 1e6, "max_iter": 20}),
        (
            DeepFFNRegressor,
            {"hidden_layer_sizes": (5, 4), "solver": "sgd", "learning_rate_init": 1e6},
        ),  # fmt: skip
    ],
)
def test_a_diverged_regressor_predicts_finite_values_and_scores(Model, params):
    X, y = make_regression(n_samples=300, n_features=8, random_state=0)
    model = Model(random_state=0, **params)
    with pytest.warns(ConvergenceWarning, match="diverged.*learning_rate_init"):
        model.fit(X, y)
    assert np.isfinite(model.predict(X)).all()
    assert model.score(X, y) > -10  # the untrained network, not -1e12


def test_a_diverged_classifier_keeps_probabilities_that_sum_to_one():
    X, y = make_classification(n_samples=200, n_classes=3, n_informative=4,
                               random_state=0)  # fmt: skip
    model = DeepFFNClassifier((5, 4), solver="sgd", learning_rate_init=1e6,
                              random_state=0)  # fmt: skip
    with pytest.warns(ConvergenceWarning, match="diverged"):
        model.fit(X, y)
    proba = model.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1)


# -- inputs and targets of any scale -------------------------------------------


@pytest.mark.parametrize("scale", [1e200, 1e300])
@MAX_ITER
def test_huge_inputs_standardise_to_the_same_model(scale, classification):
    X, y = classification
    common = dict(n_hidden=6, max_iter=10, random_state=0)
    plain = FeedForwardClassifier(**common).fit(X, y)
    huge = FeedForwardClassifier(**common).fit(X * scale, y)
    np.testing.assert_allclose(
        huge.predict_proba(X * scale), plain.predict_proba(X), rtol=1e-6
    )


@MAX_ITER
def test_inputs_near_the_float_maximum_standardise_like_their_signs(classification):
    # (x - mean) would overflow here; scaling before shifting does not
    X, y = classification
    signs = np.sign(X)
    common = dict(n_hidden=3, max_iter=20, random_state=0)
    plain = FeedForwardClassifier(**common).fit(signs, y)
    # scikit-learn's finiteness check overflows summing such X (a NumPy
    # RuntimeWarning, an error in this suite): that is not what is tested
    with np.errstate(over="ignore", invalid="ignore"):
        huge = FeedForwardClassifier(**common).fit(signs * 1.7e308, y)
        proba = huge.predict_proba(signs * 1.7e308)
    np.testing.assert_allclose(proba, plain.predict_proba(signs), rtol=1e-6)


@MAX_ITER
@pytest.mark.parametrize("Model", [FeedForwardRegressor, DeepFFNRegressor])
def test_regressors_train_in_standard_units_and_answer_in_the_callers(
    Model, regression
):
    X, y = regression
    model = _small(Model).fit(X, y)
    shifted = _small(Model).fit(X, 1e6 * y + 3e7)
    np.testing.assert_allclose(shifted.predict(X), 1e6 * model.predict(X) + 3e7,
                               rtol=1e-6)  # fmt: skip
    assert shifted.loss_curve_ == pytest.approx(model.loss_curve_, rel=1e-6)
    unscaled = _small(Model, standardize=False).fit(X, y)
    assert unscaled.loss_curve_[0] > 100 * model.loss_curve_[0]


@MAX_ITER
def test_target_standardisation_weighs_the_samples(regression):
    X, y = regression
    weights = np.tile([1, 3], len(y) // 2)
    repeated = np.repeat(np.arange(len(y)), weights)
    model = FeedForwardRegressor(n_hidden=4, solver="lbfgs", max_iter=50,
                                 random_state=0)  # fmt: skip
    weighted = model.fit(X, y, sample_weight=weights)._targets
    plain = FeedForwardRegressor().fit(X[repeated], y[repeated])._targets
    np.testing.assert_allclose(weighted.mean_, plain.mean_)
    np.testing.assert_allclose(weighted.scale_, plain.scale_)


@MAX_ITER
def test_default_regressors_work_on_raw_diabetes_targets():
    X, y = load_diabetes(return_X_y=True)
    for Model in (FeedForwardRegressor, DeepFFNRegressor):
        scores = cross_val_score(Model(random_state=0), X, y, cv=5)
        assert scores.mean() >= 0.45, (Model.__name__, scores)


# -- layouts, pickles ---------------------------------------------------------


@MAX_ITER
@pytest.mark.parametrize("Model", NETWORKS)
def test_column_major_and_dataframe_input_give_the_same_model(Model, classification):
    pd = pytest.importorskip("pandas")
    X, y = classification
    c_order = _small(Model).fit(X, y)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    for X_other in (np.asfortranarray(X), frame):
        other = _small(Model).fit(X_other, y)
        np.testing.assert_array_equal(other._network.theta, c_order._network.theta)
        np.testing.assert_array_equal(other.predict(X_other), c_order.predict(X))


@MAX_ITER
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"pretraining": "greedy_with_inputs", "pretraining_max_iter": 5},
        {"early_stopping": True},
    ],  # fmt: skip
)
def test_a_pickle_holds_parameters_and_state_but_no_data(params):
    X, y = make_classification(n_samples=5000, n_features=30, random_state=0)
    model = DeepFFNClassifier((32, 32), max_iter=40, random_state=0, **params)
    model.fit(X, y)
    size = len(pickle.dumps(model))
    assert size <= 3 * model._network.theta.nbytes + 16_384
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert restored.history_ == model.history_
    restored.set_params(warm_start=True, max_iter=2).fit(X, y)  # it can go on
    assert restored.n_iter_ == model.n_iter_ + 2
