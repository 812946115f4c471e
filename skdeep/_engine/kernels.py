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
