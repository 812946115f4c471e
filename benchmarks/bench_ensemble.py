"""Ensembles of networks: parallel speed-up, scikit-learn's bagging, and scores.

Part 1 measures what two cores give the ensemble against what they allow, in
the same run.  Data: Friedman #1 with 20 inputs, 20,000 rows.  Members: 8
``FeedForwardRegressor`` of 64 and then 100 ReLU units, Adam, batch 256,
15 epochs, no stop before.  The same 8 members (same seeds, same bootstrap
rows) are fitted three ways, alternating, best of ``--repeats``: by
``BaggedNetEnsemble`` with ``n_jobs=1``; with ``n_jobs=2`` on a pool of
worker processes kept running throughout (the steady state); and, the
limit, by two independent processes, each fitting 4 of the members one
after the other with one BLAS thread.  Those two processes import, load the
data and then wait; the time runs from the signal that starts both to the
end of the slower one, so it leaves out their start-up, which is printed
apart.  Then ``--repeats`` fits with ``n_jobs=2`` each start a new pool (the
first call).  The script prints the speed-ups over ``n_jobs=1`` and the
ensemble's share of the limit's (target: at least 0.9), from the best
times and, less sensitive to one lucky run, as the median over the repeats
of the share measured back to back.

Parts 2 to 4.  Data: Friedman #1 with ten inputs and unit noise, 20,000
training rows and 5,000 held-out rows (inputs standardised on the training
rows, targets centred and scaled).  Members: a single hidden layer of 100 ReLU units
(scikit-learn's default width) trained by Adam, learning rate 1e-3, batch
256, alpha 1e-4, 30 epochs with no early stopping and no tolerance stop, the
same in both libraries.  (Narrower members scale less well over two cores on
a VM: a 32-unit member's minibatch step is dominated by interpreter work.)

Part 2 fits ``BaggedNetEnsemble`` of 8 such ``FeedForwardRegressor``
members on bootstrap samples with ``n_jobs=1`` and ``n_jobs=2`` and prints the wall
times and the speed-up.  Part 3 fits scikit-learn's
``BaggingRegressor(MLPRegressor(...), n_estimators=8)`` with the same
members, the same ``n_jobs`` and bootstrap samples, and prints wall times,
the ratio skdeep / scikit-learn and both held-out R^2.  Timings keep the best
of ``--repeats`` alternating runs (default 3) after one warm-up of the
worker pool.  Part 4 prints the held-out R^2 of one network, of the best of
8 restarts chosen on a 20% validation split, of the average of 8 restarts,
and of the bagged average.

Part 5 (``--layouts``) times fit and ``predict_proba`` of 8 bagged
``FeedForwardClassifier(n_hidden=64, max_iter=5)`` members on 49,097 x 9
inputs (Statlog Shuttle's shape, from ``make_classification``), C-ordered,
Fortran-ordered (what ``to_numpy()`` and a ``ColumnTransformer`` give) and as
a pandas DataFrame, with ``n_jobs`` 1 and 2, best of ``--repeats``
alternating runs, and the ratio of each to C-ordered input (target: at most
1.2).

Run ``python benchmarks/bench_ensemble.py`` (a few minutes on 2 cores) or
``--quick`` for a smoke run (Part 1 on 2,000 rows, 64 units and 2 epochs,
Part 5 on 5,000 rows).
"""

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from joblib.externals.loky import get_reusable_executor
from sklearn.base import clone
from sklearn.datasets import make_classification, make_friedman1
from sklearn.ensemble import BaggingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

from skdeep import BaggedNetEnsemble, FeedForwardClassifier, FeedForwardRegressor

N_MEMBERS = 8
N_HIDDEN = 100  # MLPRegressor's default width


def load(quick):
    n_train, n_test = (2_000, 1_000) if quick else (20_000, 5_000)
    X, y = make_friedman1(n_samples=n_train + n_test, noise=1.0, random_state=0)
    X, X_test, y, y_test = train_test_split(X, y, test_size=n_test, random_state=0)
    scaler = StandardScaler().fit(X)
    center, scale = y.mean(), y.std()
    return (scaler.transform(X), scaler.transform(X_test), (y - center) / scale,
            (y_test - center) / scale)  # fmt: skip


def member_settings(quick):
    epochs = 5 if quick else 30
    return dict(solver="adam", learning_rate_init=1e-3, batch_size=256,
                alpha=1e-4, max_iter=epochs, tol=0.0,
                n_iter_no_change=epochs + 1)  # fmt: skip


def ours(quick, n_jobs, **ensemble):
    net = FeedForwardRegressor(
        n_hidden=N_HIDDEN, standardize=False, **member_settings(quick)
    )
    ensemble = {"n_estimators": N_MEMBERS, "random_state": 0, **ensemble}
    return BaggedNetEnsemble(net, n_jobs=n_jobs, **ensemble)


def theirs(quick, n_jobs):
    net = MLPRegressor(hidden_layer_sizes=(N_HIDDEN,), **member_settings(quick))
    return BaggingRegressor(net, n_estimators=N_MEMBERS, n_jobs=n_jobs,
                            random_state=0)  # fmt: skip


def timed_fit(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def warm_up_workers(data):
    """Start joblib's workers and import both libraries there, untimed."""
    X, _, y, _ = data
    rows = slice(0, 500)
    ours(True, 2).fit(X[rows], y[rows])
    theirs(True, 2).fit(X[rows], y[rows])


# -- Part 1: two cores, beside what they allow --------------------------------

TWO_CORES_UNITS = (64, 100)
BLAS_ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                          "MKL_NUM_THREADS")}  # fmt: skip


def two_cores_data(quick):
    n_rows = 2_000 if quick else 20_000
    X, y = make_friedman1(n_samples=n_rows, n_features=20, noise=1.0, random_state=0)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


def two_cores_ensemble(units, quick, n_jobs):
    epochs = 2 if quick else 15
    net = FeedForwardRegressor(
        n_hidden=units, standardize=False, solver="adam", learning_rate_init=1e-3,
        batch_size=256, alpha=1e-4, max_iter=epochs, tol=0.0,
        n_iter_no_change=epochs + 1,
    )  # fmt: skip
    return BaggedNetEnsemble(net, n_estimators=N_MEMBERS, n_jobs=n_jobs, random_state=0)


def stop_worker_pool():
    """Stop joblib's worker processes: the next parallel call starts new ones."""
    get_reusable_executor().shutdown(wait=True, kill_workers=True)


class IndependentProcesses:
    """Two processes, each fitting half of the same members, started together.

    ``members`` maps a width to ``(X, y, [(member, rows), ...])``: unfitted
    members and their rows. Each process loads them, says it is ready and
    waits; :meth:`run` starts both and times until both are done.
    """

    def __init__(self, members, folder):
        path = Path(folder) / "members.pkl"
        path.write_bytes(pickle.dumps(members))
        started = time.perf_counter()
        env = {**os.environ, **BLAS_ONE_THREAD}
        self.processes = [
            subprocess.Popen([sys.executable, __file__, "--member-worker", str(path),
                              str(half)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env)
            for half in (0, 1)
        ]  # fmt: skip
        for process in self.processes:
            self._answer(process, "ready")
        self.start_up = time.perf_counter() - started

    @staticmethod
    def _answer(process, expected):
        line = process.stdout.readline().strip()
        if line != expected:
            raise RuntimeError(f"member worker said {line!r}, not {expected!r}")

    def run(self, units):
        started = time.perf_counter()
        for process in self.processes:
            process.stdin.write(f"{units}\n")
            process.stdin.flush()
        for process in self.processes:
            self._answer(process, "done")
        return time.perf_counter() - started

    def close(self):
        for process in self.processes:
            process.stdin.close()
            process.wait()


def member_worker(path, half):
    """The loop of one independent process: fit its half of the members of
    the width named on each line of stdin, until stdin ends."""
    warnings.simplefilter("ignore", ConvergenceWarning)
    members = pickle.loads(Path(path).read_bytes())
    print("ready", flush=True)
    for line in sys.stdin:
        X, y, pairs = members[int(line)]
        mine = pairs[: len(pairs) // 2] if half == 0 else pairs[len(pairs) // 2 :]
        for member, rows in mine:
            clone(member).fit(X[rows], y[rows])
        print("done", flush=True)


def two_cores(quick, repeats):
    X, y = two_cores_data(quick)
    widths = TWO_CORES_UNITS[:1] if quick else TWO_CORES_UNITS
    members = {}
    for units in widths:
        serial = two_cores_ensemble(units, quick, 1).fit(X, y)  # also a warm-up
        pairs = zip(serial.estimators_, serial.estimators_samples_, strict=True)
        members[units] = X, y, [(clone(member), rows) for member, rows in pairs]
    keys = ("serial", "n_jobs=2", "independent")
    times = {(units, key): [] for units in widths for key in keys}
    with tempfile.TemporaryDirectory() as folder:
        processes = IndependentProcesses(members, folder)
        try:
            # the steady state: a pool running all along, as the processes are
            two_cores_ensemble(widths[0], True, 2).fit(X, y)
            for _ in range(repeats):
                for units in widths:
                    for key, n_jobs in (("serial", 1), ("n_jobs=2", 2)):
                        times[units, key].append(
                            timed_fit(two_cores_ensemble(units, quick, n_jobs), X, y)
                        )
                    times[units, "independent"].append(processes.run(units))
        finally:
            processes.close()
    for units in widths:
        times[units, "first call"] = first_calls(X, y, units, quick, repeats)
    return report_two_cores(times, widths, len(X), repeats, processes.start_up)


def first_calls(X, y, units, quick, repeats):
    """Seconds of ``n_jobs=2`` fits that each start a new pool of workers."""
    seconds = []
    for _ in range(repeats):
        stop_worker_pool()
        seconds.append(timed_fit(two_cores_ensemble(units, quick, 2), X, y))
    return seconds


def report_two_cores(times, widths, n_rows, repeats, start_up):
    """Print the best times and speed-ups; return each width's share."""
    best = {key: min(values) for key, values in times.items()}
    print(f"Part 1: {N_MEMBERS} members on {n_rows:,} x 20, best of {repeats}; "
          "seconds, and speed-up over n_jobs=1")  # fmt: skip
    print(f"  {'units':<6}{'n_jobs=1':>9}{'first call':>16}{'n_jobs=2':>16}"
          f"{'independent':>16}{'share':>7}{'median':>8}")  # fmt: skip
    shares = {}
    for units in widths:
        serial = best[units, "serial"]
        cells = []
        for key in ("first call", "n_jobs=2", "independent"):
            cells.append(f"{best[units, key]:>9.2f} {serial / best[units, key]:>5.2f}x")
        shares[units] = best[units, "independent"] / best[units, "n_jobs=2"]
        paired = np.divide(times[units, "independent"], times[units, "n_jobs=2"])
        print(f"  {units:<6}{serial:>9.2f} {' '.join(cells)}{shares[units]:>7.2f}"
              f"{np.median(paired):>8.2f}")  # fmt: skip
    print("  share: n_jobs=2's speed-up over the independent processes' (target >= "
          "0.9), from the best times; median: of the shares of each repeat's "
          "back-to-back runs. The processes' start-up (interpreter, imports, "
          f"data) is not timed: {start_up:.2f} s")  # fmt: skip
    return shares


def speed(data, quick, repeats):
    X, X_test, y, y_test = data
    times = {key: [] for key in ("ours 1", "ours 2", "sklearn 1", "sklearn 2")}
    models = {}
    for _ in range(repeats):
        for n_jobs in (1, 2):
            models[f"ours {n_jobs}"] = ours(quick, n_jobs)
            models[f"sklearn {n_jobs}"] = theirs(quick, n_jobs)
            for key in (f"ours {n_jobs}", f"sklearn {n_jobs}"):
                times[key].append(timed_fit(models[key], X, y))
    best = {key: min(values) for key, values in times.items()}
    scores = {key: model.score(X_test, y_test) for key, model in models.items()}
    speed_up = best["ours 1"] / best["ours 2"]
    theirs_up = best["sklearn 1"] / best["sklearn 2"]
    print(f"Part 2: {N_MEMBERS} bagged members, {len(X):,} rows, best of {repeats}")
    print(f"  skdeep n_jobs=1 {best['ours 1']:7.2f} s   n_jobs=2 "
          f"{best['ours 2']:7.2f} s   speed-up {speed_up:.2f}")  # fmt: skip
    print(f"  scikit-learn's own speed-up {theirs_up:.2f}")
    print("\nPart 3: against BaggingRegressor(MLPRegressor), same members")
    print(f"  {'n_jobs':<8} {'skdeep s':>9} {'sklearn s':>10} {'ratio':>6} "
          f"{'skdeep R2':>10} {'sklearn R2':>11}")  # fmt: skip
    ratios = {}
    for n_jobs in (1, 2):
        ratios[n_jobs] = best[f"ours {n_jobs}"] / best[f"sklearn {n_jobs}"]
        print(f"  {n_jobs:<8} {best[f'ours {n_jobs}']:>9.2f} "
              f"{best[f'sklearn {n_jobs}']:>10.2f} {ratios[n_jobs]:>6.2f} "
              f"{scores[f'ours {n_jobs}']:>10.4f} "
              f"{scores[f'sklearn {n_jobs}']:>11.4f}")  # fmt: skip
    return speed_up, ratios, scores


def restarts_and_averages(data, quick):
    X, X_test, y, y_test = data
    single = FeedForwardRegressor(n_hidden=N_HIDDEN, standardize=False, random_state=0,
                                  **member_settings(quick))  # fmt: skip
    candidates = {
        "one network": single,
        f"best of {N_MEMBERS} restarts (20% held out)": ours(
            quick, 2, bootstrap=False, combine="best", validation_fraction=0.2
        ),
        f"average of {N_MEMBERS} restarts": ours(quick, 2, bootstrap=False),
        f"bagged average of {N_MEMBERS}": ours(quick, 2),
        f"bagged, best out-of-bag of {N_MEMBERS}": ours(quick, 2, combine="best"),
    }
    print("\nPart 4: held-out R^2")
    scores = {}
    for label, model in candidates.items():
        scores[label] = model.fit(X, y).score(X_test, y_test)
        print(f"  {label:<40} {scores[label]:.4f}")
    return scores


def report_targets(shares, ratios, scores):
    checks = [(f"{units} units: n_jobs=2 reaches >= 0.9 of the independent "
               "processes' speed-up", share >= 0.9)
              for units, share in shares.items()]  # fmt: skip
    for n_jobs, ratio in ratios.items():
        gap = scores[f"ours {n_jobs}"] - scores[f"sklearn {n_jobs}"]
        checks.append((f"n_jobs={n_jobs}: faster than BaggingRegressor(MLP)",
                       ratio < 1))  # fmt: skip
        checks.append((f"n_jobs={n_jobs}: R^2 within 0.01 of scikit-learn's",
                       abs(gap) <= 0.01))  # fmt: skip
    print("Targets:")
    for label, passed in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {label}")


def layouts(quick):
    """The same inputs, row-major, column-major and (with pandas) a DataFrame."""
    n_rows = 5_000 if quick else 49_097  # Statlog Shuttle's shape
    X, y = make_classification(n_samples=n_rows, n_features=9, n_informative=6,
                               n_classes=4, random_state=0)  # fmt: skip
    inputs = {"C": np.ascontiguousarray(X), "F": np.asfortranarray(X)}
    try:
        import pandas as pd
    except ImportError:
        return inputs, y
    inputs["DataFrame"] = pd.DataFrame(X, columns=[f"x{i}" for i in range(9)])
    return inputs, y


def layout_speed(quick, repeats):
    inputs, y = layouts(quick)
    print(f"\nPart 5: fit and predict_proba by input layout, {len(y):,} x 9, "
          f"8 members, best of {repeats}")  # fmt: skip
    print(f"  {'n_jobs':<8}{'input':<11}{'fit s':>8}{'x C':>6}{'predict s':>11}"
          f"{'x C':>6}")  # fmt: skip
    for n_jobs in (1, 2):
        fit, predict = {key: [] for key in inputs}, {key: [] for key in inputs}
        for _ in range(repeats):
            for key, X in inputs.items():
                net = FeedForwardClassifier(n_hidden=64, max_iter=5)
                model = BaggedNetEnsemble(net, n_estimators=N_MEMBERS,
                                          n_jobs=n_jobs, random_state=0)  # fmt: skip
                fit[key].append(timed_fit(model, X, y))
                start = time.perf_counter()
                model.predict_proba(X)
                predict[key].append(time.perf_counter() - start)
        fit = {key: min(values) for key, values in fit.items()}
        predict = {key: min(values) for key, values in predict.items()}
        for key in inputs:
            fit_ratio, predict_ratio = fit[key] / fit["C"], predict[key] / predict["C"]
            print(f"  {n_jobs:<8}{key:<11}{fit[key]:>8.2f}{fit_ratio:>6.2f}"
                  f"{predict[key]:>11.3f}{predict_ratio:>6.2f}")  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layouts", action="store_true",
                        help="only Part 5: C, Fortran and DataFrame input")  # fmt: skip
    parser.add_argument("--two-cores", action="store_true",
                        help="only Part 1: n_jobs=2 and its limit")  # fmt: skip
    parser.add_argument("--member-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.member_worker:
        path, half = args.member_worker
        member_worker(path, int(half))
        return
    repeats = 1 if args.quick else args.repeats
    # Members stop at max_iter on purpose; the ensemble carries this filter
    # into its worker processes.
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.two_cores:
        two_cores(args.quick, repeats)
        return
    data = load(args.quick)
    if not args.layouts:
        shares = two_cores(args.quick, repeats)
    warm_up_workers(data)
    if args.layouts:
        layout_speed(args.quick, repeats)
        return
    speed_up, ratios, scores = speed(data, args.quick, repeats)
    restarts_and_averages(data, args.quick)
    if args.quick:
        layout_speed(args.quick, repeats)
    else:
        report_targets(shares, ratios, scores)


if __name__ == "__main__":
    main()
