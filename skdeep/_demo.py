"""``python -m skdeep demo``: choose a network by cross-validation on digits.

Each entry of ``demo_entries()`` is a model and the grid of its parameters; the
demo tunes every entry with ``GridSearchCV`` (5-fold) on three quarters of
scikit-learn's bundled digits, prints each candidate's CV accuracy as it is
done, then a table of the best CV accuracy, fit time and held-out accuracy of
every entry side by side.  Later estimators join the comparison by adding an
entry.
"""

import argparse
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep._feedforward import FeedForwardClassifier


@dataclass
class DemoEntry:
    """A model to tune: its label, a factory and its parameter grid."""

    label: str
    make: Callable
    grid: dict


def demo_entries(quick):
    """The models the demo compares; later estimators add theirs here."""
    sizes, alphas = ([16, 64], [1e-2]) if quick else ([32, 64, 128], [1e-4, 1e-2, 1.0])
    max_iter = 20 if quick else 200
    return [
        DemoEntry(
            "skdeep FeedForwardClassifier",
            lambda: FeedForwardClassifier(max_iter=max_iter, random_state=0),
            {"n_hidden": sizes, "alpha": alphas},
        ),
        DemoEntry(
            "scikit-learn MLPClassifier",
            lambda: make_pipeline(
                StandardScaler(), MLPClassifier(max_iter=max_iter, random_state=0)
            ),
            {
                "mlpclassifier__hidden_layer_sizes": [(size,) for size in sizes],
                "mlpclassifier__alpha": alphas,
            },
        ),
    ]


class ProgressScorer:
    """Accuracy scorer that prints each candidate's mean once its folds are done."""

    def __init__(self, label, grid, n_splits, n_candidates, stream):
        self.label, self.grid = label, grid
        self.n_splits, self.n_candidates = n_splits, n_candidates
        self.stream = stream
        self.scores = []

    def __call__(self, estimator, X, y):
        score = float(np.mean(estimator.predict(X) == y))
        self.scores.append(score)
        if len(self.scores) % self.n_splits == 0:
            candidate = len(self.scores) // self.n_splits
            params = estimator.get_params()
            shown = ", ".join(
                f"{name.split('__')[-1]}={params[name]}" for name in self.grid
            )
            mean = np.mean(self.scores[-self.n_splits :])
            print(
                f"  [{candidate}/{self.n_candidates}] {shown}: CV accuracy {mean:.4f}",
                file=self.stream,
                flush=True,
            )
        return score


def tune(entry, X_train, y_train, X_test, y_test, n_splits, stream):
    """Grid-search one entry; return its row of the results table."""
    n_candidates = int(np.prod([len(values) for values in entry.grid.values()]))
    print(
        f"{entry.label}: {n_candidates} candidates x {n_splits} folds",
        file=stream,
        flush=True,
    )
    scorer = ProgressScorer(entry.label, entry.grid, n_splits, n_candidates, stream)
    search = GridSearchCV(entry.make(), entry.grid, cv=n_splits, scoring=scorer)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)
    elapsed = time.perf_counter() - start
    best = search.best_index_
    return {
        "label": entry.label,
        "params": ", ".join(
            f"{name.split('__')[-1]}={value}"
            for name, value in search.best_params_.items()
        ),
        "cv": search.cv_results_["mean_test_score"][best],
        "cv_std": search.cv_results_["std_test_score"][best],
        "fit_time": float(np.mean(search.cv_results_["mean_fit_time"])),
        "search_time": elapsed,
        "test": float(np.mean(search.predict(X_test) == y_test)),
    }


def format_table(rows):
    """The side-by-side results as text."""
    header = (
        f"{'model':<30} {'best parameters':<34} {'CV accuracy':>15} "
        f"{'fit (s)':>8} {'search (s)':>10} {'test acc.':>9}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['label']:<30} {row['params']:<34} "
            f"{row['cv']:>8.4f} +- {row['cv_std']:.3f} {row['fit_time']:>8.3f} "
            f"{row['search_time']:>10.1f} {row['test']:>9.4f}"
        )
    return "\n".join(lines)


def run_demo(quick=False, stream=None):
    """Tune every demo entry on digits and print the comparison table."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    n_splits = 3 if quick else 5
    print(
        f"Digits: {len(X_train)} training and {len(X_test)} test images of 8x8 "
        f"pixels; {n_splits}-fold cross-validation on the training images.\n",
        file=stream,
        flush=True,
    )
    rows = [
        tune(entry, X_train, y_train, X_test, y_test, n_splits, stream)
        for entry in demo_entries(quick)
    ]
    print("\n" + format_table(rows), file=stream, flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skdeep", description="skdeep's command line."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="tune networks by cross-validation on digits, beside scikit-learn"
    )
    demo.add_argument("--quick", action="store_true", help="a small grid, seconds")
    args = parser.parse_args(argv)
    if args.command == "demo":
        run_demo(quick=args.quick)
    return 0
