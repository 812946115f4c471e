"""Plots following scikit-learn's Display convention (matplotlib imported lazily)."""

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data


class RidgeFunctionDisplay:
    """The ridge functions of a fitted :class:`~skdeep.PPRRegressor`.

    One panel per term: the term's contribution ``beta_m g_m(u)`` against its
    projection ``u = w_m' x``, over the partial residuals
    ``y - f(x) + beta_m g_m(u)``, the part of the target the term is left to
    explain.  Build it with :meth:`from_estimator`.

    Parameters
    ----------
    projections : list of ndarray
        ``u`` of every sample, one array per term.
    partial_residuals : list of ndarray
        Partial residuals of every sample, one array per term.
    grids, curves : list of ndarray
        Where each term's contribution is drawn, and its values there.

    Attributes
    ----------
    figure_ : matplotlib Figure
        The figure holding the panels.
    axes_ : ndarray of matplotlib Axes
        One panel per term.
    lines_ : list of matplotlib Line2D
        The curves ``beta_m g_m``.
    scatters_ : list of matplotlib PathCollection
        The partial residuals.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skdeep import PPRRegressor, RidgeFunctionDisplay
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, (300, 3))
    >>> y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2
    >>> ppr = PPRRegressor(n_terms=2).fit(X, y)
    >>> display = RidgeFunctionDisplay.from_estimator(ppr, X, y)
    >>> len(display.axes_)
    2
    """

    def __init__(self, projections, partial_residuals, grids, curves):
        self.projections = projections
        self.partial_residuals = partial_residuals
        self.grids = grids
        self.curves = curves

    @classmethod
    def from_estimator(cls, estimator, X, y, *, output=0, n_points=200, ax=None):
        """Compute the panels from a fitted PPRRegressor and draw them.

        Parameters
        ----------
        estimator : PPRRegressor
            A fitted projection-pursuit model.
        X : array-like of shape (n_samples, n_features)
            Samples to show, usually the training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets.
        output : int, default=0
            Which output to show for a multi-output model.
        n_points : int, default=200
            Points on each drawn curve.
        ax : array of matplotlib Axes, default=None
            One per term; a new figure when None.

        Returns
        -------
        display : RidgeFunctionDisplay
        """
        check_is_fitted(estimator)
        X = validate_data(estimator, X, reset=False, dtype=np.float64)
        y = np.asarray(y, dtype=float)
        y = y if y.ndim == 1 else y[:, output]
        prediction = estimator.predict(X)
        prediction = prediction if prediction.ndim == 1 else prediction[:, output]
        weights = np.asarray(estimator.term_weights_).reshape(
            len(estimator.ridge_functions_), -1
        )[:, output]
        projections, residuals, grids, curves = [], [], [], []
        for m, ridge in enumerate(estimator.ridge_functions_):
            u = X @ estimator.directions_[m]
            projections.append(u)
            residuals.append(y - prediction + weights[m] * ridge(u))
            grid = np.linspace(min(u.min(), ridge.lower), max(u.max(), ridge.upper),
                               n_points)  # fmt: skip
            grids.append(grid)
            curves.append(weights[m] * ridge(grid))
        return cls(projections, residuals, grids, curves).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the panels.

        Parameters
        ----------
        ax : array of matplotlib Axes, default=None
            One per term; a new figure when None.

        Returns
        -------
        display : RidgeFunctionDisplay
            With ``figure_``, ``axes_``, ``lines_`` and ``scatters_`` set.
        """
        import matplotlib.pyplot as plt

        n_terms = len(self.curves)
        if ax is None:
            figure, ax = plt.subplots(
                1, n_terms, figsize=(4 * n_terms, 3.5), squeeze=False
            )
            ax = ax[0]
        ax = np.atleast_1d(ax)
        self.scatters_, self.lines_ = [], []
        for m, axes in enumerate(ax):
            self.scatters_.append(
                axes.scatter(
                    self.projections[m],
                    self.partial_residuals[m],
                    s=6,
                    alpha=0.4,
                    color="tab:gray",
                )  # fmt: skip
            )
            (line,) = axes.plot(self.grids[m], self.curves[m], color="tab:red")
            self.lines_.append(line)
            axes.set_xlabel(f"projection {m + 1}")
            axes.set_ylabel("partial residual" if m == 0 else "")
            axes.set_title(f"term {m + 1}")
        self.axes_ = ax
        self.figure_ = ax[0].figure
        return self
