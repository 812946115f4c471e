"""BLAS thread pools: which library is NumPy's, and holding them to one thread.

Every limit on BLAS threads in skdeep is set here.  Why one thread pays
where it does is measured in ``benchmarks/README.rst``.
"""

import math
import os
import time
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


def network_threads(multiply_adds_per_batch, dtype=np.float64):
    """BLAS threads for training or applying a network (a context manager).

    NumPy's BLAS keeps its threads only when a minibatch (or a chunk of rows
    to predict) has enough work to share; every other BLAS library gets one
    thread.  For mid-sized minibatches of float64 networks the returned
    context's ``monitor`` then picks between all threads and one, epoch by
    epoch.  float32 networks keep all threads: OpenBLAS's float32 product
    takes another path on one thread than on several and gives other
    rounding (its float64 product gives the same bits either way), so a
    count that changed during a fit would make a float32 fit with a fixed
    ``random_state`` come out differently from run to run.
    """
    numpy_blas, other_blas = blas_controllers()
    limits = NetworkThreads()
    if multiply_adds_per_batch < MIN_MULTIPLY_ADDS_FOR_THREADS:
        limits.enter_context(numpy_blas.limit(limits=1))
    else:
        threads = max((info["num_threads"] for info in numpy_blas.info()), default=1)
        tuned = multiply_adds_per_batch < MAX_MULTIPLY_ADDS_TUNED
        if threads > 1 and tuned and np.dtype(dtype) == np.float64:
            limits.enter_context(numpy_blas.limit(limits=threads))  # restores
            limits.monitor = ThreadTuner(numpy_blas, threads)
    if other_blas.lib_controllers:
        limits.enter_context(other_blas.limit(limits=1))
    return limits


class ThreadTuner(Monitor):
    """Chooses NumPy's BLAS threads while a network trains, from the
    measured times of its minibatches.

    On a quiet machine several threads make mid-sized minibatch products
    faster.  When other programs keep a core busy, the thread that shares
    that core makes the others wait at every product, and one thread is
    then several times faster.  Which holds is measured, not guessed, in
    blocks of ``BLOCK`` minibatches (spanning epochs, whose ends cost both
    counts alike): after a warm-up block on one thread, two blocks with one
    thread and two with all (alternating) decide the count.

    The other count is tried again after ``FIRST_INTERVAL`` blocks, then
    after twice as many each time it loses.  A threaded block much slower
    than the threads' measured time (perhaps a core got busy) brings the
    next trial forward; a slow one-thread block does not, since whatever
    slowed it would slow the threads as much or more.  A trial costs a few
    minibatches, so a quiet machine loses next to nothing.

    On a busy machine each threaded product can wait a whole time slice of
    the scheduler, and a threaded minibatch can take tens of times longer.
    So once a threaded trial block is ``SLOWDOWN`` times slower than a whole
    one-thread block, that one minibatch settles the trial in favour of one
    thread.  When one thread had already won the trial before (the machine
    stays busy, rather than a passing stall), the next trial waits until
    that minibatch's time is at most ``TRIAL_SHARE`` of the time run on one
    thread since.
    """

    BLOCK = 8
    FIRST_INTERVAL = 16
    SLOWDOWN = 1.5
    TRIAL_SHARE = 0.05

    def __init__(self, controller, threads):
        self._controller, self._threads = controller, threads
        self._current, self._choice = threads, threads
        self._warming_up = True  # first block: buffers, caches, pages
        self._plan = [1, threads, 1, threads]
        self._trial = {threads: 0.0, 1: 0.0}
        self._reference = None  # seconds per block of the chosen count
        self._single = None  # fastest one-thread block of the trial
        self._interval, self._until_trial = self.FIRST_INTERVAL, None
        self._batches, self._started = 0, None

    @property
    def choice(self):
        """The thread count measured fastest so far."""
        return self._choice

    def run_started(self, trainer, last_epoch):
        trainer.batch_hook = self._batch_started
        self._started = None  # setting up a run is not timed
        if self._warming_up:
            self._use(1)  # cheap wherever the machine stands

    def _batch_started(self):
        now = time.perf_counter()
        if self._started is None:
            self._started, self._batches = now, 0
            return
        self._batches += 1
        elapsed = now - self._started
        if self._hopeless(elapsed):
            self._plan = []
            busy_again = self._decide(1, self._single)
            if busy_again:  # not a passing stall: space the costly trials out
                wait = math.ceil(elapsed / (self.TRIAL_SHARE * self._single))
                self._until_trial = max(self._until_trial, wait)
            self._use(1)
        elif self._batches == self.BLOCK:
            self._block_ended(elapsed)
        else:
            return
        self._started, self._batches = time.perf_counter(), 0

    def _hopeless(self, elapsed):
        """A threaded trial block already slower than a whole one-thread block."""
        threaded_trial = bool(self._plan) and self._current != 1
        return (
            threaded_trial
            and self._single is not None
            and elapsed > self.SLOWDOWN * self._single
        )

    def _block_ended(self, seconds):
        if self._warming_up:
            self._warming_up = False
        elif self._plan:
            self._trial[self._current] += seconds
            if self._current == 1:
                self._single = min(seconds, self._single or seconds)
            self._plan.pop(0)
            if not self._plan:
                fastest = min(self._trial, key=self._trial.get)
                self._decide(fastest, self._trial[fastest] / 2)
        elif self._choice != 1 and seconds > self.SLOWDOWN * self._reference:
            self._start_trial()  # perhaps a core got busy
        else:
            self._until_trial -= 1
            if self._until_trial <= 0:
                self._start_trial()
        self._use(self._plan[0] if self._plan else self._choice)

    def _start_trial(self):
        other = 1 if self._choice == self._threads else self._threads
        self._plan = [other, self._choice, other, self._choice]
        self._trial = {self._threads: 0.0, 1: 0.0}
        self._single = self._reference if self._choice == 1 else None

    def _decide(self, choice, seconds_per_block):
        previous = self._choice if self._reference is not None else None
        self._choice, self._reference = choice, seconds_per_block
        confirmed = previous == choice
        self._interval = self._interval * 2 if confirmed else self.FIRST_INTERVAL
        self._until_trial = self._interval
        return confirmed

    def _use(self, count):
        if count != self._current:
            self._controller.limit(limits=count)
            self._current = count
