"""The cylinder-bell-funnel series classification problem (Saito, 1994)."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils import shuffle as shuffle_rows

# Saito's series have 128 time steps; the event's start and length are drawn
# on that scale and stretched to other lengths.
CLASSIC_LENGTH = 128
# At 16 steps the shortest event spans 4 of them, enough for a bell to rise
# and a funnel to fall.
MIN_TIMESTEPS = 16


def make_cbf(
    n_samples=300, n_timesteps=128, *, noise=1.0, shuffle=True, random_state=None
):
    r"""Generate the cylinder-bell-funnel series classification problem.

    Every series is noise but for one event on an interval ``[a, b]`` of
    random start and length: a plateau (cylinder), a ramp rising to a height
    then dropping back (bell), or a jump to a height followed by a ramp
    falling back (funnel). The class cannot be read from any one time step,
    since events start anywhere in a range, which makes it a standard test of
    classifiers that share parameters across time, such as 1-D convolutions.

    Parameters
    ----------
    n_samples : int, default=300
        Number of series, split as evenly as possible between the three
        classes (the first classes get one more when it does not divide).

    n_timesteps : int, default=128
        Length of each series, at least 16. The classic problem has 128; at
        other lengths the event's start and length scale in proportion.

    noise : float, default=1.0
        Standard deviation of the Gaussian noise added to every time step,
        non-negative.

    shuffle : bool, default=True
        Whether to shuffle the series. With False they come in class order:
        cylinders, bells, then funnels. Either way the same ``random_state``
        gives the same series, only reordered.

    random_state : int, RandomState instance or None, default=None
        Seed of the random draws. Pass an int for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps)
        The series, float64, one per row.

    y : ndarray of shape (n_samples,)
        The class of each series: 0 cylinder, 1 bell, 2 funnel.

    See Also
    --------
    skdeep.preprocessing.make_windows : Supervised windows from series, for
        forecasting.

    Notes
    -----
    With time steps :math:`t = 1, \dots, T` and :math:`s = T / 128`, each
    series draws :math:`a \sim s\,U[16, 32]`, :math:`b - a \sim s\,U[32, 96]`
    (real numbers, not rounded), :math:`\eta \sim N(0, 1)` and noise
    :math:`\epsilon(t) \sim N(0, \sigma^2)` with :math:`\sigma` = ``noise``:

    .. math::

        c(t) &= (6 + \eta)\, \chi_{[a, b]}(t) + \epsilon(t), \\
        b(t) &= (6 + \eta)\, \chi_{[a, b]}(t)\, (t - a) / (b - a)
                + \epsilon(t), \\
        f(t) &= (6 + \eta)\, \chi_{[a, b]}(t)\, (b - t) / (b - a)
                + \epsilon(t),

    where :math:`\chi_{[a, b]}` is 1 on :math:`[a, b]` and 0 elsewhere.
    Column ``j`` of ``X`` is time step ``t = j + 1``.

    References
    ----------
    .. [1] N. Saito, "Local feature extraction and its applications using a
       library of bases", PhD thesis, Yale University, 1994.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.datasets import make_cbf
    >>> X, y = make_cbf(n_samples=10, random_state=0)
    >>> X.shape, X.dtype
    ((10, 128), dtype('float64'))
    >>> np.bincount(y).tolist()
    [4, 3, 3]
    """
    _check_parameters(n_samples, n_timesteps, noise)
    rng = check_random_state(random_state)
    counts = [n_samples // 3 + (label < n_samples % 3) for label in range(3)]
    y = np.repeat(np.arange(3, dtype=np.int64), counts)
    scale = n_timesteps / CLASSIC_LENGTH
    start = scale * rng.uniform(16, 32, size=n_samples)[:, np.newaxis]
    length = scale * rng.uniform(32, 96, size=n_samples)[:, np.newaxis]
    height = 6 + rng.standard_normal(size=n_samples)[:, np.newaxis]
    X = noise * rng.standard_normal(size=(n_samples, n_timesteps))
    t = np.arange(1, n_timesteps + 1, dtype=np.float64)
    inside = (t >= start) & (t <= start + length)
    # cylinder 1, bell (t - a) / (b - a), funnel (b - t) / (b - a)
    rising = (t - start) / length
    shape = np.where(y[:, np.newaxis] == 1, rising, 1.0)
    shape = np.where(y[:, np.newaxis] == 2, 1.0 - rising, shape)
    X += np.where(inside, height * shape, 0.0)
    if shuffle:
        X, y = shuffle_rows(X, y, random_state=rng)
    return X, y


def _check_parameters(n_samples, n_timesteps, noise):
    if not _is_integer(n_samples) or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}.")
    if not _is_integer(n_timesteps) or n_timesteps < MIN_TIMESTEPS:
        raise ValueError(
            f"n_timesteps must be an integer >= {MIN_TIMESTEPS}, so that the "
            f"shortest event spans {MIN_TIMESTEPS // 4} time steps; got "
            f"{n_timesteps!r}."
        )
    if (
        not isinstance(noise, Real)
        or isinstance(noise, bool)
        or not 0 <= noise < np.inf
    ):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}.")


def _is_integer(value):
    return isinstance(value, Integral) and not isinstance(value, bool)
