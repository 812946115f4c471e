"""Training runs: shuffled minibatches for SGD and Adam, full-batch L-BFGS.

A run is built fresh for every ``fit`` or ``partial_fit`` by
:func:`make_trainer`, from the network to train and one immutable
:class:`TrainingConfig`; what a later run continues (the parameters, the
optimizer's state, the shuffling generator) is handed to it, and nothing else
of a run outlives it.  Each epoch appends a record to ``history`` (see
:mod:`skdeep._engine.history`).

Training stops, and ``train`` returns the reason, when

- ``"max_iter"``: the epoch budget ran out;
- ``"no_improvement"``: the monitored loss (validation loss with early
  stopping, else training loss) did not improve by ``tol`` for more than
  ``n_iter_no_change`` epochs (``"adaptive"`` SGD first shrinks its rate);
- ``"param_change"``: ``param_change`` fell below ``param_change_tol``;
- ``"diverged"``: the training loss or the parameters stopped being finite,
  or the loss rose ``DIVERGENCE_FACTOR`` times above its lowest value and
  above where the run started.  The run then keeps whichever is better on
  the training data: the state after its best epoch or the state it started
  from (``kept`` says which);
- ``"requested"``: a monitor asked to stop (a scikit-learn callback);
- for L-BFGS, ``"converged"`` and ``"line_search_failed"`` as SciPy reports.

``kept_epoch`` is the number of the epoch whose parameters the run ends with
(the best one with early stopping; one before its first epoch when it kept
the parameters it started from).  A run reports to a monitor
(:mod:`skdeep._engine.progress`) as it goes.
"""

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.optimize

from skdeep._engine.data import BatchGatherer, Dataset
from skdeep._engine.history import single
from skdeep._engine.optimizers import OPTIMIZERS
from skdeep._engine.penalties import Penalty
from skdeep._engine.progress import Monitor, ProgressPrinter, combine

#: A training loss this many times its lowest value (and above the run's
#: starting loss) means the run diverged.
DIVERGENCE_FACTOR = 1e4
# Below this a loss is an exact fit, and rounding noise is no divergence.
_NEGLIGIBLE_LOSS = 1e-12


@dataclass(frozen=True)
class TrainingConfig:
    """Every setting of a training run, fixed for the run.

    The fields mirror the network estimators' parameters of the same names;
    ``batch_size=None`` means ``min(200, n_samples)``.
    """

    solver: str = "adam"
    learning_rate_init: float = 0.001
    learning_rate: str = "constant"
    power_t: float = 0.5
    momentum: float = 0.9
    nesterovs_momentum: bool = True
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    penalty: str | None = "l2"
    alpha: float = 0.0001
    l1_ratio: float = 0.15
    batch_size: int | None = None
    shuffle: bool = True
    max_iter: int = 200
    tol: float = 1e-4
    n_iter_no_change: float = 10
    early_stopping: bool = False
    param_change_tol: float | None = None
    max_fun: int = 15000
    clip_norm: float | None = None
    verbose: int = 0

    def batch_rows(self, n_samples):
        """Rows per minibatch for a training set of ``n_samples``."""
        return min(200 if self.batch_size is None else self.batch_size, n_samples)

    def penalty_for(self, total_weight):
        """The weight penalty: ``alpha`` per unit of sample weight, as
        scikit-learn's MLP, whatever the batch size."""
        return Penalty.from_name(self.penalty, self.alpha / total_weight, self.l1_ratio)

    def replace(self, **changes):
        """A copy with some fields changed (pre-training stages)."""
        return dataclasses.replace(self, **changes)


def make_optimizer(config, network):
    """A new optimizer of ``config.solver`` for ``network``'s parameters."""
    size, dtype = network.theta.size, network.dtype
    if config.solver == "sgd":
        return OPTIMIZERS["sgd"](
            size, dtype, config.learning_rate_init, config.learning_rate,
            config.momentum, config.nesterovs_momentum, config.power_t,
        )  # fmt: skip
    return OPTIMIZERS["adam"](
        size, dtype, config.learning_rate_init, config.beta_1, config.beta_2,
        config.epsilon,
    )  # fmt: skip


def make_trainer(network, config, rng=None, previous=None, *, stage=None,
                 first_epoch=1, monitor=None):  # fmt: skip
    """A fresh training run of ``network`` under ``config``.

    Parameters
    ----------
    network : Network
        Trained in place.
    config : TrainingConfig
    rng : numpy.random.Generator or None
        Draws the epoch orders and dropout masks (minibatch solvers).
    previous : optimizer or None
        The optimizer of an earlier run of this network: a run of the same
        solver continues its state under ``config``'s hyper-parameters.
    stage : str or None
        Label of the run's records (a pre-training stage).
    first_epoch : int
        Number of the run's first epoch in the model's history.
    monitor : Monitor or None
        Told of the run's progress (besides the ``verbose`` output).
    """
    if config.solver == "lbfgs":
        trainer = LBFGSTrainer(network, config, stage)
    else:
        optimizer = make_optimizer(config, network)
        if type(previous) is type(optimizer):
            optimizer.continue_from(previous)
        network.set_rng(rng)
        trainer = MinibatchTrainer(network, config, optimizer, rng, stage)
    trainer.first_epoch = first_epoch
    trainer.monitor = combine(ProgressPrinter() if config.verbose else None, monitor)
    return trainer


@dataclass
class Validation:
    """Held-out data and ``score(P, Y, sample_weight)`` (higher is better)."""

    data: Dataset
    score: Callable


def mean_loss(network, data):
    """Weighted mean loss of ``network`` (without dropout) on ``data``."""
    total, chunk_rows = 0.0, network.chunk_rows
    for start in range(0, data.n_samples, chunk_rows):
        X, Y, sw = data.rows(start, start + chunk_rows)
        total += network.loss.loss(network.forward(X), Y, sw)
    return total / data.total_weight


def evaluate(network, validation):
    """Validation loss and score of ``network``, or (None, None)."""
    if validation is None:
        return None, None
    data = validation.data
    P = network.predict(data.inputs)
    loss = network.loss.loss(P, data.Y, data.sample_weight) / data.total_weight
    return loss, float(validation.score(P, data.Y, data.sample_weight))


class _Watch:
    """The stopping rules of one run: the best epoch so far and the counters."""

    def __init__(self, config):
        self.config = config
        self.best_monitored = np.inf
        self.lowest_loss = np.inf
        self.start_loss = None
        self.no_improvement = 0

    def check(self, record, improved, stalled):
        """Update from one epoch's record; return why to stop, or None.

        ``improved()`` is called when the monitored loss reaches a new best,
        ``stalled()`` when it has not improved for too long.
        """
        loss = record["loss"]
        if not (math.isfinite(loss) and math.isfinite(record["param_change"])):
            return "diverged"
        if self._exploded(loss):
            return "diverged"
        self.lowest_loss = min(self.lowest_loss, loss)
        config = self.config
        monitored = record["val_loss"] if config.early_stopping else loss
        if monitored > self.best_monitored - config.tol:
            self.no_improvement += 1
        else:
            self.no_improvement = 0
        if monitored < self.best_monitored:
            self.best_monitored = monitored
            improved()
        tol = config.param_change_tol
        if tol is not None and record["param_change"] < tol:
            return "param_change"
        if self.no_improvement > config.n_iter_no_change:
            if stalled():
                return "no_improvement"
            self.no_improvement = 0
        return None

    def _exploded(self, loss):
        """Far above the lowest loss so far and above where the run started."""
        if self.start_loss is None:
            return False
        lowest = max(min(self.lowest_loss, self.start_loss), _NEGLIGIBLE_LOSS)
        return loss > DIVERGENCE_FACTOR * lowest and loss > self.start_loss


class Trainer:
    """What every run shares: its records and their counters.

    After ``train``, ``history`` holds the run's records, ``epochs`` and
    ``samples_seen`` what it trained, ``loss`` the training objective of the
    state it ended in, ``kept`` what a diverged run kept ("best" or
    "start"; None otherwise) and ``kept_epoch`` the number of the epoch whose
    parameters it ended with.  ``first_epoch`` numbers its first record.
    """

    optimizer = None
    monitor = Monitor()
    #: Called after every minibatch step when set (by a monitor, in
    #: ``run_started``): the BLAS thread tuner times minibatches with it.
    batch_hook = None

    def __init__(self, network, config, stage=None):
        self.network = network
        self.config = config
        self.stage = stage
        self.first_epoch = 1
        self.history = []
        self.epochs = 0
        self.samples_seen = 0
        self.loss = None
        self.kept = None
        self.kept_epoch = None

    @property
    def last_epoch(self):
        """Number of the run's latest epoch (``first_epoch - 1`` before any)."""
        return self.first_epoch + self.epochs - 1

    def _start(self, max_epochs):
        """Tell the monitor; return the epoch budget of this call."""
        budget = self.config.max_iter if max_epochs is None else max_epochs
        last = None if max_epochs is not None else self.first_epoch + budget - 1
        self.monitor.run_started(self, last)
        return budget

    def _end(self, reason):
        self.monitor.run_ended(self, reason)
        return reason

    def _record(self, loss, grad_norms, theta_before, started, validation):
        """Append this epoch's record to the history; return it, and whether
        the monitor asks to stop."""
        theta = self.network.theta
        before = float(np.linalg.norm(theta_before))
        change = float(np.linalg.norm(theta - theta_before)) / max(before, 1e-12)
        val_loss, val_score = evaluate(self.network, validation)
        record = {
            "stage": self.stage,
            "epoch": self.last_epoch,
            "loss": float(loss),
            "val_loss": val_loss,
            "val_score": val_score,
            "param_change": single(change),
            "grad_norms": [single(norm) for norm in grad_norms],
            "learning_rate": self._learning_rate(),
            "seconds": single(time.perf_counter() - started),
        }
        self.history.append(record)
        return record, self.monitor.epoch_ended(self, record)

    def _learning_rate(self):
        return None


class MinibatchTrainer(Trainer):
    """Shuffled minibatch training with an SGD or Adam optimizer.

    Gradients whose norm exceeds ``config.clip_norm`` are rescaled to that
    norm (gradient clipping); the recorded layer norms are those before
    clipping.  Build it with :func:`make_trainer`.
    """

    def __init__(self, network, config, optimizer, rng, stage=None):
        super().__init__(network, config, stage)
        self.optimizer = optimizer
        self.rng = rng

    def _learning_rate(self):
        return self.optimizer.learning_rate

    def train(self, data, validation=None, max_epochs=None):
        """Run epochs until a stopping rule fires; return the reason.

        ``max_epochs`` caps the epochs of this call (default ``max_iter``).
        """
        max_epochs = self._start(max_epochs)
        # Overflow is how divergence shows; it is detected and reported.
        with np.errstate(over="ignore", invalid="ignore"):
            return self._end(self._train(data, validation, max_epochs))

    def _snapshot(self, into=None):
        """The parameters and optimizer state, copied (into ``into``'s arrays)."""
        theta = self.network.theta
        if into is None:
            return theta.copy(), self.optimizer.snapshot()
        np.copyto(into[0], theta)
        return into[0], self.optimizer.snapshot()

    def _restore(self, snapshot):
        np.copyto(self.network.theta, snapshot[0])
        self.optimizer.restore(snapshot[1])

    def _train(self, data, validation, max_epochs):
        penalty = self.config.penalty_for(data.total_weight)
        gatherer = BatchGatherer(self.config.batch_rows(data.n_samples))
        watch, start, best = _Watch(self.config), self._snapshot(), []
        theta_before = np.empty_like(self.network.theta)

        def improved():
            best[:] = [self._snapshot(best[0] if best else None), self.last_epoch]

        reason = None
        while reason is None and self.epochs < max_epochs:
            started = time.perf_counter()
            self.monitor.epoch_started(self)
            np.copyto(theta_before, self.network.theta)
            loss, grad_norms, first_loss = self._run_epoch(data, gatherer, penalty)
            watch.start_loss = first_loss if self.epochs == 0 else watch.start_loss
            self.epochs += 1
            self.samples_seen += data.n_samples
            record, stop = self._record(
                loss, grad_norms, theta_before, started, validation
            )
            reason = watch.check(record, improved, self.optimizer.trigger_stopping)
            reason = reason or ("requested" if stop else None)
            self.optimizer.iteration_ends(self.samples_seen)
        self._keep(reason, start, best or [None, None], data, penalty)
        return reason or "max_iter"

    def _keep(self, reason, start, best, data, penalty):
        """Settle the state the run ends in; set ``loss``, ``kept`` and
        ``kept_epoch``.  ``best`` is the best epoch's snapshot and number."""
        self.loss = self.history[-1]["loss"] if self.history else None
        self.kept_epoch = self.last_epoch
        best, best_epoch = best
        if reason == "diverged":
            candidates = {"best": best, "start": start}
            losses = {}
            for name, snapshot in candidates.items():
                if snapshot is not None:
                    self._restore(snapshot)
                    losses[name] = self._objective(data, penalty)
            self.kept = min(losses, key=lambda name: (losses[name], name != "best"))
            self._restore(candidates[self.kept])
            self.loss = losses[self.kept]
            epochs = {"best": best_epoch, "start": self.first_epoch - 1}
            self.kept_epoch = epochs[self.kept]
        elif self.config.early_stopping and best is not None:
            self._restore(best)
            self.kept_epoch = best_epoch

    def _objective(self, data, penalty):
        loss = mean_loss(self.network, data) + penalty.value(self.network.weights)
        return loss if math.isfinite(loss) else np.inf

    def _clip(self, grad):
        norm = float(np.dot(grad, grad)) ** 0.5
        if norm > self.config.clip_norm:
            grad *= self.config.clip_norm / norm

    def _run_epoch(self, data, gatherer, penalty):
        """One pass over the shuffled data.

        Returns the objective, the mean gradient norm of each layer, and the
        first minibatch's loss (the loss where the epoch started).
        """
        network, optimizer = self.network, self.optimizer
        total_loss, first_loss, n_batches = 0.0, None, 0
        norm_sums = np.zeros(len(network.param_layers))
        batch_hook = self.batch_hook
        clip = self.config.clip_norm is not None
        for X, Y, sw, weight in gatherer.batches(data, self.rng, self.config.shuffle):
            if batch_hook is not None:
                batch_hook()
            if weight <= 0:
                continue
            loss = network.loss_and_gradient(X, Y, sw, 1.0 / weight)
            if not math.isfinite(loss):
                return math.nan, norm_sums, first_loss
            first_loss = loss if first_loss is None else first_loss
            if clip:  # the penalty's gradient is clipped with the rest
                optimizer.add_l2_gradient(
                    network.theta, network.grad, penalty, network.n_weights
                )
                norm_sums += network.layer_grad_norms()
                self._clip(network.grad)
            # Without clipping, the step adds the L2 gradient to ``grad``
            # itself and sums the squares of the layer norms after it (one
            # pass with Adam's).
            squares = optimizer.step(
                network.theta, network.grad, penalty, network.n_weights,
                add_l2=not clip, blocks=None if clip else network.norm_blocks,
            )  # fmt: skip
            if not clip:
                norm_sums += np.sqrt(squares)
            total_loss += loss * weight
            n_batches += 1
        objective = total_loss / data.total_weight + penalty.value(network.weights)
        return objective, norm_sums / max(n_batches, 1), first_loss


class LBFGSTrainer(Trainer):
    """Full-batch L-BFGS-B from SciPy on the flat parameter vector.

    An L1 penalty is handled exactly: the weights are split as
    ``w = w_plus - w_minus`` with both parts bounded below by zero, which makes
    ``||w||_1 = sum(w_plus + w_minus)`` linear; weights whose two parts both end
    on their bound are exactly zero.  If the objective stops being finite,
    the run puts back the parameters it started from (``kept="start"``).
    """

    def train(self, data, validation=None, max_epochs=None):
        """Minimise the full objective; return the stopping reason.

        ``max_epochs`` caps the iterations of this call (default ``max_iter``).
        """
        max_iter = self._start(max_epochs)
        self.penalty = self.config.penalty_for(data.total_weight)
        with np.errstate(over="ignore", invalid="ignore"):
            return self._end(self._minimize(data, validation, max_iter))

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
        scale, chunk_rows = 1.0 / data.total_weight, network.chunk_rows
        if data.n_samples <= chunk_rows:
            loss = network.loss_and_gradient(*data.rows(0, data.n_samples), scale)
        else:
            # Chunks keep the buffers small; their gradients simply add up
            # because each is already scaled by the total weight.
            loss, grad_sum = 0.0, np.zeros_like(network.grad)
            for start in range(0, data.n_samples, chunk_rows):
                loss += network.loss_and_gradient(
                    *data.rows(start, start + chunk_rows), scale
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

    def _minimize(self, data, validation, max_iter):
        x0 = self._pack(self.network.theta)
        state = {"x": x0.copy(), "started": time.perf_counter(), "stop": None}
        self.monitor.epoch_started(self)

        def callback(intermediate_result):
            self._unpack(state["x"])
            theta_before = self.network.theta.copy()
            self._unpack(intermediate_result.x)
            self.epochs += 1
            record, stop = self._record(
                float(intermediate_result.fun),
                self.network.layer_grad_norms(),
                theta_before,
                state["started"],
                validation,
            )
            state["x"] = intermediate_result.x.copy()
            state["started"] = time.perf_counter()
            tol = self.config.param_change_tol
            if tol is not None and record["param_change"] < tol:
                state["stop"] = "param_change"
            elif stop:
                state["stop"] = "requested"
            if state["stop"]:
                raise StopIteration
            if self.epochs < max_iter:
                self.monitor.epoch_started(self)

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
                "maxfun": self.config.max_fun,
                "gtol": self.config.tol,
            },
        )
        self._unpack(result.x)
        self.samples_seen += data.n_samples * result.nfev
        self.kept_epoch = self.last_epoch
        if not (math.isfinite(result.fun) and np.isfinite(self.network.theta).all()):
            self._unpack(x0)
            self.kept, self.kept_epoch = "start", self.first_epoch - 1
            self.loss = self._loss_and_grad(x0, data)[0]
            return "diverged"
        self.loss = float(result.fun)
        if state["stop"] is not None:
            return state["stop"]
        return {0: "converged", 1: "max_iter"}.get(result.status, "line_search_failed")
