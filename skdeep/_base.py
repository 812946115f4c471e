"""The network estimators' shared base: one fitted state, and a training run
built fresh from the current parameters at every ``fit`` and ``partial_fit``.

The fitted state is the engine network (its parameters), the optimizer and
shuffling generator a warm start continues, the target and input encodings,
``history_`` and the counters.  Everything is prepared and validated first
and assigned at the end: a fit that fails leaves the previous model (or
none) exactly as it was.  A family (DeepFFN, FeedForward) says which network
its parameters describe; classifier and regressor mixins say how targets are
encoded and what the outputs mean.
"""

import copy
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from skdeep._data import (
    fit_scaler,
    make_dataset,
    make_validation,
    predict_in_chunks,
    row_major,
    split_validation,
)
from skdeep._engine import (
    ACTIVATIONS,
    INITIALIZERS,
    OPTIMIZERS,
    Dataset,
    History,
    TrainingConfig,
)
from skdeep._training import (
    continue_training,
    n_subtasks,
    train_restarts,
    warn_about_stop,
)
from skdeep.utils._callbacks import CallbackSupportMixin, fit_task
from skdeep.utils._compat import (
    Interval,
    Options,
    StrOptions,
    _fit_context,
    check_sample_weight,
)
from skdeep.utils._mixins import DocLinkMixin
from skdeep.utils._state import unchanged_on_failure
from skdeep.utils._threads import network_threads

_CONFIG_FIELDS = (
    "solver", "learning_rate_init", "learning_rate", "power_t", "momentum",
    "nesterovs_momentum", "beta_1", "beta_2", "epsilon", "penalty", "alpha",
    "l1_ratio", "shuffle", "max_iter", "tol", "n_iter_no_change",
    "param_change_tol", "max_fun", "verbose",
)  # fmt: skip


@dataclass
class _Run:
    """What a training run is built from, prepared and validated."""

    config: TrainingConfig
    architecture: object
    data: Dataset
    validation: object
    targets: object
    scaler: object
    continuing: bool
    incremental: bool
    rng: np.random.RandomState
    task: object = None
    thread_monitor: object = None  # tunes BLAS threads epoch by epoch


class BaseNetwork(CallbackSupportMixin, DocLinkMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the network estimators; not for direct use."""

    _parameter_constraints: dict = {
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions(set(OPTIMIZERS) | {"lbfgs"})],
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "param_change_tol": [Interval(Real, 0, None, closed="neither"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "standardize": ["boolean"],
        "init": [StrOptions(set(INITIALIZERS))],
        "init_scale": [Interval(Real, 0, None, closed="neither")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # -- what a family and an output kind say -------------------------------

    @abstractmethod
    def _architecture(self, n_features, n_outputs):
        """The network the parameters describe, validated."""

    @abstractmethod
    def _make_targets(self, y, sample_weight, classes):
        """A fitted target encoder (see ``skdeep._targets``)."""

    @abstractmethod
    def _output_loss(self, targets):
        """The engine's output + loss for the encoded targets."""

    def _pretraining(self):
        """``(strategy, stage_max_iter, fine_tune)``, or None for none."""
        return None

    def _training_config(self):
        """The immutable settings of the next training run."""
        settings = {name: getattr(self, name) for name in _CONFIG_FIELDS}
        settings["batch_size"] = None if self.batch_size == "auto" else self.batch_size
        # early stopping is for the minibatch solvers, as in scikit-learn
        settings["early_stopping"] = self.early_stopping and self.solver != "lbfgs"
        return TrainingConfig(**settings)

    # what validate_data accepts: the dense families take sparse matrices
    _accept_sparse = ("csr", "csc")

    def _as_rows(self, X, reset):
        """``X`` as rows of features before validation (N-D families flatten
        it here); ``reset`` is True when a new network is fitted."""
        return X

    def _store_params(self, params):
        """``__init__`` helper: store every constructor argument unchanged."""
        for name, value in params.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    # -- fitting -----------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, X, y, sample_weight=None, X_val=None, y_val=None, sample_weight_val=None
    ):
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs; float32 input trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: class labels (or a label-indicator matrix) for a
            classifier, real values for a regressor.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        X_val, y_val : array-like, default=None
            Validation data, used instead of a ``validation_fraction``
            split: monitored every epoch (``validation_scores_``), used by
            early stopping when ``early_stopping=True`` and to choose among
            the ``n_init`` restarts.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, X_val, y_val, sample_weight_val)

    def _fit(self, X, y, sample_weight=None, X_val=None, y_val=None,
             sample_weight_val=None, *, incremental=False, classes=None):  # fmt: skip
        subtasks = n_subtasks(self, self._continues(incremental), incremental)
        task = fit_task(self, subtasks, X, y, sample_weight)
        with unchanged_on_failure(self):
            run = self._prepare_run(X, y, sample_weight, incremental, classes)
            run.task = task
            run.validation = self._prepare_validation(run, X_val, y_val,
                                                      sample_weight_val)  # fmt: skip
            macs = run.architecture.multiply_adds_per_row()
            batch_rows = run.config.batch_rows(run.data.n_samples)
            with network_threads(macs * batch_rows, run.data.dtype) as threads:
                run.thread_monitor = threads.monitor
                if run.continuing:
                    outcome = continue_training(self, run)
                else:
                    outcome = train_restarts(self, run)
            self._commit(run, outcome)
        task.end(dict)  # the fitted estimator is this one as it now stands
        warn_about_stop(self, outcome, run)
        return self

    def _continues(self, incremental):
        """Whether this fit continues the fitted network."""
        return (incremental or self.warm_start) and hasattr(self, "_network")

    def _prepare_run(self, X, y, sample_weight, incremental, classes):
        continuing = self._continues(incremental)
        config = self._training_config()
        if incremental:
            self._check_partial_fit_params()
        dtype = self._network.dtype if continuing else [np.float64, np.float32]
        X = self._as_rows(X, reset=not continuing)
        X, y = validate_data(self, X, y, reset=not continuing, dtype=dtype,
                             accept_sparse=self._accept_sparse, multi_output=True,
                             y_numeric=self._y_numeric)  # fmt: skip
        y = self._target_array(y)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X, X.dtype)
        if continuing:
            targets = self._targets
        else:
            targets = self._make_targets(y, sample_weight, classes)
        Y = targets.encode(y).astype(X.dtype, copy=False)
        sample_weight = self._weigh_classes(targets, Y, sample_weight, X.dtype)
        architecture = self._architecture(X.shape[1], targets.n_outputs)
        if continuing:
            self._check_layout(architecture)
        # one row-major copy at most; the engine standardises rows as it reads
        X = row_major(X)[0]
        scaler = self.scaler_ if continuing else self._fit_scaler(X, sample_weight)
        data = make_dataset(X, Y, sample_weight, scaler)
        return _Run(config, architecture, data, None, targets, scaler, continuing,
                    incremental, check_random_state(self.random_state))  # fmt: skip

    def _fit_scaler(self, X, sample_weight):
        if not self.standardize:
            return None
        return fit_scaler(X, sample_weight)

    def _weigh_classes(self, targets, Y, sample_weight, dtype):
        return sample_weight

    def _prepare_validation(self, run, X_val, y_val, sample_weight_val):
        """Validation data passed to ``fit``, or split off for early stopping."""
        if (X_val is None) != (y_val is None):
            raise ValueError("Pass both X_val and y_val, or neither.")
        score = run.targets.score
        if X_val is None:
            if not (run.config.early_stopping and not run.incremental):
                return None
            run.data, held_out = split_validation(
                run.data, self.validation_fraction, run.rng,
                stratify=run.targets.labels(run.data.Y),
            )  # fmt: skip
            return make_validation(held_out, score)
        X_val = self._as_rows(X_val, reset=False)
        X_val, y_val = validate_data(self, X_val, y_val, reset=False,
                                     dtype=run.data.dtype, multi_output=True,
                                     accept_sparse=self._accept_sparse,
                                     y_numeric=self._y_numeric)  # fmt: skip
        Y_val = run.targets.encode(self._target_array(y_val)).astype(X_val.dtype)
        sw = check_sample_weight(sample_weight_val, X_val, X_val.dtype)
        held_out = make_dataset(X_val, Y_val, sw, run.scaler)
        return make_validation(held_out, score)

    def _check_partial_fit_params(self):
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")
        if self.n_init > 1:
            raise ValueError(
                f"partial_fit trains one network; got n_init={self.n_init}, use 1."
            )

    def _check_layout(self, architecture):
        """A warm start or partial fit keeps the fitted parameters' shapes."""
        change = architecture.layout_change(self._fitted_architecture, self._size_name)
        if change is not None:
            raise ValueError(
                f"warm_start and partial_fit continue the fitted network, {change}; "
                "set warm_start=False to train a new network."
            )

    def _commit(self, run, outcome):
        """Assign the fitted state (the only place that does)."""
        old = self.history_ if run.continuing else []
        self.history_ = History([*old, *outcome.records])
        self._network, self._optimizer, self._rng = (
            outcome.network, outcome.optimizer, outcome.rng,
        )  # fmt: skip
        self._fitted_architecture = run.architecture
        self._targets, self.scaler_ = run.targets, run.scaler
        vars(self).update(self._target_attributes(run.targets))
        self.n_iter_ = len(self.history_)
        self.t_ = (self.t_ if run.continuing else 0) + outcome.samples_seen
        self.loss_ = outcome.loss
        finite = [loss for loss in self.loss_curve_ if np.isfinite(loss)]
        self.best_loss_ = min(finite) if finite else self.loss_
        self.kept_epoch_ = outcome.runs[-1].kept_epoch
        self.best_validation_score_ = _kept_validation_score(
            self.history_, self.kept_epoch_
        )
        if not run.continuing:
            self.restart_losses_ = outcome.restart_losses
            self.best_restart_ = int(np.argmin(outcome.restart_losses))
        self.n_layers_ = run.architecture.n_layers
        self.n_outputs_ = run.targets.n_outputs
        self.out_activation_ = outcome.network.loss.out_activation

    def _target_attributes(self, targets):
        """Public attributes of the targets (the classifier's ``classes_``)."""
        return {}

    def _fitted_view(self, run, network):
        """What a copy of this estimator needs to predict with a copy of
        ``network`` (the model in the middle of ``run``, for callbacks)."""
        return {
            "_network": copy.deepcopy(network),
            "_fitted_architecture": run.architecture,
            "_targets": run.targets,
            "scaler_": run.scaler,
            "n_outputs_": run.targets.n_outputs,
            **self._target_attributes(run.targets),
        }

    # -- the fitted model --------------------------------------------------

    @property
    def coefs_(self):
        """Weight matrices, ``coefs_[i]`` of shape ``(n_in, n_out)`` of layer i."""
        return [layer.params[0] for layer in self._network.param_layers]

    @property
    def intercepts_(self):
        """Bias vectors, ``intercepts_[i]`` of shape ``(n_out,)`` of layer i."""
        return [layer.params[-1] for layer in self._network.param_layers]

    @property
    def loss_curve_(self):
        """Training objective of every epoch (see the class docstring)."""
        return [record["loss"] for record in self.history_]

    @property
    def validation_loss_curve_(self):
        """Validation loss of every epoch, or None without validation data."""
        return _validation_column(self.history_, "val_loss")

    @property
    def validation_scores_(self):
        """Validation score of every epoch, or None without validation data."""
        return _validation_column(self.history_, "val_score")

    def _network_output(self, X, n_layers=None):
        check_is_fitted(self)
        X = self._as_rows(X, reset=False)
        X = validate_data(self, X, reset=False, dtype=self._network.dtype,
                          accept_sparse=self._accept_sparse)  # fmt: skip
        rows = min(X.shape[0], self._network.chunk_rows)
        with network_threads(rows * self._fitted_architecture.multiply_adds_per_row()):
            return predict_in_chunks(self._network, X, self.scaler_, n_layers)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _validation_column(history, field):
    if not any(record["val_loss"] is not None for record in history):
        return None
    return [record[field] for record in history]


def _kept_validation_score(history, kept_epoch):
    """Validation score of the kept weights (None if not validated)."""
    for record in reversed(history):
        if record["epoch"] == kept_epoch:
            return record["val_score"]
    return None
