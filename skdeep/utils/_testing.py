"""Testing helpers: finite-difference gradient checks."""

import numpy as np


def check_directional_gradient(fun, grad, x, rng, n_directions=3, eps=1e-6):
    """Largest relative error between analytic and numerical slopes of ``fun``.

    Along ``n_directions`` random unit directions ``d``, compares the analytic
    directional derivative ``grad(x) . d`` with the central difference
    ``(fun(x + eps d) - fun(x - eps d)) / (2 eps)`` (the check of HIPS
    autograd and ``scipy.optimize.check_grad(direction="random")``).

    Parameters
    ----------
    fun : callable
        ``fun(x) -> float`` for a float64 array ``x``.
    grad : callable
        ``grad(x) -> ndarray`` shaped like ``x``.
    x : ndarray
        Point of the check; not modified.
    rng : numpy.random.Generator
        Draws the directions.
    n_directions : int, default=3
        Number of random directions.
    eps : float, default=1e-6
        Step of the central difference.

    Returns
    -------
    error : float
        ``max |analytic - numeric| / max(|analytic|, |numeric|, 1e-12)``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> err = check_directional_gradient(
    ...     lambda x: float(np.sum(x**3)), lambda x: 3 * x**2, np.ones(4), rng)
    >>> err < 1e-8
    True
    """
    x = np.array(x, dtype=np.float64)
    analytic_grad = np.asarray(grad(x.copy()), dtype=np.float64)
    worst = 0.0
    for _ in range(n_directions):
        direction = rng.standard_normal(x.shape)
        direction /= np.linalg.norm(direction)
        analytic = float(np.sum(analytic_grad * direction))
        numeric = (fun(x + eps * direction) - fun(x - eps * direction)) / (2 * eps)
        scale = max(abs(analytic), abs(numeric), 1e-12)
        worst = max(worst, abs(analytic - numeric) / scale)
    return worst


def check_layer_gradients(layer, X, rng, tol=1e-6):
    """Check ``dX`` and every parameter gradient of ``layer`` for ``sum(R * Y)``.

    ``R`` is a random array shaped like the layer's output ``Y``; a layer
    with parameters is bound to a one-layer network (which owns them) and
    given random values.  Asserts that each check of
    :func:`check_directional_gradient` is below ``tol``.

    Parameters
    ----------
    layer : Layer
        An engine layer, not yet part of a network.
    X : ndarray of shape (n_samples, n_inputs)
        Input of the check (float64); not modified.
    rng : numpy.random.Generator
        Draws ``R``, the parameters and the directions.
    tol : float, default=1e-6
        Largest relative error accepted.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep._engine import Dense
    >>> rng = np.random.default_rng(0)
    >>> check_layer_gradients(Dense(3, 2), rng.standard_normal((4, 3)), rng)
    """
    from skdeep._engine import LOSSES, Network

    network = None
    if layer.param_specs():
        network = Network([layer], LOSSES["squared_error"]())  # binds the params
        network.theta[:] = rng.uniform(-1, 1, network.theta.size)
    R = rng.standard_normal((X.shape[0], layer.forward(X.copy()).shape[1]))

    def value_x(x):
        return float(np.sum(R * layer.forward(x.copy(), training=True)))

    def gradient_x(x):
        layer.forward(x.copy(), training=True)
        return layer.backward(R.copy(), need_input_grad=True).copy()

    assert check_directional_gradient(value_x, gradient_x, X, rng) < tol
    if network is None:
        return

    def value_theta(theta):
        network.theta[:] = theta
        return value_x(X)

    def gradient_theta(theta):
        network.theta[:] = theta
        layer.forward(X.copy(), training=True)
        layer.backward(R.copy(), need_input_grad=False)
        return network.grad.copy()

    theta = network.theta.copy()
    assert check_directional_gradient(value_theta, gradient_theta, theta, rng) < tol


def network_gradient_error(network, X, Y, rng, sample_weight=None, n_directions=3):
    """Largest relative error of a whole network's flat gradient.

    The loss is ``network.loss_and_gradient(X, Y, sample_weight, scale)`` with
    ``scale`` one over the sum of the weights (one over ``n_samples`` without
    them), as a function of the flat parameter vector ``network.theta``; see
    :func:`check_directional_gradient`.  ``network.theta`` is restored.

    Parameters
    ----------
    network : Network
        An initialised engine network (float64).
    X : ndarray or sparse matrix of shape (n_samples, n_inputs)
        Input.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets in the loss's encoding.
    rng : numpy.random.Generator
        Draws the directions.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights of the samples.
    n_directions : int, default=3
        Number of random directions.

    Returns
    -------
    error : float
        As for :func:`check_directional_gradient`.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep._engine import LOSSES, Dense, Network
    >>> rng = np.random.default_rng(0)
    >>> network = Network([Dense(3, 2)], LOSSES["squared_error"]())
    >>> network.initialize("glorot", rng)
    >>> X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    >>> network_gradient_error(network, X, Y, rng) < 1e-6
    True
    """
    total = X.shape[0] if sample_weight is None else sample_weight.sum()
    start = network.theta.copy()

    def value(theta):
        network.theta[:] = theta
        return network.loss_and_gradient(X, Y, sample_weight, 1 / total)

    def gradient(theta):
        value(theta)
        return network.grad.copy()

    try:
        return check_directional_gradient(value, gradient, start, rng, n_directions)
    finally:
        network.theta[:] = start
