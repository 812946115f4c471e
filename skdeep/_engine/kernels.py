"""In-place vector kernels for the hot path, in NumPy only.

SciPy's BLAS ``axpy`` would fuse ``y += a * x`` into one pass, but NumPy and
SciPy wheels each bundle their own OpenBLAS: calling the second one between
NumPy's matrix products leaves two thread pools spinning against each other
on the same cores, which made training several times slower.  So every
kernel here is a short sequence of NumPy ufuncs writing into buffers the
caller owns.  (Splitting Adam's update across Python threads did not help
either: OpenBLAS's worker thread still holds the second core right after a
matrix product.)
"""

import numpy as np


def axpy(a, x, y, work):
    """``y += a * x`` in place; ``work`` is a scratch array like ``x``."""
    np.multiply(x, a, out=work)
    y += work


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
