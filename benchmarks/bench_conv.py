"""Convolutional networks: accuracy against dense networks, and seconds per
epoch against PyTorch's CPU build.

Part 1, digits as 8 x 8 x 1 images: 5-fold stratified cross-validated
accuracy (folds shuffled with seed 0) of a ``ConvNetClassifier`` with
``filters=(16, 32)``, kernel 3, max pooling 2 and a dense layer of 64, trained
by Adam (``DIGITS_TRAINING``), beside a small grid of ``DeepFFNClassifier``
networks on the same folds, with every model's parameter count.

Part 2, speed: the same ConvNet on digits, and ``filters=(32, 64)`` on 20,000
random 28 x 28 x 1 images with random labels among 10 classes (a pure speed
test), in float32 and float64: Adam, batch 200, no early stopping or
tolerance stop, the same data for both libraries.  Where PyTorch is
installed (optional: never a dependency, not in CI), the same architecture
(``torch_reference.conv_network``: ``Conv2d`` with ``padding="same"``, ReLU,
``MaxPool2d``, ``Flatten``, ``Linear`` 64, ReLU, ``Linear``) takes its turn
in every repeat on two threads, and the ratio skdeep / PyTorch is printed.
skdeep's time is its whole ``fit`` divided by the epochs; PyTorch's covers
its epochs only.  Best of ``--repeats`` alternating runs.

Part 3, ``make_cbf`` (cylinder-bell-funnel series of length 128, 300
training series drawn with seed 0, 1,000 test series with seed 1): test
accuracy of a 1-D ConvNet against the best of a grid of dense networks
whose parameter count is at most the ConvNet's.

Run ``python benchmarks/bench_conv.py`` (about ten minutes on 2 cores) or
``--quick`` for a smoke run of a few seconds.
"""

import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score

sys.path.insert(0, str(Path(__file__).parent))
import torch_reference  # noqa: E402
from bench_feedforward import blas_description, timed_fit  # noqa: E402
from torch_reference import AVAILABLE as TORCH  # noqa: E402
from torch_reference import conv_seconds_per_epoch  # noqa: E402
from torch_reference import version as torch_version  # noqa: E402

from skdeep import ConvNetClassifier, DeepFFNClassifier  # noqa: E402
from skdeep.datasets import make_cbf  # noqa: E402

DIGITS_NET = dict(filters=(16, 32), kernel_size=3, pool_size=2,
                  hidden_layer_sizes=(64,))  # fmt: skip
DIGITS_TRAINING = dict(batch_size=50, alpha=1e-3, max_iter=60, tol=0.0,
                       n_iter_no_change=1000)  # fmt: skip
DIGITS_DENSE = [(256,), (512,), (256, 128), (512, 256)]
DENSE_TRAINING = dict(max_iter=200)
# (name, filters, image side, epochs per timed run)
SPEED = [("digits", (16, 32), 8, 20), ("random-28x28", (32, 64), 28, 2)]
CBF_NET = dict(filters=(16, 32), kernel_size=3, pool_size=2,
               hidden_layer_sizes=(64,))  # fmt: skip
CBF_TRAINING = dict(max_iter=100, tol=0.0, n_iter_no_change=1000)
CBF_DENSE_WIDTHS = [(32,), (64,), (128,), (256,), (384,), (64, 64), (128, 128),
                    (256, 128)]  # fmt: skip


def n_parameters(model):
    """Trainable values of a fitted skdeep network (weights and biases)."""
    return sum(a.size for a in [*model.coefs_, *model.intercepts_])


def dense_parameters(widths):
    """Parameter count of a dense network of layer ``widths``."""
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:], strict=True))


def cv_accuracy(model, X, y, folds):
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cross_val_score(model, X, y, cv=cv)


def fitted(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def digits_images(quick):
    X, y = load_digits(return_X_y=True)
    if quick:
        X, y = X[:300], y[:300]
    return X.reshape(-1, 8, 8, 1), y


def digits_accuracy(quick):
    """Part 1: the ConvNet's CV accuracy and the dense grid's; the rows."""
    X, y = digits_images(quick)
    folds, budget = (3, 2) if quick else (5, None)
    training = dict(DIGITS_TRAINING, **({"max_iter": budget} if budget else {}))
    dense_training = dict(DENSE_TRAINING, **({"max_iter": budget} if budget else {}))
    rows = []
    conv = ConvNetClassifier(**DIGITS_NET, **training, random_state=0)
    rows.append(("ConvNet " + describe(DIGITS_NET), cv_accuracy(conv, X, y, folds),
                 n_parameters(fitted(conv, X, y))))  # fmt: skip
    flat = X.reshape(len(X), -1)
    for sizes in DIGITS_DENSE[:1] if quick else DIGITS_DENSE:
        dense = DeepFFNClassifier(hidden_layer_sizes=sizes, **dense_training,
                                  random_state=0)  # fmt: skip
        rows.append((f"DeepFFN {sizes}", cv_accuracy(dense, flat, y, folds),
                     dense_parameters([64, *sizes, 10])))  # fmt: skip
    print(f"Part 1: digits as 8 x 8 x 1 images, {folds}-fold stratified CV accuracy")
    print(f"  ConvNet training: Adam, {training}; dense: Adam, {dense_training}")
    print(f"{'model':<44} {'accuracy':>16} {'parameters':>10}")
    for name, scores, count in rows:
        print(f"{name:<44} {scores.mean():>8.4f} +- {scores.std():.3f} {count:>10,}")
    return rows


def describe(net):
    return (f"{net['filters']} k={net['kernel_size']} pool={net['pool_size']} "
            f"dense={net['hidden_layer_sizes']}")  # fmt: skip


def speed_data(name, side, dtype, quick):
    """Images ``(n, side, side, 1)`` and labels, in ``dtype``."""
    if name == "digits":
        X, y = digits_images(quick)
        return (X / 16).astype(dtype), y
    rng = np.random.default_rng(0)
    n = 100 if quick else 20_000
    return rng.random((n, side, side, 1), dtype=dtype), rng.integers(0, 10, n)


def speed_model(filters, epochs, seed=0):
    return ConvNetClassifier(
        filters=filters, kernel_size=3, pool_size=2, hidden_layer_sizes=(64,),
        batch_size=200, learning_rate_init=1e-3, alpha=1e-4, max_iter=epochs,
        tol=0.0, n_iter_no_change=epochs + 1, standardize=False, random_state=seed,
    )  # fmt: skip


def time_config(name, filters, side, epochs, dtype, quick, repeats):
    """Best seconds per epoch of skdeep and PyTorch, alternating."""
    X, y = speed_data(name, side, dtype, quick)
    epochs = 1 if quick else epochs
    times = {"skdeep": [], "torch": []}
    for _ in range(repeats):
        model = speed_model(filters, epochs)
        times["skdeep"].append(timed_fit(model, X, y) / model.n_iter_)
        if TORCH:
            times["torch"].append(conv_seconds_per_epoch(
                X, y, "classification", filters, 3, 2, (64,), 200, epochs))  # fmt: skip
    return {"name": name, "dtype": np.dtype(dtype).name, "filters": filters,
            "n": len(X), "skdeep": min(times["skdeep"]),
            "torch": min(times["torch"], default=math.nan)}  # fmt: skip


def speed(quick, repeats):
    """Part 2: seconds per epoch against PyTorch; the rows."""
    print(f"\nPart 2: seconds per epoch (best of {repeats} alternating runs, "
          "batch 200, Adam)")  # fmt: skip
    print(f"{'problem':<14} {'filters':<9} {'rows':>6} {'dtype':<8} {'skdeep':>8}"
          + (f" {'torch':>8} {'/ torch':>7}" if TORCH else ""))  # fmt: skip
    rows = []
    for name, filters, side, epochs in SPEED:
        for dtype in (np.float32, np.float64):
            row = time_config(name, filters, side, epochs, dtype, quick, repeats)
            rows.append(row)
            cells = (f" {row['torch']:>8.4f} {row['skdeep'] / row['torch']:>7.2f}"
                     if TORCH else "")  # fmt: skip
            print(f"{name:<14} {str(filters):<9} {row['n']:>6} {row['dtype']:<8} "
                  f"{row['skdeep']:>8.4f}" + cells, flush=True)  # fmt: skip
    return rows


def cbf_data(quick):
    n_train, n_test = (60, 100) if quick else (300, 1000)
    X, y = make_cbf(n_train, 128, random_state=0)
    X_test, y_test = make_cbf(n_test, 128, random_state=1)
    return X, X_test, y, y_test


def cbf_accuracy(quick):
    """Part 3: a 1-D ConvNet against dense networks of at most its budget."""
    X, X_test, y, y_test = cbf_data(quick)
    training = dict(CBF_TRAINING, **({"max_iter": 3} if quick else {}))
    dense_training = dict(DENSE_TRAINING, **({"max_iter": 3} if quick else {}))
    start = time.perf_counter()
    conv = fitted(ConvNetClassifier(**CBF_NET, **training, random_state=0), X, y)
    conv_seconds = time.perf_counter() - start
    budget = n_parameters(conv)
    dense = []
    for sizes in CBF_DENSE_WIDTHS[:2] if quick else CBF_DENSE_WIDTHS:
        count = dense_parameters([X.shape[1], *sizes, 3])
        if count <= budget:
            model = DeepFFNClassifier(hidden_layer_sizes=sizes, **dense_training,
                                      random_state=0)  # fmt: skip
            dense.append((sizes, fitted(model, X, y).score(X_test, y_test), count))
    print(f"\nPart 3: make_cbf, length 128, {len(X)} training / {len(X_test)} test "
          "series: test accuracy")  # fmt: skip
    print(f"  ConvNet training: Adam, {training} ({conv_seconds:.1f} s)")
    print(f"  dense: Adam, {dense_training}, at most {budget:,} parameters")
    print(f"{'model':<44} {'accuracy':>8} {'parameters':>10}")
    conv_score = conv.score(X_test, y_test)
    print(f"{'ConvNet 1-D ' + describe(CBF_NET):<44} {conv_score:>8.4f} {budget:>10,}")
    for sizes, score, count in dense:
        print(f"{'DeepFFN ' + str(sizes):<44} {score:>8.4f} {count:>10,}")
    best = max(dense, key=lambda row: row[1])
    print(f"Best dense network: {best[0]}, accuracy {best[1]:.4f}")
    return conv_score, best[1]


def report_targets(digits_rows, speed_rows, cbf_scores):
    conv_scores = digits_rows[0][1]
    checks = [("digits ConvNet 5-fold CV accuracy >= 0.985",
               conv_scores.mean() >= 0.985)]  # fmt: skip
    for row in speed_rows:
        if math.isnan(row["torch"]):
            continue
        limit, text = (1.0, "< 1") if row["name"] == "digits" else (1.5, "<= 1.5")
        ratio = row["skdeep"] / row["torch"]
        passed = ratio < limit if limit == 1.0 else ratio <= limit
        checks.append((f"{row['name']} {row['dtype']} skdeep / PyTorch {text} "
                       f"({ratio:.2f})", passed))  # fmt: skip
    checks.append((f"CBF ConvNet test accuracy >= 0.97 ({cbf_scores[0]:.4f})",
                   cbf_scores[0] >= 0.97))  # fmt: skip
    print(f"\nTargets ({torch_reference.THREADS} threads):")
    for label, passed in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {label}")


def warm_up():
    """One tiny fit of each library and dtype, so no timing pays first calls."""
    for dtype in (np.float32, np.float64):
        X, y = speed_data("random-28x28", 28, dtype, quick=True)
        timed_fit(speed_model((4, 8), 1), X[:50], y[:50])
        if TORCH:
            conv_seconds_per_epoch(X[:50], y[:50], "classification", (4, 8), 3, 2,
                                   (8,), 25, 1)  # fmt: skip


def main(argv=None):
    description = __doc__.splitlines()[0]
    torch_reference.run_command_line(run, description, "123", argv)


def run(args):
    print(f"BLAS: {blas_description()}")
    if TORCH:
        print(f"PyTorch {torch_version()} on {torch_reference.THREADS} threads")
    warm_up()
    digits_rows = digits_accuracy(args.quick) if "1" in args.parts else None
    repeats = args.repeats or (1 if args.quick else 3)
    speed_rows = speed(args.quick, repeats) if "2" in args.parts else None
    cbf_scores = cbf_accuracy(args.quick) if "3" in args.parts else None
    if not args.quick and args.parts == "123":
        report_targets(digits_rows, speed_rows, cbf_scores)


if __name__ == "__main__":
    main()
