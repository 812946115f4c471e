"""BLAS thread rules: fixed by the work per minibatch, tuned by epoch times."""

import math

import numpy as np
import pytest
from sklearn.datasets import make_regression

from skdeep import DeepFFNRegressor
from skdeep.utils import _threads
from skdeep.utils._threads import (
    MAX_MULTIPLY_ADDS_TUNED,
    MIN_MULTIPLY_ADDS_FOR_THREADS,
    ThreadTuner,
    network_threads,
)


class FakeController:
    """Records the thread counts a tuner asks for."""

    def __init__(self):
        self.limits = []

    def limit(self, limits):
        self.limits.append(limits)


def run_blocks(tuner, seconds_of, n_blocks):
    """The thread count of every block of minibatches, each taking
    ``seconds_of(block, count)`` seconds."""
    counts = []
    tuner.run_started(type("Trainer", (), {})(), None)
    for block in range(n_blocks):
        counts.append(tuner._current)
        tuner._block_ended(seconds_of(block, tuner._current))
    return counts


def test_tuner_keeps_all_threads_when_they_are_faster():
    tuner = ThreadTuner(FakeController(), threads=4)
    counts = run_blocks(tuner, lambda block, n: 1.0 if n == 4 else 1.6, 120)
    # warm-up on one thread, a trial (1, 4, 1, 4), then a trial of one
    # thread again after 16 blocks and after 32 more as it keeps losing
    ones = [block for block, n in enumerate(counts) if n == 1]
    assert ones == [0, 1, 3, 21, 23, 57, 59]
    assert tuner.choice == 4


def test_tuner_drops_to_one_thread_on_a_busy_machine():
    tuner = ThreadTuner(FakeController(), threads=2)
    counts = run_blocks(tuner, lambda block, n: 3.0 if n == 2 else 1.0, 40)
    assert counts[:5] == [1, 1, 2, 1, 2]
    threaded = [block for block, n in enumerate(counts) if n == 2 and block > 4]
    assert threaded == [21, 23]
    assert tuner.choice == 1
    assert tuner._controller.limits[-1] == 1


def test_tuner_follows_a_change_of_load():
    # threads are faster until block 10, when another program takes a core:
    # the next threaded block is slow, and a trial moves to one thread
    def seconds(block, n):
        busy = block >= 10
        return (3.0 if busy else 1.0) if n == 2 else 1.5

    tuner = ThreadTuner(FakeController(), threads=2)
    counts = run_blocks(tuner, seconds, 20)
    assert counts[5:11] == [2] * 6
    assert counts[11:15] == [1, 2, 1, 2]  # the trial
    assert counts[15:] == [1] * 5
    assert tuner.choice == 1


def test_blocks_are_counted_in_minibatches(monkeypatch):
    clock = iter(np.arange(0.0, 1000.0))
    monkeypatch.setattr(_threads.time, "perf_counter", lambda: next(clock))
    tuner = ThreadTuner(FakeController(), threads=2)
    blocks = []
    monkeypatch.setattr(tuner, "_block_ended", blocks.append)
    tuner.run_started(trainer := type("Trainer", (), {})(), None)
    for _ in range(3 * ThreadTuner.BLOCK + 1):
        trainer.batch_hook()
    # the first call starts the clock; each block then spans BLOCK batches
    # (each clock reading one second after the last, one reading per
    # block restarting the clock)
    assert blocks == [ThreadTuner.BLOCK] * 3


def test_a_hopeless_threaded_block_ends_the_trial(monkeypatch):
    """On a busy machine a threaded minibatch can take 30 times longer; one
    such minibatch, slower than a whole one-thread block, settles a trial."""
    now = [0.0]
    monkeypatch.setattr(_threads.time, "perf_counter", lambda: now[0])
    tuner = ThreadTuner(FakeController(), threads=2)
    tuner.run_started(trainer := type("Trainer", (), {})(), None)
    counts = []
    for _ in range(120 * ThreadTuner.BLOCK):
        counts.append(tuner._current)
        trainer.batch_hook()
        now[0] += 30.0 if tuner._current == 2 else 1.0
    # warm-up and a one-thread block of BLOCK batches each, then one
    # threaded batch (30 s > 1.5 x 8 s) ends the first trial; the second
    # comes FIRST_INTERVAL blocks later (the first could have been a passing
    # stall) and costs one batch too; one thread won twice, so the third
    # waits until that batch is TRIAL_SHARE of the one-thread time since
    wait = math.ceil(30.0 / (ThreadTuner.TRIAL_SHARE * ThreadTuner.BLOCK))
    assert wait > 2 * ThreadTuner.FIRST_INTERVAL
    first = counts.index(2)
    assert first == 2 * ThreadTuner.BLOCK + 1
    second = counts.index(2, first + 1)
    assert second == first + 1 + ThreadTuner.FIRST_INTERVAL * ThreadTuner.BLOCK
    third = counts.index(2, second + 1)
    assert third == second + 1 + wait * ThreadTuner.BLOCK
    assert counts.count(2) == 3
    assert tuner.choice == 1
    assert tuner._controller.limits[-1] == 1


def test_a_slow_one_thread_block_does_not_bring_a_trial_forward():
    # one thread chosen on a busy machine; its blocks then vary by 3x, which
    # must not set off trials of the threads, each costly there
    def seconds(block, n):
        if n == 2:
            return 9.0
        return 3.0 if block > 4 and block % 2 == 0 else 1.0

    tuner = ThreadTuner(FakeController(), threads=2)
    counts = run_blocks(tuner, seconds, 21)
    assert counts[:5] == [1, 1, 2, 1, 2]
    assert counts[5:] == [1] * 16  # no trial before FIRST_INTERVAL blocks
    assert tuner.choice == 1


@pytest.mark.parametrize(
    "work, tuned",
    [
        (MIN_MULTIPLY_ADDS_FOR_THREADS // 2, False),
        (MIN_MULTIPLY_ADDS_FOR_THREADS * 2, True),
        (MAX_MULTIPLY_ADDS_TUNED * 2, False),
    ],
)
def test_only_mid_sized_minibatches_are_tuned(work, tuned):
    numpy_blas = _threads.blas_controllers()[0]
    threads = max((info["num_threads"] for info in numpy_blas.info()), default=1)
    if threads < 2:
        pytest.skip("NumPy's BLAS has one thread here")
    with network_threads(work) as limits:
        assert isinstance(limits.monitor, ThreadTuner) == tuned
    after = max(info["num_threads"] for info in numpy_blas.info())
    assert after == threads  # the limits are undone


def test_float32_networks_keep_one_thread_count_throughout():
    # OpenBLAS rounds float32 products differently on one thread than on
    # several: a tuner switching counts would make float32 fits of a fixed
    # seed differ from run to run.
    numpy_blas = _threads.blas_controllers()[0]
    threads = max((info["num_threads"] for info in numpy_blas.info()), default=1)
    if threads < 2:
        pytest.skip("NumPy's BLAS has one thread here")
    work = MIN_MULTIPLY_ADDS_FOR_THREADS * 2
    with network_threads(work, np.float32) as limits:
        assert limits.monitor is None
        assert max(info["num_threads"] for info in numpy_blas.info()) == threads
    with network_threads(work, np.float64) as limits:
        assert isinstance(limits.monitor, ThreadTuner)


@pytest.mark.filterwarnings("ignore:Solver 'adam'.*maximum iterations")
def test_fit_reports_every_epoch_to_the_tuner(monkeypatch):
    seen, blocks = [], []

    class Recorder(ThreadTuner):
        def epoch_ended(self, trainer, record):
            seen.append(record["epoch"])
            return super().epoch_ended(trainer, record)

        def _block_ended(self, seconds):
            blocks.append(seconds)
            super()._block_ended(seconds)

    def tuned_threads(work, dtype=np.float64):
        limits = _threads.NetworkThreads()
        limits.monitor = Recorder(FakeController(), threads=2)
        return limits

    monkeypatch.setattr("skdeep._base.network_threads", tuned_threads)
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    model = DeepFFNRegressor(
        (8, 8), pretraining="greedy", pretraining_max_iter=3, max_iter=20,
        tol=0, random_state=0,
    ).fit(X, y)  # fmt: skip
    # two pre-training stages of 3 epochs, then 20 epochs of fine-tuning
    assert seen == list(range(1, model.n_iter_ + 1))
    assert model.n_iter_ == 26
    # one minibatch per epoch; each run restarts the clock, so only the
    # fine-tuning's 20 batches make blocks: two of 8
    assert len(blocks) == 2
    assert np.isfinite(model.predict(X)).all()
