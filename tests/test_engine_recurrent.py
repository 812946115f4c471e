"""Recurrent layers: gradients by finite differences, values against the cell
equations written out, truncation against its definition, dtypes, pickling."""

import pickle

import numpy as np
import pytest
from scipy.special import expit

from skdeep._engine import (
    GRU,
    LOSSES,
    LSTM,
    Activation,
    Bidirectional,
    Dense,
    Network,
    SimpleRNN,
)
from skdeep._engine import recurrent as recurrent_module
from skdeep.utils._testing import (
    check_directional_gradient,
    check_layer_gradients,
    network_gradient_error,
)

TOL = 1e-6
CELLS = [SimpleRNN, LSTM, GRU]


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _bound(layer, rng, dtype=np.float64, scale=1.0):
    """``layer`` in a one-layer network, its parameters from U[-scale, scale]."""
    network = Network([layer], LOSSES["squared_error"](), dtype=dtype)
    network.theta[:] = rng.uniform(-scale, scale, network.theta.size)
    return network


# The cells written out step by step, independently of the layer's code.
def _rnn_step(x, state, W_x, W_h, b):
    (h,) = state
    return (np.tanh(x @ W_x + h @ W_h + b),)


def _lstm_step(x, state, W_x, W_h, b):
    h, c = state
    i, f, g, o = np.split(x @ W_x + h @ W_h + b, 4, axis=1)
    c = expit(f) * c + expit(i) * np.tanh(g)
    return expit(o) * np.tanh(c), c


def _gru_step(x, state, W_x, W_h, b):
    (h,) = state
    r, z, n = np.split(x @ W_x + b, 3, axis=1)
    R_r, R_z, R_n = np.split(h @ W_h, 3, axis=1)
    r, z = expit(r + R_r), expit(z + R_z)
    n = np.tanh(n + r * R_n)
    return ((1 - z) * n + z * h,)


STEPS = {SimpleRNN: _rnn_step, LSTM: _lstm_step, GRU: _gru_step}


def _reference(layer, X, params, window=None, base=None):
    """Outputs ``(n, T, H)`` of the cell equations, in input time order.

    With ``window=k``, output ``t`` starts from the state that ``base``
    (``(X, params)``) reaches before step ``t - k + 1``: the state is held
    constant there, which is what truncated back-propagation differentiates.
    """
    n, T, H = X.shape[0], layer.n_timesteps, layer.hidden_size
    step = STEPS[type(layer)]
    X = X.reshape(n, T, -1)[:, ::-1] if layer.reverse else X.reshape(n, T, -1)
    zero = tuple(np.zeros((n, H)) for _ in range(2 if step is _lstm_step else 1))
    base_states = [zero]
    if base is not None:
        base_X, base_params = base
        base_X = base_X.reshape(n, T, -1)
        base_X = base_X[:, ::-1] if layer.reverse else base_X
        for s in range(T):
            base_states.append(step(base_X[:, s], base_states[-1], *base_params))
    Y = np.empty((n, T, H))
    for s in range(T):
        start = 0 if window is None else max(0, s - window + 1)
        state = base_states[start] if base is not None else zero
        for r in range(start, s + 1):
            state = step(X[:, r], state, *params)
        Y[:, s] = state[0]
    return Y[:, ::-1] if layer.reverse else Y


def _layer_output(layer, Y):
    """The reference sequence ``Y`` as the layer outputs it."""
    if layer.return_sequences:
        return Y.reshape(Y.shape[0], -1)
    return Y[:, 0] if layer.reverse else Y[:, -1]


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_forward_matches_the_cell_equations(cls, return_sequences, reverse, rng):
    layer = cls(4, 3, 5, return_sequences=return_sequences, reverse=reverse)
    _bound(layer, rng)
    X = rng.standard_normal((6, 12))
    expected = _layer_output(layer, _reference(layer, X, layer.params))
    np.testing.assert_allclose(layer.forward(X.copy()), expected, rtol=1e-12)


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_layer_gradients(cls, return_sequences, reverse, rng):
    layer = cls(5, 3, 4, return_sequences=return_sequences, reverse=reverse)
    check_layer_gradients(layer, rng.standard_normal((6, 15)), rng)


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_truncated_gradient_is_that_of_the_held_state(
    cls, return_sequences, reverse, rng
):
    """Truncated BPTT against its definition: each output's state held
    constant ``truncate`` steps back, differentiated by central differences."""
    T, k = 6, 2
    layer = cls(T, 3, 4, return_sequences, truncate=k, reverse=reverse)
    network = _bound(layer, rng)
    X = rng.standard_normal((5, T * 3))
    R = rng.standard_normal(layer.forward(X.copy()).shape)
    base = (X.copy(), [p.copy() for p in layer.params])
    shapes = [p.shape for p in layer.params]

    def unpack(theta):
        """The parameters in the layer's order from the flat vector's."""
        return [
            theta[slice(*bounds)].reshape(shape)
            for bounds, shape in zip(network._ranges[id(layer)], shapes, strict=True)
        ]

    def value(theta, x):
        Y = _reference(layer, x, unpack(theta), window=k, base=base)
        return float(np.sum(R * _layer_output(layer, Y)))

    layer.forward(X.copy(), training=True)
    dX = layer.backward(R.copy()).copy()
    theta = network.theta.copy()
    for fun, point, gradient in [
        (lambda t: value(t, X), theta, network.grad.copy()),
        (lambda x: value(theta, x), X, dX),
    ]:
        error = check_directional_gradient(fun, lambda _, g=gradient: g, point, rng)
        assert error < TOL
    full = cls(T, 3, 4, return_sequences, reverse=reverse)
    _bound(full, np.random.default_rng(1)).theta[:] = theta
    full.forward(X.copy(), training=True)
    full.backward(R.copy())
    assert not np.allclose(full.grads[1], layer.grads[1])  # truncation mattered


@pytest.mark.parametrize("cls", CELLS)
def test_truncation_longer_than_the_sequence_changes_nothing(cls, rng):
    X, R = rng.standard_normal((4, 9)), rng.standard_normal((4, 6))
    grads = []
    for truncate in (None, 3, 10):
        layer = cls(3, 3, 2, return_sequences=True, truncate=truncate)
        _bound(layer, np.random.default_rng(1))
        layer.forward(X.copy(), training=True)
        dX = layer.backward(R.copy())
        grads.append(np.concatenate([dX.ravel(), *(g.ravel() for g in layer.grads)]))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)
    np.testing.assert_allclose(grads[2], grads[0], rtol=1e-12)


def test_lstm_two_steps_by_hand():
    """One sample, one feature, two hidden units; gates i, f, g, o."""
    layer = LSTM(2, 1, 2)
    _bound(layer, np.random.default_rng(3))
    W_x, W_h, b = (p.copy() for p in layer.params)
    x = np.array([[0.5, -1.5]])
    h, c = np.zeros(2), np.zeros(2)
    for t in range(2):
        pre = x[0, t] * W_x[0] + h @ W_h + b
        i = 1 / (1 + np.exp(-pre[0:2]))
        f = 1 / (1 + np.exp(-pre[2:4]))
        g = np.tanh(pre[4:6])
        o = 1 / (1 + np.exp(-pre[6:8]))
        c = f * c + i * g
        h = o * np.tanh(c)
    np.testing.assert_allclose(layer.forward(x.copy())[0], h, rtol=1e-12)


def test_gru_two_steps_by_hand():
    """One sample, one feature, two hidden units; gates r, z, n."""
    layer = GRU(2, 1, 2)
    _bound(layer, np.random.default_rng(4))
    W_x, W_h, b = (p.copy() for p in layer.params)
    x = np.array([[-0.7, 1.2]])
    h = np.zeros(2)
    for t in range(2):
        inputs, recurrent = x[0, t] * W_x[0] + b, h @ W_h
        r = 1 / (1 + np.exp(-(inputs[0:2] + recurrent[0:2])))
        z = 1 / (1 + np.exp(-(inputs[2:4] + recurrent[2:4])))
        n = np.tanh(inputs[4:6] + r * recurrent[4:6])
        h = (1 - z) * n + z * h
    np.testing.assert_allclose(layer.forward(x.copy())[0], h, rtol=1e-12)


def test_stacked_network_flat_gradient(rng):
    T = 4
    layers = [
        SimpleRNN(T, 2, 3, return_sequences=True),
        LSTM(T, 3, 4, return_sequences=True),
        GRU(T, 4, 3),
        Activation("tanh"),
        Dense(3, 2),
    ]
    network = Network(layers, LOSSES["log_loss"]())
    network.initialize("glorot", rng)
    X = rng.standard_normal((7, T * 2))
    Y = np.eye(2)[rng.integers(0, 2, 7)]
    sw = rng.uniform(0.5, 2, 7)
    error = network_gradient_error(network, X, Y, rng, sample_weight=sw, n_directions=5)
    assert error < TOL
    # every layer got a gradient: back-propagation went through the stack
    assert all(np.abs(layer.grads[0]).max() > 0 for layer in network.param_layers)


@pytest.mark.parametrize("cls", CELLS)
def test_initialize_orthogonal_recurrent_weights_and_zero_biases(cls, rng):
    layer = cls(3, 4, 5)
    network = Network([layer], LOSSES["squared_error"]())
    network.initialize("glorot", np.random.default_rng(0))
    W_x, W_h, b = layer.params
    H = 5
    for gate in range(layer.n_gates):
        block = W_h[:, gate * H : (gate + 1) * H]
        np.testing.assert_allclose(block.T @ block, np.eye(H), atol=1e-12)
    draws = np.random.default_rng(0)
    activation = layer.gate_activations[0]
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (4 + H))
    np.testing.assert_array_equal(W_x[:, :H], draws.uniform(-bound, bound, (4, H)))
    expected_bias = np.zeros(layer.n_gates * H)
    if cls is LSTM:
        expected_bias[H : 2 * H] = 1  # the forget gate
    np.testing.assert_array_equal(b, expected_bias)


@pytest.mark.parametrize("cls", CELLS)
def test_float32_stays_float32_and_matches_float64(cls, rng):
    X = rng.standard_normal((5, 12))
    R = rng.standard_normal((5, 16))
    results = {}
    for dtype in (np.float32, np.float64):
        layer = cls(4, 3, 4, return_sequences=True)
        _bound(layer, np.random.default_rng(2), dtype=dtype)
        out = layer.forward(X.astype(dtype), training=True).copy()
        dX = layer.backward(R.astype(dtype)).copy()
        assert out.dtype == dX.dtype == dtype
        assert all(grad.dtype == dtype for grad in layer.grads)
        results[dtype] = out, dX, layer.grads[1].copy()
    for low, high in zip(results[np.float32], results[np.float64], strict=True):
        np.testing.assert_allclose(low, high, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("cls", CELLS)
def test_pickle_round_trip_gives_identical_outputs(cls, rng):
    layers = [cls(4, 3, 5, return_sequences=True, reverse=True), LSTM(4, 5, 2)]
    network = Network(layers, LOSSES["squared_error"]())
    network.initialize("glorot", rng)
    X = rng.standard_normal((6, 12))
    before = network.predict(X)
    layers[0].record_step_norms = True
    network.loss_and_gradient(X, rng.standard_normal((6, 2)), None, 1.0)
    restored = pickle.loads(pickle.dumps(network))
    np.testing.assert_array_equal(restored.predict(X), before)
    assert restored.layers[0].step_grad_norms is None
    assert restored.layers[0].record_step_norms


@pytest.mark.parametrize("cls", CELLS)
def test_inference_in_chunks_of_rows_matches_one_pass(cls, rng, monkeypatch):
    layer = cls(4, 3, 5, return_sequences=True)
    _bound(layer, rng)
    X = rng.standard_normal((11, 12))
    whole = layer.forward(X.copy(), training=True).copy()
    # 4 steps of G * 5 values: two rows per chunk
    monkeypatch.setattr(recurrent_module, "INFERENCE_CHUNK_VALUES", 2 * 4 * 5 * 4)
    chunked = cls(4, 3, 5, return_sequences=True)
    _bound(chunked, rng).theta[:] = np.concatenate(
        [p.ravel() for p in layer.params if p.ndim == 2] + [layer.params[2]]
    )
    np.testing.assert_allclose(chunked.forward(X.copy()), whole, rtol=1e-12)
    assert chunked._cache["n"] < 11  # it did run in chunks


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("truncate", [None, 2])
def test_weight_gradients_summed_in_chunks_of_steps_match_one_sum(
    cls, truncate, rng, monkeypatch
):
    """Long sequences sum the per-step products a few steps at a time."""
    layer = cls(5, 3, 4, return_sequences=True, truncate=truncate)
    network = _bound(layer, rng)
    X, R = rng.standard_normal((6, 15)), rng.standard_normal((6, 20))
    layer.forward(X.copy(), training=True)
    layer.backward(R.copy())
    whole = network.grad.copy()
    # products of at most one step's values: five chunks of one step
    monkeypatch.setattr(recurrent_module, "PRODUCT_CHUNK_VALUES", 1)
    network.grad[:] = 0
    layer.forward(X.copy(), training=True)
    layer.backward(R.copy())
    assert np.abs(whole).max() > 0.1
    np.testing.assert_allclose(network.grad, whole, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_step_gradient_norms_are_those_of_dL_dh(cls, return_sequences, rng):
    T, n, H = 4, 3, 2
    layer = cls(T, 2, H, return_sequences=return_sequences)
    _bound(layer, rng)
    X = rng.standard_normal((n, T * 2))
    R = rng.standard_normal(layer.forward(X.copy()).shape)
    layer.record_step_norms = True
    layer.forward(X.copy(), training=True)
    layer.backward(R.copy(), need_input_grad=False)
    step = STEPS[cls]

    def loss(t, delta):
        """L with ``delta`` added to the hidden state of step t."""
        state = tuple(np.zeros((n, H)) for _ in range(2 if cls is LSTM else 1))
        outputs = []
        for s in range(T):
            state = step(X.reshape(n, T, 2)[:, s], state, *layer.params)
            if s == t:
                state = (state[0] + delta, *state[1:])
            outputs.append(state[0])
        Y = np.stack(outputs, axis=1)
        return float(np.sum(R * _layer_output(layer, Y)))

    eps = 1e-6
    for t in range(T):
        grad = np.zeros((n, H))
        for index in np.ndindex(n, H):
            delta = np.zeros((n, H))
            delta[index] = eps
            grad[index] = (loss(t, delta) - loss(t, -delta)) / (2 * eps)
        assert layer.step_grad_norms[t] == pytest.approx(np.linalg.norm(grad), rel=1e-6)


def test_step_gradient_norms_are_off_by_default(rng):
    layer = LSTM(3, 2, 2)
    _bound(layer, rng)
    layer.forward(rng.standard_normal((2, 6)), training=True)
    layer.backward(np.ones((2, 2)))
    assert layer.step_grad_norms is None


@pytest.mark.parametrize("cls", CELLS)
def test_parameter_gradients_without_the_input_gradient(cls, rng):
    layer = cls(3, 2, 3, return_sequences=True)
    network = _bound(layer, rng)
    X, R = rng.standard_normal((4, 6)), rng.standard_normal((4, 9))
    layer.forward(X.copy(), training=True)
    assert layer.backward(R.copy()) is not None
    expected = network.grad.copy()
    network.grad[:] = 0
    layer.forward(X.copy(), training=True)
    assert layer.backward(R.copy(), need_input_grad=False) is None
    np.testing.assert_array_equal(network.grad, expected)


def test_output_shape_and_multiply_adds():
    layer = LSTM(50, 8, 64, return_sequences=True)
    assert layer.output_shape == (50, 64)
    assert LSTM(50, 8, 64).output_shape == (64,)
    # 50 steps of (8 + 64) inputs times 4 gates of 64
    assert layer.multiply_adds() == 50 * 72 * 256
    assert GRU(50, 8, 64).multiply_adds() == 50 * 72 * 192


def test_input_is_not_modified(rng):
    X = rng.standard_normal((3, 8))
    copy = X.copy()
    network = Network([GRU(4, 2, 3), Activation("relu"), Dense(3, 1)],
                      LOSSES["squared_error"]())  # fmt: skip
    network.initialize("glorot", rng)
    network.loss_and_gradient(X, np.ones((3, 1)), None, 1.0)
    np.testing.assert_array_equal(X, copy)


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_gates_are_exact_and_warn_nothing(cls, dtype, rng):
    """Pre-activations far beyond exp's range (the logistic function is
    computed from exp, which overflows to inf) give the saturated values."""
    layer = cls(3, 2, 4, return_sequences=True)
    _bound(layer, rng, dtype=dtype, scale=1000.0)
    X = rng.standard_normal((5, 6))
    out = layer.forward(X.astype(dtype))
    params = [p.astype(np.float64) for p in layer.params]
    expected = _layer_output(layer, _reference(layer, X.astype(dtype), params))
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    # exp overflowed: pre-activations beyond float64's range of exp (709)
    assert np.abs(X.reshape(-1, 2) @ params[0] + params[2]).max() > 800


@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_outputs_side_by_side_and_gradients(return_sequences, rng):
    T, F = 4, 3
    first = LSTM(T, F, 3, return_sequences=return_sequences)
    second = GRU(T, F, 2, return_sequences=return_sequences, reverse=True)
    layer = Bidirectional(first, second)
    check_layer_gradients(layer, rng.standard_normal((5, T * F)), rng)
    X = rng.standard_normal((5, T * F))
    out = layer.forward(X.copy()).reshape(5, -1, 5)
    np.testing.assert_array_equal(out[:, :, :3].reshape(5, -1), first.forward(X.copy()))
    np.testing.assert_array_equal(
        out[:, :, 3:].reshape(5, -1), second.forward(X.copy())
    )
    assert layer.output_shape == ((T, 5) if return_sequences else (5,))


def test_bidirectional_in_a_network_trains_frozen_and_pickles(rng):
    T = 5
    pair = Bidirectional(
        SimpleRNN(T, 2, 3, return_sequences=True),
        SimpleRNN(T, 2, 3, return_sequences=True, reverse=True),
    )
    network = Network([pair, LSTM(T, 6, 2), Dense(2, 1)], LOSSES["squared_error"]())
    network.initialize("glorot", rng)
    X, Y = rng.standard_normal((6, T * 2)), rng.standard_normal((6, 1))

    def value(theta):
        network.theta[:] = theta
        return network.loss_and_gradient(X, Y, None, 1 / 6)

    def gradient(theta):
        value(theta)
        return network.grad.copy()

    theta = network.theta.copy()
    assert check_directional_gradient(value, gradient, theta, rng) < TOL
    restored = pickle.loads(pickle.dumps(network))
    np.testing.assert_array_equal(restored.predict(X), network.predict(X))
    pair.freeze()
    network.loss_and_gradient(X, Y, None, 1 / 6)
    assert not any(grad.any() for grad in pair.grads)
    assert network.layers[1].grads[0].any()


def test_bidirectional_layers_must_agree():
    with pytest.raises(ValueError, match="same n_timesteps; got 4 and 5"):
        Bidirectional(LSTM(4, 2, 3), LSTM(5, 2, 3, reverse=True))


@pytest.mark.parametrize("truncate", [0, -2])
def test_truncate_must_be_positive(truncate):
    with pytest.raises(ValueError, match=f"at least 1 .*; got {truncate}"):
        LSTM(5, 2, 3, return_sequences=True, truncate=truncate)
