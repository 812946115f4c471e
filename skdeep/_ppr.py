"""Projection-pursuit regression: ``f(x) = mu + sum_m beta_m g_m(w_m' x)``."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from skdeep._engine import LOSSES, Dense, Network, RidgeFunctions
from skdeep._ppr_fit import Fitter
from skdeep._smoothers import pspline, supersmoother
from skdeep.utils._callbacks import CallbackSupportMixin, fit_task
from skdeep.utils._compat import Interval, StrOptions, _fit_context, check_sample_weight
from skdeep.utils._mixins import DocLinkMixin
from skdeep.utils._threads import one_blas_thread

# Rows per block of prediction: small enough that a block copied to C order
# costs little memory.
_BLOCK = 4096


class PPRRegressor(
    CallbackSupportMixin,
    DocLinkMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Projection-pursuit regression.

    Models ``f(x) = intercept + sum_m beta_m g_m(w_m' x)``: each term projects
    the inputs on a unit direction ``w_m`` and applies a smooth ridge function
    ``g_m``, fitted by a scatterplot smoother. Terms are added one at a time on
    the residuals, their directions moved by Gauss-Newton (or gradient) steps
    with the gradient from skdeep's back-propagation engine, and all terms are
    refitted by backfitting (Friedman's SMART algorithm, as R's ``ppr``).

    Parameters
    ----------
    n_terms : int, default=2
        Number of terms of the final model.

    max_terms : int or None, default=None
        Fit this many terms, then drop the least important term and refit
        until ``n_terms`` remain (R's ``max.terms``); None means ``n_terms``.

    smoother : {"spline", "supsmu"}, default="spline"
        Ridge-function smoother: a penalised cubic regression spline (smoothing
        by generalised cross-validation), or Friedman's super smoother (R's
        default). The spline is the more accurate on small samples.

    span : "cv" or float in (0, 1], default="cv"
        Super smoother span: chosen locally by cross-validation among 0.05,
        0.2 and 0.5, or fixed.

    bass : float in [0, 10], default=0.0
        Super smoother bass: higher values give smoother ridge functions.

    smoothing : float or None, default=None
        Spline penalty (against sample weights rescaled to mean one per
        distinct projection); None chooses it by generalised cross-validation
        (or from ``df``).

    df : float or None, default=None
        Spline degrees of freedom, used when ``smoothing`` is None.

    optimizer : {"gauss_newton", "gradient"}, default="gauss_newton"
        Direction updates: Gauss-Newton steps (as SMART), or the gradient rule
        ``w <- w + 2 learning_rate sum_i r_i g'(v_i) x_i / n``; every step is
        halved until the loss falls, and directions are kept at unit length.

    learning_rate : float, default=0.5
        Step size of the "gradient" optimizer.

    n_candidates : int, default=10
        Starting directions tried for each new term: the least-squares
        direction, the ``n_candidates - 1`` input axes most correlated with
        the residual or its square, the sums and differences of the leading
        three axes, and one random direction.

    max_iter : int, default=10
        Most backfitting passes after each new term.

    tol : float, default=5e-3
        Relative loss improvement below which searches and backfitting stop
        (R's ``conv``).

    standardize : bool, default=True
        Fit on standardised inputs (directions are reported in the caller's
        units either way).

    random_state : int, RandomState instance or None, default=None
        Draws one random starting direction for each new term (besides the
        deterministic ones). Pass an int for reproducible fits.

    verbose : int, default=0
        Print a line with the loss as each term is added and each is pruned;
        with ``verbose >= 2`` also after every backfitting pass.

    Attributes
    ----------
    directions_ : ndarray of shape (n_terms, n_features)
        Unit directions ``w_m`` in the caller's feature units.

    ridge_functions_ : list of RidgeFunction
        ``g_m`` as functions of ``directions_[m] @ x``, each with ``__call__``
        and ``derivative``, held at their end values outside the training
        range.

    term_weights_ : ndarray of shape (n_terms,) or (n_terms, n_outputs)
        ``beta_m``; the ridge functions have weighted mean 0 and variance 1 on
        the training data, so a weight is its term's importance.

    intercept_ : float or ndarray of shape (n_outputs,)
        Weighted mean of the targets.

    loss_path_ : ndarray of shape (max_terms,)
        Training mean squared error of the model with ``m + 1`` terms in
        entry ``m``, from ``n_terms`` to ``max_terms`` (NaN below), as R's
        ``gofn``. In the target's squared units, so it reads inf (or 0) for
        targets beyond about 1e154 (or below 1e-154), whose squares float64
        cannot hold; the fit itself works in scaled units and is unaffected.

    n_iter_ : int
        Passes of the fit: one per term added or pruned plus one per
        backfitting pass.

    history_ : list of dict
        One record per pass: "stage" ("add", "backfit" or "prune"),
        "n_terms" and the training "loss" (weighted mean squared error)
        after it.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when they were strings.

    See Also
    --------
    FeedForwardRegressor : A network with the same structure and fixed
        activations instead of smoothers.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import PPRRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(500, 3))
    >>> y = np.sin(2 * (X[:, 0] + X[:, 1]))
    >>> ppr = PPRRegressor(n_terms=1).fit(X, y)
    >>> np.round(np.abs(ppr.directions_[0]), 2)
    array([0.71, 0.71, 0.  ])
    >>> ppr.score(X, y) > 0.99
    True
    """

    _parameter_constraints: dict = {
        "n_terms": [Interval(Integral, 1, None, closed="left")],
        "max_terms": [Interval(Integral, 1, None, closed="left"), None],
        "smoother": [StrOptions({"supsmu", "spline"})],
        "span": [StrOptions({"cv"}), Interval(Real, 0, 1, closed="right")],
        "bass": [Interval(Real, 0, 10, closed="both")],
        "smoothing": [Interval(Real, 0, None, closed="left"), None],
        "df": [Interval(Real, 2, None, closed="neither"), None],
        "optimizer": [StrOptions({"gauss_newton", "gradient"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "n_candidates": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "standardize": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_terms=2,
        *,
        max_terms=None,
        smoother="spline",
        span="cv",
        bass=0.0,
        smoothing=None,
        df=None,
        optimizer="gauss_newton",
        learning_rate=0.5,
        n_candidates=10,
        max_iter=10,
        tol=5e-3,
        standardize=True,
        random_state=None,
        verbose=0,
    ):
        self.n_terms = n_terms
        self.max_terms = max_terms
        self.smoother = smoother
        self.span = span
        self.bass = bass
        self.smoothing = smoothing
        self.df = df
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.n_candidates = n_candidates
        self.max_iter = max_iter
        self.tol = tol
        self.standardize = standardize
        self.random_state = random_state
        self.verbose = verbose

    def _smooth(self):
        if self.smoother == "spline":
            return lambda v, z, w, order: pspline(
                v, z, w, smoothing=self.smoothing, df=self.df, order=order
            )
        return lambda v, z, w, order: supersmoother(
            v, z, w, span=self.span, bass=self.bass, order=order
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the projection-pursuit model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets; several outputs share directions and ridge functions.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights. Only their ratios matter:
            multiplying them all by a constant gives the same model. An
            integer weight counts as that many copies of the row and a zero
            weight as a removed row; since tied projections pool into one
            point and cross-validation counts distinct points, the sample
            given twice (or with every weight 2) is the sample once.

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        ValueError
            Besides invalid input: when a prediction of the model could
            overflow float64 (a target within a small factor of its largest
            value, 1.8e308), or when the columns of X differ in scale too much
            (beyond about 1e300 apart) for the directions to be unit vectors
            in their units. A fitted estimator then keeps its previous model.

        Notes
        -----
        The fit is equivariant in X and y and uses it: both are divided by
        powers of two (exactly; one for all columns of X without
        ``standardize``), then the target and, with ``standardize``, each
        column of X are centred and scaled to unit spread. The model is
        expressed back in the caller's units, so inputs and targets from
        1e-300 to 1e300 fit alike.
        """
        max_terms = self.n_terms if self.max_terms is None else self.max_terms
        if max_terms < self.n_terms:
            raise ValueError(
                f"max_terms={max_terms} must be at least n_terms={self.n_terms}."
            )
        steps = 2 * max_terms - self.n_terms  # every term added, then pruned
        task = fit_task(self, steps, X, y, sample_weight)
        before = dict(self.__dict__)
        try:
            fitted = self._fit(X, y, sample_weight, max_terms, task)
        except BaseException:
            # validation has already reset n_features_in_ and the feature
            # names: a failed fit leaves the estimator as it found it
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        self.__dict__.update(fitted)
        task.end(dict)  # the fitted estimator is this one as it now stands
        return self

    def _fit(self, X, y, sample_weight, max_terms, task):
        """Fit; return the fitted attributes (only validation sets any)."""
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             dtype=np.float64)  # fmt: skip
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        w = _relative_weights(check_sample_weight(sample_weight, X, np.float64))
        X, mean, scale = _standardized(X, w, self.standardize)
        R, intercept, exponent = _scaled_target(Y, w)
        fitter = Fitter(
            X, R, w, self._smooth(), self.optimizer, self.learning_rate,
            self.n_candidates, self.tol, self.max_iter,
            check_random_state(self.random_state), self.verbose, exponent,
        )  # fmt: skip
        one_output = y.ndim == 1

        def model(terms):
            return _caller_model(terms, mean, scale, intercept, exponent, one_output)

        fitter.steps = _StepTasks(task, model)
        with one_blas_thread():
            terms, loss_path = fitter.fit_terms(self.n_terms, max_terms)
        fitted = model(terms)
        _check_representable(fitted, Y)
        fitted.update(loss_path_=loss_path, n_iter_=fitter.n_iter,
                      history_=fitter.history)  # fmt: skip
        return fitted

    def _forward(self, X, n_layers=None):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        # Blocks of rows copied into one small C-ordered buffer: BLAS then
        # sums each projection in the same order, from the same alignment,
        # whatever the caller's layout or offset (a DataFrame predicts
        # exactly as its C-ordered values), without a second copy of all of X.
        buffer = np.empty((min(_BLOCK, X.shape[0]), X.shape[1]))
        out = None
        for start in range(0, X.shape[0], _BLOCK):
            stop = min(start + _BLOCK, X.shape[0])
            block = buffer[: stop - start]
            block[...] = X[start:stop]
            P = self._network.predict(block, n_layers=n_layers)
            if out is None:
                out = np.empty((X.shape[0], P.shape[1]))
            out[start:stop] = P
        return out

    def predict(self, X):
        """Predict the target(s).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            ``intercept_ + sum_m term_weights_[m] g_m(directions_[m] @ x)``.
        """
        P = self._forward(X)
        return P[:, 0] if self._one_output else P

    def transform(self, X):
        """The derived features ``g_m(directions_[m] @ x)``, one per term.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        G : ndarray of shape (n_samples, n_terms)
            The ridge functions at the projections.
        """
        return self._forward(X, n_layers=2)

    @property
    def _n_features_out(self):
        return len(self.ridge_functions_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _relative_weights(sample_weight):
    """The weights divided by the power of two just above their largest.

    Only the ratios of the weights matter to the fit; rescaling them keeps
    weighted sums of squares far from overflow and underflow whatever the
    caller's scale, and by a power of two it is exact, so integer counts
    keep weighing exactly as many repeated rows.
    """
    return np.ldexp(sample_weight, -np.frexp(sample_weight.max())[1])


def _standardized(X, w, standardize):
    """A standardised, C-ordered copy of ``X``, with the column means and scales.

    C order whatever the caller's layout (a DataFrame or ColumnTransformer
    gives Fortran order): the fit then sums in the same order, so both
    layouts give the same model, and the copy is the one it needs anyway.

    Each column is first divided by the power of two just above its largest
    magnitude (exactly), so the squares of the variance neither overflow
    (|x| near 1e200) nor underflow (near 1e-300). A constant column is
    centred to exact zeros and keeps that power of two as its scale. Without
    ``standardize``, all columns share one power of two and are not centred:
    their relative scales, which the fit then keeps, do not change.
    """
    magnitude = np.maximum(X.max(axis=0), -X.min(axis=0))
    if not standardize:
        magnitude[:] = magnitude.max()
    exponent = np.frexp(magnitude)[1]
    scaled = np.ldexp(X, -exponent, order="C")
    total = w.sum()
    mean = w @ scaled / total if standardize else np.zeros(X.shape[1])
    # Centred into a new array rather than in place: the scaled one, freed,
    # leaves heap room for the fit's many temporaries. (In place, glibc's
    # heap grew and was trimmed around every smooth: four times the page
    # faults and a fit 20% slower.)
    centred = scaled - mean
    del scaled
    std = np.ones(X.shape[1])
    if standardize:
        std = np.sqrt(w @ np.square(centred) / total)
        constant = std <= 1e-12 * np.abs(mean)
        centred[:, constant] = 0.0
        std[constant] = 1.0
        centred /= std
    return centred, np.ldexp(mean, exponent), np.ldexp(std, exponent)


def _scaled_target(Y, w):
    """The target centred and scaled for fitting: ``R, intercept, exponent``.

    ``Y - intercept = R * 2**exponent`` with ``R`` of weighted root mean
    square about one. PPR is equivariant in the target, so it is fitted in
    these units and reported in the caller's: the squares of a target near
    1e300 would overflow (and the loss pass for an exact fit), those of one
    near 1e-300 underflow (and the target pass for a constant). Powers of
    two keep the rescaling exact. Rows of zero weight get ``R = 0``: their
    target plays no part in the fit.
    """
    kept = w > 0
    magnitude = np.frexp(np.abs(Y[kept]).max())[1]
    scaled = np.ldexp(Y, -magnitude)
    intercept = w @ scaled / w.sum()
    # a constant column is centred exactly, not to rounding noise
    first = scaled[kept][0]
    constant = np.all(scaled[kept] == first, axis=0)
    intercept[constant] = first[constant]
    R = scaled - intercept
    R[~kept] = 0.0
    spread = np.sqrt(w @ np.einsum("ij,ij->i", R, R) / w.sum())
    exponent = int(np.frexp(spread)[1])
    return np.ldexp(R, -exponent), np.ldexp(intercept, magnitude), magnitude + exponent


class _StepTasks:
    """Each term added and each pruning as a task (scikit-learn's callbacks);
    ``model(terms)`` gives the fitted attributes of a list of terms."""

    def __init__(self, task, model):
        self.task, self.model, self.current = task, model, None

    def begin(self, name):
        self.current = self.task.subtask(name)

    def end(self, terms):
        terms = list(terms)
        self.current.end(lambda: self.model(terms))


def _caller_model(terms, mean, scale, intercept, exponent, one_output=False):
    """The fitted terms in the caller's units, and the engine network."""
    directions, ridges = [], []
    for term in terms:
        unit, c, offset = _caller_direction(term.direction, mean, scale)
        with np.errstate(over="ignore"):
            ridge = term.ridge.reparametrized(c, offset)
        if not np.isfinite(ridge.slopes).all():
            raise _scale_error(scale)
        directions.append(unit)
        ridges.append(ridge)
    directions = np.array(directions)
    with np.errstate(over="ignore"):
        weights = np.ldexp(np.array([term.weights for term in terms]), exponent)
    n_features, n_outputs = directions.shape[1], weights.shape[1]
    network = Network(
        [
            Dense(n_features, len(terms), bias=False),
            RidgeFunctions(ridges),
            Dense(len(terms), n_outputs),
        ],
        LOSSES["squared_error"](),
    )
    network.layers[0].params[0][...] = directions.T
    network.layers[2].params[0][...] = weights
    network.layers[2].params[1][...] = intercept
    if one_output:
        weights, intercept = weights[:, 0], float(intercept[0])
    return {
        "directions_": directions,
        "ridge_functions_": ridges,
        "term_weights_": weights,
        "intercept_": intercept,
        "_network": network,
        "_one_output": one_output,
    }


def _caller_direction(direction, mean, scale):
    """``(u, c, b)`` with ``direction . (x - mean) / scale = c (u . x) - b``.

    ``u`` is a unit vector; ``b`` comes from ``mean / scale``, which stays
    moderate whatever the magnitude of X. Raises a ValueError when float64
    cannot hold ``u``: a component lost to underflow (columns whose scales
    differ by more than its range) or a norm that overflows.
    """
    with np.errstate(over="ignore"):
        raw = direction / scale
    c = _norm(raw)
    unit = raw / c if 0 < c < np.inf else np.full_like(raw, np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        recovered = unit * c * scale
    if not np.allclose(recovered, direction, rtol=0, atol=1e-9):
        raise _scale_error(scale)
    return unit, c, float(direction @ (mean / scale))


def _scale_error(scale):
    return ValueError(
        f"The scales of the columns of X (from {scale.min():.3g} to "
        f"{scale.max():.3g}) are too far apart, or too close to the float64 "
        "limits, to express the fitted model in their units; rescale X (for "
        "example with StandardScaler) before fitting."
    )


def _norm(vector):
    """Euclidean norm without overflow of the squares (inf if it is inf)."""
    largest = float(np.abs(vector).max())
    if largest == 0 or not np.isfinite(largest):
        return largest
    return largest * float(np.linalg.norm(vector / largest))


def _check_representable(model, Y):
    """Raise a ValueError if a prediction of the model could overflow.

    A prediction is at most ``|intercept| + sum_m |beta_m| max|g_m|`` (a
    B-spline lies within its coefficients), so a finite bound means every
    prediction is finite, far from the data too.
    """
    ridges = model["ridge_functions_"]
    peaks = np.array([_peak(g) for g in ridges])
    with np.errstate(over="ignore", invalid="ignore"):
        bound = np.abs(model["intercept_"]) + peaks @ np.abs(model["term_weights_"])
    if not np.all(bound <= np.finfo(np.float64).max):
        raise ValueError(
            f"The target's magnitude ({np.abs(Y).max():.3g}) is too close to "
            "the float64 limit: predictions could overflow. Divide y by a "
            "constant and multiply the predictions back (the fit is "
            "equivariant in y)."
        )


def _peak(ridge):
    """The largest magnitude a ridge function takes."""
    peak = float(np.abs(ridge.values).max())
    if ridge.spline is not None:
        peak = max(peak, float(np.abs(ridge.spline.c).max()))
    return peak
