"""Supervised windows cut from time series, so a forecaster is any regressor."""

from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def make_windows(
    series, window, *, horizon=1, stride=1, target=None, return_index=False
):
    r"""Cut one or many time series into supervised windows for forecasting.

    Each window holds ``window`` consecutive time steps of a series, all its
    features, and its target is the value ``horizon`` steps after the
    window's last step. Windows never cross from one series into the next,
    so a panel (one series per region, say) gives the windows of each series
    in turn, in time order within each.

    Parameters
    ----------
    series : array-like or list of array-like
        The series, numbers with time along the first axis:

        - one series: 1-D of shape (n_times,), or 2-D of shape
          (n_times, n_features) for a multivariate series;
        - many series: a list (or tuple) of such arrays, of any lengths but
          the same number of features, or a 3-D array of shape
          (n_series, n_times, n_features).

        A 2-D array is always one series with its features in columns: for
        a table with one series per row (as ``fetch_affordability`` gives),
        pass ``list(data)`` or ``data[:, :, np.newaxis]``. NaN and infinite
        values are refused: fill or drop them first.

    window : int
        Number of time steps in each window, at least 1.

    horizon : int, default=1
        How many steps after a window's last step its target comes: 1 is the
        next step.

    stride : int, default=1
        Steps between the starts of consecutive windows of a series. They
        are counted back from the end of each series, so the last value of
        every series is the target of a window, and with ``stride > 1`` the
        first few values of a series may be in no window.

    target : int, list of int or None, default=None
        Feature (column) or features whose value is the target. None takes
        every feature.

    return_index : bool, default=False
        Also return where each window's target is, to split by time.

    Returns
    -------
    X : ndarray of shape (n_windows, window, n_features)
        The windows, time steps then features (channels last, as
        ``RecurrentRegressor`` and ``ConvNetRegressor`` take them), 1 feature
        for a 1-D series; float32 if every series is float32, else float64.

    y : ndarray of shape (n_windows,) or (n_windows, n_targets)
        The targets: 1-D when ``target`` is an int, or when it is None and
        the series have one feature; else one column per target feature.

    index : ndarray of shape (n_windows, 2)
        Only with ``return_index=True``: for each window, the number of its
        series (in the order given) and the position of its target in that
        series (0 is the series' first value).

    Raises
    ------
    ValueError
        ``window``, ``horizon`` or ``stride`` below 1, a ``target`` that is
        not a feature, series of different numbers of features, a series
        that is not 1-D or 2-D numbers or has NaN or infinite values (named
        by its number), or no series long enough for one window: a series
        needs at least ``window + horizon`` values, and shorter ones give no
        window.

    See Also
    --------
    sklearn.model_selection.TimeSeriesSplit : Time-ordered cross-validation
        splits, for the windows of one series.
    skdeep.datasets.fetch_affordability : Quarterly series, one per region.

    Notes
    -----
    Window ``i`` of a series :math:`s` of length :math:`T` starts at
    :math:`t_i = T - w - h - (n - 1 - i) k` for :math:`i = 0, \dots, n - 1`,
    with :math:`w` the window, :math:`h` the horizon, :math:`k` the stride and
    :math:`n = \lfloor (T - w - h) / k \rfloor + 1` windows: its inputs are
    :math:`s_{t_i}, \dots, s_{t_i + w - 1}` and its target
    :math:`s_{t_i + w - 1 + h}`.

    The input is only read, never copied: the windows are views of it until
    they are written into ``X``. ``X`` repeats each value up to ``window``
    times: for long series, a ``stride`` above 1 keeps it smaller.

    To validate a forecaster, train on early targets and test on later ones.
    With one series, the windows are in time order, and
    :class:`~sklearn.model_selection.TimeSeriesSplit` does this, with
    ``gap=horizon - 1`` so that no training target lies after a test
    window's last step (for ``stride=1``; ``ceil(horizon / stride) - 1`` in
    general). With many series, split on ``index[:, 1]``, the time of the
    target in its series (add each series' start to it when the series do
    not start together).

    Examples
    --------
    One series, the next value from the three before it:

    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn.model_selection import TimeSeriesSplit, cross_val_score
    >>> from skdeep.preprocessing import make_windows
    >>> X, y = make_windows(np.arange(8.0), window=3)
    >>> X.shape, y.shape
    ((5, 3, 1), (5,))
    >>> X[0, :, 0].tolist(), y[0].item()
    ([0.0, 1.0, 2.0], 3.0)
    >>> for train, test in TimeSeriesSplit(n_splits=2).split(X):
    ...     print(train, test)
    [0 1 2] [3]
    [0 1 2 3] [4]

    A forecaster is then any regressor on the windows (flattened here for a
    scikit-learn one):

    >>> t = np.arange(200)
    >>> X, y = make_windows(np.sin(t / 5), window=10, horizon=2)
    >>> scores = cross_val_score(
    ...     LinearRegression(), X.reshape(len(X), -1), y,
    ...     cv=TimeSeriesSplit(n_splits=3, gap=1),
    ... )
    >>> bool(scores.min() > 0.99)
    True

    Many series of different lengths, split by the time of the targets:

    >>> panel = [np.arange(6.0), np.arange(100.0, 104.0)]
    >>> X, y, index = make_windows(panel, window=2, return_index=True)
    >>> y.tolist()
    [2.0, 3.0, 4.0, 5.0, 102.0, 103.0]
    >>> index.tolist()
    [[0, 2], [0, 3], [0, 4], [0, 5], [1, 2], [1, 3]]
    >>> train, test = index[:, 1] < 4, index[:, 1] >= 4
    >>> y[train].tolist(), y[test].tolist()
    ([2.0, 3.0, 102.0, 103.0], [4.0, 5.0])
    """
    for name, value in (("window", window), ("horizon", horizon), ("stride", stride)):
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
    arrays = _as_series(series)
    columns = _target_columns(target, arrays[0].shape[1])
    counts = [_n_windows(len(values), window, horizon, stride) for values in arrays]
    if sum(counts) == 0:
        longest = max(len(values) for values in arrays)
        raise ValueError(
            f"No series is long enough for a window: a window of {window} steps "
            f"with horizon={horizon} needs {window + horizon} values, and the "
            f"longest series has {longest}. Shorten the window or the horizon."
        )
    float32 = all(values.dtype == np.float32 for values in arrays)
    dtype = np.float32 if float32 else np.float64
    X, y, index = _fill(arrays, counts, window, horizon, stride, columns, dtype)
    if isinstance(target, Integral) or (target is None and len(columns) == 1):
        y = y[:, 0]
    return (X, y, index) if return_index else (X, y)


def _n_windows(n_times, window, horizon, stride):
    return max(0, (n_times - window - horizon) // stride + 1)


def _fill(arrays, counts, window, horizon, stride, columns, dtype):
    """Write every series' windows and targets into the result, block by block."""
    n_windows, n_features = sum(counts), arrays[0].shape[1]
    X = np.empty((n_windows, window, n_features), dtype=dtype)
    y = np.empty((n_windows, len(columns)), dtype=dtype)
    index = np.empty((n_windows, 2), dtype=np.intp)
    end = 0
    for number, (values, count) in enumerate(zip(arrays, counts, strict=True)):
        if count == 0:
            continue
        start, end = end, end + count
        first = len(values) - window - horizon - (count - 1) * stride
        stop = first + (count - 1) * stride + 1
        # a view of every window, (time, features, steps): only the copy
        # into X reads the series
        views = sliding_window_view(values, window, axis=0)
        X[start:end] = views[first:stop:stride].transpose(0, 2, 1)
        last = len(values) - 1
        times = slice(first + window - 1 + horizon, last + 1, stride)
        for j, column in enumerate(columns):
            y[start:end, j] = values[times, column]
        index[start:end, 0] = number
        index[start:end, 1] = np.arange(times.start, times.stop, stride)
    return X, y, index


def _as_series(series):
    """The series as a list of 2-D (n_times, n_features) arrays, checked."""
    many = isinstance(series, list | tuple)
    if many:
        if not series:
            raise ValueError("series is an empty list: pass at least one series.")
        arrays = [np.asarray(values) for values in series]
    else:
        array = np.asarray(series)
        many = array.ndim == 3
        arrays = list(array) if many else [array]
    names = [f"series {number}" for number in range(len(arrays))]
    if not many:
        names = ["series"]
    arrays = [
        _check_one(values, name) for values, name in zip(arrays, names, strict=True)
    ]
    n_features = arrays[0].shape[1]
    for values, name in zip(arrays, names, strict=True):
        if values.shape[1] != n_features:
            raise ValueError(
                f"Every series must have the same number of features: "
                f"{names[0]} has {n_features}, {name} has {values.shape[1]}."
            )
    return arrays


def _check_one(values, name):
    if values.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (n_times,) or 2-D (n_times, n_features), got "
            f"shape {values.shape}; pass many series as a list or a 3-D array."
        )
    if values.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {values.dtype}.")
    if values.ndim == 1:
        values = values[:, np.newaxis]
    if values.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {values.shape}).")
    if values.dtype.kind == "f":
        finite = np.isfinite(values).all(axis=1)
        if not finite.all():
            time = int(np.argmin(finite))
            kind = "NaN" if np.isnan(values[time]).any() else "an infinite value"
            raise ValueError(
                f"{name} has {kind} at time {time}: fill or drop missing values "
                "first (a series that starts late can be cut to start at its first "
                "value)."
            )
    return values


def _target_columns(target, n_features):
    """The target's columns as a list, checked against ``n_features``."""
    if target is None:
        return list(range(n_features))
    if isinstance(target, Integral):
        columns = [target]
    elif isinstance(target, list | tuple | np.ndarray):
        columns = list(target)
    else:
        columns = [target]
    for column in columns:
        if (
            not isinstance(column, Integral)
            or isinstance(column, bool)
            or not 0 <= column < n_features
        ):
            raise ValueError(
                f"target must be a feature number in [0, {n_features - 1}], or a "
                f"list of them, got {target!r}."
            )
    if not columns:
        raise ValueError("target is an empty list: name at least one feature.")
    return columns
