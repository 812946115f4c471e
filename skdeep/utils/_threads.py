"""BLAS thread pools: which library is NumPy's, and holding them to one thread.

Every limit on BLAS threads in skdeep is set here.  Why one thread pays
where it does is measured in ``benchmarks/README.rst``.
"""

import os
from contextlib import ExitStack
from functools import lru_cache

import numpy as np
from threadpoolctl import ThreadpoolController

from skdeep._engine import Monitor

# Below this many multiply-adds per minibatch, BLAS threads cost more in
# synchronisation than they win in arithmetic.
MIN_MULTIPLY_ADDS_FOR_THREADS = 2_000_000
# Up to this many, whether threads pay depends on the machine's load, and
# the thread count is tuned while training (``ThreadTuner``); above it, the
# products are long enough that a busy core costs little.
MAX_MULTIPLY_ADDS_TUNED = 32_000_000


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


class NetworkThreads(ExitStack):
    """The thread limits of one fit or prediction (a context manager).

    ``monitor`` is the :class:`ThreadTuner` to attach to the fit's training
    runs, or None when the thread count is fixed.
    """

    monitor = None


def network_threads(multiply_adds_per_batch):
    """BLAS threads for training or applying a network (a context manager).

    NumPy's BLAS keeps its threads only when a minibatch (or a chunk of rows
    to predict) has enough work to share; every other BLAS library gets one
    thread.  For mid-sized minibatches the returned context's ``monitor``
    then picks between all threads and one, epoch by epoch.
    """
    numpy_blas, other_blas = blas_controllers()
    limits = NetworkThreads()
    if multiply_adds_per_batch < MIN_MULTIPLY_ADDS_FOR_THREADS:
        limits.enter_context(numpy_blas.limit(limits=1))
    else:
        threads = max((info["num_threads"] for info in numpy_blas.info()), default=1)
        if threads > 1 and multiply_adds_per_batch < MAX_MULTIPLY_ADDS_TUNED:
            limits.enter_context(numpy_blas.limit(limits=threads))  # restores
            limits.monitor = ThreadTuner(numpy_blas, threads)
    if other_blas.lib_controllers:
        limits.enter_context(other_blas.limit(limits=1))
    return limits


class ThreadTuner(Monitor):
    """Chooses NumPy's BLAS threads epoch by epoch from the epochs' times.

    On a quiet machine several threads make mid-sized minibatch products
    faster.  When other programs keep a core busy, the thread that shares
    that core makes the others wait at every product, and one thread is
    then several times faster.  Which holds is measured, not guessed: the
    first epoch warms up, the next two run with all threads and with one,
    and the faster count is kept; the slower one is tried again after 8
    epochs, then after twice as many each time it loses, so that a change
    in the machine's load is noticed at a cost of a few epochs per fit.
    """

    FIRST_INTERVAL = 8

    def __init__(self, controller, threads):
        self._controller, self._threads = controller, threads
        self._seconds = {}  # thread count -> seconds of its latest epoch
        self._epochs, self._current = 0, threads
        self._probe_at, self._interval = 1, self.FIRST_INTERVAL
        self._probing = False

    @property
    def choice(self):
        """The thread count measured fastest so far."""
        return min(self._seconds, key=self._seconds.get, default=self._threads)

    def epoch_started(self, trainer):
        count = self.choice
        self._probing = self._epochs >= self._probe_at
        if self._probing:  # time the count not chosen (or not yet timed)
            untimed = [n for n in (self._threads, 1) if n not in self._seconds]
            count = untimed[0] if untimed else ({self._threads, 1} - {count}).pop()
        if count != self._current:
            self._controller.limit(limits=count)
            self._current = count

    def epoch_ended(self, trainer, record):
        self._epochs += 1
        if self._epochs == 1:
            return False  # the first epoch warms up: buffers, caches, pages
        previous = self.choice if len(self._seconds) == 2 else None
        self._seconds[self._current] = record["seconds"]
        if self._probing and len(self._seconds) == 2:
            confirmed = previous == self.choice
            self._interval = self._interval * 2 if confirmed else self.FIRST_INTERVAL
            self._probe_at = self._epochs + self._interval
        return False
