"""One minibatch step on two cores: OpenBLAS's threads against a two-way split.

A measurement behind an engine design choice, not a comparison with another
library.  Today a step runs its matrix products on OpenBLAS's two threads and
every element-wise pass (ReLU, its derivative, Adam's ten passes) on one core,
while OpenBLAS's second thread spins idle (the OpenBLAS in NumPy's wheels
busy-waits between products without yielding, so a Python helper thread
cannot use that core either).  The alternative timed here holds OpenBLAS to
one thread and splits every product and every element-wise pass of the step
in two halves, one on the calling thread and one on a helper thread: the
forward products and ReLU by rows of the batch, the backward products and the
ReLU derivative by rows, and each weight gradient with its Adam update by
rows of the weight matrix (contiguous halves of the flat parameter vector),
so the two threads meet once per product.

The step is that of ``bench_feedforward.py``'s and ``bench_deep.py``'s
networks (biases, the loss and the output activation left out: they are
small).  Printed: milliseconds per step of (A) OpenBLAS on two threads, the
rest serial, as the engine does now; (B) the two-way split; (C) everything
on one thread; best of ``--repeats`` alternating rounds of wall time.

Run ``python benchmarks/bench_two_way_step.py`` (about a minute) or
``--quick``.
"""

import argparse
import queue
import threading
import time

import numpy as np
from threadpoolctl import threadpool_limits

SHAPES = [
    ((784, 512, 10), 128),
    ((100, 256, 256, 10), 256),
    ((20, 128, 128, 128, 1), 256),
]
B1, B2, EPS, SCALE = 0.9, 0.999, 1e-8, 1e-6


class Step:
    """Forward, backward and Adam on the weights of a ReLU network."""

    def __init__(self, widths, batch_size, dtype, rng):
        self.widths, self.b = widths, batch_size
        pairs = list(zip(widths[:-1], widths[1:], strict=True))
        self.W = [(0.05 * rng.standard_normal(pair)).astype(dtype) for pair in pairs]
        self.A = [rng.standard_normal((batch_size, widths[0])).astype(dtype)]
        self.A += [np.empty((batch_size, n), dtype) for n in widths[1:]]
        self.D = [np.empty_like(a) for a in self.A]
        self.mask = [np.empty_like(a) for a in self.A]
        self.zeros = [np.zeros_like(a) for a in self.A]
        self.G = [np.empty_like(w) for w in self.W]
        self.state = [[np.zeros(w.size, dtype) for _ in range(3)] for w in self.W]

    def forward(self, layer, rows):
        out = self.A[layer + 1][rows]
        np.matmul(self.A[layer][rows], self.W[layer], out=out)
        if layer < len(self.W) - 1:
            np.maximum(out, self.zeros[layer + 1][rows], out=out)

    def backward(self, layer, rows):
        """The delta at the input of ``layer``, times the ReLU derivative."""
        delta, mask = self.D[layer][rows], self.mask[layer][rows]
        np.matmul(self.D[layer + 1][rows], self.W[layer].T, out=delta)
        np.greater(self.A[layer][rows], 0, out=mask)
        delta *= mask

    def update(self, layer, rows):
        """Weight-gradient rows ``rows`` of ``layer`` and their Adam step."""
        n_out = self.W[layer].shape[1]
        np.matmul(self.A[layer][:, rows].T, self.D[layer + 1], out=self.G[layer][rows])
        flat = slice(rows.start * n_out, rows.stop * n_out)
        m, v, work = (array[flat] for array in self.state[layer])
        theta, grad = self.W[layer].reshape(-1)[flat], self.G[layer].reshape(-1)[flat]
        m *= B1
        m += grad
        np.multiply(grad, grad, out=work)
        v *= B2
        v += work
        np.sqrt(v, out=work)
        work += EPS
        np.divide(m, work, out=work)
        work *= SCALE
        theta -= work

    def run(self, share):
        """One step; ``share(method, layer, n)`` runs ``method`` over rows 0..n."""
        n_layers = len(self.W)
        for layer in range(n_layers):
            share(self.forward, layer, self.b)
        np.copyto(self.D[-1], self.A[-1])
        for layer in range(n_layers - 1, -1, -1):
            if layer > 0:
                share(self.backward, layer, self.b)
            share(self.update, layer, self.widths[layer])


class Halves:
    """Runs ``method(layer, first half)`` here and the second half on a helper."""

    def __init__(self):
        self.tasks, self.done = queue.SimpleQueue(), queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while (task := self.tasks.get()) is not None:
            task()
            self.done.put(None)

    def __call__(self, method, layer, n):
        half = n // 2
        self.tasks.put(lambda: method(layer, slice(half, n)))
        method(layer, slice(0, half))
        self.done.get()

    def close(self):
        self.tasks.put(None)
        self.thread.join()


def whole(method, layer, n):
    method(layer, slice(0, n))


def ms_per_step(step, share, n_steps):
    step.run(share)
    start = time.perf_counter()
    for _ in range(n_steps):
        step.run(share)
    return (time.perf_counter() - start) / n_steps * 1e3


def compare(widths, batch_size, dtype, repeats, n_steps):
    """Best milliseconds per step of the three ways, alternating."""
    step = Step(widths, batch_size, dtype, np.random.default_rng(0))
    halves = Halves()
    ways = {
        "A: BLAS x2": (2, whole),
        "B: two-way split": (1, halves),
        "C: one thread": (1, whole),
    }
    best = dict.fromkeys(ways, np.inf)
    for _ in range(repeats):
        for name, (threads, share) in ways.items():
            with threadpool_limits(threads, user_api="blas"):
                best[name] = min(best[name], ms_per_step(step, share, n_steps))
    halves.close()
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps, seconds")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 10)
    n_steps = 3 if args.quick else 30
    print(f"Milliseconds per step, best of {repeats} alternating rounds")
    print(f"{'widths':<24} {'batch':>5} {'dtype':<8} {'A: BLAS x2':>10} "
          f"{'B: split':>9} {'C: 1 thr':>9} {'A / B':>6}")  # fmt: skip
    for widths, batch_size in SHAPES:
        for dtype in (np.float32, np.float64):
            best = compare(widths, batch_size, dtype, repeats, n_steps)
            a, b, c = best.values()
            label = f"{str(widths):<24} {batch_size:>5} {np.dtype(dtype).name:<8}"
            print(f"{label} {a:>10.3f} {b:>9.3f} {c:>9.3f} {a / b:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
