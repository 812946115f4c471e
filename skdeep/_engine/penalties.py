"""Penalties on the weights (never the biases).

A penalty of strength ``s`` adds ``s * Omega(w)`` to the objective, with

- ``l2``: ``Omega(w) = 1/2 ||w||^2`` (the course's ridge penalty);
- ``l1``: ``Omega(w) = ||w||_1``;
- ``elasticnet``: ``l1_ratio ||w||_1 + (1 - l1_ratio) 1/2 ||w||^2``.

Solvers treat the two parts differently.  The smooth (L2) part enters the
gradient through ``add_smooth_gradient``.  The L1 part is not differentiable at
zero, so first-order solvers apply it as a proximal step after each update
(``prox``: soft-thresholding, which sets small weights *exactly* to zero), and
L-BFGS-B handles it by splitting ``w`` into positive and negative parts under
bound constraints (see :mod:`skdeep._engine.solvers`).
"""

import numpy as np

from skdeep._engine.kernels import axpy


class Penalty:
    """Elastic-net family penalty on a weight vector.

    Parameters
    ----------
    strength : float
        Multiplier ``s`` of ``Omega`` in the objective.
    l1_ratio : float
        Share of the L1 term: 0 is ridge, 1 is lasso.
    """

    def __init__(self, strength, l1_ratio):
        self.strength = float(strength)
        self.l1_ratio = float(l1_ratio)
        #: Coefficient of ``||w||_1`` in the objective.
        self.l1 = self.strength * self.l1_ratio
        #: Coefficient of ``1/2 ||w||^2`` in the objective.
        self.l2 = self.strength * (1.0 - self.l1_ratio)

    @classmethod
    def from_name(cls, name, strength, l1_ratio=0.15):
        """Build the penalty called ``name`` (None, "l2", "l1", "elasticnet")."""
        ratios = {None: 0.0, "l2": 0.0, "l1": 1.0, "elasticnet": l1_ratio}
        if name not in ratios:
            raise ValueError(f"Unknown penalty {name!r}; use one of {list(ratios)}.")
        return cls(0.0 if name is None else strength, ratios[name])

    def value(self, w):
        """Return ``s * Omega(w)``."""
        total = 0.0
        if self.l2:
            total += 0.5 * self.l2 * float(np.dot(w, w))
        if self.l1:
            total += self.l1 * float(np.abs(w).sum())
        return total

    def add_smooth_gradient(self, w, grad, work=None):
        """Add the gradient of the L2 part, ``l2 * w``, to ``grad`` in place.

        ``work``, a scratch array like ``w``, avoids allocating a temporary.
        """
        if self.l2:
            axpy(self.l2, w, grad, np.empty_like(w) if work is None else work)

    def gradient(self, w):
        """Return the full (sub)gradient; ``sign(0) = 0`` for the L1 part."""
        grad = np.zeros_like(w)
        self.add_smooth_gradient(w, grad)
        if self.l1:
            grad += self.l1 * np.sign(w)
        return grad

    def prox(self, w, step, work):
        """Proximal step of the L1 part: soft-threshold ``w`` in place.

        ``w <- sign(w) max(|w| - step * l1, 0)``, where ``step`` is the
        solver's step size: a scalar (SGD) or one per weight (Adam).  ``work``
        is a scratch array like ``w``.
        """
        if not self.l1:
            return
        # |w| - step * l1, written as l1 (|w| / l1 - step) so that an array
        # ``step`` needs no temporary.
        np.abs(w, out=work)
        work *= 1 / self.l1
        work -= step
        np.maximum(work, 0, out=work)
        work *= self.l1
        np.copysign(work, w, out=w)
