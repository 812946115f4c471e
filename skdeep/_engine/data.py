"""The rows a trainer reads, standardised as they are read.

The inputs are never copied whole to train: a :class:`Dataset` keeps the
caller's rows (an array, an ``np.memmap`` of a file, or a CSR matrix) and
standardises each minibatch or chunk as it is gathered into a small reused
buffer, so training needs memory for the network and a batch, not for a
second copy of ``X``.  A held-out subset is the same rows seen through an
index.
"""

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from skdeep._engine import kernels
from skdeep._engine.kernels import empty


@dataclass(frozen=True)
class Standardizer:
    """``x -> (x - mean) / scale`` per column, computed as
    ``x * inv_scale - offset`` in the inputs' dtype.

    Scaling before shifting never overflows where the standardised value
    itself is finite, and two passes in the inputs' own dtype are the
    cheapest way to standardise a minibatch.  Sparse inputs are only
    scaled (``offset`` is None), which keeps them sparse.
    """

    inv_scale: np.ndarray
    offset: np.ndarray | None

    @classmethod
    def from_moments(cls, mean, scale, dtype):
        """The standardiser of columns with ``mean`` (None: no centring) and
        ``scale``, working in ``dtype``."""
        inv_scale = 1.0 / np.asarray(scale, dtype=np.float64)
        offset = None if mean is None else np.asarray(mean) * inv_scale
        return cls(
            inv_scale.astype(dtype),
            None if offset is None else offset.astype(dtype),
        )

    def gather(self, X, rows, out):
        """The standardised rows ``X[rows]``, in the first ``len(rows)`` rows
        of ``out`` (a C-contiguous buffer of ``X``'s type).

        Gathering and standardising take one pass where the compiled kernel
        exists and ``X`` is an aligned, C-contiguous array; three NumPy
        passes otherwise, with the same results.
        """
        out = out[: len(rows)]
        fused = kernels.fused_gather
        if (
            fused is not None
            and isinstance(X, np.ndarray)
            and X.flags.c_contiguous
            and X.flags.aligned
            and X.dtype == self.inv_scale.dtype == out.dtype
            and out.flags.c_contiguous
            and rows.dtype == np.int64
        ):
            fused(X, rows, self.inv_scale, self.offset, out)
            return out
        return self.apply(X.take(rows, 0, out, "clip"), out)

    def apply(self, X, out=None):
        """Standardised rows of ``X``, written into ``out`` if given (which
        may be ``X`` itself)."""
        if sp.issparse(X):
            return sp.csr_matrix(X.multiply(self.inv_scale))
        out = np.multiply(X, self.inv_scale, out=out)
        if self.offset is not None:
            np.subtract(out, self.offset, out=out)
        return out


@dataclass
class Dataset:
    """Inputs, encoded targets ``(n, n_outputs)`` and optional sample weights.

    ``X`` holds the inputs as given; ``standardizer`` (if any) is applied to
    the rows as they are read.  ``index`` selects the rows of ``X`` this
    set holds (``Y`` and ``sample_weight`` are already those rows).  Read
    the inputs through :meth:`rows`, :meth:`gather` or :attr:`inputs`.
    """

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None = None
    standardizer: Standardizer | None = None
    index: np.ndarray | None = None

    @property
    def n_samples(self):
        return len(self.Y)

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def dtype(self):
        return self.X.dtype

    @property
    def total_weight(self):
        if self.sample_weight is None:
            return float(self.n_samples)
        return float(self.sample_weight.sum())

    @property
    def inputs(self):
        """The standardised inputs as an array-like that reads row slices
        (``.shape`` and ``[start:stop]``), for ``Network.predict``."""
        return _StandardizedRows(self)

    def subset(self, rows):
        """The rows ``rows`` (positions in this set) as a new set; ``X``
        is shared, not copied."""
        sw = self.sample_weight
        index = rows if self.index is None else self.index[rows]
        return replace(self, Y=self.Y[rows], index=index,
                       sample_weight=None if sw is None else sw[rows])  # fmt: skip

    def rows(self, start, stop, out=None):
        """``(X, Y, sample_weight)`` of the rows ``start:stop``, the inputs
        standardised (into ``out`` if given: a buffer of enough rows)."""
        sw = self.sample_weight
        X = self._read(slice(start, stop), out)
        return X, self.Y[start:stop], None if sw is None else sw[start:stop]

    def gather(self, positions, out=None):
        """The standardised inputs of the rows at ``positions`` (into
        ``out``, a buffer of enough rows, if given)."""
        return self._read(positions, out)

    def _read(self, rows, out):
        if self.index is not None:
            rows = self.index[rows]
        X, standardizer = self.X, self.standardizer
        if isinstance(rows, slice):
            block = X[rows]
            if standardizer is None:
                return block
            n = block.shape[0]
            return standardizer.apply(block, out=None if out is None else out[:n])
        if sp.issparse(X):
            block = X[rows]
            return block if standardizer is None else standardizer.apply(block)
        if standardizer is not None and out is not None:
            return standardizer.gather(X, rows, out)
        # mode="clip" skips the bounds check, which the positions (rows of
        # the set) do not need, and gathers faster.
        block = X.take(rows, 0, None if out is None else out[: len(rows)], "clip")
        return block if standardizer is None else standardizer.apply(block, block)


class _StandardizedRows:
    """A read-only view of a dataset's standardised inputs by row slices."""

    def __init__(self, data):
        self._data = data
        self.shape = (data.n_samples, data.n_features)
        self.dtype = data.dtype

    def __getitem__(self, rows):
        return self._data.rows(rows.start, rows.stop)[0]


class BatchGatherer:
    """Yields shuffled minibatches gathered into reused buffers."""

    def __init__(self, batch_size):
        self.batch_size = batch_size
        self._buffers = {}

    def _buffer_for(self, key, array):
        """A reused buffer holding ``batch_size`` rows like ``array``'s."""
        shape = (self.batch_size,) + array.shape[1:]
        buf = self._buffers.get(key)
        if buf is None or buf.shape != shape or buf.dtype != array.dtype:
            buf = self._buffers[key] = empty(shape, array.dtype)
        return buf

    def batches(self, data, rng, shuffle):
        """Yield ``(X, Y, sample_weight, total_weight)`` per minibatch."""
        n, size = data.n_samples, self.batch_size
        dense = not sp.issparse(data.X)
        X_buf = self._buffer_for("X", data.X) if dense else None
        if not shuffle:
            for start in range(0, n, size):
                yield self._weighed(*data.rows(start, start + size, X_buf))
            return
        order = rng.permutation(n)
        Y, sw = data.Y, data.sample_weight
        Y_buf = self._buffer_for("Y", Y)
        sw_buf = None if sw is None else self._buffer_for("sw", sw)
        for start in range(0, n, size):
            positions = order[start : start + size]
            m = len(positions)
            yield self._weighed(
                data.gather(positions, X_buf),
                Y.take(positions, 0, Y_buf[:m], "clip"),
                None if sw is None else sw.take(positions, 0, sw_buf[:m], "clip"),
            )

    @staticmethod
    def _weighed(X, Y, sample_weight):
        weight = float(len(Y)) if sample_weight is None else float(sample_weight.sum())
        return X, Y, sample_weight, weight
