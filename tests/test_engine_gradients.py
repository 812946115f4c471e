"""Finite-difference checks of every activation, layer, loss, penalty and of a
whole network's flat gradient (float64, relative error < 1e-6)."""

import numpy as np
import pytest
import scipy.sparse as sp

from skdeep._engine import (
    ACTIVATIONS,
    LOSSES,
    Activation,
    Dataset,
    Dense,
    Dropout,
    Network,
    Penalty,
    TrainingConfig,
    make_trainer,
)
from skdeep.utils._testing import (
    check_directional_gradient,
    check_layer_gradients,
    network_gradient_error,
)

TOL = 1e-6


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivative(name, rng):
    activation = ACTIVATIONS[name]
    # keep pre-activations away from the ReLU-family kink at zero
    Z = rng.uniform(0.1, 2.0, (5, 4)) * rng.choice([-1, 1], (5, 4))
    R = rng.standard_normal(Z.shape)
    work, zeros = np.empty_like(Z), np.zeros_like(Z)

    def value(z):
        z = z.copy()
        activation.forward(z, work, zeros)
        return float(np.sum(R * z))

    def gradient(z):
        A = z.copy()
        activation.forward(A, work, zeros)
        delta = R.copy()
        activation.multiply_derivative(A, delta, work, zeros)
        return delta

    assert check_directional_gradient(value, gradient, Z, rng) < TOL


def test_dense_layer_gradients(rng):
    check_layer_gradients(Dense(4, 3), rng.standard_normal((6, 4)), rng)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_layer_gradients(name, rng):
    X = rng.uniform(0.1, 2.0, (6, 3)) * rng.choice([-1, 1], (6, 3))
    check_layer_gradients(Activation(name), X, rng)


def test_dropout_layer_gradient_with_fixed_mask(rng):
    layer = Dropout(0.4)

    class FixedMask:
        """A generator that replays the same uniforms: the mask is fixed."""

        def __init__(self):
            self.uniforms = np.random.default_rng(1).random((6, 5))

        def random(self, out, dtype):
            out[...] = self.uniforms

    layer.rng = FixedMask()
    X = rng.standard_normal((6, 5))
    check_layer_gradients(layer, X, rng)
    dropped = layer.forward(np.ones((6, 5)), training=True)
    kept = layer.rng.uniforms >= 0.4
    np.testing.assert_allclose(dropped, kept / 0.6)
    assert np.array_equal(layer.forward(X.copy(), training=False), X)


def _targets(name, rng, shape):
    if name == "log_loss":
        return np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]
    if name == "binary_log_loss":
        return rng.integers(0, 2, shape).astype(float)
    return rng.standard_normal(shape) * 2


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_gradient_wrt_pre_activation(name, weighted, rng):
    loss = LOSSES[name]()
    Z = rng.standard_normal((7, 3))
    Y = _targets(name, rng, Z.shape)
    sw = rng.uniform(0.5, 2.0, 7) if weighted else None
    scale = 1 / (sw.sum() if weighted else 7)

    def value(z):
        return loss.loss(loss.forward(z.copy()), Y, sw) * scale

    def gradient(z):
        return loss.delta(loss.forward(z.copy()), Y, sw, scale).copy()

    assert check_directional_gradient(value, gradient, Z, rng) < TOL


def test_huber_is_quadratic_then_linear():
    huber = LOSSES["huber"](epsilon=1.0)
    P = np.array([[0.5], [3.0], [-3.0]])
    Y = np.zeros((3, 1))
    assert huber.loss(P[:1], Y[:1]) == pytest.approx(0.125)
    assert huber.loss(P[1:2], Y[1:2]) == pytest.approx(2.5)
    np.testing.assert_allclose(huber.delta(P, Y, None, 1.0).ravel(), [0.5, 1, -1])


@pytest.mark.parametrize("name", ["l2", "l1", "elasticnet"])
def test_penalty_gradient(name, rng):
    penalty = Penalty.from_name(name, strength=0.3, l1_ratio=0.4)
    w = rng.uniform(0.2, 1.0, 10) * rng.choice([-1, 1], 10)
    error = check_directional_gradient(penalty.value, penalty.gradient, w, rng)
    assert error < TOL


def _small_network(rng, dtype=np.float64):
    layers = [
        Dense(5, 6),
        Activation("tanh"),
        Dense(6, 4),
        Activation("softplus"),
        Dense(4, 3),
    ]
    network = Network(layers, LOSSES["log_loss"](), dtype=dtype)
    network.initialize("glorot", rng)
    return network


@pytest.mark.parametrize("sparse_input", [False, True])
def test_network_flat_gradient(sparse_input, rng):
    network = _small_network(rng)
    X = rng.standard_normal((9, 5))
    X[X < -0.5] = 0
    Y = np.eye(3)[rng.integers(0, 3, 9)]
    sw = rng.uniform(0.5, 2, 9)
    X_in = sp.csr_matrix(X) if sparse_input else X
    assert network_gradient_error(network, X_in, Y, rng, sample_weight=sw) < TOL


def test_frozen_layer_gets_no_gradient_and_stops_backprop(rng):
    network = _small_network(rng)
    network.layers[0].freeze()
    X, Y = rng.standard_normal((4, 5)), np.eye(3)[[0, 1, 2, 0]]
    network.loss_and_gradient(X, Y, None, 0.25)
    first_layer_grads = network.layers[0].grads
    assert all(not grad.any() for grad in first_layer_grads)
    assert network.layers[2].grads[0].any()


@pytest.mark.parametrize("penalty_name", ["l1", "elasticnet"])
def test_lbfgs_split_objective_gradient(penalty_name, rng):
    """The positive/negative split that L-BFGS-B uses for L1 is differentiable."""
    network = _small_network(rng)
    trainer = make_trainer(network, TrainingConfig(solver="lbfgs"))
    trainer.penalty = Penalty.from_name(penalty_name, 0.05, l1_ratio=0.5)
    data = Dataset(rng.standard_normal((8, 5)), np.eye(3)[rng.integers(0, 3, 8)])
    x = trainer._pack(network.theta) + 0.01  # strictly inside the bounds

    def value(z):
        return trainer._loss_and_grad(z, data)[0]

    def gradient(z):
        return trainer._loss_and_grad(z, data)[1]

    assert check_directional_gradient(value, gradient, x, rng) < TOL


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_matches_reference_even_for_huge_logits(dtype, rng):
    Z = rng.standard_normal((6, 4)) * 3
    Z[0] = [0, 1000, -1000, 5]  # spans far more than exp can hold
    Z[1] = [-5000, -5001, -5002, -5003]
    shifted = Z - Z.max(axis=1, keepdims=True)
    expected = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    P = LOSSES["log_loss"]().forward(Z.astype(dtype))
    assert np.isfinite(P).all()
    np.testing.assert_allclose(P, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_activation_values_match_their_definitions(rng):
    from scipy.special import expit

    Z = rng.standard_normal((5, 3)) * 4
    expected = {
        "identity": Z,
        "logistic": expit(Z),
        "tanh": np.tanh(Z),
        "relu": np.maximum(Z, 0),
        "leaky_relu": np.where(Z > 0, Z, 0.01 * Z),
        "elu": np.where(Z > 0, Z, np.expm1(Z)),
        "softplus": np.log1p(np.exp(Z)),
    }
    assert set(expected) == set(ACTIVATIONS)
    for name, values in expected.items():
        out = Z.copy()
        ACTIVATIONS[name].forward(out, np.empty_like(Z), np.zeros_like(Z))
        np.testing.assert_allclose(out, values, rtol=1e-12, atol=1e-15, err_msg=name)


def test_skip_dense_layer_gradients(rng):
    from skdeep._engine import SkipDense

    layer = SkipDense(3, 5, 4)
    network = Network([layer], LOSSES["squared_error"]())
    network.theta[:] = rng.uniform(-1, 1, network.theta.size)
    H, X0 = rng.standard_normal((6, 3)), rng.standard_normal((6, 5))
    R = rng.standard_normal((6, 4))

    def value(theta):
        network.theta[:] = theta
        return float(np.sum(R * layer.forward(H, True, X0)))

    def gradient(theta):
        value(theta)
        layer.backward(R.copy(), need_input_grad=False)
        return network.grad.copy()

    theta = network.theta.copy()
    assert check_directional_gradient(value, gradient, theta, rng) < TOL

    def value_h(h):
        return float(np.sum(R * layer.forward(h, True, X0)))

    def gradient_h(h):
        layer.forward(h, True, X0)
        return layer.backward(R.copy()).copy()

    assert check_directional_gradient(value_h, gradient_h, H, rng) < TOL


@pytest.mark.parametrize("sparse_input", [False, True])
def test_deep_network_gradient_with_skips_and_fixed_dropout(sparse_input, rng):
    """A whole network with input skip connections and dropout (fixed mask)."""
    from skdeep._engine import SkipDense

    class FixedMask:
        def __init__(self, shape):
            self.uniforms = np.random.default_rng(5).random(shape)

        def random(self, out, dtype):
            out[...] = self.uniforms

    dropout = Dropout(0.3, FixedMask((9, 6)))
    layers = [
        Dense(5, 6), Activation("tanh"), dropout,
        SkipDense(6, 5, 4), Activation("softplus"),
        Dense(4, 3),
    ]  # fmt: skip
    network = Network(layers, LOSSES["log_loss"]())
    network.initialize("glorot", rng)
    X = rng.standard_normal((9, 5))
    X[X < -0.5] = 0
    X_in = sp.csr_matrix(X) if sparse_input else X
    Y = np.eye(3)[rng.integers(0, 3, 9)]
    assert network_gradient_error(network, X_in, Y, rng) < TOL
    assert (layers[2]._cache["mask"] == 0).any()  # the mask really dropped units


@pytest.mark.parametrize("first", [Activation("relu"), Dropout(0.5)])
def test_a_network_must_not_start_with_an_in_place_layer(first):
    with pytest.raises(ValueError, match="must start with a layer that writes"):
        Network([first, Dense(3, 1)], LOSSES["squared_error"]())


def test_layers_initialise_themselves_and_the_network_hands_out_its_generator(rng):
    from skdeep._engine import SkipDense

    dropout = Dropout(0.5)
    layers = [Dense(4, 6), Activation("logistic"), dropout, SkipDense(6, 4, 5),
              Activation("relu"), Dense(5, 2)]  # fmt: skip
    network = Network(layers, LOSSES["log_loss"]())
    network.initialize("glorot", np.random.default_rng(0))
    draws = np.random.default_rng(0)
    # each layer draws in order, with the factor of the activation above it
    first = draws.uniform(-np.sqrt(2 / 10), np.sqrt(2 / 10), (4, 6))
    np.testing.assert_array_equal(layers[0].params[0], first)
    draws.uniform(size=6)
    skip = draws.uniform(-np.sqrt(6 / 15), np.sqrt(6 / 15), (10, 5))
    np.testing.assert_array_equal(layers[3].params[0], skip[:6])
    np.testing.assert_array_equal(layers[3].params[1], skip[6:])
    generator = np.random.default_rng(1)
    network.set_rng(generator)
    assert dropout.rng is generator
