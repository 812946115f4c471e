"""BLAS thread pools: which library is NumPy's, and holding them to one thread."""

import os
from contextlib import ExitStack
from functools import lru_cache

import numpy as np
from threadpoolctl import ThreadpoolController


@lru_cache(maxsize=1)
def blas_controllers():
    """NumPy's BLAS and every other loaded BLAS, as threadpoolctl controllers.

    NumPy and SciPy wheels each bundle an OpenBLAS. Both keep their worker
    threads spinning for a while after a call, so SciPy's (L-BFGS-B's vector
    operations) and NumPy's (the network's matrix products) fight over the
    cores; holding the other libraries to one thread made L-BFGS three times
    faster. When NumPy's library cannot be told apart (one shared BLAS, as in
    conda), nothing is held back. Building a controller inspects every loaded
    library (about a millisecond), so it is done once.
    """
    blas = ThreadpoolController().select(user_api="blas")
    numpy_dir = os.path.dirname(np.__file__)
    ours = [lib.filepath for lib in blas.lib_controllers]
    numpys = [path for path in ours if path.startswith(numpy_dir)]
    others = [path for path in ours if numpys and path not in numpys]
    return blas.select(filepath=numpys or ours), blas.select(filepath=others)


def one_blas_thread():
    """Hold every BLAS library to one thread (a context manager).

    For fits made of many small products and solves, such as PPR's, where
    waking two thread pools costs more than it saves: on 2 cores a PPR fit
    of 100,000 rows takes half the time this way, and a third to a sixth
    when other work shares the cores.
    """
    limits = ExitStack()
    for controller in blas_controllers():
        if controller.lib_controllers:
            limits.enter_context(controller.limit(limits=1))
    return limits
