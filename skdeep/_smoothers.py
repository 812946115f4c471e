"""Scatterplot smoothers for the ridge functions of projection pursuit.

A smoother takes ``(x, y, w)`` and returns a :class:`RidgeFunction`: a curve
``g`` with its derivative ``g'``, held at its end values outside the range of
``x`` so that extrapolation stays bounded.  Both smoothers here sort once, pool
tied ``x`` (so tied points always get the same value) and then run in O(n)
vectorised NumPy:

- :func:`supersmoother`, Friedman's (1984) super smoother: running-line
  smoothers at three spans with the span chosen locally by cross-validation,
  or one running-line smoother at a fixed span;
- :func:`pspline`, a penalised cubic regression spline (cubic B-splines on
  equally spaced knots with a second-difference penalty, Eilers and Marx
  1996), its smoothing chosen by generalised cross-validation, fixed, or set by
  its degrees of freedom.
"""

import numpy as np
from scipy.interpolate import BSpline
from scipy.linalg import eigh

TWEETER, MIDRANGE, WOOFER = 0.05, 0.2, 0.5
_SPANS = np.array([TWEETER, MIDRANGE, WOOFER])
# GCV undersmooths on its own; charging each degree of freedom 1.4 times is
# the usual correction (Kim and Gu, 2004) and fitted PPR terms far better.
GCV_GAMMA = 1.4


class RidgeFunction:
    """A fitted curve ``g`` and its derivative, constant beyond its data.

    Parameters
    ----------
    knots : ndarray of shape (k,)
        Sorted distinct abscissas the curve was fitted on (k >= 1).
    values, slopes : ndarray of shape (k,)
        ``g`` and ``g'`` at the knots, linearly interpolated in between.
    spline : scipy.interpolate.BSpline or None
        When given, ``g`` and ``g'`` are evaluated exactly from it.
    """

    def __init__(self, knots, values, slopes, spline=None):
        self.knots = knots
        self.values = values
        self.slopes = slopes
        self.spline = spline
        #: Set by the smoothers: the index of each fitted point's knot.
        self.point_knots = None

    def fitted_values(self):
        """``g`` at the points it was fitted on, in their original order."""
        return self.values[self.point_knots]

    @property
    def lower(self):
        return self.knots[0]

    @property
    def upper(self):
        return self.knots[-1]

    def __call__(self, v):
        """``g(v)``, held at the end values outside the fitted range."""
        v = np.asarray(v, dtype=float)
        if self.spline is not None:
            return self.spline(np.clip(v, self.lower, self.upper))
        return np.interp(v, self.knots, self.values)

    def evaluate(self, v, order=None):
        """``(g(v), g'(v))`` together; ``order = argsort(v)`` makes it faster.

        Interpolating at sorted points lets NumPy walk the knots instead of
        searching them, which is an order of magnitude faster. (At the points
        a spline was fitted on, its knots, interpolation is exact.)
        """
        if order is None:
            return self(v), self.derivative(v)
        sorted_v = v[order]
        values, slopes = np.empty_like(v), np.empty_like(v)
        values[order] = np.interp(sorted_v, self.knots, self.values)
        inside = (sorted_v >= self.lower) & (sorted_v <= self.upper)
        slopes[order] = np.where(
            inside, np.interp(sorted_v, self.knots, self.slopes), 0.0
        )
        return values, slopes

    def derivative(self, v):
        """``g'(v)``; zero outside the fitted range, where ``g`` is constant."""
        v = np.asarray(v, dtype=float)
        inside = (v >= self.lower) & (v <= self.upper)
        if self.spline is not None:
            slope = self.spline.derivative()(np.clip(v, self.lower, self.upper))
        else:
            slope = np.interp(v, self.knots, self.slopes)
        return np.where(inside, slope, 0.0)

    def reparametrized(self, scale, offset):
        """The same curve as a function of ``u`` where ``v = scale u - offset``."""
        spline = self.spline
        if spline is not None:
            spline = BSpline((spline.t + offset) / scale, spline.c, spline.k)
        return RidgeFunction(
            (self.knots + offset) / scale, self.values, scale * self.slopes, spline
        )

    def scaled(self, factor, shift=0.0):
        """The curve ``factor * (g - shift)``."""
        spline = self.spline
        if spline is not None:
            coef = factor * (spline.c - shift)
            spline = BSpline(spline.t, coef, spline.k)
        return RidgeFunction(
            self.knots, factor * (self.values - shift), factor * self.slopes, spline
        )


def sort_order(x, hint=None):
    """``argsort(x)``; from a previous order ``hint`` when ``x`` moved little.

    NumPy's stable sort is a merge sort that runs in near-linear time on
    nearly sorted input, so re-sorting projections that changed a little is
    several times cheaper than sorting them afresh.
    """
    if hint is None:
        return np.argsort(x)  # introsort: twice as fast as merge sort here
    return hint[np.argsort(x[hint], kind="stable")]


def pool_ties(x, y, w, order=None):
    """Sort by ``x`` and merge tied abscissas into weighted means.

    Returns the distinct sorted ``x``, the weighted mean ``y`` (one column per
    output) and total weight of each group, and the index of each original
    point's group.  ``order``, if given, is ``argsort(x)``.  Points of zero
    weight carry no information and form no group of their own (they are
    given the group at or below them), so zero weights act as removed rows.
    """
    order = sort_order(x) if order is None else order
    if not w.all():
        kept = order[w[order] > 0]
        if kept.size == 0:
            kept = order
        xu, yu, wu, kept_group = pool_ties(x[kept], y[kept], w[kept],
                                           np.arange(kept.size))  # fmt: skip
        group = np.clip(np.searchsorted(xu, x, side="right") - 1, 0, len(xu) - 1)
        group[kept] = kept_group
        return xu, yu, wu, group
    xs = x[order]
    new_group = np.empty(len(xs), dtype=bool)
    new_group[0] = True
    np.not_equal(xs[1:], xs[:-1], out=new_group[1:])
    if new_group.all():  # no ties: nothing to pool
        group = np.empty_like(order)
        group[order] = np.arange(len(order))
        return xs, y[order], w[order], group
    starts = np.flatnonzero(new_group)
    group_of_sorted = np.cumsum(new_group) - 1
    group = np.empty_like(group_of_sorted)
    group[order] = group_of_sorted
    ws = w[order]
    weight = np.add.reduceat(ws, starts)
    wy = np.add.reduceat(ws[:, None] * y[order], starts, axis=0)
    return xs[starts], wy / weight[:, None], weight, group


def _window_sums(cumulative, k):
    """Sums over windows of ``k`` consecutive points, from cumulative sums.

    ``cumulative`` holds one row of running sums per series, with a leading
    zero column. The window of point ``i`` starts at ``i - k // 2``, shifted
    to stay inside the data, so interior sums are differences of shifted
    cumulative sums and the ends repeat the first and last full window.
    """
    n_rows, n = cumulative.shape[0], cumulative.shape[1] - 1
    half = k // 2
    sums = np.empty((n_rows, n))
    sums[:, :half] = cumulative[:, k : k + 1]
    sums[:, half : n - k + half + 1] = cumulative[:, k:] - cumulative[:, : n - k + 1]
    sums[:, n - k + half + 1 :] = (
        cumulative[:, n : n + 1] - cumulative[:, n - k : n - k + 1]
    )
    return sums


def _cumulative(rows):
    cumulative = np.zeros((rows.shape[0], rows.shape[1] + 1))
    np.cumsum(rows, axis=1, out=cumulative[:, 1:])
    return cumulative


class RunningLines:
    """Local linear fits over windows of ``span * n`` nearest points.

    ``x`` is sorted and distinct.  Every window holds the same number of
    points, centred where the data allow.  The running sums of the weights
    and of ``x`` are computed once and shared by every response and span.
    """

    def __init__(self, x, w):
        self.n = len(x)
        self.w = w
        self.xc = x - x.mean()
        wx = w * self.xc
        self._wx = wx
        self._base = _cumulative(np.array([w, wx, wx * self.xc]))
        self._tiny = 1e-12 * max(float(np.ptp(self.xc)) ** 2, 1e-300)
        self._windows = {}

    def window(self, span):
        return int(min(self.n, max(3, round(span * self.n))))

    def fit(self, ys, spans, with_cv=False):
        """Fits (and slopes, leave-one-out residuals) of each ``ys`` row.

        Returns arrays of shape ``(len(spans), len(ys), n)``.
        """
        ys = np.atleast_2d(ys)
        response = _cumulative(np.concatenate([self.w * ys, self._wx * ys]))
        results = [self._fit_span(ys, response, self.window(s), with_cv) for s in spans]
        return tuple(np.array(parts) for parts in zip(*results, strict=True))

    def _window_stats(self, k):
        """What a window of ``k`` points says about ``x``, whatever the response:
        total weight, mean, offset of each point from it, ``1 / var`` (0 where
        ``x`` does not vary) and the leverage of each point."""
        if k not in self._windows:
            sw, sx, sxx = _window_sums(self._base, k)
            sw = np.where(sw > 0, sw, 1.0)
            mean_x = sx / sw
            var = sxx / sw - mean_x**2
            inverse_var = np.where(
                var > self._tiny, 1.0 / np.where(var > self._tiny, var, 1.0), 0.0
            )
            offset = self.xc - mean_x
            leverage = self.w / sw * (1.0 + offset**2 * inverse_var)
            self._windows[k] = (sw, mean_x, offset, inverse_var, leverage)
        return self._windows[k]

    def _fit_span(self, ys, response, k, with_cv):
        sw, mean_x, offset, inverse_var, leverage = self._window_stats(k)
        sums = _window_sums(response, k)
        sy, sxy = sums[: len(ys)], sums[len(ys) :]
        mean_y = sy / sw
        slope = (sxy / sw - mean_x * mean_y) * inverse_var
        fit = mean_y + slope * offset
        if not with_cv:
            return fit, slope
        cv_residual = (ys - fit) / np.maximum(1.0 - leverage, 1e-3)
        return fit, slope, cv_residual


def running_line(x, y, w, span):
    """Fit and local slope of one running-line smooth (see RunningLines)."""
    fit, slope = RunningLines(x, w).fit(y, [span])
    return fit[0, 0], slope[0, 0]


def supersmoother(x, y, w=None, span="cv", bass=0.0, order=None):
    """Friedman's super smoother of ``y`` against ``x``.

    Parameters
    ----------
    x, y : ndarray of shape (n,)
        Abscissas (any order, ties allowed) and responses.
    w : ndarray of shape (n,), default=None
        Non-negative weights; only their ratios matter.
    span : "cv" or float in (0, 1]
        "cv" chooses the span at each point among 0.05, 0.2 and 0.5 by
        cross-validation (smoothed); a number fixes the span.
    bass : float in [0, 10]
        Extra smoothness for the "cv" span: larger values pull the chosen
        span towards 0.5 where that costs little.
    order : ndarray of shape (n,), default=None
        ``argsort(x)`` if already known (see :func:`sort_order`).

    Returns
    -------
    RidgeFunction
        Its slopes are the local slopes of the final running-line smooth.
    """
    w = np.ones_like(x) if w is None else w
    xu, yu, wu, group = pool_ties(x, y[:, None], w, order)
    yu = yu[:, 0]
    if len(xu) < 4:
        return _with_points(_constant_or_line(xu, yu, wu), group)
    lines = RunningLines(xu, wu)
    if span == "cv":
        yu, final_span = _adaptive_blend(lines, yu, bass), TWEETER
    else:
        final_span = float(span)
    fit, slope = lines.fit(yu, [final_span])
    return _with_points(RidgeFunction(xu, fit[0, 0], slope[0, 0]), group)


def _adaptive_blend(lines, y, bass):
    """Friedman's local choice among the tweeter, midrange and woofer spans.

    Returns the blend of the three fits that the final tweeter smooth turns
    into the super smoother's curve.
    """
    fits, _, cv_residuals = lines.fit(y, _SPANS, with_cv=True)
    fits = fits[:, 0]
    errors = lines.fit(np.abs(cv_residuals[:, 0]), [MIDRANGE])[0][0]
    best = np.argmin(errors, axis=0)
    chosen = _SPANS[best]
    if bass > 0:
        ratio = errors[best, np.arange(lines.n)] / np.maximum(errors[2], 1e-300)
        chosen = chosen + (WOOFER - chosen) * np.clip(ratio, 0, 1) ** (10.0 - bass)
    chosen = np.clip(lines.fit(chosen, [MIDRANGE])[0][0, 0], TWEETER, WOOFER)
    # interpolate between the two fits whose spans bracket the chosen span
    upper = np.where(chosen > MIDRANGE, 2, 1)
    low_span, high_span = _SPANS[upper - 1], _SPANS[upper]
    t = (chosen - low_span) / (high_span - low_span)
    columns = np.arange(lines.n)
    return (1 - t) * fits[upper - 1, columns] + t * fits[upper, columns]


def _with_points(ridge, group):
    ridge.point_knots = group
    return ridge


def _constant_or_line(x, y, w):
    """The fit for fewer points than a smoother needs: a weighted line or mean."""
    total = max(float(w.sum()), 1e-300)
    mean_y = float(w @ y) / total
    if len(x) < 2:
        return RidgeFunction(x, np.full(len(x), mean_y), np.zeros(len(x)))
    mean_x = float(w @ x) / total
    var = float(w @ (x - mean_x) ** 2)
    slope = float(w @ ((x - mean_x) * (y - mean_y))) / var if var > 0 else 0.0
    values = mean_y + slope * (x - mean_x)
    return RidgeFunction(x, values, np.full(len(x), slope))


def pspline(x, y, w=None, smoothing=None, df=None, n_knots=None, order=None):
    """Penalised cubic regression spline of ``y`` against ``x``.

    Cubic B-splines on equally spaced knots over the range of ``x``, fitted by
    weighted least squares with the penalty ``smoothing * sum(diff(c, 2)**2)``
    on the coefficients, which approximates the integrated squared second
    derivative of a smoothing spline; where the data leave a gap, the
    penalty carries the curve across it in a straight line.

    Parameters
    ----------
    x, y : ndarray of shape (n,)
        Abscissas (any order, ties allowed) and responses.
    w : ndarray of shape (n,), default=None
        Non-negative weights. Only their ratios matter: tied abscissas pool
        into one point carrying their total weight, and the pooled weights
        are rescaled to mean one, so a weight of 2 equals a repeated point
        and multiplying all weights by a constant changes nothing.
    smoothing : float or None
        The penalty weight, relative to those mean-one weights. None chooses
        it by generalised cross-validation over the distinct abscissas (each
        degree of freedom counted 1.4 times), unless ``df`` is given.
    df : float or None
        Effective degrees of freedom (trace of the smoother) to aim for,
        between 2 (a straight line) and the number of basis functions.
    n_knots : int or None
        Number of interior knots; default ``min(40, distinct x // 4)``.
    order : ndarray of shape (n,), default=None
        ``argsort(x)`` if already known (see :func:`sort_order`).

    Returns
    -------
    RidgeFunction
    """
    w = np.ones_like(x) if w is None else w
    xu, yu, wu, group = pool_ties(x, y[:, None], w, order)
    yu = yu[:, 0]
    if len(xu) < 6:
        return _with_points(_constant_or_line(xu, yu, wu), group)
    # Weights of mean one per distinct x: only their ratios matter, and since
    # tied rows pool into one point, a row of weight 2 and a row given twice
    # are the same point; so is every row given twice and the data once.
    wu = wu * (len(xu) / wu.sum())
    n_knots = int(min(40, len(xu) // 4)) if n_knots is None else int(n_knots)
    n_intervals = max(n_knots, 1) + 1
    width = (xu[-1] - xu[0]) / n_intervals
    index, basis = _uniform_cubic_basis(xu, xu[0], width, n_intervals)
    n_coef = n_intervals + 3
    weighted = [wu * b for b in basis]
    gram = np.zeros((n_coef, n_coef))
    for a in range(4):
        for b in range(a, 4):
            band = np.bincount(index, weighted[a] * basis[b], minlength=n_intervals)
            rows = np.arange(n_intervals)
            gram[rows + a, rows + b] += band
            if a != b:
                gram[rows + b, rows + a] += band
    rhs = np.zeros(n_coef)
    for a in range(4):
        rhs[a : a + n_intervals] += np.bincount(
            index, weighted[a] * yu, minlength=n_intervals
        )
    penalty = np.diff(np.eye(n_coef), n=2, axis=0)
    penalty = penalty.T @ penalty
    coef = _penalised_solve(gram, rhs, penalty, yu, wu, smoothing, df)
    values = sum(basis[a] * coef[index + a] for a in range(4))
    slopes = sum(d * coef[index + a] for a, d in enumerate(
        _uniform_cubic_slopes(xu, xu[0], width, index)))  # fmt: skip
    knots = xu[0] + width * np.arange(-3, n_intervals + 4)
    spline = BSpline(knots, coef, 3)
    return _with_points(RidgeFunction(xu, values, slopes, spline), group)


def _uniform_cubic_basis(x, start, width, n_intervals):
    """The four non-zero cubic B-splines on equally spaced knots at ``x``.

    Returns the index ``j`` of the first (functions ``j .. j + 3`` are
    non-zero) and their values, from the closed form of uniform B-splines.
    """
    u = (x - start) / width
    index = np.clip(np.floor(u).astype(np.intp), 0, n_intervals - 1)
    t = u - index
    t2, t3 = t * t, t * t * t
    return index, (
        (1 - t) ** 3 / 6,
        (3 * t3 - 6 * t2 + 4) / 6,
        (-3 * t3 + 3 * t2 + 3 * t + 1) / 6,
        t3 / 6,
    )


def _uniform_cubic_slopes(x, start, width, index):
    """Derivatives of the four basis values of ``_uniform_cubic_basis``."""
    t = (x - start) / width - index
    return (
        -((1 - t) ** 2) / (2 * width),
        (3 * t * t - 4 * t) / (2 * width),
        (-3 * t * t + 2 * t + 1) / (2 * width),
        t * t / (2 * width),
    )


def _penalised_solve(gram, rhs, penalty, y, w, smoothing, df):
    """Coefficients of the penalised fit, choosing the penalty if asked.

    ``y`` and ``w`` are the pooled responses and weights, one per distinct
    abscissa; GCV counts those points, ``n = len(y)``.

    The generalised eigenvectors ``V`` of ``gram v = theta (gram + a P) v``,
    normalised to ``V' (gram + a P) V = I``, diagonalise both matrices, so
    every penalty ``lam`` gives coefficients ``V b / d`` (``b = V' rhs``,
    ``d = theta + (lam / a) (1 - theta)``), residual sum of squares and trace
    ``sum(theta / d)`` in O(k): GCV over a grid of penalties costs almost
    nothing beyond one small eigen-decomposition.
    """
    # theta in [0, 1] comes out within rounding of 1 on the straight lines
    # the penalty leaves free and of 0 on coefficients with no data. (The
    # eigenvalues of the penalty against a Cholesky root of a gram made
    # singular by such coefficients came out at +-1e-6 instead of 0, and the
    # heavy penalties multiplied that noise into the fit.) Below 1e-9 it is
    # rounding: set to 0, such a direction is left to the penalty alone.
    ratio = np.trace(gram) / np.trace(penalty)
    theta, vectors = eigh(gram, gram + ratio * penalty)
    theta = np.where(theta > 1e-9, np.minimum(theta, 1.0), 0.0)
    b = vectors.T @ rhs
    yy = float(w @ (y * y))

    def denominators(lam):
        """``d`` for each penalty in ``lam`` (an array): shape (len(lam), k)."""
        return theta + np.multiply.outer(np.asarray(lam) / ratio, 1.0 - theta)

    def trace(lam):
        """Trace of the smoother for each penalty in ``lam`` (an array)."""
        return np.sum(theta / denominators(lam), axis=-1)

    # the penalty's eigenvalues relative to the gram, on the directions both
    # see (near 1, theta would make them rounding noise)
    penalised = (theta > 0) & (theta < 1 - 1e-9)
    relative = (1 - theta[penalised]) / (ratio * theta[penalised])
    if smoothing is not None:
        lam = float(smoothing)
    elif df is not None:
        lam = _lam_for_trace(trace, float(df), len(theta), relative)
    else:
        # penalties from negligible to overwhelming for a typical direction,
        # all scored at once: GCV = n RSS / (n - gamma trace)^2, with n the
        # distinct abscissas, the points the pooled fit sees. (The weights'
        # sum would make GCV depend on their scale: weights summing to 1
        # would leave it nothing to trade against and pick the least
        # smoothing.)
        typical = float(np.median(relative)) if relative.size else 1.0
        grid = np.logspace(-6, 6, 61) / typical
        d = denominators(grid)
        rss = np.maximum(yy - (b**2 * (2 * d - theta) / d**2).sum(axis=1), 0.0)
        effective = 1.0 - GCV_GAMMA * (theta / d).sum(axis=1) / len(y)
        effective = np.maximum(effective, 1e-12)
        lam = grid[int(np.argmin(rss / effective**2))]
    d = denominators([lam])[0]
    # without a penalty, directions no data see get no coefficient (the
    # limit of a vanishing penalty)
    return vectors @ np.divide(b, d, out=np.zeros_like(b), where=d > 0)


def _lam_for_trace(trace, df, n_coef, relative):
    """The penalty whose smoother has trace ``df`` (bisection on log lam).

    ``relative`` holds the penalty's eigenvalues relative to the gram: the
    penalties that matter lie between their extremes.
    """
    df = min(max(df, 2.0 + 1e-9), n_coef - 1e-9)
    if not relative.size:
        return 1.0
    low = np.log(1e-12 / max(float(relative.max()), 1e-300))
    high = np.log(1e12 / max(float(relative.min()), 1e-300))
    for _ in range(100):
        middle = 0.5 * (low + high)
        if float(trace(np.exp(middle))) > df:
            low = middle
        else:
            high = middle
    return float(np.exp(0.5 * (low + high)))
