"""Training loops: shuffled minibatches for SGD and Adam, full-batch L-BFGS.

A trainer owns a network, its optimizer state and the per-epoch history, so a
second call to ``train`` (warm start, ``partial_fit``) continues where the first
stopped.  Every epoch appends one record to ``history``::

    {"stage", "epoch", "loss", "val_loss", "val_score", "param_change",
     "grad_norms", "learning_rate", "seconds"}

``loss`` is the training objective (weighted mean loss plus penalty),
``param_change`` the course's second stopping signal
``||theta_t - theta_{t-1}|| / ||theta_{t-1}||``, and ``grad_norms`` the mean over
the epoch's minibatches of each parameterised layer's weight-gradient norm.

Training stops, and ``train`` returns the reason, when

- ``"max_iter"``: the epoch budget ran out;
- ``"no_improvement"``: the monitored loss (validation loss with early
  stopping, else training loss) did not improve by ``tol`` for more than
  ``n_iter_no_change`` epochs (``"adaptive"`` SGD first shrinks its rate);
- ``"param_change"``: ``param_change`` fell below ``param_change_tol``;
- ``"diverged"``: the loss or the parameters stopped being finite; the
  parameters are restored to the last finite epoch.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.optimize

from skdeep._engine.kernels import empty
from skdeep._engine.layers import Dropout

CHUNK_ROWS = 4096


@dataclass
class Dataset:
    """Inputs, encoded targets ``(n, n_outputs)`` and optional sample weights."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None = None

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def total_weight(self):
        if self.sample_weight is None:
            return float(self.n_samples)
        return float(self.sample_weight.sum())

    def rows(self, start, stop):
        """The contiguous block of rows ``start:stop`` (views when dense)."""
        sw = self.sample_weight
        return (
            self.X[start:stop],
            self.Y[start:stop],
            None if sw is None else sw[start:stop],
        )


@dataclass
class Validation:
    """Held-out data and ``score(P, Y, sample_weight)`` (higher is better)."""

    data: Dataset
    score: Callable


@dataclass
class StoppingCriteria:
    """When a trainer stops; see the module docstring."""

    max_iter: int = 200
    tol: float = 1e-4
    n_iter_no_change: int = 10
    early_stopping: bool = False
    param_change_tol: float | None = None


class Trainer:
    """What every trainer shares: history, validation and stopping."""

    def __init__(self, network, penalty, criteria, verbose=0):
        self.network = network
        self.penalty = penalty
        self.criteria = criteria
        self.verbose = verbose
        self.history = []
        #: A label for the records of the next training, e.g. a pre-training stage.
        self.stage = None
        self.loss = None
        self.n_iter = 0
        self.n_samples_seen = 0
        self.best_metric = np.inf
        self.best_theta = None
        self._no_improvement = 0

    def evaluate(self, validation):
        """Validation loss and score of the current network, or (None, None)."""
        if validation is None:
            return None, None
        data = validation.data
        P = self.network.predict(data.X)
        loss = self.network.loss.loss(P, data.Y, data.sample_weight)
        loss /= data.total_weight
        return loss, float(validation.score(P, data.Y, data.sample_weight))

    def _record(self, loss, grad_norms, theta_before, started, validation):
        """Append this epoch's record to the history and print it if verbose."""
        theta = self.network.theta
        before = float(np.linalg.norm(theta_before))
        change = float(np.linalg.norm(theta - theta_before)) / max(before, 1e-12)
        val_loss, val_score = self.evaluate(validation)
        record = {
            "stage": self.stage,
            "epoch": self.n_iter,
            "loss": loss,
            "val_loss": val_loss,
            "val_score": val_score,
            "param_change": change,
            "grad_norms": [float(norm) for norm in grad_norms],
            "learning_rate": self._learning_rate(),
            "seconds": time.perf_counter() - started,
        }
        self.history.append(record)
        if self.verbose:
            print(format_record(record), flush=True)
        return record

    def _learning_rate(self):
        return None

    def _stop_reason(self, record):
        """Update the stopping state from one record; return why to stop."""
        if not (
            math.isfinite(record["loss"]) and math.isfinite(record["param_change"])
        ):
            return "diverged"
        criteria = self.criteria
        monitored = record["val_loss"] if criteria.early_stopping else record["loss"]
        if monitored > self.best_metric - criteria.tol:
            self._no_improvement += 1
        else:
            self._no_improvement = 0
        if monitored < self.best_metric:
            self.best_metric = monitored
            if criteria.early_stopping:
                self.best_theta = self.network.theta.copy()
        tol = criteria.param_change_tol
        if tol is not None and record["param_change"] < tol:
            return "param_change"
        if self._no_improvement > criteria.n_iter_no_change:
            if self._stalled():
                return "no_improvement"
            self._no_improvement = 0
        return None

    def _stalled(self):
        return True

    def restore_best(self):
        """Early stopping: put back the weights of the best validation epoch."""
        if self.criteria.early_stopping and self.best_theta is not None:
            np.copyto(self.network.theta, self.best_theta)


def format_record(record):
    """One progress line for an epoch record."""
    parts = [f"Epoch {record['epoch']:4d}", f"loss {record['loss']:.6f}"]
    if record["val_loss"] is not None:
        parts.append(f"val_loss {record['val_loss']:.6f}")
        parts.append(f"val_score {record['val_score']:.4f}")
    parts.append(f"param_change {record['param_change']:.2e}")
    parts.append(f"{record['seconds']:.2f}s")
    return ", ".join(parts)


class _BatchGatherer:
    """Yields shuffled minibatches gathered into reused buffers."""

    def __init__(self, batch_size):
        self.batch_size = batch_size
        self._buffers = {}

    def _buffer_for(self, key, array):
        """A reused buffer holding ``batch_size`` rows like ``array``'s."""
        shape = (self.batch_size,) + array.shape[1:]
        buf = self._buffers.get(key)
        if buf is None or buf.shape != shape or buf.dtype != array.dtype:
            buf = self._buffers[key] = empty(shape, array.dtype)
        return buf

    def batches(self, data, rng, shuffle):
        """Yield ``(X, Y, sample_weight, total_weight)`` per minibatch."""
        n, size = data.n_samples, self.batch_size
        if not shuffle:
            for start in range(0, n, size):
                yield self._weighed(*data.rows(start, start + size))
            return
        order = rng.permutation(n)
        X, Y, sw = data.X, data.Y, data.sample_weight
        X_buf = self._buffer_for("X", X) if isinstance(X, np.ndarray) else None
        Y_buf = self._buffer_for("Y", Y)
        sw_buf = None if sw is None else self._buffer_for("sw", sw)
        for start in range(0, n, size):
            index = order[start : start + size]
            m = len(index)
            # mode="clip" skips the bounds check (the indices come from a
            # permutation of the rows) and gathers about a quarter faster.
            yield self._weighed(
                X[index] if X_buf is None else X.take(index, 0, X_buf[:m], "clip"),
                Y.take(index, 0, Y_buf[:m], "clip"),
                None if sw is None else sw.take(index, 0, sw_buf[:m], "clip"),
            )

    @staticmethod
    def _weighed(X, Y, sample_weight):
        weight = float(len(Y)) if sample_weight is None else float(sample_weight.sum())
        return X, Y, sample_weight, weight

    def __getstate__(self):
        return {"batch_size": self.batch_size, "_buffers": {}}


class MinibatchTrainer(Trainer):
    """Shuffled minibatch training with an SGD or Adam optimizer.

    Parameters
    ----------
    network : Network
    optimizer : SGD or Adam
    penalty : Penalty
    criteria : StoppingCriteria
    batch_size : int
    shuffle : bool
    rng : numpy.random.Generator
        Draws the epoch orders and the dropout masks.
    verbose : int
    clip_norm : float or None
        Rescale each minibatch gradient whose Euclidean norm exceeds this
        value to that norm (gradient clipping); the recorded layer norms are
        those before clipping.
    """

    def __init__(
        self,
        network,
        optimizer,
        penalty,
        criteria,
        batch_size,
        shuffle,
        rng,
        verbose=0,
        clip_norm=None,
    ):
        super().__init__(network, penalty, criteria, verbose)
        self.clip_norm = clip_norm
        self.optimizer = optimizer
        self.shuffle = shuffle
        self.rng = rng
        self._gatherer = _BatchGatherer(batch_size)
        self._weight_work = empty(network.n_weights, network.dtype)
        for layer in network.layers:
            if isinstance(layer, Dropout):
                layer.rng = rng

    def configure(self, batch_size, shuffle):
        """Change the minibatch size and shuffling between calls to ``train``."""
        self._gatherer.batch_size = batch_size
        self.shuffle = shuffle

    def _learning_rate(self):
        return self.optimizer.learning_rate

    def _stalled(self):
        return self.optimizer.trigger_stopping()

    def train(self, data, validation=None, max_epochs=None):
        """Run epochs until a stopping rule fires; return the reason."""
        # Overflow is how divergence shows; it is detected and reported.
        with np.errstate(over="ignore", invalid="ignore"):
            return self._train(data, validation, max_epochs)

    def _train(self, data, validation, max_epochs):
        max_epochs = self.criteria.max_iter if max_epochs is None else max_epochs
        theta_before = np.empty_like(self.network.theta)
        reason = "max_iter"
        for _ in range(max_epochs):
            started = time.perf_counter()
            np.copyto(theta_before, self.network.theta)
            loss, grad_norms = self._run_epoch(data)
            self.n_iter += 1
            self.n_samples_seen += data.n_samples
            record = self._record(loss, grad_norms, theta_before, started, validation)
            reason = self._stop_reason(record)
            self.optimizer.iteration_ends(self.n_samples_seen)
            if reason == "diverged":
                np.copyto(self.network.theta, theta_before)
            else:
                self.loss = record["loss"]
            if reason is not None:
                break
        self.restore_best()
        return reason or "max_iter"

    def _clip(self, grad):
        norm = float(np.dot(grad, grad)) ** 0.5
        if norm > self.clip_norm:
            grad *= self.clip_norm / norm

    def _run_epoch(self, data):
        """One pass over the shuffled data; return (objective, grad norms)."""
        network, penalty = self.network, self.penalty
        total_loss = 0.0
        norm_sums = [0.0] * len(network.param_layers)
        n_batches = 0
        for X, Y, sw, weight in self._gatherer.batches(data, self.rng, self.shuffle):
            if weight <= 0:
                continue
            loss = network.loss_and_gradient(X, Y, sw, 1.0 / weight)
            if not math.isfinite(loss):
                return math.nan, norm_sums
            penalty.add_smooth_gradient(
                network.weights, network.weight_grad, self._weight_work
            )
            for i, norm in enumerate(network.layer_grad_norms()):
                norm_sums[i] += norm
            if self.clip_norm is not None:
                self._clip(network.grad)
            self.optimizer.step(network.theta, network.grad, penalty, network.n_weights)
            total_loss += loss * weight
            n_batches += 1
        objective = total_loss / data.total_weight + penalty.value(network.weights)
        return objective, [total / max(n_batches, 1) for total in norm_sums]


class LBFGSTrainer(Trainer):
    """Full-batch L-BFGS-B from SciPy on the flat parameter vector.

    An L1 penalty is handled exactly: the weights are split as
    ``w = w_plus - w_minus`` with both parts bounded below by zero, which makes
    ``||w||_1 = sum(w_plus + w_minus)`` linear; weights whose two parts both end
    on their bound are exactly zero.
    """

    def __init__(self, network, penalty, criteria, max_fun=15000, verbose=0):
        super().__init__(network, penalty, criteria, verbose)
        self.max_fun = max_fun

    @property
    def _split(self):
        return self.penalty.l1 > 0

    def _pack(self, theta):
        theta = theta.astype(np.float64)
        if not self._split:
            return theta
        w, rest = theta[: self.network.n_weights], theta[self.network.n_weights :]
        return np.concatenate([np.maximum(w, 0), np.maximum(-w, 0), rest])

    def _unpack(self, x):
        theta = self.network.theta
        n_w = self.network.n_weights
        if not self._split:
            theta[...] = x
            return
        theta[:n_w] = x[:n_w] - x[n_w : 2 * n_w]
        theta[n_w:] = x[2 * n_w :]

    def _bounds(self, size):
        if not self._split:
            return None
        lower = np.full(size, -np.inf)
        lower[: 2 * self.network.n_weights] = 0
        return scipy.optimize.Bounds(lower, np.inf)

    def _loss_and_grad(self, x, data):
        network, penalty = self.network, self.penalty
        self._unpack(x)
        scale = 1.0 / data.total_weight
        if data.n_samples <= CHUNK_ROWS:
            loss = network.loss_and_gradient(data.X, data.Y, data.sample_weight, scale)
        else:
            # Chunks keep the buffers small; their gradients simply add up
            # because each is already scaled by the total weight.
            loss, grad_sum = 0.0, np.zeros_like(network.grad)
            for start in range(0, data.n_samples, CHUNK_ROWS):
                loss += network.loss_and_gradient(
                    *data.rows(start, start + CHUNK_ROWS), scale
                )
                grad_sum += network.grad
            np.copyto(network.grad, grad_sum)
        w = network.weights
        loss += 0.5 * penalty.l2 * float(np.dot(w, w))
        penalty.add_smooth_gradient(w, network.weight_grad)
        grad = network.grad.astype(np.float64)
        if self._split:
            n_w = network.n_weights
            loss += penalty.l1 * float(x[: 2 * n_w].sum())
            g_w = grad[:n_w]
            grad = np.concatenate([g_w + penalty.l1, penalty.l1 - g_w, grad[n_w:]])
        return loss, grad

    def train(self, data, validation=None, max_epochs=None):
        """Minimise the full objective; return the stopping reason.

        ``max_epochs`` caps the iterations of this call (default ``max_iter``).
        """
        max_iter = self.criteria.max_iter if max_epochs is None else max_epochs
        with np.errstate(over="ignore", invalid="ignore"):
            return self._minimize(data, validation, max_iter)

    def _minimize(self, data, validation, max_iter):
        x0 = self._pack(self.network.theta)
        state = {"x": x0.copy(), "started": time.perf_counter()}

        def callback(intermediate_result):
            self._unpack(state["x"])
            theta_before = self.network.theta.copy()
            self._unpack(intermediate_result.x)
            self.n_iter += 1
            record = self._record(
                float(intermediate_result.fun),
                self.network.layer_grad_norms(),
                theta_before,
                state["started"],
                validation,
            )
            state["x"] = intermediate_result.x.copy()
            state["started"] = time.perf_counter()
            tol = self.criteria.param_change_tol
            if tol is not None and record["param_change"] < tol:
                raise StopIteration

        result = scipy.optimize.minimize(
            self._loss_and_grad,
            x0,
            args=(data,),
            jac=True,
            method="L-BFGS-B",
            bounds=self._bounds(x0.size),
            callback=callback,
            options={
                "maxiter": max_iter,
                "maxfun": self.max_fun,
                "gtol": self.criteria.tol,
            },
        )
        self._unpack(result.x)
        self.n_samples_seen += data.n_samples * result.nfev
        if not (math.isfinite(result.fun) and np.isfinite(self.network.theta).all()):
            self._unpack(x0)
            return "diverged"
        self.loss = float(result.fun)
        return {0: "converged", 1: "max_iter", 99: "param_change"}.get(
            result.status, "line_search_failed"
        )
