"""Convolution and pooling layers: finite-difference gradients, a direct
loop-based reference, ceil-mode pooling, buffers, dtypes and pickling."""

import pickle

import numpy as np
import pytest

from skdeep._engine import (
    LOSSES,
    Activation,
    AvgPool1D,
    AvgPool2D,
    Conv1D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePool,
    MaxPool1D,
    MaxPool2D,
    Network,
)
from skdeep._engine import conv as conv_module
from skdeep.utils._testing import check_layer_gradients, network_gradient_error


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(params=["window_copy", "offset_copies"])
def im2col_path(request, monkeypatch):
    """Run a test with each way of filling the im2col matrix."""
    threshold = 1 if request.param == "window_copy" else 10**9
    monkeypatch.setattr(conv_module, "WINDOW_COPY_MIN_CHANNELS", threshold)
    return request.param


def _bound(layer, rng, dtype=np.float64):
    """``layer`` with random parameters, bound to a network that owns them."""
    network = Network([layer], LOSSES["squared_error"](), dtype=dtype)
    network.theta[:] = rng.uniform(-1, 1, network.theta.size)
    return layer


def _distinct(rng, n_rows, n_cols):
    """Values in [-1, 1) far apart next to a step of 1e-6: no ties in a max."""
    size = n_rows * n_cols
    return rng.permutation(size).reshape(n_rows, n_cols) * (2 / size) - 1


CONV2D_CASES = [
    # input_shape, filters, kernel_size, stride, padding, dilation
    ((5, 5, 1), 2, 3, 1, "valid", 1),
    ((5, 6, 2), 3, 3, 1, "same", 1),
    ((7, 5, 3), 2, (3, 2), 2, "valid", 1),
    ((7, 6, 2), 4, 3, 2, "same", 1),
    ((6, 7, 1), 2, (2, 3), (1, 2), "same", 1),
    ((7, 7, 2), 3, 3, 1, "valid", 2),
    ((7, 8, 2), 2, 3, 2, "same", 2),
    ((3, 3, 2), 2, 5, 1, "same", 1),  # the kernel is larger than the image
]

CONV1D_CASES = [
    # input_shape, filters, kernel_size, stride, padding, dilation
    ((9, 1), 2, 3, 1, "valid", 1),
    ((9, 3), 2, 4, 1, "same", 1),
    ((10, 2), 3, 3, 2, "valid", 1),
    ((11, 2), 2, 3, 2, "same", 1),
    ((13, 2), 3, 3, 1, "valid", 2),
    ((12, 1), 2, 2, 3, "same", 2),
]


@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d_gradients(case, rng, im2col_path):
    layer = Conv2D(*case[:3], stride=case[3], padding=case[4], dilation=case[5])
    X = rng.standard_normal((3, int(np.prod(case[0]))))
    check_layer_gradients(layer, X, rng)


@pytest.mark.parametrize("case", CONV1D_CASES)
def test_conv1d_gradients(case, rng, im2col_path):
    layer = Conv1D(*case[:3], stride=case[3], padding=case[4], dilation=case[5])
    X = rng.standard_normal((3, int(np.prod(case[0]))))
    check_layer_gradients(layer, X, rng)


def _direct_conv(images, kernel, bias, stride, padding, dilation):
    """Cross-correlation by loops over output positions and kernel offsets.

    ``images`` is ``(n, height, width, channels)`` and ``kernel`` is
    ``(k_h, k_w, channels, filters)``; "same" pads as TensorFlow does.
    """
    n, height, width, _ = images.shape
    k_h, k_w, _, filters = kernel.shape
    sizes, pads = [], []
    for size, k, s, d in zip(
        (height, width), (k_h, k_w), stride, dilation, strict=True
    ):
        span = (k - 1) * d + 1
        if padding == "same":
            n_out = -(-size // s)
            pads.append(max((n_out - 1) * s + span - size, 0) // 2)
        else:
            n_out = (size - span) // s + 1
            pads.append(0)
        sizes.append(n_out)
    out = np.zeros((n, *sizes, filters)) + bias
    for oh in range(sizes[0]):
        for ow in range(sizes[1]):
            for i in range(k_h):
                for j in range(k_w):
                    h = oh * stride[0] + i * dilation[0] - pads[0]
                    w = ow * stride[1] + j * dilation[1] - pads[1]
                    if 0 <= h < height and 0 <= w < width:
                        out[:, oh, ow] += images[:, h, w] @ kernel[i, j]
    return out


def _pair(value):
    return (value, value) if isinstance(value, int) else value


@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d_matches_direct_loops(case, rng, im2col_path):
    shape, filters, kernel_size, stride, padding, dilation = case
    layer = _bound(Conv2D(*case[:3], stride, padding, dilation), rng)
    assert layer._copy_windows == (im2col_path == "window_copy")
    X = rng.standard_normal((4, int(np.prod(shape))))
    X_before = X.copy()
    kernel = layer.params[0].reshape(*_pair(kernel_size), shape[2], filters)
    expected = _direct_conv(X.reshape(4, *shape), kernel, layer.params[1],
                            _pair(stride), padding, _pair(dilation))  # fmt: skip
    out = layer.forward(X)
    assert out.shape == (4, int(np.prod(layer.output_shape)))
    np.testing.assert_allclose(out.reshape(4, *layer.output_shape), expected,
                               rtol=1e-12, atol=1e-12)  # fmt: skip
    np.testing.assert_array_equal(X, X_before)


@pytest.mark.parametrize("case", CONV1D_CASES)
def test_conv1d_matches_direct_loops(case, rng, im2col_path):
    shape, filters, kernel_size, stride, padding, dilation = case
    layer = _bound(Conv1D(*case[:3], stride, padding, dilation), rng)
    X = rng.standard_normal((4, int(np.prod(shape))))
    kernel = layer.params[0].reshape(1, kernel_size, shape[1], filters)
    expected = _direct_conv(X.reshape(4, 1, *shape), kernel, layer.params[1],
                            (1, stride), padding, (1, dilation))  # fmt: skip
    out = layer.forward(X).reshape(4, *layer.output_shape)
    np.testing.assert_allclose(out, expected[:, 0], rtol=1e-12, atol=1e-12)


def test_same_padding_puts_the_odd_zero_after_the_signal():
    """Six values, three taps, stride 2: output ceil(6 / 2) = 3, one zero at the end."""
    layer = Conv1D((6, 1), filters=1, kernel_size=3, stride=2, padding="same")
    Network([layer], LOSSES["squared_error"]())
    layer.params[0][:, 0] = [1, 10, 100]
    out = layer.forward(np.array([[1.0, 2, 3, 4, 5, 6]]))
    np.testing.assert_array_equal(out, [[321, 543, 65]])
    # with an even total padding the zeros are split: one before, one after
    layer = Conv1D((5, 1), filters=1, kernel_size=3, padding="same")
    Network([layer], LOSSES["squared_error"]())
    layer.params[0][:, 0] = [1, 10, 100]
    out = layer.forward(np.array([[1.0, 2, 3, 4, 5]]))
    np.testing.assert_array_equal(out, [[210, 321, 432, 543, 54]])


POOL_CASES = [
    # input_shape, pool_size, stride
    ((4, 6, 2), 2, None),  # windows tile the image
    ((6, 6, 2), 3, None),  # tiles of three by three
    ((4, 6, 2), (2, 1), None),  # tiles along one axis only
    ((4, 6, 2), (1, 3), None),
    ((3, 2, 2), 1, None),  # windows of one value
    ((5, 7, 2), 2, None),  # ceil mode: the last windows hang over
    ((5, 5, 1), 3, 2),  # overlapping windows
    ((6, 5, 2), (2, 3), (3, 1)),  # gaps between windows along the height
    ((1, 3, 2), 2, None),  # one row through a pool of two
]

POOL_1D_CASES = [
    ((8, 2), 2, None),
    ((9, 3), 2, None),
    ((7, 1), 3, 2),
    ((1, 2), 2, None),
]


@pytest.mark.parametrize("pool", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pool2d_gradients(pool, case, rng):
    X = _distinct(rng, 3, int(np.prod(case[0])))
    check_layer_gradients(pool(*case), X, rng)


@pytest.mark.parametrize("pool", [MaxPool1D, AvgPool1D])
@pytest.mark.parametrize("case", POOL_1D_CASES)
def test_pool1d_gradients(pool, case, rng):
    X = _distinct(rng, 3, int(np.prod(case[0])))
    check_layer_gradients(pool(*case), X, rng)


def _direct_pool(images, pool, stride, reduce):
    """Pool each window's values present by loops (ceil mode)."""
    n, height, width, channels = images.shape
    starts = [
        range(0, max(size - p, 0) + s, s) if size > p else range(1)
        for size, p, s in zip((height, width), pool, stride, strict=True)
    ]
    starts = [[start for start in axis if start < size]
              for axis, size in zip(starts, (height, width), strict=True)]  # fmt: skip
    out = np.empty((n, len(starts[0]), len(starts[1]), channels))
    for a, h in enumerate(starts[0]):
        for b, w in enumerate(starts[1]):
            window = images[:, h : h + pool[0], w : w + pool[1]]
            out[:, a, b] = reduce(window.reshape(n, -1, channels), axis=1)
    return out


@pytest.mark.parametrize("pool, reduce", [(MaxPool2D, np.max), (AvgPool2D, np.mean)])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pool2d_matches_direct_loops(pool, reduce, case, rng):
    shape, pool_size, stride = case
    layer = pool(*case)
    X = rng.standard_normal((3, int(np.prod(shape))))
    pool_size = _pair(pool_size)
    stride = pool_size if stride is None else _pair(stride)
    expected = _direct_pool(X.reshape(3, *shape), pool_size, stride, reduce)
    assert expected.shape[1:] == layer.output_shape
    np.testing.assert_allclose(layer.forward(X).reshape(expected.shape), expected,
                               rtol=1e-12)  # fmt: skip


@pytest.mark.parametrize(
    "length, pool_size, stride, n_out",
    [(1, 2, None, 1), (2, 2, None, 1), (5, 2, None, 3), (6, 2, None, 3),
     (7, 3, 2, 3), (4, 1, 3, 2), (3, 1, 3, 1), (10, 3, 4, 3)],
)  # fmt: skip
def test_pool_output_size_is_ceil_mode(length, pool_size, stride, n_out):
    assert MaxPool1D((length, 2), pool_size, stride).output_shape == (n_out, 2)
    assert AvgPool2D((3, length, 1), pool_size, stride).output_shape[1] == n_out


def test_avg_pool_averages_over_the_values_present():
    layer = AvgPool1D((5, 1), pool_size=3, stride=2)
    out = layer.forward(np.array([[1.0, 2.0, 3.0, 4.0, 6.0]]))
    np.testing.assert_allclose(out, [[2.0, 13 / 3]])
    dX = layer.backward(np.array([[3.0, 6.0]]))
    np.testing.assert_allclose(dX, [[1, 1, 3, 2, 2]])


@pytest.mark.parametrize("stride, n_out", [(None, 2), (1, 3)])
def test_max_pool_ties_send_the_gradient_to_one_element(stride, n_out):
    layer = MaxPool2D((4, 4, 1), pool_size=2, stride=stride)
    layer.forward(np.zeros((2, 16)), training=True)
    dY = np.arange(1.0, 2 * n_out**2 + 1).reshape(2, n_out**2)
    dX = layer.backward(dY.copy()).reshape(2, 4, 4)
    # every window is a tie: its gradient goes to its first (top-left) value
    expected = np.zeros((2, 4, 4))
    step = 2 if stride is None else 1
    expected[:, : n_out * step : step, : n_out * step : step] = dY.reshape(
        2, n_out, n_out
    )
    np.testing.assert_array_equal(dX, expected)


@pytest.mark.parametrize("pool_size", [2, 3])
def test_max_pool_tiles_send_a_tie_to_the_first_column_then_row(pool_size):
    """The maximum sits at (row 1, column 0) and (row 0, column 1) of every
    window: the first column holding it wins, whatever comes first in
    row-major order."""
    window = np.zeros((pool_size, pool_size))
    window[1, 0] = window[0, 1] = 1.0
    layer = MaxPool2D((2 * pool_size, pool_size, 1), pool_size)
    layer.forward(np.tile(window, (2, 1)).reshape(1, -1), training=True)
    dX = layer.backward(np.array([[2.0, 3.0]])).reshape(2, pool_size, pool_size)
    expected = np.zeros((2, pool_size, pool_size))
    expected[:, 1, 0] = [2.0, 3.0]
    np.testing.assert_array_equal(dX, expected)


@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool_predicts_what_it_trains_on(case, rng):
    """Prediction skips the bookkeeping of the winners, not the maximum."""
    layer = MaxPool2D(*case)
    X = rng.standard_normal((4, int(np.prod(case[0]))))
    trained = layer.forward(X, training=True).copy()
    np.testing.assert_array_equal(layer.forward(X, training=False), trained)


def test_global_average_pool_and_flatten(rng):
    X = rng.standard_normal((3, 3 * 4 * 5))
    layer = GlobalAveragePool((3, 4, 5))
    check_layer_gradients(layer, X, rng)
    expected = X.reshape(3, 12, 5).mean(axis=1)
    np.testing.assert_allclose(layer.forward(X), expected, rtol=1e-12)
    check_layer_gradients(GlobalAveragePool((7, 2)), rng.standard_normal((2, 14)), rng)
    flatten = Flatten((3, 4, 5))
    assert flatten.output_shape == (60,) and not flatten.owns_output
    assert flatten.forward(X) is X and flatten.backward(X) is X


def _conv_network(rng, dtype=np.float64):
    layers = [
        Conv2D((6, 5, 2), filters=3, kernel_size=3, padding="same"),
        Activation("relu"),
        MaxPool2D((6, 5, 3), pool_size=2),
        Conv2D((3, 3, 3), filters=4, kernel_size=2, stride=1),
        Activation("tanh"),
        Flatten((2, 2, 4)),
        Dense(16, 3),
    ]
    network = Network(layers, LOSSES["log_loss"](), dtype=dtype)
    network.initialize("glorot", rng)
    return network


def test_conv_network_flat_gradient(rng, im2col_path):
    network = _conv_network(rng)
    X = rng.standard_normal((7, 60))
    Y = np.eye(3)[rng.integers(0, 3, 7)]
    sw = rng.uniform(0.5, 2, 7)
    assert network_gradient_error(network, X, Y, rng, sample_weight=sw) < 1e-6
    assert network.layers[0].params[0].shape == (18, 3)
    # the kernels are views of the one flat vector: weights before biases
    assert np.shares_memory(network.layers[3].params[0], network.weights)


def test_conv_network_runs_in_float32_without_upcasting(rng):
    network = _conv_network(rng, dtype=np.float32)
    X = rng.standard_normal((5, 60)).astype(np.float32)
    Y = np.eye(3)[rng.integers(0, 3, 5)].astype(np.float32)
    network.loss_and_gradient(X, Y, None, 0.2)
    assert network.forward(X).dtype == np.float32
    assert network.grad.dtype == np.float32 and np.abs(network.grad).sum() > 0
    for layer in network.layers:
        for array in layer._buffers._arrays.values():
            assert array.dtype in (np.float32, np.bool_, np.uint8), type(layer)


def test_buffers_are_reused_and_a_smaller_batch_works(rng, im2col_path):
    layer = _bound(Conv2D((5, 5, 2), 3, 3, stride=2, padding="same"), rng)
    X = rng.standard_normal((6, 50))
    first = layer.forward(X, training=True)
    cols = layer._cache["cols"]
    assert layer.forward(X, training=True) is first
    assert layer._cache["cols"] is cols
    expected = layer.forward(X[:2].copy(), training=True).copy()
    fresh = _bound(Conv2D((5, 5, 2), 3, 3, stride=2, padding="same"), rng)
    fresh.params[0][...], fresh.params[1][...] = layer.params
    np.testing.assert_array_equal(fresh.forward(X[:2]), expected)
    dX = layer.backward(np.ones((2, 27)))
    assert layer.backward(np.ones((2, 27))) is dX
    pool = MaxPool2D((5, 5, 2), 2)
    assert pool.forward(X, training=True) is pool.forward(X, training=True)
    np.testing.assert_array_equal(pool.forward(X[:3]), MaxPool2D((5, 5, 2), 2)
                                  .forward(X[:3]))  # fmt: skip


def test_prediction_in_chunks_matches_one_batch(rng, monkeypatch):
    layer = _bound(Conv1D((9, 2), 3, 3, padding="same"), rng)
    X = rng.standard_normal((10, 18))
    # a few rows per chunk: three samples' im2col matrix
    monkeypatch.setattr(conv_module, "PREDICT_COLS_BYTES", 3 * 9 * 6 * 8)
    chunked = layer.forward(X, training=False).copy()
    assert layer._buffers._arrays["cols"].shape[0] == 3 * 9
    np.testing.assert_array_equal(chunked, layer.forward(X, training=True))


def test_pickled_conv_network_predicts_the_same(rng):
    network = _conv_network(rng)
    X = rng.standard_normal((4, 60))
    expected = network.predict(X)
    restored = pickle.loads(pickle.dumps(network))
    np.testing.assert_array_equal(restored.predict(X), expected)
    assert restored.layers[0].params[0].base is not None  # views again
    assert len(pickle.dumps(network)) < 20_000  # no buffers, no cache


def test_first_layer_skips_the_input_gradient(rng):
    layer = _bound(Conv2D((4, 4, 1), 2, 3), rng)
    layer.forward(rng.standard_normal((3, 16)), training=True)
    assert layer.backward(np.ones((3, 8)), need_input_grad=False) is None
    assert "dcols" not in layer._buffers._arrays


def test_kernel_initialiser_sees_kernel_size_times_in_channels(rng):
    layer = Conv2D((6, 6, 3), filters=5, kernel_size=(3, 2))
    network = Network([layer, Activation("relu"), Flatten((4, 5, 5)), Dense(100, 2)],
                      LOSSES["log_loss"]())  # fmt: skip
    network.initialize("he", np.random.default_rng(3))
    bound = np.sqrt(6 / (3 * 2 * 3))
    expected = np.random.default_rng(3).uniform(-bound, bound, (18, 5))
    np.testing.assert_array_equal(layer.params[0], expected)


def test_multiply_adds_per_sample():
    assert Conv2D((8, 8, 1), 16, 3, padding="same").multiply_adds() == 64 * 9 * 16
    assert Conv1D((10, 2), 4, 3).multiply_adds() == 8 * 6 * 4
    assert MaxPool2D((8, 8, 16), 2).multiply_adds() == 16 * 16 * 4
    assert Flatten((3, 3)).multiply_adds() == 0


def test_dropout_and_activations_work_on_a_conv_output(rng):
    class FixedMask:
        def random(self, out, dtype):
            out[...] = np.random.default_rng(2).random(out.shape)

    layers = [Conv1D((8, 2), 3, 3, padding="same"), Activation("elu"),
              Dropout(0.3, FixedMask()), Flatten((8, 3)), Dense(24, 1)]  # fmt: skip
    network = Network(layers, LOSSES["squared_error"]())
    network.initialize("glorot", rng)
    X, Y = rng.standard_normal((5, 16)), rng.standard_normal((5, 1))
    assert network_gradient_error(network, X, Y, rng) < 1e-6


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Conv2D((5, 5, 1), 2, 3, padding="full"), "padding must be"),
        (lambda: Conv2D((5, 5, 1), 2, 7), "does not fit in an input of size 5"),
        (lambda: Conv2D((5, 5), 2, 3), "input_shape must be"),
        (lambda: Conv2D((5, 5, 1), 0, 3), "filters must be"),
        (lambda: Conv1D((9, 1), 2, (3, 3)), "kernel_size must be"),
        (lambda: Conv1D((9, 1), 2, 3, dilation=0), "dilation must be"),
        (lambda: MaxPool2D((4, 4, 1), 0), "pool_size must be"),
        (lambda: AvgPool1D((4, 1), 2, stride=(1, 1)), "stride must be"),
        (lambda: GlobalAveragePool((4,)), "input_shape must be"),
        (lambda: Flatten(None), "input_shape must be"),
        (lambda: Conv2D(8, 2, 3), "input_shape must be a tuple; got 8"),
        (lambda: Conv2D((5, 5, 1), 2, 3.0), "kernel_size must be .* got 3.0"),
        (lambda: MaxPool1D((5, 1), 2, stride=True), "stride must be"),
    ],
)
def test_bad_geometry_is_refused_with_the_parameter_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    "layer",
    [
        Conv2D((5, 5, 2), 3, 3, padding="same"),
        Conv2D((5, 5, 9), 3, 3, stride=2),
        Conv1D((6, 1), 2, 3),
        MaxPool2D((4, 4, 2), 2),
        MaxPool2D((5, 5, 2), 2),
        AvgPool2D((4, 4, 2), 2),
        AvgPool1D((5, 3), 2),
        GlobalAveragePool((3, 3, 2)),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_an_empty_batch_passes_through(layer, rng):
    if layer.param_specs():
        _bound(layer, rng)
    n_in, n_out = int(np.prod(layer.input_shape)), int(np.prod(layer.output_shape))
    for training in (False, True):
        assert layer.forward(np.empty((0, n_in)), training).shape == (0, n_out)
    assert layer.backward(np.empty((0, n_out))).shape == (0, n_in)


def test_a_training_step_allocates_no_batch_sized_arrays(rng):
    """After a first batch, forward and backward reuse their buffers: what
    NumPy allocates on the way is bounded, not proportional to the batch."""
    import tracemalloc

    layers = [
        Conv2D((12, 12, 9), 8, 3, padding="same"), Activation("relu"),
        MaxPool2D((12, 12, 8), 2), Conv2D((6, 6, 8), 8, 3, stride=2),
        AvgPool2D((2, 2, 8), 3), Conv1D((2, 4), 3, 2, padding="same"),
        MaxPool1D((2, 3), 3), GlobalAveragePool((1, 3)), Flatten((3,)),
    ]  # fmt: skip
    for layer in layers:
        if layer.param_specs():
            _bound(layer, rng)
    X = rng.standard_normal((256, 12 * 12 * 9))
    delta = rng.standard_normal((256, 3))
    peaks = []

    def step(record):
        def call(method, *args):
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            result = method(*args)
            if record:
                peaks.append(tracemalloc.get_traced_memory()[1] - before)
            return result

        H = X
        for layer in layers:
            H = call(layer.forward, H, True)
        grad = delta.copy()
        for layer in reversed(layers):
            grad = call(layer.backward, grad)

    tracemalloc.start()
    try:
        step(record=False)  # the first batch allocates the buffers
        step(record=True)
    finally:
        tracemalloc.stop()
    # the first layer's output alone is 256 x 1152 float64 values (2.4 MB)
    assert max(peaks) < 400_000, str(peaks)
