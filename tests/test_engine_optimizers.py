"""One-step closed-form tests of the optimizers and the L1 proximal step, and
L-BFGS against the closed-form ridge and scikit-learn's lasso."""

import math

import numpy as np
import pytest
from sklearn.linear_model import Lasso

from skdeep._engine import (
    LOSSES,
    OPTIMIZERS,
    Dataset,
    Dense,
    Network,
    Penalty,
    TrainingConfig,
    make_trainer,
)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_sgd_plain_step(rng):
    theta, grad = rng.standard_normal(5), rng.standard_normal(5)
    expected = theta - 0.1 * grad
    OPTIMIZERS["sgd"](5, np.float64, 0.1, momentum=0.0).step(theta, grad)
    np.testing.assert_allclose(theta, expected)


def test_sgd_classical_momentum_two_steps(rng):
    theta, g1, g2 = (rng.standard_normal(5) for _ in range(3))
    sgd = OPTIMIZERS["sgd"](5, np.float64, 0.1, momentum=0.9, nesterov=False)
    v1 = -0.1 * g1
    v2 = 0.9 * v1 - 0.1 * g2
    expected = theta + v1 + v2
    sgd.step(theta, g1)
    sgd.step(theta, g2)
    np.testing.assert_allclose(theta, expected)


def test_sgd_nesterov_step(rng):
    theta, grad = rng.standard_normal(5), rng.standard_normal(5)
    velocity = -0.1 * grad
    expected = theta + 0.9 * velocity - 0.1 * grad
    OPTIMIZERS["sgd"](5, np.float64, 0.1, momentum=0.9, nesterov=True).step(theta, grad)
    np.testing.assert_allclose(theta, expected)


def test_adam_first_two_steps(rng):
    theta, g1, g2 = (rng.standard_normal(5) for _ in range(3))
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    adam = OPTIMIZERS["adam"](5, np.float64, lr, b1, b2, eps)
    expected = theta.copy()
    m = v = 0
    for t, g in enumerate([g1, g2], start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        expected -= lr_t * m / (np.sqrt(v) + eps)
        adam.step(theta, g)
    np.testing.assert_allclose(theta, expected)


def test_schedules():
    sgd = OPTIMIZERS["sgd"](3, np.float64, 0.5, lr_schedule="invscaling", power_t=0.5)
    sgd.iteration_ends(99)
    assert sgd.learning_rate == pytest.approx(0.05)
    adaptive = OPTIMIZERS["sgd"](3, np.float64, 1e-5, lr_schedule="adaptive")
    assert adaptive.trigger_stopping() is False
    assert adaptive.learning_rate == pytest.approx(2e-6)
    assert adaptive.trigger_stopping() is False
    assert adaptive.trigger_stopping() is True
    assert OPTIMIZERS["sgd"](3, np.float64, 0.1).trigger_stopping() is True


def test_prox_soft_thresholds_to_exact_zero():
    penalty = Penalty.from_name("l1", strength=2.0)
    w = np.array([3.0, -3.0, 0.5, -0.1, 0.0])
    penalty.prox(w, 0.5, np.empty(5))  # threshold 0.5 * 2 = 1
    np.testing.assert_array_equal(w, [2.0, -2.0, 0.0, 0.0, 0.0])
    w = np.array([3.0, 3.0])
    penalty.prox(w, np.array([0.5, 2.0]), np.empty(2))  # per-weight steps
    np.testing.assert_array_equal(w, [2.0, 0.0])


def test_l2_penalty_does_not_prox():
    w = np.array([0.001, -0.001])
    Penalty.from_name("l2", 1.0).prox(w, 10.0, np.empty(2))
    np.testing.assert_array_equal(w, [0.001, -0.001])


def test_sgd_step_applies_l1_prox_to_weights_only(rng):
    network = Network([Dense(3, 2)], LOSSES["squared_error"]())
    theta = np.full(network.theta.size, 0.05)
    grad = np.zeros_like(theta)
    penalty = Penalty.from_name("l1", strength=1.0)
    OPTIMIZERS["sgd"](theta.size, np.float64, 0.01, momentum=0.9).step(
        theta, grad, penalty, network.n_weights
    )
    # threshold lr / (1 - momentum) * l1 = 0.1 > 0.05: weights to 0, not biases
    assert not theta[: network.n_weights].any()
    np.testing.assert_array_equal(theta[network.n_weights :], 0.05)


def _linear_problem(rng, n=60, p=6):
    X = rng.standard_normal((n, p))
    w = np.array([2.0, -1.0, 0.0, 0.0, 0.5, 0.0])
    y = X @ w + 0.3 + 0.1 * rng.standard_normal(n)
    return X, y


def _linear_network():
    return Network([Dense(6, 1)], LOSSES["squared_error"]())


def test_lbfgs_matches_closed_form_ridge(rng):
    X, y = _linear_problem(rng)
    alpha = 3.0
    network = _linear_network()
    config = TrainingConfig(solver="lbfgs", alpha=alpha, max_iter=500, tol=1e-10)
    trainer = make_trainer(network, config)
    assert trainer.train(Dataset(X, y[:, None])) == "converged"
    Xc, yc = X - X.mean(0), y - y.mean()
    ridge = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(6), Xc.T @ yc)
    np.testing.assert_allclose(network.layers[0].params[0].ravel(), ridge, atol=1e-6)


def test_lbfgs_l1_matches_lasso_with_exact_zeros(rng):
    X, y = _linear_problem(rng)
    n, alpha = len(y), 6.0
    network = _linear_network()
    config = TrainingConfig(
        solver="lbfgs", penalty="l1", alpha=alpha, max_iter=1000, tol=1e-12
    )
    trainer = make_trainer(network, config)
    trainer.train(Dataset(X, y[:, None]))
    lasso = Lasso(alpha=alpha / n, tol=1e-12, max_iter=100_000).fit(X, y)
    coef = network.layers[0].params[0].ravel()
    np.testing.assert_allclose(coef, lasso.coef_, atol=1e-5)
    np.testing.assert_array_equal(coef == 0, lasso.coef_ == 0)
    assert (coef == 0).sum() >= 2


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_minibatch_l1_reaches_lasso_zeros(solver, rng):
    X, y = _linear_problem(rng, n=400)
    alpha = 0.1 * len(y)
    network = _linear_network()
    config = TrainingConfig(
        solver=solver,
        learning_rate_init=0.01 if solver == "sgd" else 0.02,
        penalty="l1",
        alpha=alpha,
        batch_size=50,
        max_iter=300,
        tol=0,
        n_iter_no_change=1000,
    )
    trainer = make_trainer(network, config, rng)
    trainer.train(Dataset(X, y[:, None]))
    lasso = Lasso(alpha=0.1).fit(X, y)
    coef = network.layers[0].params[0].ravel()
    np.testing.assert_array_equal(coef == 0, lasso.coef_ == 0)
    np.testing.assert_allclose(coef, lasso.coef_, atol=0.05)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_minibatch_epoch_allocates_no_batch_sized_arrays(solver, rng):
    """The hot path works in reused buffers.

    A run allocates, once: snapshots of the parameters and optimizer state
    (its start and its best epoch), a few parameter-sized vectors, its
    minibatch buffers and a permutation of the rows per epoch.  One batch of
    hidden activations is larger than all of that, so any per-batch
    allocation of one would show.
    """
    import tracemalloc

    from skdeep._engine import Activation

    X = rng.standard_normal((8192, 32))
    Y = np.eye(10)[rng.integers(0, 10, 8192)]
    layers = [Dense(32, 1024), Activation("relu"), Dense(1024, 10)]
    network = Network(layers, LOSSES["log_loss"]())
    network.initialize("glorot", rng)
    config = TrainingConfig(solver=solver, max_iter=1, batch_size=1024)
    data = Dataset(X, Y)
    make_trainer(network, config, rng).train(data)  # layer buffers are allocated
    trainer = make_trainer(network, config, rng)
    tracemalloc.start()
    trainer.train(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    one_batch_of_hidden_units = 1024 * 1024 * 8
    batch_buffers = 1024 * (32 + 10) * 8
    per_run = 9 * network.theta.nbytes + batch_buffers + X.shape[0] * 8 + 65_536
    assert per_run < one_batch_of_hidden_units
    assert peak < per_run


def test_adam_continued_with_other_betas_keeps_the_moments(rng):
    adam = OPTIMIZERS["adam"](4, np.float64, 0.01, beta_1=0.9, beta_2=0.999)
    theta, grad = rng.standard_normal(4), rng.standard_normal(4)
    adam.step(theta, grad)
    m, v = adam.m.copy(), adam.v.copy()
    np.testing.assert_allclose(m, 0.1 * grad)
    np.testing.assert_allclose(v, 0.001 * grad**2)
    continued = OPTIMIZERS["adam"](4, np.float64, 0.01, beta_1=0.5, beta_2=0.9)
    continued.continue_from(adam)
    assert continued.t == 1
    np.testing.assert_allclose(continued.m, m)
    np.testing.assert_allclose(continued.v, v)


def test_sgd_continues_its_scheduled_rate_unless_the_initial_rate_changed():
    sgd = OPTIMIZERS["sgd"](3, np.float64, 0.5, lr_schedule="adaptive")
    sgd.velocity[...] = [1.0, 2.0, 3.0]
    sgd.trigger_stopping()  # the adaptive schedule divides the rate by 5
    same = OPTIMIZERS["sgd"](3, np.float64, 0.5, lr_schedule="adaptive")
    same.continue_from(sgd)
    assert same.learning_rate == pytest.approx(0.1)
    np.testing.assert_array_equal(same.velocity, [1.0, 2.0, 3.0])
    other = OPTIMIZERS["sgd"](3, np.float64, 0.2, lr_schedule="adaptive")
    other.continue_from(sgd)
    assert other.learning_rate == 0.2


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_optimizer_pickles_its_state_but_no_scratch(solver, rng):
    import pickle

    optimizer = OPTIMIZERS[solver](10_000, np.float64, 0.01)
    theta = rng.standard_normal(10_000)
    optimizer.step(theta, rng.standard_normal(10_000))
    restored = pickle.loads(pickle.dumps(optimizer))
    for name, value in optimizer.snapshot().items():
        np.testing.assert_array_equal(getattr(restored, name), value)
    state = optimizer.snapshot().values()
    state_bytes = sum(value.nbytes for value in state if hasattr(value, "nbytes"))
    assert len(pickle.dumps(optimizer)) < state_bytes + 2_000
    step = theta.copy()
    optimizer.step(theta, np.ones(10_000))
    restored.step(step, np.ones(10_000))
    np.testing.assert_array_equal(theta, step)


def test_staggered_buffers_are_independent_and_offset():
    from skdeep._engine.kernels import empty

    arrays = [empty((300, 7), np.float32, fill=i) for i in range(4)]
    offsets = {a.ctypes.data % 4096 for a in arrays}
    assert len(offsets) == 4  # each starts elsewhere in the page
    for i, array in enumerate(arrays):
        assert array.shape == (300, 7) and array.dtype == np.float32
        assert array.flags.c_contiguous and array.ctypes.data % 64 == 0
        np.testing.assert_array_equal(array, i)
    arrays[0][...] = -1
    np.testing.assert_array_equal(arrays[1], 1)
