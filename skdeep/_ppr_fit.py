"""The fitting procedure of projection-pursuit regression (Friedman's SMART).

Everything here works on standardised inputs ``X`` and centred targets ``R``
(n x K) scaled to a root mean square of about one (losses are reported back
in the caller's units): a term is a unit direction ``w``, a ridge function
``g`` scaled to weighted mean 0 and variance 1, and one weight per output
``beta``, and it contributes ``g(X w) beta'`` to the fit.

- ``fit_ridge`` smooths the target against a projection and sets ``beta``;
- ``improve_direction`` moves a direction by Gauss-Newton or gradient steps,
  halving a step until the loss falls; the gradient comes from the shared
  engine, a projection layer, a ridge-function layer and a linear layer
  differentiated by the backward pass the networks use;
- ``add_term`` tries several starting directions and keeps the best;
- ``backfit`` refits every term on its partial residual, never accepting a
  change that raises the loss;
- ``fit_terms`` adds terms one at a time (each followed by one backfitting
  pass, the last by backfitting to convergence), then prunes back to
  ``n_terms``.
"""

import time
import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from skdeep._engine import LOSSES, Dense, Network, RidgeFunctions, format_duration
from skdeep._smoothers import MIDRANGE, sort_order, supersmoother

# Search steps are halved at most this often before the direction is taken
# as converged: near the optimum the smoother's noise makes longer searches
# waste smooths.
_MAX_HALVINGS = 3
_EXACT_FIT = 1e-10


@dataclass
class Term:
    """One ridge term: direction, normalised ridge function, output weights."""

    direction: np.ndarray
    ridge: object
    weights: np.ndarray
    values: np.ndarray  # g(X w) on the training data
    order: np.ndarray = field(repr=False)  # argsort of the projections

    @property
    def contribution(self):
        return np.outer(self.values, self.weights)


class Fitter:
    """Fits the terms of a projection-pursuit model by the SMART procedure.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Standardised inputs.
    R : ndarray of shape (n, K)
        Centred targets, in units of ``2**target_exponent`` of the caller's.
    sample_weight : ndarray of shape (n,)
    smooth : callable
        ``smooth(v, z, w, order)`` returns a ridge function of ``z`` on ``v``.
    optimizer : {"gauss_newton", "gradient"}
    learning_rate : float
        Step of the "gradient" optimizer, ``w <- w + 2 lr sum r g' x / n``.
    n_candidates : int
        Starting directions tried for each new term.
    tol, max_iter : float, int
        Relative loss improvement that ends a search or backfitting, and the
        most backfitting passes.
    rng : numpy.random.RandomState
    verbose : int
    target_exponent : int
        Losses in the history and the loss path are multiplied by
        ``4**target_exponent``, into the caller's units.
    """

    def __init__(self, X, R, sample_weight, smooth, optimizer, learning_rate,
                 n_candidates, tol, max_iter, rng, verbose=0,
                 target_exponent=0):  # fmt: skip
        self.X, self.R, self.w = X, R, sample_weight
        self.total_weight = float(sample_weight.sum())
        self.smooth = smooth
        self.optimizer, self.learning_rate = optimizer, learning_rate
        self.n_candidates, self.tol, self.max_iter = n_candidates, tol, max_iter
        self.rng, self.verbose = rng, verbose
        self.target_exponent = target_exponent
        self.n_iter = 0
        self.history = []
        self.steps = _NoSteps()
        self._started = time.perf_counter()
        self.target_scale = self.loss(R) if R.size else 0.0
        # a loss this small is an exact fit (an RMSE 1e-5 of the target's):
        # relative gains below it are rounding, not progress
        self.exact_fit = _EXACT_FIT * self.target_scale
        n_features, n_outputs = X.shape[1], R.shape[1]
        self._network = Network(
            [
                Dense(n_features, 1, bias=False),
                RidgeFunctions([None]),
                Dense(1, n_outputs),
            ],
            LOSSES["squared_error"](),
        )

    # -- one term -------------------------------------------------------

    def loss(self, residual):
        """Weighted mean squared residual, summed over outputs."""
        return float(self.w @ np.einsum("ij,ij->i", residual, residual)) / (
            self.total_weight
        )

    def fit_ridge(self, direction, target, hint=None, weights=None, smooth=None):
        """Smooth ``target`` against ``X direction``; return (term, loss)."""
        v = self.X @ direction
        order = sort_order(v, hint)
        combined, _ = _combine(target, weights)
        ridge = (smooth or self.smooth)(v, combined, self.w, order)
        values = ridge.fitted_values()
        mean = float(self.w @ values) / self.total_weight
        spread = float(self.w @ (values - mean) ** 2) / self.total_weight
        if spread > 0:
            scale = 1.0 / np.sqrt(spread)
            values = (values - mean) * scale
            weights = (self.w * values) @ target / self.total_weight
        # A term whose share of the target's variance is at rounding level
        # would only scale up noise: it becomes an idle, zero term.
        if spread <= 0 or weights @ weights <= 1e-16 * self.target_scale:
            weights = np.zeros(target.shape[1])
            term = Term(direction, ridge.scaled(0.0, mean), weights, 0 * values, order)
            return term, self.loss(target)
        term = Term(direction, ridge.scaled(scale, mean), weights, values, order)
        return term, self.loss(target - term.contribution)

    def direction_gradient(self, term, target):
        """Gradient of the term's loss with respect to its direction.

        The engine computes it: projection, ridge function and output weights
        as three layers, and the squared error back-propagated through them.
        """
        projection, ridge, output = self._network.layers
        projection.params[0][:, 0] = term.direction
        ridge.functions, ridge.orders = [term.ridge], [term.order]
        output.params[0][0] = term.weights
        output.params[1][...] = 0.0
        self._network.loss_and_gradient(self.X, target, self.w, 1.0 / self.total_weight)
        # the engine's loss is half the squared error
        return 2.0 * projection.grads[0][:, 0].copy(), ridge.slopes[:, 0]

    def step(self, term, target):
        """The unscaled search step for the term's direction."""
        gradient, slopes = self.direction_gradient(term, target)
        if self.optimizer == "gradient":
            return -self.learning_rate * gradient
        # Gauss-Newton: J = diag(g'(v)) X (beta . beta), solve J'WJ d = -grad/2
        curvature = float(term.weights @ term.weights)
        weighted = self.X * (self.w * slopes**2)[:, None]
        hessian = curvature * (self.X.T @ weighted) / self.total_weight
        damping = 1e-6 * (np.trace(hessian) / len(hessian) + 1e-300)
        hessian[np.diag_indices_from(hessian)] += damping
        try:
            return np.linalg.solve(hessian, -0.5 * gradient)
        except np.linalg.LinAlgError:
            return -0.5 * np.linalg.lstsq(hessian, gradient, rcond=None)[0]

    def improve_direction(self, term, loss, target, max_steps):
        """Search steps on the direction, each halved until the loss falls.

        Returns the term, its loss and whether any step was taken.
        """
        moved = False
        for _ in range(max_steps):
            if not term.weights.any():
                break
            step = self.step(term, target)
            accepted = None
            for halving in range(_MAX_HALVINGS):
                direction = _unit(term.direction + step / 2**halving)
                candidate, candidate_loss = self.fit_ridge(
                    direction, target, term.order, term.weights
                )
                if candidate_loss < loss:
                    accepted = (candidate, candidate_loss)
                    break
            if accepted is None:
                break
            gain = (loss - accepted[1]) / max(loss, 1e-300)
            (term, loss), moved = accepted, True
            if gain < self.tol or loss <= self.exact_fit:
                break
        return term, loss, moved

    def add_term(self, target):
        """A new term on ``target``, started from the most promising direction.

        The candidates are ranked with a quick fixed-span running-line smooth;
        the best two get the full smoother and the best of those is refined.
        """
        starts = self.starting_directions(target)
        quick = [self.fit_ridge(d, target, smooth=_quick_smooth)[1] for d in starts]
        best = np.argsort(quick, kind="stable")[:2]
        fits = [self.fit_ridge(starts[i], target) for i in best]
        term, loss = min(fits, key=lambda fit: fit[1])
        return self.improve_direction(term, loss, target, max_steps=20)[:2]

    def starting_directions(self, target):
        """Least-squares direction, the axes most related to the target, sums
        and differences of the leading axes, and one random direction.

        The least-squares direction alone misses symmetric effects such as
        ``(x3 - 0.5)^2``; ranking axes by their correlation with the target
        and with its square catches them.
        """
        X, w = self.X, self.w
        z = _combine(target, None)[0]
        gram = X.T @ (X * w[:, None])
        gram[np.diag_indices_from(gram)] += 1e-6 * (np.trace(gram) + 1e-300)
        directions = [_unit(np.linalg.solve(gram, X.T @ (w * z)))]
        n_axes = min(self.n_candidates - 1, X.shape[1])
        if n_axes > 0:
            centred = X - (w @ X) / self.total_weight
            scores = np.maximum(
                np.abs(_weighted_correlation(centred, z, w)),
                np.abs(_weighted_correlation(centred**2, z, w)),
            )
            top = np.argsort(-scores, kind="stable")[:n_axes]
            eye = np.eye(X.shape[1])
            directions += [eye[j] for j in top]
            # sums and differences of the leading axes: an interaction such as
            # x1 * x2 lives on (x1 + x2) and (x1 - x2)
            for a, i in enumerate(top[:3]):
                for j in top[a + 1 : 3]:
                    directions += [_unit(eye[i] + eye[j]), _unit(eye[i] - eye[j])]
        directions.append(_unit(self.rng.standard_normal(X.shape[1])))
        return directions

    # -- the model ------------------------------------------------------

    def backfit(self, terms, max_steps=1, max_passes=None):
        """Refit each term on its partial residual until the loss settles."""
        fit = sum(term.contribution for term in terms)
        loss = self.loss(self.R - fit)
        # a direction that could not improve is left alone until the next
        # backfitting: only its ridge function follows the other terms
        moving = [True] * len(terms)
        for _ in range(self.max_iter if max_passes is None else max_passes):
            if loss <= self.exact_fit:
                break
            start = loss
            for index, term in enumerate(terms):
                partial = self.R - fit + term.contribution
                refit, refit_loss = self.fit_ridge(
                    term.direction, partial, term.order, term.weights
                )
                if refit_loss < loss:
                    term, loss = refit, refit_loss
                if moving[index]:
                    term, loss, moving[index] = self.improve_direction(
                        term, loss, partial, max_steps
                    )
                fit = fit - terms[index].contribution + term.contribution
                terms[index] = term
            self._record("backfit", len(terms), loss)
            if (start - loss) <= self.tol * max(start, 1e-300):
                break
        return terms, loss

    def fit_terms(self, n_terms, max_terms):
        """Forward stagewise to ``max_terms`` terms, then prune to ``n_terms``.

        Returns the terms and the loss of every model size from ``n_terms`` to
        ``max_terms`` (NaN below ``n_terms``).
        """
        terms, loss_path = [], np.full(max_terms, np.nan)
        for _ in range(max_terms):
            self.steps.begin(f"add term {len(terms) + 1}")
            residual = self.R - sum((t.contribution for t in terms), 0.0)
            term, loss = self.add_term(residual)
            if terms and self.loss(residual) <= self.exact_fit:
                # nothing left to explain: a term would only fit rounding
                term = replace(term, weights=np.zeros_like(term.weights))
                loss = self.loss(residual)
            terms.append(term)
            self._record("add", len(terms), loss)
            if len(terms) > 1:  # a lone term was just optimised by add_term
                # one pass lets the older terms make room for the new one;
                # converging is left to the passes after the last term
                passes = None if len(terms) == max_terms else 1
                terms, loss = self.backfit(terms, max_passes=passes)
            self.steps.end(terms)
        loss_path[max_terms - 1] = self.caller_loss(loss)
        while len(terms) > n_terms:
            self.steps.begin(f"prune to {len(terms) - 1} terms")
            importance = [np.abs(term.weights).sum() for term in terms]
            del terms[int(np.argmin(importance))]
            fit = sum(term.contribution for term in terms)
            self._record("prune", len(terms), self.loss(self.R - fit))
            terms, loss = self.backfit(terms)
            loss_path[len(terms) - 1] = self.caller_loss(loss)
            self.steps.end(terms)
        self._warn_idle_terms(terms, loss)
        return terms, loss_path

    def caller_loss(self, loss):
        """A loss in the caller's units (inf where their squares overflow)."""
        with np.errstate(over="ignore"):
            return float(np.ldexp(loss, 2 * self.target_exponent))

    def _record(self, stage, n_terms, loss):
        """One pass of the fit: a term added, a backfitting pass or a pruning."""
        loss = self.caller_loss(loss)
        self.n_iter += 1
        self.history.append({"stage": stage, "n_terms": n_terms, "loss": loss})
        if self.verbose >= (2 if stage == "backfit" else 1):
            print(_progress_line(stage, n_terms, loss, self._started), flush=True)

    def _warn_idle_terms(self, terms, loss):
        idle = [m for m, term in enumerate(terms) if not term.weights.any()]
        if not idle:
            return
        if self.target_scale == 0:
            reason = "the target is constant"
        elif loss <= self.exact_fit:
            reason = (
                "the other terms already fit the training target exactly, as "
                "happens with about as many features as samples"
            )
        else:
            reason = (
                "the target has no structure left along any direction found, "
                "or the inputs do not vary"
            )
        warnings.warn(
            f"{len(idle)} of the {len(terms)} terms explain nothing (terms "
            f"{idle}): {reason}. Their weights are zero.",
            UserWarning,
            stacklevel=6,  # the caller of fit, past _fit_context and _fit
        )


class _NoSteps:
    """Where the steps of a fit are reported when nobody listens."""

    def begin(self, name):
        pass

    def end(self, terms):
        pass


def _progress_line(stage, n_terms, loss, started):
    what = {
        "add": f"Term {n_terms} added",
        "prune": f"Pruned to {n_terms} terms",
        "backfit": f"  backfitting {n_terms} terms",
    }[stage]
    elapsed = format_duration(time.perf_counter() - started)
    return f"{what}: loss {loss:.6f} (elapsed {elapsed})"


def _quick_smooth(v, z, w, order):
    """A single running-line smooth at the midrange span, for ranking."""
    return supersmoother(v, z, w, span=MIDRANGE, order=order)


def _unit(direction):
    norm = float(np.linalg.norm(direction))
    if norm == 0 or not np.isfinite(norm):
        unit = np.zeros_like(direction)
        unit[0] = 1.0
        return unit
    return direction / norm


def _combine(target, weights):
    """One column to smooth for all outputs: ``target @ weights / |weights|^2``.

    Without weights, the target's first principal direction.
    """
    if target.shape[1] == 1:
        return target[:, 0], np.ones(1)
    if weights is None or not np.any(weights):
        _, _, vt = np.linalg.svd(target, full_matrices=False)
        weights = vt[0]
    return target @ weights / float(weights @ weights), weights


def _weighted_correlation(columns, z, w):
    zc = z - (w @ z) / w.sum()
    cc = columns - (w @ columns) / w.sum()
    numerator = (w * zc) @ cc
    denominator = np.sqrt((w @ cc**2) * (w @ zc**2))
    return numerator / np.where(denominator > 0, denominator, 1.0)
