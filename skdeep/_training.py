"""Training runs of a network estimator: new networks (with random restarts
and pre-training) and continued ones (warm start, ``partial_fit``).

Each function works on copies and returns an :class:`Outcome`; the estimator
assigns it as its fitted state only once everything has succeeded.  Each
reports to ``run.task`` (scikit-learn's callbacks): restarts, pre-training
stages and epochs are its subtasks (:func:`n_subtasks` says how many).
"""

import copy
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdeep._engine import evaluate, make_trainer
from skdeep._engine.progress import combine
from skdeep._pretraining import pretrain

_MAX_SEED = np.iinfo(np.int32).max


@dataclass
class Outcome:
    """A trained network with what a later run continues, and its runs."""

    network: object
    optimizer: object
    rng: np.random.Generator
    runs: list
    reason: str
    restart_losses: np.ndarray = field(default_factory=lambda: np.zeros(1))

    @property
    def records(self):
        return [record for run in self.runs for record in run.history]

    @property
    def samples_seen(self):
        return sum(run.samples_seen for run in self.runs)

    @property
    def loss(self):
        return self.runs[-1].loss

    @property
    def kept(self):
        return self.runs[-1].kept


def n_subtasks(estimator, continuing, incremental):
    """How many subtasks the root task of a fit has (None: not known)."""
    if not continuing and estimator.n_init > 1:
        return estimator.n_init
    return _network_subtasks(estimator, continuing, incremental)


def _network_subtasks(estimator, continuing, incremental):
    """Subtasks of training one network: its epochs, or its pre-training
    stages and fine-tuning (how many is not known before the layers are)."""
    if not (continuing or incremental) and estimator._pretraining():
        return None
    return 1 if incremental else estimator.max_iter


def train_restarts(estimator, run):
    """Train ``n_init`` new networks, each from its own seed; keep the best
    (lowest validation loss with validation data, else training loss)."""
    seeds = run.rng.randint(_MAX_SEED, size=estimator.n_init)
    losses = np.full(len(seeds), np.inf)
    best = None
    for index, seed in enumerate(seeds):
        if len(seeds) == 1:
            outcome = _train_new(estimator, run, np.random.default_rng(seed), run.task)
        else:
            outcome = _restart(estimator, run, seed, index)
        losses[index] = _selection_loss(outcome, run.validation)
        if best is None or losses[index] < losses[best[0]]:
            best = (index, outcome)
    best[1].restart_losses = losses
    if estimator.verbose and len(seeds) > 1:
        which = "validation" if run.validation is not None else "training"
        print(f"Kept restart {best[0] + 1} of {len(seeds)} (lowest {which} loss, "
              f"{losses[best[0]]:.6f}).", flush=True)  # fmt: skip
    return best[1]


def _restart(estimator, run, seed, index):
    """One of several restarts, a subtask of the fit."""
    if estimator.verbose:
        print(f"Restart {index + 1} of {estimator.n_init}", flush=True)
    subtasks = _network_subtasks(estimator, False, run.incremental)
    task = run.task.subtask("restart", max_subtasks=subtasks)
    outcome = _train_new(estimator, run, np.random.default_rng(seed), task)
    task.end(lambda: estimator._fitted_view(run, outcome.network))
    return outcome


def _selection_loss(outcome, validation):
    if validation is not None:
        loss = evaluate(outcome.network, validation)[0]
    else:
        loss = outcome.loss
    return loss if loss is not None and np.isfinite(loss) else np.inf


def _train_new(estimator, run, rng, task):
    """Build, initialise, pre-train if asked, and train one network."""
    dtype = run.data.X.dtype

    def new_network(architecture):
        network = architecture.build(estimator._output_loss(run.targets), dtype)
        network.initialize(estimator.init, rng, estimator.init_scale)
        return network

    pretraining = None if run.incremental else estimator._pretraining()
    stages = []
    if pretraining is None:
        network = new_network(run.architecture)
    else:
        strategy, stage_max_iter, fine_tune = pretraining
        stage_config = run.config.replace(max_iter=stage_max_iter)
        network, stages = pretrain(
            strategy, run.architecture, new_network, stage_config, run.data,
            run.validation, rng, task, run.thread_monitor,
        )  # fmt: skip
        if not fine_tune:
            return Outcome(network, None, rng, stages, "converged")
    first_epoch = 1 + sum(stage.epochs for stage in stages)
    epochs_task = task.subtask("fine-tune", run.config.max_iter) if stages else task
    trainer = make_trainer(
        network, run.config, rng, first_epoch=first_epoch,
        stage="fine-tune" if stages else None,
        monitor=_epoch_monitor(estimator, run, epochs_task),
    )  # fmt: skip
    reason = trainer.train(run.data, run.validation, 1 if run.incremental else None)
    if stages:
        epochs_task.end(lambda: estimator._fitted_view(run, network))
    return Outcome(network, trainer.optimizer, rng, [*stages, trainer], reason)


def continue_training(estimator, run):
    """Train a copy of the fitted network under the current parameters.

    The network is rebuilt from the current architecture (so a changed
    activation, dropout or loss takes effect) and takes over the fitted
    parameters; the optimizer continues its state if the solver is the same.
    """
    network = run.architecture.build(
        estimator._output_loss(run.targets), estimator._network.dtype
    )
    np.copyto(network.theta, estimator._network.theta)
    rng = copy.deepcopy(estimator._rng)
    trainer = make_trainer(
        network, run.config, rng, previous=estimator._optimizer,
        first_epoch=estimator.n_iter_ + 1,
        monitor=_epoch_monitor(estimator, run, run.task),
    )  # fmt: skip
    reason = trainer.train(run.data, run.validation, 1 if run.incremental else None)
    return Outcome(network, trainer.optimizer, rng, [trainer], reason)


def _epoch_monitor(estimator, run, task):
    """Epochs as subtasks of ``task``, each able to show the model it made
    (and the BLAS thread tuner, if the fit has one)."""

    def fitted_view(network):
        return estimator._fitted_view(run, network)

    return combine(task.epoch_monitor(fitted_view), run.thread_monitor)


def warn_about_stop(estimator, outcome, run):
    """The ConvergenceWarning a run that did not converge deserves."""
    reason, level = outcome.reason, 5  # the caller of fit or partial_fit
    if reason == "diverged":
        warnings.warn(_divergence_message(estimator, outcome, run), ConvergenceWarning,
                      stacklevel=level)  # fmt: skip
    elif reason == "max_iter" and not run.incremental:
        warnings.warn(
            f"Solver {estimator.solver!r}: maximum iterations ({estimator.max_iter}) "
            "reached and the optimization hasn't converged yet; increase "
            "max_iter.",
            ConvergenceWarning,
            stacklevel=level,
        )
    elif reason == "line_search_failed":
        warnings.warn(
            "Solver 'lbfgs' stopped because its line search could not lower "
            "the loss; the fit may not have converged.",
            ConvergenceWarning,
            stacklevel=level,
        )


def _divergence_message(estimator, outcome, run):
    last = outcome.records[-1] if outcome.records else None
    where = f"in epoch {last['epoch']}" if last else "at once"
    if outcome.kept == "best":
        kept = "The weights and optimizer state of its best epoch were kept."
    elif run.continuing:
        kept = "No epoch improved on the fitted network, which was kept as it was."
    else:
        kept = "No epoch improved on the start: the network keeps its initial, " \
            "untrained weights."  # fmt: skip
    remedies = []
    if estimator.solver != "lbfgs":
        remedies.append(
            f"lower learning_rate_init (got {estimator.learning_rate_init!r})"
        )
    if not estimator.standardize:
        remedies.append("set standardize=True")
    remedy = " or ".join(remedies) or "rescale X"
    return (
        f"Training diverged {where}: the loss rose far above its lowest value or "
        f"stopped being finite. {kept} To train it, {remedy}."
    )
