"""Output activations fused with their losses.

Each class pairs an output activation with the loss it is canonical for, so the
gradient of the loss with respect to the output layer's *pre-activation* is
short and stable (softmax + log-loss gives ``P - Y``):

- ``forward(Z)`` turns the pre-activation into predictions, in place;
- ``loss(P, Y, sample_weight)`` is the weighted *sum* of per-sample losses;
- ``delta(P, Y, sample_weight, scale)`` is ``scale`` times the gradient of that
  sum with respect to ``Z``, written into a reused buffer.

The network divides by the total sample weight through ``scale``, which lets a
full-data gradient be accumulated chunk by chunk.
"""

import numpy as np
from scipy.special import expit

from skdeep._engine.kernels import Buffers


class OutputLoss:
    """Base class: reusable buffers and the residual-times-weight delta."""

    name = None
    out_activation = None

    def _buffer(self, key, shape, dtype, fill=None):
        """A scratch array of ``shape`` reused across calls (see ``Buffers``)."""
        buffers = self.__dict__.get("_buffers")
        if buffers is None:  # (setdefault would build a Buffers every call)
            buffers = self._buffers = Buffers()
        return buffers.get(key, shape, dtype, fill)

    def forward(self, Z):
        return Z

    def _residual(self, P, Y):
        """Return ``P - Y`` in a reused buffer."""
        out = self._buffer("delta", P.shape, P.dtype)
        np.subtract(P, Y, out=out)
        return out

    def delta(self, P, Y, sample_weight, scale):
        out = self._residual(P, Y)
        _apply_weights(out, sample_weight, scale)
        return out


def _apply_weights(out, sample_weight, scale):
    out *= scale
    if sample_weight is not None:
        out *= sample_weight[:, np.newaxis]


def _weighted_sum(per_sample, sample_weight):
    if sample_weight is None:
        return float(per_sample.sum())
    return float(per_sample @ sample_weight)


class SquaredError(OutputLoss):
    """Identity output, loss ``1/2 sum_k (p_k - y_k)^2`` per sample."""

    name = "squared_error"
    out_activation = "identity"

    def loss(self, P, Y, sample_weight=None):
        work = self._residual(P, Y)
        work *= work
        return 0.5 * _weighted_sum(work.sum(axis=1), sample_weight)


class Huber(OutputLoss):
    """Identity output, Huber loss: quadratic within ``epsilon``, linear beyond.

    Per output, ``r^2 / 2`` for ``|r| <= epsilon`` and
    ``epsilon (|r| - epsilon / 2)`` otherwise, with ``r = p - y``.
    """

    name = "huber"
    out_activation = "identity"

    def __init__(self, epsilon=1.0):
        self.epsilon = epsilon

    def loss(self, P, Y, sample_weight=None):
        work = self._residual(P, Y)
        np.abs(work, out=work)
        quadratic = np.minimum(work, self.epsilon)
        per_entry = quadratic * (work - 0.5 * quadratic)
        return _weighted_sum(per_entry.sum(axis=1), sample_weight)

    def delta(self, P, Y, sample_weight, scale):
        out = self._residual(P, Y)
        np.clip(out, -self.epsilon, self.epsilon, out=out)
        _apply_weights(out, sample_weight, scale)
        return out


# Largest argument of exp with room to spare, per dtype.
_EXP_LIMIT = {
    dtype: float(np.log(np.finfo(dtype).max)) - 8 for dtype in (np.float32, np.float64)
}


class SoftmaxLogLoss(OutputLoss):
    """Softmax output, multinomial log-loss ``-log p_y`` per sample (one-hot Y)."""

    name = "log_loss"
    out_activation = "softmax"

    def forward(self, Z):
        n_rows, n_classes = Z.shape
        row = self._buffer("row", (n_rows,), Z.dtype)
        ones = self._buffer("ones", (n_classes,), Z.dtype, fill=1)
        # Softmax ignores a per-row shift. Shifting by the row mean (a gemv)
        # keeps exp from overflowing unless a row spans more than exp can
        # hold; only then pay for the exact row maximum, a slow reduction.
        np.matmul(Z, ones, out=row)
        row *= 1 / n_classes
        Z -= row[:, np.newaxis]
        if Z.max() > _EXP_LIMIT[Z.dtype.type]:
            np.max(Z, axis=1, out=row)
            Z -= row[:, np.newaxis]
        np.exp(Z, out=Z)
        np.matmul(Z, ones, out=row)  # row sums
        Z /= row[:, np.newaxis]
        return Z

    def loss(self, P, Y, sample_weight=None):
        # Y is one-hot: only the probability of the true class counts,
        # picked out as the row sums of P * Y (a product and a gemv).
        work = self._buffer("work", P.shape, P.dtype)
        ones = self._buffer("ones", (P.shape[1],), P.dtype, fill=1)
        p_true = self._buffer("p_true", (P.shape[0],), P.dtype)
        np.multiply(P, Y, out=work)
        np.matmul(work, ones, out=p_true)
        np.maximum(p_true, np.finfo(P.dtype).eps, out=p_true)
        np.log(p_true, out=p_true)
        return -_weighted_sum(p_true, sample_weight)


class LogisticLogLoss(OutputLoss):
    """Logistic output per column, binary log-loss summed over columns.

    Serves binary classification (one column) and multilabel classification
    (one column per label).
    """

    name = "binary_log_loss"
    out_activation = "logistic"

    def forward(self, Z):
        expit(Z, out=Z)
        return Z

    def loss(self, P, Y, sample_weight=None):
        eps = np.finfo(P.dtype).eps
        log_p = self._buffer("work", P.shape, P.dtype)
        log_1mp = self._buffer("work2", P.shape, P.dtype)
        np.clip(P, eps, 1 - eps, out=log_p)
        np.negative(log_p, out=log_1mp)
        np.log1p(log_1mp, out=log_1mp)
        np.log(log_p, out=log_p)
        # y log p + (1 - y) log(1 - p) = y (log p - log(1 - p)) + log(1 - p)
        log_p -= log_1mp
        log_p *= Y
        log_p += log_1mp
        return -_weighted_sum(log_p.sum(axis=1), sample_weight)


LOSSES = {
    cls.name: cls for cls in (SquaredError, Huber, SoftmaxLogLoss, LogisticLogLoss)
}
