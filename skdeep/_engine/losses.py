"""Output activations fused with their losses.

Each class pairs an output activation with the loss it is canonical for, so the
gradient of the loss with respect to the output layer's *pre-activation* is
short and stable (softmax + log-loss gives ``P - Y``):

- ``forward(Z)`` turns the pre-activation into predictions, in place;
- ``loss(P, Y, sample_weight)`` is the weighted *sum* of per-sample losses;
- ``delta(P, Y, sample_weight, scale)`` is ``scale`` times the gradient of that
  sum with respect to ``Z``, written into a reused buffer;
- ``loss_and_delta(P, Y, sample_weight, scale)`` gives both at once, as the
  network asks for them on every minibatch.

The network divides by the total sample weight through ``scale``, which lets a
full-data gradient be accumulated chunk by chunk.
"""

import numpy as np
from scipy.special import expit

from skdeep._engine import kernels
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

    def loss_and_delta(self, P, Y, sample_weight, scale):
        """``loss(P, Y, sample_weight)`` and ``delta(P, Y, sample_weight,
        scale)`` of one batch (the delta in a reused buffer)."""
        return self.loss(P, Y, sample_weight), self.delta(P, Y, sample_weight, scale)


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


class SoftmaxLogLoss(OutputLoss):
    """Softmax output, multinomial log-loss ``-log p_y`` per sample (one-hot Y).

    Each row is shifted by its maximum before ``exp`` (softmax ignores a
    per-row shift, and the largest term becomes ``exp(0) = 1``, so nothing
    overflows), and a row's sums run from its first column to its last:
    the order of the compiled row loops (``_fused.c``), which do in one call
    each what takes NumPy several on a minibatch's few classes.
    """

    name = "log_loss"
    out_activation = "softmax"

    def forward(self, Z):
        if _fits_kernels(Z):
            kernels.softmax_kernels.softmax_shift(Z)
            np.exp(Z, out=Z)
            kernels.softmax_kernels.softmax_normalize(Z)
            return Z
        row = self._buffer("row", (Z.shape[0],), Z.dtype)
        np.max(Z, axis=1, out=row)
        Z -= row[:, np.newaxis]
        np.exp(Z, out=Z)
        _row_sums(Z, row)
        Z /= row[:, np.newaxis]
        return Z

    def loss(self, P, Y, sample_weight=None):
        return self._loss_and_delta(P, Y, sample_weight, None)[0]

    def loss_and_delta(self, P, Y, sample_weight, scale):
        return self._loss_and_delta(P, Y, sample_weight, scale)

    def _loss_and_delta(self, P, Y, sample_weight, scale):
        """The loss, and ``delta`` unless ``scale`` is None."""
        p_true = self._buffer("p_true", (P.shape[0],), P.dtype)
        delta = None if scale is None else self._buffer("delta", P.shape, P.dtype)
        eps = _EPS[P.dtype.type]
        if _fits_kernels(P, Y, sample_weight):
            kernels.softmax_kernels.log_loss_rows(
                P, Y, sample_weight, 1.0 if scale is None else scale, eps, delta,
                p_true,
            )  # fmt: skip
        else:
            # Y is one-hot: only the probability of the true class counts,
            # picked out as the row sums of P * Y.
            work = self._buffer("work", P.shape, P.dtype)
            np.multiply(P, Y, out=work)
            _row_sums(work, p_true)
            np.maximum(p_true, eps, out=p_true)
            if delta is not None:
                np.subtract(P, Y, out=delta)
                _apply_weights(delta, sample_weight, scale)
        np.log(p_true, out=p_true)
        return -_weighted_sum(p_true, sample_weight), delta

    def delta(self, P, Y, sample_weight, scale):
        return self._loss_and_delta(P, Y, sample_weight, scale)[1]


# The smallest probability the log-loss takes the log of, per dtype.
_EPS = {dtype: np.finfo(dtype).eps for dtype in (np.float32, np.float64)}


def _fits_kernels(P, Y=None, sample_weight=None):
    """Whether the compiled row loops take ``P``, ``Y`` and ``sample_weight``
    (None passes): aligned, C-contiguous arrays of ``P``'s dtype, a
    network's float32 or float64.  (The loss's own buffers always are.)"""
    return kernels.softmax_kernels is not None and all(
        array is None
        or (array.dtype == P.dtype and array.flags.c_contiguous and array.flags.aligned)
        for array in (P, Y, sample_weight)
    )


def _row_sums(Z, out):
    """The sum of each row of ``Z`` into ``out``, from its first column to
    its last (the order of the compiled loops)."""
    np.copyto(out, Z[:, 0])
    for column in range(1, Z.shape[1]):
        out += Z[:, column]
    return out


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
        eps = _EPS[P.dtype.type]
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
