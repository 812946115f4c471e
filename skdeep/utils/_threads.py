"""BLAS thread pools: which library is NumPy's, and holding them to one thread.

Every limit on BLAS threads in skdeep is set here.  Why one thread pays
where it does is measured in ``benchmarks/README.rst``.
"""

import os
from contextlib import ExitStack
from functools import lru_cache

import numpy as np
from threadpoolctl import ThreadpoolController

# Below this many multiply-adds per minibatch, BLAS threads cost more in
# synchronisation than they win in arithmetic.
MIN_MULTIPLY_ADDS_FOR_THREADS = 2_000_000


@lru_cache(maxsize=1)
def blas_controllers():
    """NumPy's BLAS and every other loaded BLAS, as threadpoolctl controllers.

    NumPy and SciPy wheels each bundle an OpenBLAS. Both keep their worker
    threads spinning for a while after a call, so SciPy's (L-BFGS-B's vector
    operations) and NumPy's (the network's matrix products) fight over the
    cores. When NumPy's library cannot be told apart (one shared BLAS, as in
    conda), nothing is held back. Building a controller inspects every loaded
    library, so it is done once.
    """
    blas = ThreadpoolController().select(user_api="blas")
    numpy_dir = os.path.dirname(np.__file__)
    ours = [lib.filepath for lib in blas.lib_controllers]
    numpys = [path for path in ours if path.startswith(numpy_dir)]
    others = [path for path in ours if numpys and path not in numpys]
    return blas.select(filepath=numpys or ours), blas.select(filepath=others)


def one_blas_thread():
    """Hold every BLAS library to one thread (a context manager).

    For work made of many small products and solves, such as a PPR fit, and
    for each of several fits running in parallel (ensemble members), where
    waking thread pools costs more than it saves.
    """
    limits = ExitStack()
    for controller in blas_controllers():
        if controller.lib_controllers:
            limits.enter_context(controller.limit(limits=1))
    return limits


def network_threads(multiply_adds_per_batch):
    """BLAS threads for training or applying a network (a context manager).

    NumPy's BLAS keeps its threads only when a minibatch (or a chunk of rows
    to predict) has enough work to share; every other BLAS library gets one
    thread.
    """
    numpy_blas, other_blas = blas_controllers()
    limits = ExitStack()
    if multiply_adds_per_batch < MIN_MULTIPLY_ADDS_FOR_THREADS:
        limits.enter_context(numpy_blas.limit(limits=1))
    if other_blas.lib_controllers:
        limits.enter_context(other_blas.limit(limits=1))
    return limits
