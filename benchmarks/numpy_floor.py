"""The least time an epoch can take: its matrix products and Adam alone.

``epoch_floor(widths, n_rows, batch_size, dtype)`` times, on random arrays of
the network's shapes, the NumPy matrix products of one minibatch (forward,
weight gradients, and the input gradients of every layer above the first)
and skdeep's own Adam update of the flat parameter vector (its compiled
one-pass update where it was built), with one and with two BLAS threads,
and returns the faster per-batch time times the number of full batches.
Nothing else an epoch does is timed (activations, biases, the L2 gradient,
the loss, gathering the batch, the interpreter), so no trainer built on
NumPy's matrix products and that update can run an epoch faster.  The
benchmarks print it beside skdeep's epoch: how much of the epoch is left to
win, and whether a target is within reach at all.  ``floor_gflops`` turns it
into the rate it stands for.
"""

import math
import time

import numpy as np
from threadpoolctl import threadpool_limits

from skdeep._engine.kernels import empty
from skdeep._engine.optimizers import Adam


def epoch_floor(widths, n_rows, batch_size, dtype, repeats=5, inner=10):
    """Seconds of an epoch's matrix products and Adam updates, nothing else.

    Parameters
    ----------
    widths : sequence of int
        Inputs, hidden layers and outputs, e.g. ``(784, 512, 10)``.
    n_rows, batch_size : int
        Training rows and rows per minibatch; only full batches count.
    dtype : float32 or float64
    """
    rng = np.random.default_rng(0)
    pairs = list(zip(widths[:-1], widths[1:], strict=True))
    coefs = [rng.standard_normal(pair).astype(dtype) for pair in pairs]
    grads = [np.empty_like(coef) for coef in coefs]
    # activations on the way up, deltas on the way down, in the same arrays
    values = [
        rng.standard_normal((batch_size, width)).astype(dtype) for width in widths
    ]
    n_params = sum(n_in * n_out + n_out for n_in, n_out in pairs)
    theta = empty(n_params, dtype)
    theta[:] = rng.standard_normal(n_params) * 0.1
    grad = empty(n_params, dtype)
    grad[:] = rng.standard_normal(n_params)
    adam = Adam(n_params, dtype)

    def batch():
        for layer, coef in enumerate(coefs):
            np.matmul(values[layer], coef, out=values[layer + 1])
        for layer in range(len(coefs) - 1, -1, -1):
            np.matmul(values[layer].T, values[layer + 1], out=grads[layer])
            if layer > 0:
                np.matmul(values[layer + 1], coefs[layer].T, out=values[layer])
        adam.step(theta, grad)

    best = math.inf
    for threads in (1, 2):
        with threadpool_limits(threads):
            batch()
            for _ in range(repeats):
                start = time.perf_counter()
                for _ in range(inner):
                    batch()
                best = min(best, (time.perf_counter() - start) / inner)
    return best * (n_rows // batch_size)


def floor_gflops(flops_per_sample, n_rows, batch_size, floor_seconds):
    """The rate the floor reaches, in GFLOP/s: it times full batches only,
    so a last, partial batch's rows do not count."""
    return flops_per_sample * (n_rows // batch_size * batch_size) / floor_seconds / 1e9
