"""In-place vector kernels and reusable buffers for the hot path.

SciPy's BLAS ``axpy`` would fuse ``y += a * x`` into one pass, but NumPy and
SciPy wheels each bundle their own OpenBLAS: calling the second one between
NumPy's matrix products leaves two thread pools spinning against each other
on the same cores and slowing training down.  So every
kernel here is a short sequence of NumPy ufuncs writing into buffers the
caller owns.  (Splitting Adam's update across two threads did not help
either, from Python or from C: OpenBLAS's worker thread still holds the
second core right after a matrix product.)  The exceptions are Adam's
update, whose dozen passes over vectors larger than the cache cost as much
as a large network's matrix products, ReLU's derivative (two passes),
the gathering of a standardised minibatch (three) and the softmax
log-loss's row loops (fourteen NumPy calls on a minibatch's few classes):
small C loops (``_fused.c``) do each in one pass when they were built.
"""

import numpy as np

try:
    # Adam's update, ReLU's derivative and the standardised gather in one
    # pass over memory, and the softmax log-loss's row loops (``_fused.c``),
    # where a C compiler built them; otherwise the same arithmetic in
    # NumPy, with the same results.  ``softmax_kernels`` is the module:
    # softmax_shift, softmax_normalize and log_loss_rows.
    from skdeep._engine import _fused as softmax_kernels
    from skdeep._engine._fused import adam_step as fused_adam_step
    from skdeep._engine._fused import gather_standardize as fused_gather
    from skdeep._engine._fused import relu_backward as fused_relu_backward
except ImportError:  # pragma: no cover - depends on the build
    fused_adam_step = fused_relu_backward = fused_gather = softmax_kernels = None


def axpy(a, x, y, work):
    """``y += a * x`` in place; ``work`` is a scratch array like ``x``."""
    np.multiply(x, a, out=work)
    y += work


def block_squares(x, blocks):
    """The sum of ``x[start:stop] ** 2`` of each ``(start, stop)`` pair in
    ``blocks``, as float64, or None without blocks."""
    if blocks is None:
        return None
    return np.array(
        [np.dot(x[start:stop], x[start:stop]) for start, stop in blocks],
        dtype=np.float64,
    )


_PAGE = 4096
_next_offset = [0]


def empty(shape, dtype, fill=None):
    """A new array like ``np.empty``, its start staggered within the page.

    Large allocations come from ``mmap`` and so all start at the same offset
    within a 4 KiB page; element-wise work on several such arrays then
    stalls on cache-set and 4K-aliasing conflicts (measured: 25 % slower
    epochs). Successive buffers here start 320 bytes apart modulo the page.
    """
    dtype = np.dtype(dtype)
    n_bytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(n_bytes + 2 * _PAGE, dtype=np.uint8)
    wanted = _next_offset[0]
    _next_offset[0] = (wanted + 320) % _PAGE
    start = (wanted - raw.ctypes.data) % _PAGE
    array = raw[start : start + n_bytes].view(dtype).reshape(shape)
    if fill is not None:
        array.fill(fill)
    return array


class Buffers:
    """Scratch arrays reused from one call to the next, keyed by name.

    ``get(key, shape, dtype)`` returns an array of ``shape`` that views the
    first rows of the buffer called ``key``.  A buffer only grows, so once it
    has seen the largest batch of a fit no call allocates again.  Buffers are
    scratch: a pickle holds none of them.
    """

    def __init__(self):
        self._arrays = {}
        self._views = {}

    def get(self, key, shape, dtype, fill=None):
        """An array of ``shape`` (rows first); a new buffer holds ``fill`` if given."""
        view = self._views.get((key, shape))
        if view is not None and view.dtype == dtype:
            return view
        array = self._arrays.get(key)
        if array is None or array.shape[0] < shape[0] or array.dtype != dtype:
            array = self._arrays[key] = empty(shape, dtype, fill)
            # forget the views of the buffer this one replaces
            for cached in [k for k in self._views if k[0] == key]:
                del self._views[cached]
        view = self._views[(key, shape)] = array[: shape[0]]
        return view

    def __reduce__(self):
        return (Buffers, ())
