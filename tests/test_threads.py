"""BLAS thread rules: fixed by the work per minibatch, tuned by epoch times."""

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


def run_epochs(tuner, seconds_of, n_epochs):
    """The thread count of every epoch, each taking ``seconds_of(epoch,
    count)`` seconds."""
    controller = tuner._controller
    counts, current = [], tuner._threads  # what the fit's limits start from
    for epoch in range(n_epochs):
        tuner.epoch_started(None)
        current = controller.limits[-1] if controller.limits else current
        counts.append(current)
        tuner.epoch_ended(None, {"seconds": seconds_of(epoch, current)})
    return counts


def test_tuner_keeps_all_threads_when_they_are_faster():
    tuner = ThreadTuner(FakeController(), threads=4)
    counts = run_epochs(tuner, lambda epoch, n: 1.0 if n == 4 else 1.6, 40)
    # warm-up, then all threads and one timed, then a probe of one thread
    # after 8 epochs and again after 16 as it keeps losing
    ones = [epoch for epoch, n in enumerate(counts) if n == 1]
    assert ones == [2, 11, 28]
    assert counts[:2] == [4, 4]


def test_tuner_drops_to_one_thread_on_a_busy_machine():
    tuner = ThreadTuner(FakeController(), threads=2)
    counts = run_epochs(tuner, lambda epoch, n: 3.0 if n == 2 else 1.0, 30)
    assert counts[:3] == [2, 2, 1]
    threaded = [epoch for epoch, n in enumerate(counts) if n == 2 and epoch > 1]
    assert threaded == [11, 28]
    assert tuner.choice == 1


def test_tuner_follows_a_change_of_load():
    # threads are faster until epoch 20, when another program takes a core:
    # the next threaded epoch is slow and the tuner moves to one thread
    def seconds(epoch, n):
        busy = epoch >= 20
        return (3.0 if busy else 1.0) if n == 2 else 1.5

    tuner = ThreadTuner(FakeController(), threads=2)
    counts = run_epochs(tuner, seconds, 32)
    assert counts[19:21] == [2, 2]
    # one thread from then on, but for the scheduled probe at epoch 28
    assert counts[21:] == [1] * 7 + [2] + [1] * 3


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


@pytest.mark.filterwarnings("ignore:Solver 'adam'.*maximum iterations")
def test_fit_reports_every_epoch_to_the_tuner(monkeypatch):
    seen = []

    class Recorder(ThreadTuner):
        def epoch_ended(self, trainer, record):
            seen.append(record["epoch"])
            return super().epoch_ended(trainer, record)

    def tuned_threads(work):
        limits = _threads.NetworkThreads()
        limits.monitor = Recorder(FakeController(), threads=2)
        return limits

    monkeypatch.setattr("skdeep._base.network_threads", tuned_threads)
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    model = DeepFFNRegressor(
        (8, 8), pretraining="greedy", pretraining_max_iter=3, max_iter=5,
        tol=0, random_state=0,
    ).fit(X, y)  # fmt: skip
    # two pre-training stages of 3 epochs, then 5 epochs of fine-tuning
    assert seen == list(range(1, model.n_iter_ + 1))
    assert model.n_iter_ == 11
    assert np.isfinite(model.predict(X)).all()
