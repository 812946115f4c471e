"""Behaviour of FeedForwardClassifier and FeedForwardRegressor."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdeep import FeedForwardClassifier, FeedForwardRegressor

# These tests stop training early on purpose; any other ConvergenceWarning
# (a divergence above all) still shows.
MAX_ITER = pytest.mark.filterwarnings(
    "ignore:Solver .* maximum iterations:sklearn.exceptions.ConvergenceWarning"
)


@pytest.fixture(scope="module")
def classification():
    return make_classification(
        n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=0
    )


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=300, n_features=6, noise=5.0, random_state=0)
    return X, y / y.std()


def _weight_norm(model):
    return sum(float(np.sum(coef**2)) for coef in model.coefs_)


@MAX_ITER
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_larger_alpha_gives_smaller_weights(solver, regression):
    X, y = regression
    norms = [
        _weight_norm(
            FeedForwardRegressor(
                n_hidden=10, solver=solver, alpha=alpha, max_iter=80, random_state=0
            ).fit(X, y)
        )
        for alpha in (1e-4, 30.0, 300.0)
    ]
    assert norms[0] > norms[1] > norms[2]


@MAX_ITER
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_l1_penalty_gives_exact_zeros(solver, classification):
    X, y = classification
    common = dict(
        n_hidden=20, solver=solver, max_iter=150, random_state=0, alpha=5.0,
        learning_rate_init=0.01,
    )  # fmt: skip
    l1 = FeedForwardClassifier(penalty="l1", **common).fit(X, y)
    l2 = FeedForwardClassifier(penalty="l2", **common).fit(X, y)
    zeros_l1 = sum(int(np.sum(coef == 0)) for coef in l1.coefs_)
    zeros_l2 = sum(int(np.sum(coef == 0)) for coef in l2.coefs_)
    n_weights = sum(coef.size for coef in l1.coefs_)
    assert zeros_l1 > 0.3 * n_weights
    assert zeros_l2 == 0
    assert l1.score(X, y) > 0.75


def test_early_stopping_restores_the_best_epoch(classification):
    X, y = classification
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    model = FeedForwardClassifier(
        n_hidden=50,
        learning_rate_init=0.05,
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=300,
        random_state=0,
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    curve = np.array(model.validation_loss_curve_)
    best_epoch = int(np.argmin(curve))
    assert model.n_iter_ == best_epoch + 1 + 6  # stopped 6 epochs after the best
    P = model.predict_proba(X_val)
    val_loss = -np.mean(np.log(P[np.arange(len(y_val)), y_val]))
    assert val_loss == pytest.approx(curve[best_epoch], rel=1e-10)
    assert val_loss < curve[-1]


@MAX_ITER
def test_early_stopping_splits_a_stratified_validation_set(classification):
    X, y = classification
    model = FeedForwardClassifier(
        n_hidden=10, early_stopping=True, validation_fraction=0.2, random_state=0
    ).fit(X, y)
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ > 0.5


@MAX_ITER
def test_n_init_keeps_the_best_restart(regression):
    X, y = regression
    model = FeedForwardRegressor(
        n_hidden=3, solver="lbfgs", max_iter=30, n_init=6, random_state=0
    ).fit(X, y)
    losses = model.restart_losses_
    assert len(np.unique(losses)) == 6  # the restarts really differ
    assert model.best_restart_ == int(np.argmin(losses))
    assert model.loss_ == pytest.approx(losses.min())
    residual = 0.5 * np.mean((model.predict(X) - y) ** 2)
    assert residual <= model.loss_  # the kept network is the best one


@MAX_ITER
def test_n_init_selects_on_validation_loss(classification):
    X, y = classification
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=1)
    model = FeedForwardClassifier(
        n_hidden=4, max_iter=20, n_init=4, random_state=0
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    P = model.predict_proba(X_val)
    val_loss = -np.mean(np.log(P[np.arange(len(y_val)), y_val]))
    assert val_loss == pytest.approx(model.restart_losses_.min())


@MAX_ITER
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_same_random_state_same_model(solver, classification):
    X, y = classification
    make = lambda seed: FeedForwardClassifier(  # noqa: E731
        n_hidden=10, solver=solver, max_iter=20, random_state=seed
    ).fit(X, y)
    first, second, other = make(3), make(3), make(4)
    for a, b in zip(first.coefs_, second.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.coefs_[0], other.coefs_[0])


@MAX_ITER
@pytest.mark.parametrize("Model", [FeedForwardClassifier, FeedForwardRegressor])
def test_float32_stays_float32(Model, classification):
    X, y = classification
    model = Model(n_hidden=10, max_iter=10, random_state=0).fit(X.astype(np.float32), y)
    assert all(coef.dtype == np.float32 for coef in model.coefs_)
    assert model._network.theta.dtype == np.float32
    assert model.transform(X.astype(np.float32)).dtype == np.float32
    output = model.predict_proba if Model is FeedForwardClassifier else model.predict
    assert output(X.astype(np.float32)).dtype == np.float32
    model64 = Model(n_hidden=10, max_iter=10, random_state=0).fit(X, y)
    assert model64.coefs_[0].dtype == np.float64


@MAX_ITER
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_equals_dense(solver, fmt, classification):
    X, y = classification
    X = np.where(X > 0.5, X, 0)
    common = dict(n_hidden=10, solver=solver, max_iter=20, random_state=0)
    for standardize in (False, True):
        dense_X = X if not standardize else X / X.std(axis=0)
        dense = FeedForwardClassifier(standardize=False, **common).fit(dense_X, y)
        sparse = FeedForwardClassifier(standardize=standardize, **common).fit(
            sp.csr_matrix(X).asformat(fmt), y
        )
        np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-6)
        np.testing.assert_allclose(
            sparse.predict_proba(sp.csr_matrix(X)),
            dense.predict_proba(dense_X),
            rtol=1e-6,
            atol=1e-12,
        )
    assert sparse.scaler_.with_mean is False  # sparse input is scaled, not centred


def test_binary_multiclass_multilabel_and_string_labels():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = FeedForwardClassifier(n_hidden=10, solver="lbfgs", random_state=0)
    model.fit(X, names)
    assert model.out_activation_ == "softmax"
    assert set(model.predict(X)) == set(names)
    assert model.score(X, names) > 0.95
    binary = model.fit(X, names == "virginica")
    assert binary.out_activation_ == "logistic"
    assert binary.predict_proba(X).shape == (150, 2)
    np.testing.assert_allclose(binary.predict_proba(X).sum(axis=1), 1)
    indicator = np.column_stack([y == 0, y == 2, X[:, 0] > 5.8]).astype(int)
    multilabel = model.fit(X, indicator)
    assert multilabel.predict(X).shape == (150, 3)
    assert multilabel.score(X, indicator) > 0.7


@MAX_ITER
def test_multi_output_regression(regression):
    X, y = regression
    Y = np.column_stack([y, -2 * y])
    model = FeedForwardRegressor(n_hidden=20, solver="lbfgs", random_state=0)
    assert model.fit(X, Y).predict(X).shape == (300, 2)
    assert model.score(X, Y) > 0.9


@MAX_ITER
def test_huber_is_robust_to_outliers(regression):
    X, y = regression
    y_dirty = y.copy()
    y_dirty[:15] += 40
    common = dict(n_hidden=10, solver="lbfgs", random_state=0, alpha=1.0)
    squared = FeedForwardRegressor(**common).fit(X, y_dirty)
    huber = FeedForwardRegressor(loss="huber", huber_delta=0.5, **common).fit(
        X, y_dirty
    )
    clean = slice(15, None)
    assert huber.score(X[clean], y[clean]) > squared.score(X[clean], y[clean]) + 0.05


@MAX_ITER
def test_class_weight_balanced_raises_minority_recall():
    X, y = make_classification(
        n_samples=400, weights=[0.9, 0.1], flip_y=0.05, random_state=0
    )
    common = dict(n_hidden=5, solver="lbfgs", random_state=0, alpha=1.0)
    plain = FeedForwardClassifier(**common).fit(X, y)
    balanced = FeedForwardClassifier(class_weight="balanced", **common).fit(X, y)
    recall = lambda m: np.mean(m.predict(X)[y == 1] == 1)  # noqa: E731
    assert recall(balanced) > recall(plain)


@MAX_ITER
def test_partial_fit_equals_fit_epoch_by_epoch(classification):
    X, y = classification
    common = dict(n_hidden=10, random_state=0, learning_rate_init=0.01)
    full = FeedForwardClassifier(max_iter=3, **common).fit(X, y)
    partial = FeedForwardClassifier(**common)
    for _ in range(3):
        partial.partial_fit(X, y, classes=np.unique(y))
    assert partial.n_iter_ == 3
    for a, b in zip(full.coefs_, partial.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


@MAX_ITER
def test_warm_start_keeps_the_optimizer_state(regression):
    X, y = regression
    common = dict(n_hidden=10, random_state=0, tol=0, n_iter_no_change=1000)
    straight = FeedForwardRegressor(max_iter=10, **common).fit(X, y)
    warm = FeedForwardRegressor(max_iter=5, warm_start=True, **common).fit(X, y)
    assert warm._optimizer.t > 0
    warm.fit(X, y)
    assert warm.n_iter_ == 10
    for a, b in zip(straight.coefs_, warm.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    cold = FeedForwardRegressor(max_iter=5, **common).fit(X, y).fit(X, y)
    assert cold.n_iter_ == 5


@MAX_ITER
def test_transform_is_the_hidden_layer(classification):
    X, y = classification
    model = FeedForwardClassifier(n_hidden=7, max_iter=5, random_state=0).fit(X, y)
    H = model.transform(X)
    Xs = (X - model.scaler_.mean_) / model.scaler_.scale_
    np.testing.assert_allclose(
        H, np.maximum(Xs @ model.coefs_[0] + model.intercepts_[0], 0), atol=1e-12
    )
    names = model.get_feature_names_out()
    assert list(names) == [f"feedforwardclassifier{i}" for i in range(7)]


@MAX_ITER
def test_history_records_every_epoch(classification, capsys):
    X, y = classification
    model = FeedForwardClassifier(
        n_hidden=6, max_iter=4, verbose=1, random_state=0
    ).fit(X, y)
    assert len(model.history_) == 4 == len(model.loss_curve_)
    record = model.history_[-1]
    assert set(record) == {
        "stage", "epoch", "loss", "val_loss", "val_score", "param_change",
        "grad_norms", "learning_rate", "seconds",
    }  # fmt: skip
    assert len(record["grad_norms"]) == 2 and min(record["grad_norms"]) > 0
    assert record["param_change"] > 0 and record["seconds"] >= 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5 and lines[0].startswith("Epoch    1/4  loss")
    assert lines[-1] == (
        "Stopped after epoch 4: max_iter=4 epochs reached before convergence."
    )


def test_param_change_tol_stops_training(regression):
    X, y = regression
    model = FeedForwardRegressor(
        n_hidden=10, max_iter=500, tol=0, param_change_tol=0.003, random_state=0
    )
    model.fit(X, y)
    changes = [record["param_change"] for record in model.history_]
    assert model.n_iter_ < 500
    assert changes[-1] < 0.003 <= min(changes[:-1])


@MAX_ITER
def test_coefs_are_views_and_pickling_round_trips(classification):
    X, y = classification
    model = FeedForwardClassifier(n_hidden=6, max_iter=5, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    restored.coefs_[1][...] = 0
    restored.intercepts_[1][...] = 0
    np.testing.assert_allclose(restored.predict_proba(X), 1 / 3)
    assert len(pickle.dumps(model)) <= 3 * model._network.theta.nbytes + 16_384


def test_diverging_fit_warns_and_keeps_finite_predictions(regression):
    X, y = regression
    model = FeedForwardRegressor(
        n_hidden=20, solver="sgd", learning_rate_init=1e3, max_iter=20, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="diverged.*learning_rate_init"):
        model.fit(X, y * 1e3)
    assert np.isfinite(model.predict(X)).all()
    assert np.isfinite(model.transform(X)).all()
    untrained = model.set_params(learning_rate_init=1e100)
    with pytest.warns(ConvergenceWarning, match="epoch 1.*initial, untrained weights"):
        untrained.fit(X, y * 1e100)
    assert np.isfinite(untrained.predict(X)).all()
