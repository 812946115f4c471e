"""RecurrentClassifier and RecurrentRegressor: shapes, cells and memory."""

import pickle

import numpy as np
import pytest
from sklearn.model_selection import cross_val_score

from skdeep import BaggedNetEnsemble, RecurrentClassifier, RecurrentRegressor

# These tests stop training early on purpose; any other ConvergenceWarning
# (a divergence above all) still shows.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Solver .* maximum iterations:sklearn.exceptions.ConvergenceWarning"
)

QUICK = {"hidden_size": 8, "max_iter": 10, "learning_rate_init": 0.01,
         "random_state": 0}  # fmt: skip


def _first_step_sign(n_samples, n_timesteps, seed=0):
    """Sequences whose class is the sign of their first value: the network
    must carry it through every later step."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_timesteps, 2))
    return X, (X[:, 0, 0] > 0).astype(int)


@pytest.mark.parametrize("cell, n_timesteps", [("lstm", 15), ("gru", 8)])
def test_gated_cells_remember_the_first_step(cell, n_timesteps):
    X, y = _first_step_sign(800, n_timesteps)
    net = RecurrentClassifier(cell=cell, hidden_size=16, max_iter=40,
                              learning_rate_init=0.01, random_state=0)  # fmt: skip
    net.fit(X[:600], y[:600])
    assert net.score(X[600:], y[600:]) > 0.9
    assert net.input_shape_ == (n_timesteps, 2)
    assert net.transform(X[:4]).shape == (4, 16)


def test_sequences_and_their_rows_give_the_same_model():
    X, y = _first_step_sign(200, 6)
    nd = RecurrentClassifier(**QUICK).fit(X, y)
    rows = RecurrentClassifier(**QUICK, input_shape=(6, 2)).fit(X.reshape(200, 12), y)
    np.testing.assert_array_equal(nd.predict_proba(X), rows.predict_proba(X))
    assert nd.n_features_in_ == 12


def test_rows_without_input_shape_are_univariate_sequences():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 10))
    y = X[:, -1] + X[:, -2]
    net = RecurrentRegressor(cell="gru", **{**QUICK, "max_iter": 60}).fit(X, y)
    assert net.input_shape_ == (10, 1)
    assert net.score(X, y) > 0.9


@pytest.mark.parametrize(
    "params, width",
    [
        ({"n_layers": 2}, 8),
        ({"bidirectional": True}, 16),
        ({"cell": "rnn", "truncate": 3, "dropout": 0.2}, 8),
        ({"hidden_layer_sizes": (5,)}, 8),
    ],
)
def test_stacks_directions_and_truncation(params, width):
    X, y = _first_step_sign(120, 5)
    net = RecurrentClassifier(**{**QUICK, **params}).fit(X, y)
    assert net.transform(X[:3]).shape == (3, width)
    assert np.isfinite(net.loss_curve_).all()
    n_recurrent = params.get("n_layers", 1)
    assert net.n_layers_ == n_recurrent + len(params.get("hidden_layer_sizes", ())) + 2


def test_each_feature_is_standardised_over_all_steps():
    rng = np.random.default_rng(1)
    X = np.stack([rng.normal(1000, 10, (50, 7)), rng.normal(0, 1e-3, (50, 7))], -1)
    net = RecurrentRegressor(**{**QUICK, "max_iter": 2}).fit(X, X[:, -1, 0])
    scales = net.scaler_.scale_.reshape(7, 2)
    np.testing.assert_allclose(scales, np.broadcast_to(X.std((0, 1)), (7, 2)))


def test_shape_errors_and_layout_changes():
    X, y = _first_step_sign(60, 4)
    with pytest.raises(ValueError, match=r"input_shape=\(3, 3\) holds 9 values"):
        RecurrentClassifier(input_shape=(3, 3)).fit(X.reshape(60, 8), y)
    with pytest.raises(ValueError, match=r"\(n_timesteps, n_features\), channels"):
        RecurrentClassifier().fit(X.reshape(60, 2, 2, 2), y)
    net = RecurrentClassifier(**QUICK).fit(X, y)
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(4, 2\)"):
        net.predict(X.reshape(60, 2, 4))
    net.set_params(warm_start=True, cell="gru")
    with pytest.raises(ValueError, match=r"cell='lstm' \(now 'gru'\)"):
        net.fit(X, y)


def test_ensemble_cross_validation_and_pickle():
    X, y = _first_step_sign(150, 5)
    scores = cross_val_score(RecurrentClassifier(**QUICK), X, y, cv=3)
    assert scores.shape == (3,)
    ensemble = BaggedNetEnsemble(RecurrentClassifier(**QUICK), n_estimators=2,
                                 random_state=0).fit(X, y)  # fmt: skip
    assert ensemble.predict(X).shape == (150,)
    net = RecurrentRegressor(**QUICK).fit(X.astype(np.float32), X[:, -1, 1])
    clone = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(clone.predict(X), net.predict(X))
    assert net.transform(X[:2].astype(np.float32)).dtype == np.float32


def test_clip_norm_and_gradient_norms():
    X, y = _first_step_sign(100, 6)
    common = dict(solver="sgd", momentum=0.0, max_iter=1, batch_size=100,
                  shuffle=False, alpha=0.0, random_state=0, hidden_size=5)  # fmt: skip
    start = RecurrentClassifier(learning_rate_init=1e-300, **common).fit(X, y)
    theta = start._network.theta
    clipped = RecurrentClassifier(learning_rate_init=0.1, clip_norm=0.01, **common)
    moved = np.linalg.norm(clipped.fit(X, y)._network.theta - theta)
    assert moved == pytest.approx(0.1 * 0.01, rel=1e-6)
    free = RecurrentClassifier(learning_rate_init=0.1, **common).fit(X, y)
    assert np.linalg.norm(free._network.theta - theta) > 10 * moved
    # one norm per parameterised layer (recurrent, output) per epoch
    assert free.grad_norms_.shape == (1, 2)
    assert (free.grad_norms_ > 0).all()
