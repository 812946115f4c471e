"""Column-major input: as fast as row-major, for every estimator.

A pandas DataFrame, ``DataFrame.to_numpy()`` or a ``ColumnTransformer`` hands
an estimator a Fortran-ordered (column-major) array.  For each skdeep
estimator this script times ``fit`` and ``predict`` on the same data given
C-ordered, F-ordered and as a DataFrame, and prints the time of each layout
relative to C order (the target: at most 1.2), with scikit-learn's
``MLPClassifier`` epoch beside the networks' for scale.

The data has the shape of the Statlog Shuttle set (49,097 x 9, 7 classes);
timings keep the best of ``--repeats`` runs.

Run ``python benchmarks/bench_layouts.py`` (about a minute) or ``--quick``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skdeep import BaggedNetEnsemble, FeedForwardClassifier, PPRRegressor

TARGET = 1.2


def best_time(method, arguments, repeats):
    """Best wall time of ``method(*arguments)`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        method(*arguments)
        times.append(time.perf_counter() - started)
    return min(times)


def layouts(X):
    """The same data in C order, in Fortran order and as a DataFrame."""
    found = {"C": np.ascontiguousarray(X), "F": np.asfortranarray(X)}
    try:
        import pandas as pd

        found["DataFrame"] = pd.DataFrame(X, columns=[f"x{i}" for i in range(9)])
    except ImportError:
        pass
    return found


def estimators(quick):
    epochs = 2 if quick else 5
    network = dict(n_hidden=64, max_iter=epochs, tol=0, n_iter_no_change=np.inf,
                   random_state=0)  # fmt: skip
    member = FeedForwardClassifier(**{**network, "max_iter": 2})
    return [
        ("FeedForwardClassifier (per epoch)", FeedForwardClassifier(**network), epochs),
        ("PPRRegressor", PPRRegressor(n_terms=2), 1),
        ("BaggedNetEnsemble (4 members)",
         BaggedNetEnsemble(member, n_estimators=4, random_state=0), 1),
    ]  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n = 3000 if args.quick else 49_097
    X, y = make_classification(n_samples=n, n_features=9, n_informative=6,
                               n_classes=7, random_state=0)  # fmt: skip
    targets = {True: y, False: X @ np.linspace(-1, 1, 9) + np.sin(X[:, 0])}
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"{n} x 9; best of {args.repeats}; times relative to C order")
    print(f"{'estimator':<36}{'layout':<11}{'fit s':>9}{'ratio':>7}"
          f"{'predict s':>11}{'ratio':>7}")  # fmt: skip
    failures = 0
    for name, estimator, per in estimators(args.quick):
        y_fit = targets["Regressor" not in name]
        reference = None
        for layout, X_layout in layouts(X).items():
            fit = best_time(estimator.fit, (X_layout, y_fit), args.repeats) / per
            predict = best_time(estimator.predict, (X_layout,), args.repeats)
            reference = reference or (fit, predict)
            ratios = fit / reference[0], predict / reference[1]
            failures += layout != "C" and max(ratios) > TARGET
            print(f"{name:<36}{layout:<11}{fit:>9.4f}{ratios[0]:>7.2f}"
                  f"{predict:>11.4f}{ratios[1]:>7.2f}")  # fmt: skip
    mlp = MLPClassifier(hidden_layer_sizes=(64,), max_iter=2, tol=0, random_state=0)
    mlp_epoch = best_time(mlp.fit, (X, y), args.repeats) / 2
    print(f"{'MLPClassifier (per epoch, C order)':<36}{'C':<11}{mlp_epoch:>9.4f}")
    print(f"{'PASS' if not failures else 'FAIL'}: every layout within {TARGET}x of C")


if __name__ == "__main__":
    main()
