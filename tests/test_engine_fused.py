"""The compiled kernels of ``skdeep/_engine/_fused.c`` against the NumPy code
they replace: the same results to the bit, and clear errors on bad input."""

import os

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdeep._engine import OPTIMIZERS, Penalty, kernels
from skdeep._engine.activations import relu_derivative
from skdeep._engine.data import Standardizer
from skdeep._engine.losses import SoftmaxLogLoss

requires_fused = pytest.mark.skipif(
    kernels.fused_adam_step is None, reason="skdeep was built without a C compiler"
)


def test_fused_kernel_is_built_where_required():
    # CI sets SKDEEP_REQUIRE_FUSED, so a build that silently fell back to
    # NumPy (the extension is optional) fails there.
    if os.environ.get("SKDEEP_REQUIRE_FUSED"):
        assert kernels.fused_adam_step is not None
        assert kernels.fused_relu_backward is not None
        assert kernels.fused_gather is not None
        assert kernels.softmax_kernels is not None


def _adam_run(rng, dtype, penalty, n_weights, fused, monkeypatch):
    if not fused:
        monkeypatch.setattr(kernels, "fused_adam_step", None)
    local = np.random.default_rng(rng.integers(1 << 30))
    theta = local.standard_normal(1001).astype(dtype)
    adam = OPTIMIZERS["adam"](theta.size, dtype, 0.01, 0.8, 0.99, 1e-3)
    grads = []
    for _ in range(3):
        grad = local.standard_normal(theta.size).astype(dtype)
        grad[::7] = 0  # units that get no gradient: v stays near epsilon
        adam.step(theta, grad, penalty, n_weights, add_l2=True)
        grads.append(grad)
    monkeypatch.undo()
    return theta, grads, adam._m_sum, adam._v_sum


@requires_fused
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "name, n_weights", [("l2", 700), ("l2", 1001), ("elasticnet", 700), (None, 0)]
)
def test_fused_adam_is_bitwise_numpys(dtype, name, n_weights, monkeypatch):
    penalty = Penalty.from_name(name, strength=0.3)
    runs = [
        _adam_run(np.random.default_rng(5), dtype, penalty, n_weights, fused,
                  monkeypatch)
        for fused in (True, False)
    ]  # fmt: skip
    (theta, grads, m, v), (theta_np, grads_np, m_np, v_np) = runs
    assert theta.dtype == dtype
    np.testing.assert_array_equal(theta, theta_np)
    np.testing.assert_array_equal(m, m_np)
    np.testing.assert_array_equal(v, v_np)
    # grad ends up holding the full gradient, L2 part included
    for grad, grad_np in zip(grads, grads_np, strict=True):
        np.testing.assert_array_equal(grad, grad_np)


@requires_fused
def test_fused_adam_adds_l2_to_the_weights_only():
    theta, grad = np.array([1.0, -2.0, 3.0]), np.zeros(3)
    m, v = np.zeros(3), np.zeros(3)
    kernels.fused_adam_step(theta, grad, m, v, 2, 0.5, 0.9, 0.999, 0.0, 1e-8)
    np.testing.assert_array_equal(grad, [0.5, -1.0, 0.0])
    np.testing.assert_array_equal(m, grad)
    np.testing.assert_array_equal(theta, [1.0, -2.0, 3.0])  # scale 0: no move


@requires_fused
def test_fused_kernel_rejects_vectors_it_cannot_update():
    x = np.zeros(6)
    step = kernels.fused_adam_step
    scalars = (0.0, 0.9, 0.999, 0.1, 1e-8)
    with pytest.raises(ValueError, match="contiguous"):
        step(x[::2], x[:3].copy(), x[:3].copy(), x[:3].copy(), 0, *scalars)
    with pytest.raises(ValueError, match="length and type of theta"):
        step(x, x.copy(), x.copy(), np.zeros(5), 0, *scalars)
    with pytest.raises(ValueError, match="length and type of theta"):
        step(x, x.copy(), x.copy(), x.astype(np.float32), 0, *scalars)
    with pytest.raises(TypeError, match="float64 or float32"):
        step(x, x.copy(), x.copy(), np.zeros(6, dtype=np.int64), 0, *scalars)
    with pytest.raises(ValueError, match="n_weights"):
        step(x, x.copy(), x.copy(), x.copy(), 7, *scalars)
    frozen = x.copy()
    frozen.flags.writeable = False
    with pytest.raises((BufferError, ValueError)):
        step(x, frozen, x.copy(), x.copy(), 0, *scalars)


@requires_fused
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_adam_sums_the_squares_of_each_block(dtype):
    # Blocks across the end of the weights (where L2 stops), empty, and up
    # to the end; the update itself is bitwise the one without blocks.
    rng = np.random.default_rng(3)
    start = [rng.standard_normal(2003).astype(dtype) for _ in range(4)]
    start[3] = np.abs(start[3])
    blocks = np.array([[5, 1500], [1500, 1500], [1501, 2003]], dtype=np.int64)
    scalars = (0.3, 0.9, 0.999, 0.01, 1e-8)
    plain = [x.copy() for x in start]
    kernels.fused_adam_step(*plain, 1700, *scalars)
    summed, sums = [x.copy() for x in start], np.full(3, np.nan)
    kernels.fused_adam_step(*summed, 1700, *scalars, blocks.ravel(), sums)
    for ours, theirs in zip(summed, plain, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    grad = plain[1].astype(np.float64)  # the full gradient, L2 part included
    expected = [np.dot(grad[a:b], grad[a:b]) for a, b in blocks]
    np.testing.assert_allclose(
        sums, expected, rtol=1e-12 if dtype == np.float64 else 1e-5
    )
    assert sums[1] == 0


@requires_fused
def test_fused_adam_rejects_blocks_it_cannot_sum():
    x = np.ones(6)
    scalars = (0.0, 0.9, 0.999, 0.1, 1e-8)

    def step(blocks, sums):
        vectors = [x.copy() for _ in range(4)]
        kernels.fused_adam_step(*vectors, 0, *scalars, np.asarray(blocks), sums)

    for blocks in ([3, 1], [0, 2, 1, 4], [0, 7], [-1, 2]):
        with pytest.raises(ValueError, match="sorted, not overlapping"):
            step(np.array(blocks, dtype=np.int64), np.zeros(len(blocks) // 2))
    with pytest.raises(ValueError, match="pairs"):
        step(np.array([0, 2, 4], dtype=np.int64), np.zeros(1))
    with pytest.raises(ValueError, match="pairs"):
        step(np.array([0, 2], dtype=np.int32), np.zeros(1))
    with pytest.raises(ValueError, match="one entry per block"):
        step(np.array([0, 2], dtype=np.int64), np.zeros(2))
    with pytest.raises(ValueError, match="one entry per block"):
        step(np.array([0, 2], dtype=np.int64), np.zeros(1, dtype=np.float32))
    with pytest.raises(TypeError, match="both blocks and sums"):
        kernels.fused_adam_step(x, x.copy(), x.copy(), x.copy(), 0, *scalars, x)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("fused", [True, False])
def test_step_returns_the_squares_of_the_full_gradient(solver, fused, monkeypatch):
    if fused and kernels.fused_adam_step is None:
        pytest.skip("skdeep was built without a C compiler")
    if not fused:
        monkeypatch.setattr(kernels, "fused_adam_step", None)
    rng = np.random.default_rng(4)
    theta, grad = rng.standard_normal(50), rng.standard_normal(50)
    optimizer = OPTIMIZERS[solver](50, np.float64)
    penalty = Penalty.from_name("l2", strength=0.5)
    blocks = np.array([[0, 20], [20, 40]])
    squares = optimizer.step(theta, grad, penalty, 40, add_l2=True, blocks=blocks)
    # grad now holds the full gradient, L2 part included
    expected = [np.dot(grad[:20], grad[:20]), np.dot(grad[20:40], grad[20:40])]
    np.testing.assert_allclose(squares, expected, rtol=1e-12)
    assert optimizer.step(theta, grad, penalty, 40) is None


@requires_fused
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fits_are_the_same_with_or_without_the_fused_kernel(dtype, monkeypatch):
    from sklearn.datasets import make_classification

    from skdeep import FeedForwardClassifier

    X, y = make_classification(300, 8, n_classes=3, n_informative=5, random_state=0)
    X = X.astype(dtype)

    def fit():
        return FeedForwardClassifier(n_hidden=12, max_iter=4, alpha=0.01,
                                     random_state=0).fit(X, y)  # fmt: skip

    with pytest.warns(ConvergenceWarning):
        fused = fit()
    kernel_names = ("fused_adam_step", "fused_relu_backward", "fused_gather",
                    "softmax_kernels")  # fmt: skip
    for name in kernel_names:
        monkeypatch.setattr(kernels, name, None)
    with pytest.warns(ConvergenceWarning):
        plain = fit()
    for ours, theirs in zip(fused.coefs_ + fused.intercepts_,
                            plain.coefs_ + plain.intercepts_, strict=True):  # fmt: skip
        np.testing.assert_array_equal(ours, theirs)
    # the kernel sums the layer norms' squares in another order than np.dot
    np.testing.assert_allclose(
        [h["grad_norms"] for h in fused.history_],
        [h["grad_norms"] for h in plain.history_],
        rtol=1e-6,
    )


@requires_fused
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_relu_derivative_is_bitwise_numpys(dtype, monkeypatch):
    rng = np.random.default_rng(0)
    output = np.maximum(rng.standard_normal((64, 33)), 0).astype(dtype)
    delta = rng.standard_normal((64, 33)).astype(dtype)
    delta[0, :4] = [np.nan, np.inf, -np.inf, -0.0]  # where output is 0 ...
    output[0, :4] = 0
    delta[1, :3] = [np.nan, np.inf, -np.inf]  # ... and where it is not
    output[1, :3] = 1
    fused = delta.copy()
    relu_derivative(output, fused, np.empty_like(delta), np.zeros_like(delta))
    monkeypatch.setattr(kernels, "fused_relu_backward", None)
    plain = delta.copy()
    with np.errstate(invalid="ignore"):
        relu_derivative(output, plain, np.empty_like(delta), np.zeros_like(delta))
    np.testing.assert_array_equal(fused, plain)
    np.testing.assert_array_equal(np.signbit(fused), np.signbit(plain))
    # as in NumPy: NaN stays, inf passes where the unit is on, inf * 0 is NaN
    assert np.isnan(fused[1, 0]) and fused[1, 1] == np.inf and np.isnan(fused[0, 1])


@requires_fused
def test_fused_relu_derivative_takes_strided_views_through_numpy():
    output = np.array([[1.0, 0.0, 2.0, 0.0]] * 3)
    delta = np.full((3, 4), 5.0)
    view = delta[:, ::2]  # not contiguous: the NumPy path
    relu_derivative(output[:, ::2], view, np.empty((3, 2)), np.zeros((3, 2)))
    np.testing.assert_array_equal(delta[0], [5.0, 5.0, 5.0, 5.0])
    relu_derivative(output, delta, np.empty((3, 4)), np.zeros((3, 4)))
    np.testing.assert_array_equal(delta[0], [5.0, 0.0, 5.0, 0.0])


@requires_fused
def test_fused_relu_rejects_arrays_it_cannot_update():
    out = np.ones((4, 3))
    with pytest.raises(ValueError, match="one size and type"):
        kernels.fused_relu_backward(out, np.ones((4, 2)))
    with pytest.raises(ValueError, match="one size and type"):
        kernels.fused_relu_backward(out, np.ones((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="one size and type"):
        kernels.fused_relu_backward(out.astype(int), np.ones((4, 3), dtype=int))
    with pytest.raises(ValueError, match="contiguous"):
        kernels.fused_relu_backward(out, np.ones((4, 6))[:, ::2])


@requires_fused
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("centred", [True, False])
def test_fused_gather_is_bitwise_numpys(dtype, centred, monkeypatch):
    rng = np.random.default_rng(6)
    X = (rng.standard_normal((300, 37)) * 1e3 + 5).astype(dtype)
    X[3, 4], X[7, 0] = np.inf, np.nan  # passed through as NumPy does
    standardizer = Standardizer.from_moments(
        X[10:].mean(axis=0) if centred else None, X[10:].std(axis=0), dtype
    )
    rows = rng.integers(0, 300, 64)
    rows[:2] = [3, 3]  # repeated rows are fine
    fused = standardizer.gather(X, rows, np.empty((80, 37), dtype))
    monkeypatch.setattr(kernels, "fused_gather", None)
    plain = standardizer.gather(X, rows, np.empty((80, 37), dtype))
    assert fused.shape == (64, 37) and fused.dtype == dtype
    np.testing.assert_array_equal(fused, plain)
    np.testing.assert_array_equal(plain, standardizer.apply(X[rows]))


def test_gather_takes_other_layouts_through_numpy():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((50, 6))
    standardizer = Standardizer.from_moments(X.mean(axis=0), X.std(axis=0), X.dtype)
    rows = np.array([4, 0, 49])
    expected = standardizer.apply(X[rows])
    unaligned = np.frombuffer(bytearray(X.nbytes + 1), np.float64, X.size, 1)
    unaligned = unaligned.reshape(X.shape)  # as Dask can hand chunks over
    unaligned[...] = X
    strided = np.repeat(X, 2, axis=1)[:, ::2]  # rows not contiguous
    for layout in (np.asfortranarray(X), strided, X.astype(">f8"),
                   unaligned):  # fmt: skip
        got = standardizer.gather(layout, rows.astype(np.int32), np.empty((3, 6)))
        np.testing.assert_array_equal(got, expected)
        got = standardizer.gather(layout, rows, np.empty((3, 6)))
        np.testing.assert_array_equal(got, expected)


@requires_fused
def test_fused_gather_rejects_what_it_cannot_read():
    gather = kernels.fused_gather
    X, scale, out = np.ones((5, 3)), np.ones(3), np.empty((2, 3))
    rows = np.array([0, 4])
    with pytest.raises(IndexError, match="out of range"):
        gather(X, np.array([0, 5]), scale, None, out)
    with pytest.raises(IndexError, match="out of range"):
        gather(X, np.array([-1, 0]), scale, None, out)
    with pytest.raises(ValueError, match="int64 vector"):
        gather(X, rows.astype(np.int32), scale, None, out)
    with pytest.raises(ValueError, match="C-contiguous float64"):
        gather(X.astype(np.int64), rows, scale, None, out)
    unaligned = np.frombuffer(bytearray(X.nbytes + 1), np.float64, X.size, 1)
    with pytest.raises(ValueError, match="aligned"):
        gather(unaligned.reshape(X.shape), rows, scale, None, out)
    with pytest.raises(ValueError, match="match X's type"):
        gather(X, rows, np.ones(4), None, out)
    with pytest.raises(ValueError, match="match X's type"):
        gather(X, rows, scale, np.ones(3, dtype=np.float32), out)
    with pytest.raises(ValueError, match="len\\(rows\\) rows"):
        gather(X, rows, scale, None, np.empty((3, 3)))
    with pytest.raises((BufferError, ValueError)):
        gather(np.asfortranarray(X), rows, scale, None, out)


def _softmax_log_loss(Z, Y, sample_weight, scale):
    """Probabilities, loss and delta of SoftmaxLogLoss, each copied."""
    loss = SoftmaxLogLoss()
    P = loss.forward(Z.copy())
    value, delta = loss.loss_and_delta(P, Y, sample_weight, scale)
    return P.copy(), value, delta.copy(), loss.loss(P, Y, sample_weight)


@requires_fused
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [True, False])
def test_fused_softmax_log_loss_is_bitwise_numpys(dtype, weighted, monkeypatch):
    rng = np.random.default_rng(8)
    Z = (rng.standard_normal((70, 9)) * 20).astype(dtype)
    Z[0, 3] = 1e30  # would overflow exp unshifted
    Z[1] = -5e3  # a row of equal, very negative values
    Y = np.eye(9, dtype=dtype)[rng.integers(0, 9, 70)]
    Z[2, 5] = -1e4  # the true class's probability underflows to 0 ...
    Y[2] = np.eye(9, dtype=dtype)[5]
    sample_weight = rng.random(70).astype(dtype) if weighted else None
    fused = _softmax_log_loss(Z, Y, sample_weight, 1 / 70)
    monkeypatch.setattr(kernels, "softmax_kernels", None)
    plain = _softmax_log_loss(Z, Y, sample_weight, 1 / 70)
    for ours, theirs in zip(fused, plain, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    P, value, delta, loss_alone = fused
    assert P.dtype == delta.dtype == dtype and value == loss_alone
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-6)
    assert P[0, 3] == 1 and np.all(P[1] == P[1, 0])
    assert P[2, 5] == 0 and np.isfinite(value)  # ... and the loss takes eps


@requires_fused
def test_fused_softmax_propagates_nan_as_numpy_does(monkeypatch):
    Z = np.array([[0.0, np.nan, 1.0], [np.nan, 2.0, 1.0], [0.0, 1.0, np.inf]])
    fused = SoftmaxLogLoss().forward(Z.copy())
    monkeypatch.setattr(kernels, "softmax_kernels", None)
    with np.errstate(invalid="ignore"):
        plain = SoftmaxLogLoss().forward(Z.copy())
    np.testing.assert_array_equal(fused, plain)
    assert np.isnan(fused).all()  # a diverged row is all NaN, never finite


def test_softmax_log_loss_takes_other_layouts_through_numpy():
    rng = np.random.default_rng(9)
    Z = rng.standard_normal((20, 4))
    Y = np.eye(4)[rng.integers(0, 4, 20)]
    expected = _softmax_log_loss(Z, Y, None, 0.5)
    strided = np.repeat(Y, 2, axis=1)[:, ::2]  # rows not contiguous
    for labels in (np.asfortranarray(Y), Y.astype(np.float32), strided):
        got = _softmax_log_loss(Z, labels, None, 0.5)
        for ours, theirs in zip(got, expected, strict=True):
            np.testing.assert_array_equal(ours, theirs)


@requires_fused
def test_fused_softmax_kernels_reject_what_they_cannot_read():
    shift = kernels.softmax_kernels.softmax_shift
    rows = kernels.softmax_kernels.log_loss_rows
    P, p_true = np.full((3, 2), 0.5), np.empty(3)
    with pytest.raises(ValueError, match="matrix with at least one column"):
        shift(np.ones(4))
    with pytest.raises(ValueError, match="matrix with at least one column"):
        shift(np.ones((3, 2), dtype=np.int64))
    with pytest.raises((BufferError, ValueError)):
        shift(np.ones((3, 4))[:, ::2])
    normalize = kernels.softmax_kernels.softmax_normalize
    with pytest.raises(ValueError, match="matrix with at least one column"):
        normalize(np.ones((2, 3, 2)))
    read_only = np.ones((3, 2))
    read_only.flags.writeable = False
    with pytest.raises((BufferError, ValueError)):
        normalize(read_only)
    for labels in (np.ones((3, 3)), np.ones((2, 3)), np.ones(6)):
        with pytest.raises(ValueError, match="one shape and float type"):
            rows(P, labels, None, 1.0, 1e-9, None, p_true)
    with pytest.raises(ValueError, match="one shape and float type"):
        rows(P, P.astype(np.float32), None, 1.0, 1e-9, None, p_true)
    with pytest.raises(ValueError, match="one entry per row"):
        rows(P, P, np.ones(2), 1.0, 1e-9, None, p_true)
    with pytest.raises(ValueError, match="one entry per row"):
        rows(P, P, None, 1.0, 1e-9, None, np.empty(4))
    with pytest.raises(ValueError, match="one shape and float type"):
        rows(P, P, None, 1.0, 1e-9, np.empty((2, 2)), p_true)
