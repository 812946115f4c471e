"""Recurrent networks: long-term dependencies (the adding problem), and seconds
per epoch against PyTorch's CPU build.

Part 1, the adding problem (Hochreiter & Schmidhuber 1997, as set by Le et
al. 2015): sequences of 100 steps with two channels, values drawn from
U[0, 1] and a marker channel with exactly two ones, one in each half; the
target is the sum of the two marked values.  Always predicting 1 gives a
mean squared error of 1/6 (0.167).  An LSTM and a tanh RNN of the same size
train with the same settings (``ADDING_TRAINING``: Adam, gradient clipping)
for the same stated number of epochs; the table gives their test MSE and
the norm of the gradient of the loss with respect to the hidden state at
each time step (``step_grad_norms`` of the engine's recurrent layers, on
the test sequences), at initialisation and after training: the first step's
norm over the last step's says how much of the error signal reaches the
start of the sequence, where the first marked value lies.

Part 2, speed: ``RecurrentRegressor`` with an LSTM or GRU of 64 units over
10,000 sequences of 50 steps and 8 features, a linear output on the last
hidden state, Adam, batch 128, no early stopping or tolerance stop, in
float32 and float64.  Where PyTorch is installed (optional: never a
dependency, not in CI), ``torch.nn.LSTM`` / ``torch.nn.GRU`` of the same
sizes with a ``Linear`` on the last state (``torch_reference``) take their
turn in every repeat on two threads.  skdeep's time is its whole ``fit``
divided by the epochs; PyTorch's covers its epochs only.  Best of
``--repeats`` alternating runs.

Run ``python benchmarks/bench_recurrent.py`` (about five minutes on 2 cores)
or ``--quick`` for a smoke run of a few seconds.
"""

import copy
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import torch_reference  # noqa: E402
from bench_feedforward import blas_description, timed_fit  # noqa: E402
from torch_reference import AVAILABLE as TORCH  # noqa: E402
from torch_reference import recurrent_seconds_per_epoch  # noqa: E402
from torch_reference import version as torch_version  # noqa: E402

from skdeep import RecurrentRegressor  # noqa: E402

ADDING_LENGTH = 100
ADDING_SIZES = (10_000, 1_000)  # training and test sequences
ADDING_NET = dict(hidden_size=32, hidden_layer_sizes=())
ADDING_TRAINING = dict(solver="adam", learning_rate_init=1e-2, batch_size=100,
                       clip_norm=1.0, max_iter=10, tol=0.0, n_iter_no_change=1000,
                       alpha=0.0, standardize=False)  # fmt: skip
BASELINE_MSE = 1 / 6
# The RNN "stays near" the baseline while its test MSE is above this share of it.
NEAR_BASELINE = 0.8
SPEED_SHAPE = (10_000, 50, 8)  # sequences, steps, features
SPEED_EPOCHS = 3
QUICK_SHAPE = (256, 10, 8)


def adding_problem(n_samples, length, seed):
    """Sequences ``(n, length, 2)`` of values and markers, and the sums."""
    rng = np.random.default_rng(seed)
    values = rng.random((n_samples, length))
    rows = np.arange(n_samples)
    first = rng.integers(0, length // 2, n_samples)
    second = rng.integers(length // 2, length, n_samples)
    markers = np.zeros((n_samples, length))
    markers[rows, first] = 1
    markers[rows, second] = 1
    X = np.stack([values, markers], axis=-1)
    return X, values[rows, first] + values[rows, second]


def recurrent_layer(network):
    return next(layer for layer in network.layers
                if hasattr(layer, "record_step_norms"))  # fmt: skip


def step_norms(network, X, y):
    """``||dL/dh_t||`` at every step, for the mean loss over ``X``."""
    layer = recurrent_layer(network)
    layer.record_step_norms = True
    try:
        Y = y.reshape(-1, 1).astype(network.dtype)
        # training=True runs the whole batch at once, as backward needs (the
        # network has no dropout for it to switch on)
        network.loss_and_gradient(X.astype(network.dtype), Y, None, 1 / len(X))
        return layer.step_grad_norms.copy()
    finally:
        layer.record_step_norms = False


def initial_network(model, seed=0):
    """A copy of ``model``'s network with freshly initialised parameters."""
    network = copy.deepcopy(model._network)
    network.initialize(model.init, np.random.default_rng(seed), model.init_scale)
    return network


def adding(quick):
    """Part 1: test MSE and step gradient norms of an LSTM and a tanh RNN."""
    n_train, n_test = (200, 100) if quick else ADDING_SIZES
    X, y = adding_problem(n_train, ADDING_LENGTH, seed=0)
    X_test, y_test = adding_problem(n_test, ADDING_LENGTH, seed=1)
    training = dict(ADDING_TRAINING, **({"max_iter": 2} if quick else {}))
    print(
        f"Part 1: the adding problem, length {ADDING_LENGTH}, {n_train:,} training "
        f"/ {n_test:,} test sequences; predicting 1: MSE {BASELINE_MSE:.3f}"
    )
    print(f"  {ADDING_NET}, {training}")  # fmt: skip
    print(
        f"{'cell':<6} {'epochs':>6} {'seconds':>8} {'test MSE':>9} "
        f"{'|g_1|/|g_T| init':>16} {'trained':>10} {'|g_1| trained':>13}"
    )
    rows = {}
    for cell in ("lstm", "rnn"):
        model = RecurrentRegressor(cell=cell, **ADDING_NET, **training, random_state=0)
        seconds = timed_fit(model, X, y)
        mse = float(np.mean((model.predict(X_test) - y_test) ** 2))
        start = step_norms(initial_network(model), X_test, y_test)
        end = step_norms(model._network, X_test, y_test)
        rows[cell] = {"mse": mse, "init": start, "trained": end,
                      "losses": [r["loss"] for r in model.history_]}  # fmt: skip
        print(f"{cell:<6} {model.n_iter_:>6} {seconds:>8.1f} {mse:>9.4f} "
              f"{start[0] / start[-1]:>16.2e} {end[0] / end[-1]:>10.2e} "
              f"{end[0]:>13.2e}", flush=True)  # fmt: skip
    print_norm_profile(rows)
    return rows


def print_norm_profile(rows):
    """``||dL/dh_t||`` relative to the last step, at a few steps."""
    steps = [0, 25, 50, 75, ADDING_LENGTH - 1]
    print("||dL/dh_t|| / ||dL/dh_T|| at step t:")
    print(f"{'':<14}" + "".join(f"{f't={t + 1}':>10}" for t in steps))
    for cell, row in rows.items():
        for when in ("init", "trained"):
            norms = row[when]
            cells = "".join(f"{norms[t] / norms[-1]:>10.2e}" for t in steps)
            print(f"{cell + ' ' + when:<14}{cells}")


def speed_data(dtype, quick):
    n, steps, features = QUICK_SHAPE if quick else SPEED_SHAPE
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, steps, features)).astype(dtype)
    # a target that depends on the whole sequence: the mean of one feature
    return X, X[:, :, 0].mean(axis=1)


def speed_model(cell, epochs, seed=0):
    return RecurrentRegressor(
        cell=cell, hidden_size=64, hidden_layer_sizes=(), batch_size=128,
        learning_rate_init=1e-3, alpha=1e-4, max_iter=epochs, tol=0.0,
        n_iter_no_change=epochs + 1, standardize=False, random_state=seed,
    )  # fmt: skip


def time_config(cell, dtype, quick, repeats):
    X, y = speed_data(dtype, quick)
    epochs = 1 if quick else SPEED_EPOCHS
    times = {"skdeep": [], "torch": []}
    for _ in range(repeats):
        model = speed_model(cell, epochs)
        times["skdeep"].append(timed_fit(model, X, y) / model.n_iter_)
        if TORCH:
            times["torch"].append(recurrent_seconds_per_epoch(
                X, y, "regression", cell, 64, 128, epochs))  # fmt: skip
    return {"cell": cell, "dtype": np.dtype(dtype).name, "skdeep": min(times["skdeep"]),
            "torch": min(times["torch"], default=math.nan)}  # fmt: skip


def speed(quick, repeats):
    """Part 2: seconds per epoch against PyTorch; the rows."""
    n, steps, features = QUICK_SHAPE if quick else SPEED_SHAPE
    print(
        f"\nPart 2: seconds per epoch, hidden 64, {n:,} sequences of {steps} steps "
        f"x {features} features, batch 128, Adam (best of {repeats})"
    )
    print(f"{'cell':<6} {'dtype':<8} {'skdeep':>8}"
          + (f" {'torch':>8} {'/ torch':>7}" if TORCH else ""))  # fmt: skip
    rows = []
    for cell in ("lstm", "gru"):
        for dtype in (np.float32, np.float64):
            row = time_config(cell, dtype, quick, repeats)
            rows.append(row)
            cells = (f" {row['torch']:>8.4f} {row['skdeep'] / row['torch']:>7.2f}"
                     if TORCH else "")  # fmt: skip
            print(f"{cell:<6} {row['dtype']:<8} {row['skdeep']:>8.4f}" + cells,
                  flush=True)  # fmt: skip
    return rows


def report_targets(adding_rows, speed_rows):
    epochs = ADDING_TRAINING["max_iter"]
    lstm, rnn = adding_rows["lstm"]["mse"], adding_rows["rnn"]["mse"]
    near = NEAR_BASELINE * BASELINE_MSE
    checks = [
        (f"adding: LSTM test MSE < 0.01 within {epochs} epochs ({lstm:.4f})",
         lstm < 0.01),
        (f"adding: tanh RNN stays near {BASELINE_MSE:.3f}, MSE > {near:.3f} "
         f"({rnn:.4f})", rnn > near),
    ]  # fmt: skip
    for row in speed_rows:
        if row["dtype"] == "float32" and not math.isnan(row["torch"]):
            ratio = row["skdeep"] / row["torch"]
            checks.append((f"{row['cell']} float32 <= 1.5 x PyTorch ({ratio:.2f})",
                           ratio <= 1.5))  # fmt: skip
    print(f"\nTargets ({torch_reference.THREADS} threads):")
    for label, passed in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {label}")


def warm_up():
    """One tiny fit of each library, cell and dtype, before any timing."""
    for dtype in (np.float32, np.float64):
        X, y = speed_data(dtype, quick=True)
        for cell in ("lstm", "gru"):
            timed_fit(speed_model(cell, 1), X[:64], y[:64])
            if TORCH:
                recurrent_seconds_per_epoch(X[:64], y[:64], "regression", cell, 64,
                                            32, 1)  # fmt: skip


def main(argv=None):
    description = __doc__.splitlines()[0]
    torch_reference.run_command_line(run, description, "12", argv)


def run(args):
    print(f"BLAS: {blas_description()}")
    if TORCH:
        print(f"PyTorch {torch_version()} on {torch_reference.THREADS} threads")
    start = time.perf_counter()
    warm_up()
    adding_rows = adding(args.quick) if "1" in args.parts else None
    repeats = args.repeats or (1 if args.quick else 3)
    speed_rows = speed(args.quick, repeats) if "2" in args.parts else None
    if not args.quick and args.parts == "12":
        report_targets(adding_rows, speed_rows)
    print(f"\nTotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
