"""In-place vector kernels for the hot path, in NumPy only.

Long element-wise updates (Adam on a large network) are split across the
cores with ``run_in_chunks``.

SciPy's BLAS ``axpy`` would fuse ``y += a * x`` into one pass, but NumPy and
SciPy wheels each bundle their own OpenBLAS: calling the second one between
NumPy's matrix products leaves two thread pools spinning against each other
on the same cores, which made training several times slower.  So every
kernel here is a short sequence of NumPy ufuncs writing into buffers the
caller owns.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def axpy(a, x, y, work):
    """``y += a * x`` in place; ``work`` is a scratch array like ``x``."""
    np.multiply(x, a, out=work)
    y += work


# Below this many elements a thread hand-off costs more than it saves.
MIN_PARALLEL_SIZE = 65_536
_POOL = None


def _pool():
    global _POOL
    if _POOL is None:
        workers = max(1, (os.cpu_count() or 1) - 1)
        _POOL = ThreadPoolExecutor(workers, thread_name_prefix="skdeep-kernel")
    return _POOL


def run_in_chunks(kernel, arrays, n_chunks, *args):
    """Apply an element-wise ``kernel`` to ``n_chunks`` slices in parallel.

    ``kernel(*slices, *args)`` gets the same contiguous slice of every array
    in ``arrays``.  NumPy releases the GIL inside its loops, so the slices run
    on separate cores; each element sees exactly the operations it would in
    one call, so the result is bit-for-bit the same.
    """
    size = arrays[0].shape[0]
    if n_chunks <= 1 or size < MIN_PARALLEL_SIZE:
        kernel(*arrays, *args)
        return
    # chunk edges on multiples of 64 elements keep every slice SIMD-aligned
    edges = [min(size, (size * i // n_chunks) // 64 * 64) for i in range(n_chunks)]
    edges.append(size)
    futures = [
        _pool().submit(kernel, *(a[lo:hi] for a in arrays), *args)
        for lo, hi in zip(edges[1:-1], edges[2:])
    ]
    kernel(*(a[edges[0] : edges[1]] for a in arrays), *args)
    for future in futures:
        future.result()
