"""Fits on a quiet machine and with one core kept busy by another program.

A deep network on digits ((64, 64, 64), batch 200, 60 epochs) and the 100,000
x 100 classification problem of ``bench_deep.py`` ((256, 256), batch 256, 5
epochs; in float64, then in float32, which skdeep never tunes: see
``skdeep/utils/_threads.py``) train three ways: skdeep's default (the
thread count tuned while training), NumPy's BLAS held at all its threads,
and held at one thread.
Each runs with the machine quiet and again while a second process spins on
a core, alternating over repeats (best of each).  The script prints the
seconds and the slow-down that the busy core causes; the default should
stay near the better of the two fixed counts in both states.

Run ``python benchmarks/bench_threads.py`` (a few minutes) or ``--quick``.
"""

import argparse
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager, nullcontext

import numpy as np
from sklearn.datasets import load_digits, make_classification
from threadpoolctl import threadpool_limits

from skdeep import DeepFFNClassifier
from skdeep.utils import _threads


@contextmanager
def busy_core():
    """A second process spinning on one core for the duration."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(0.5)  # let it get going
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


@contextmanager
def threads(mode):
    """skdeep's tuned default, or NumPy's BLAS fixed at all threads or one."""
    if mode == "tuned":
        yield
        return
    saved = _threads.MAX_MULTIPLY_ADDS_TUNED
    _threads.MAX_MULTIPLY_ADDS_TUNED = 0  # above the threshold: all threads
    limit = threadpool_limits(limits=1, user_api="blas") if mode == "one" else None
    try:
        with limit or nullcontext():
            yield
    finally:
        _threads.MAX_MULTIPLY_ADDS_TUNED = saved


def problems(quick):
    X, y = load_digits(return_X_y=True)
    n = 5_000 if quick else 100_000
    X2, y2 = make_classification(n_samples=n, n_features=100, n_informative=40,
                                 n_classes=10, random_state=0)  # fmt: skip
    digits = dict(hidden_layer_sizes=(64, 64, 64), batch_size=200,
                  max_iter=10 if quick else 60)  # fmt: skip
    large = dict(hidden_layer_sizes=(256, 256), batch_size=256,
                 max_iter=2 if quick else 5)  # fmt: skip
    large_name = f"{n // 1000}k x 100 (256, 256)"
    return [("digits (64, 64, 64)", X, y, digits),
            (f"{large_name} f64", X2, y2, large),
            (f"{large_name} f32", X2.astype(np.float32), y2, large)]  # fmt: skip


def fit_seconds(X, y, params):
    model = DeepFFNClassifier(tol=0.0, random_state=0, **params)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return time.perf_counter() - start


def main(quick, repeats):
    modes = ["tuned", "all", "one"]
    print(f"{'problem':<28}{'threads':<9}{'quiet':>9}{'busy core':>11}"
          f"{'busy/quiet':>12}")  # fmt: skip
    for name, X, y, params in problems(quick):
        best = {(mode, state): np.inf for mode in modes for state in ("quiet", "busy")}
        fit_seconds(X[:500], y[:500], dict(params, max_iter=2))  # warm-up
        for _ in range(repeats):
            for state in ("quiet", "busy"):
                with busy_core() if state == "busy" else nullcontext():
                    for mode in modes:
                        with threads(mode):
                            seconds = fit_seconds(X, y, params)
                        best[mode, state] = min(best[mode, state], seconds)
        for mode in modes:
            quiet, busy = best[mode, "quiet"], best[mode, "busy"]
            label = {"tuned": "default", "all": "all", "one": "one"}[mode]
            print(f"{name:<28}{label:<9}{quiet:>8.2f}s{busy:>10.2f}s"
                  f"{busy / quiet:>11.2f}x")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    main(args.quick, 1 if args.quick else args.repeats)
