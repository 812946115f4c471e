"""Testing helpers: the finite-difference gradient check."""

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
