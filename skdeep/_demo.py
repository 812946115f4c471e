"""``python -m skdeep demo``: choose models by cross-validation on bundled data.

Two tasks from scikit-learn's bundled data: classifying the digits, and the
diabetes regression (where an ensemble of restarted or bagged networks joins
the single network).  Each task lists models with the grid of their
parameters; the demo tunes every model with ``GridSearchCV`` (5-fold) on three
quarters of the data, prints each candidate's CV score as it is done, then a
table of the best CV score, fit time and held-out score of every model side
by side, and ends with a summary.  Later estimators join the comparison by
adding an entry.
"""

import argparse
import textwrap
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep._deep import DeepFFNClassifier
from skdeep._ensemble import BaggedNetEnsemble
from skdeep._feedforward import FeedForwardClassifier, FeedForwardRegressor
from skdeep._ppr import PPRRegressor


@dataclass
class DemoEntry:
    """A model to tune: its label, a factory and its parameter grid."""

    label: str
    make: Callable
    grid: dict


@dataclass
class DemoTask:
    """A data set, the name of its score and the models compared on it."""

    name: str
    load: Callable
    score_name: str
    entries: list
    note: Callable | None = None  # (y_train, y_test) -> text after the table


def _scaled_target(regressor):
    """scikit-learn's MLP learns best with a standardised target; skdeep's
    regressors standardise theirs themselves, and PPR does not need it."""
    return TransformedTargetRegressor(regressor, transformer=StandardScaler())


def demo_tasks(quick):
    """The tasks and models the demo compares; later estimators add theirs here."""
    sizes, alphas = ([16, 64], [1e-2]) if quick else ([32, 64, 128], [1e-4, 1e-2, 1.0])
    max_iter = 20 if quick else 200
    digits = [
        DemoEntry(
            "skdeep FeedForwardClassifier",
            lambda: FeedForwardClassifier(max_iter=max_iter, random_state=0),
            {"n_hidden": sizes, "alpha": alphas},
        ),
        DemoEntry(
            "skdeep DeepFFNClassifier",
            lambda: DeepFFNClassifier(max_iter=max_iter, random_state=0),
            {
                "hidden_layer_sizes": [(32, 16)] if quick else [(64, 32), (128, 64)],
                "dropout": [0.0, 0.2],
            },
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
    terms = [1, 2] if quick else [1, 2, 3]
    hidden, penalties = ([8], [1.0]) if quick else ([4, 16], [1e-2, 1.0, 10.0])
    members, combines = (3, ["mean"]) if quick else (10, ["mean", "median"])

    diabetes = [
        DemoEntry(
            "skdeep PPRRegressor",
            lambda: PPRRegressor(random_state=0),
            {"n_terms": terms, "smoother": ["spline", "supsmu"]},
        ),
        DemoEntry(
            "skdeep FeedForwardRegressor",
            lambda: FeedForwardRegressor(solver="lbfgs", random_state=0),
            {"n_hidden": hidden, "alpha": penalties},
        ),
        DemoEntry(
            "skdeep BaggedNetEnsemble",
            lambda: BaggedNetEnsemble(
                FeedForwardRegressor(solver="lbfgs", n_hidden=hidden[-1]),
                n_estimators=members,
                random_state=0,
            ),
            {
                "estimator__alpha": penalties[-2:],
                "bootstrap": [False, True],
                "combine": combines,
            },
        ),
        DemoEntry(
            "scikit-learn MLPRegressor",
            lambda: _scaled_target(
                make_pipeline(
                    StandardScaler(), MLPRegressor(solver="lbfgs", random_state=0)
                )
            ),
            {
                "regressor__mlpregressor__hidden_layer_sizes": [(h,) for h in hidden],
                "regressor__mlpregressor__alpha": penalties,
            },
        ),
    ]
    return [
        DemoTask("digits", lambda: load_digits(return_X_y=True), "accuracy", digits),
        DemoTask(
            "diabetes",
            lambda: load_diabetes(return_X_y=True),
            "R^2",
            diabetes,
            note=diabetes_note,
        ),
    ]


def diabetes_note(y_train, y_test):
    """Why the test R^2 falls below the CV R^2 on this split of diabetes."""
    sd_train, sd_test = np.std(y_train), np.std(y_test)
    half = 1 - 0.5 * (sd_train / sd_test) ** 2
    return (
        "On diabetes the test R^2 falls below the CV R^2, much of the gap "
        f"because of the split: the {len(y_test)} test rows' targets vary less "
        f"than the {len(y_train)} training rows' (standard deviation {sd_test:.1f} "
        f"against {sd_train:.1f}), and R^2 measures the error against that "
        "variation, so an error worth R^2 0.50 on rows like the training rows "
        f"scores {half:.2f} on the test rows. The best of a grid is also picked "
        "for its CV score, which flatters it a little. Compare models within a "
        "column: with this few rows, differences of a few hundredths are noise."
    )


class ProgressScorer:
    """The model's own score (accuracy or R^2), printing each candidate's mean
    once its folds are done."""

    def __init__(self, grid, n_splits, n_candidates, score_name, stream):
        self.grid = grid
        self.n_splits, self.n_candidates = n_splits, n_candidates
        self.score_name, self.stream = score_name, stream
        self.scores = []

    def __call__(self, estimator, X, y):
        score = float(estimator.score(X, y))
        self.scores.append(score)
        if len(self.scores) % self.n_splits == 0:
            candidate = len(self.scores) // self.n_splits
            params = estimator.get_params()
            shown = ", ".join(f"{name}={params[name]}" for name in self.grid)
            mean = np.mean(self.scores[-self.n_splits :])
            print(
                f"  [{candidate}/{self.n_candidates}] {shown}: "
                f"CV {self.score_name} {mean:.4f}",
                file=self.stream,
                flush=True,
            )
        return score


def _plural(count, noun):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _n_candidates(entry):
    return int(np.prod([len(values) for values in entry.grid.values()]))


def tune(entry, data, n_splits, score_name, stream):
    """Grid-search one entry; return its row of the results table."""
    X_train, X_test, y_train, y_test = data
    n_candidates = _n_candidates(entry)
    print(
        f"{entry.label}: {_plural(n_candidates, 'candidate')} x "
        f"{_plural(n_splits, 'fold')}",
        file=stream,
        flush=True,
    )
    scorer = ProgressScorer(entry.grid, n_splits, n_candidates, score_name, stream)
    search = GridSearchCV(entry.make(), entry.grid, cv=n_splits, scoring=scorer)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        search.fit(X_train, y_train)
    elapsed = time.perf_counter() - start
    best = search.best_index_
    return {
        "label": entry.label,
        "params": ", ".join(
            f"{name}={value}" for name, value in search.best_params_.items()
        ),
        "cv": search.cv_results_["mean_test_score"][best],
        "cv_std": search.cv_results_["std_test_score"][best],
        "fit_time": float(np.mean(search.cv_results_["mean_fit_time"])),
        "search_time": elapsed,
        "test": float(search.score(X_test, y_test)),
    }


def format_table(rows, score_name):
    """The side-by-side results, then each model's best parameters, as text."""
    header = (
        f"{'model':<30} {'CV ' + score_name:>15} {'fit (s)':>8} "
        f"{'search (s)':>10} {'test':>7}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['label']:<30} {row['cv']:>8.4f} +- {row['cv_std']:.3f} "
            f"{row['fit_time']:>8.3f} {row['search_time']:>10.1f} {row['test']:>7.4f}"
        )
    lines.append("best parameters (names as GridSearchCV and set_params take them):")
    lines += [f"  {row['label']:<30} {row['params']}" for row in rows]
    return "\n".join(lines)


def explain_columns(score_name, n_splits):
    """What the table's columns mean."""
    columns = [
        f"CV {score_name}: the best candidate's mean score over the {n_splits} "
        "folds, +- its standard deviation.",
        "fit (s): the mean time of one fit; search (s): the whole grid search, "
        "its final refit included.",
        "test: the best candidate, refitted on all the training samples, scored "
        "on the test samples.",
    ]
    return "\n".join(textwrap.fill(text, width=79) for text in columns)


def run_task(task, n_splits, stream, explain=False):
    """Tune every model of one task and print its table; return the rows.

    With ``explain``, the table is followed by what its columns mean.
    """
    X, y = task.load()
    stratify = y if task.score_name == "accuracy" else None
    data = train_test_split(X, y, test_size=0.25, stratify=stratify, random_state=0)
    n_train, n_test = len(data[0]), len(data[1])
    print(
        f"\n== {task.name}: {n_train} training and {n_test} test samples; "
        f"{n_splits}-fold cross-validation on the training samples ({task.score_name})",
        file=stream,
        flush=True,
    )
    rows = [
        tune(entry, data, n_splits, task.score_name, stream) for entry in task.entries
    ]
    parts = [format_table(rows, task.score_name)]
    if explain:
        parts.append(explain_columns(task.score_name, n_splits))
    gaps = [row["test"] - row["cv"] for row in rows]
    gap = f"test minus CV {task.score_name}: {min(gaps):+.3f} to {max(gaps):+.3f}"
    if task.note:
        gap += "\n" + textwrap.fill(task.note(data[2], data[3]), width=79)
    parts.append(gap)
    print("\n" + "\n\n".join(parts), file=stream, flush=True)
    return rows


def opening(tasks, n_splits, quick):
    """What the demo is about to do, and for how long."""
    entries = [entry for task in tasks for entry in task.entries]
    n_fits = sum(_n_candidates(entry) * n_splits + 1 for entry in entries)
    names = " and ".join(task.name for task in tasks)
    duration = (
        "under a minute on 2 cores. Quick: small grids and short fits, so "
        "lower scores than the full demo's"
        if quick
        else "a few minutes on 2 cores (--quick: under a minute)"
    )
    return (
        f"skdeep demo: tunes {len(entries)} models (skdeep's, and scikit-learn's "
        f"MLP beside them) by {n_splits}-fold grid search on scikit-learn's "
        f"{names} data, then scores each on held-out test samples: {n_fits} "
        f"fits, {duration}. Warnings from the grid's fits (such as fits stopped "
        "at max_iter) are not shown."
    )


def summary(results, tasks, elapsed):
    """The best model of every task by CV and by test score, and the time."""
    lines = ["\n== summary"]
    for task in tasks:
        rows = results[task.name]
        by_cv = max(rows, key=lambda row: row["cv"])
        by_test = max(rows, key=lambda row: row["test"])
        width = len(f"test {task.score_name}")
        lines += [
            f"{task.name}:",
            f"  best {'CV ' + task.score_name:<{width}}  {by_cv['cv']:.4f}  "
            f"{by_cv['label']}",
            f"  best {'test ' + task.score_name:<{width}}  {by_test['test']:.4f}  "
            f"{by_test['label']}",
        ]
    lines.append(f"all done in {elapsed:.0f} s.")
    return "\n".join(lines)


def run_demo(quick=False, stream=None):
    """Tune every model of every task; return the rows by task name."""
    n_splits = 3 if quick else 5
    tasks = demo_tasks(quick)
    print(textwrap.fill(opening(tasks, n_splits, quick), width=79), file=stream)
    start = time.perf_counter()
    results = {
        task.name: run_task(task, n_splits, stream, explain=index == 0)
        for index, task in enumerate(tasks)
    }
    elapsed = time.perf_counter() - start
    print(summary(results, tasks, elapsed), file=stream, flush=True)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skdeep", description="skdeep's command line."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="tune models by cross-validation on bundled data, beside scikit-learn",
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help="small grids and short fits, under a minute",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        run_demo(quick=args.quick)
    return 0
