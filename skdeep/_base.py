"""What every skdeep network estimator shares: validation, standardisation,
random restarts, warm starts, partial fits and the fitted attributes.

A subclass says which hidden layers it has (``_hidden_layer_sizes``), how it
encodes targets, which output + loss it trains and how it scores a validation
set; everything else lives here, on top of the engine.
"""

import warnings
from abc import ABCMeta, abstractmethod
from contextlib import ExitStack
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from skdeep._engine import (
    ACTIVATIONS,
    INITIALIZERS,
    OPTIMIZERS,
    Activation,
    Dataset,
    Dense,
    LBFGSTrainer,
    MinibatchTrainer,
    Network,
    Penalty,
    StoppingCriteria,
    Validation,
)
from skdeep.utils._compat import Interval, Options, StrOptions, check_sample_weight
from skdeep.utils._threads import blas_controllers

# Below this many multiply-adds per minibatch, BLAS threads cost more in
# synchronisation than they win in arithmetic (measured on 2 cores).
_MIN_MACS_FOR_THREADS = 2_000_000


class BaseNetwork(BaseEstimator, metaclass=ABCMeta):
    """Base class of the feed-forward network estimators; not for direct use."""

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

    # -- hooks for subclasses ---------------------------------------------

    _y_numeric = False

    def _store_params(self, params):
        """``__init__`` helper: store every constructor argument unchanged."""
        for name, value in params.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    @abstractmethod
    def _hidden_layer_sizes(self):
        """Tuple of hidden-layer widths."""

    @abstractmethod
    def _encode_targets(self, y, reset, classes=None):
        """Validated ``y`` as a float ``(n_samples, n_outputs)`` array."""

    @abstractmethod
    def _make_loss(self):
        """The engine's output + loss for the encoded targets."""

    @abstractmethod
    def _validation_score(self, P, Y, sample_weight):
        """Score of predictions ``P`` for encoded targets ``Y`` (higher is better)."""

    def _extra_sample_weight(self, Y):
        """Weights a subclass multiplies in (the classifier's class_weight)."""
        return None

    def _stratify(self, Y):
        """Labels to stratify the validation split by, or None."""
        return None

    # -- building blocks --------------------------------------------------

    def _build_network(self, n_features, n_outputs, dtype):
        layers, n_in = [], n_features
        for width in self._hidden_layer_sizes():
            layers += [Dense(n_in, width), Activation(self.activation)]
            n_in = width
        layers.append(Dense(n_in, n_outputs))
        return Network(layers, self._make_loss(), dtype=dtype)

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        return min(self.batch_size, n_samples)

    def _criteria(self):
        return StoppingCriteria(
            max_iter=self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            early_stopping=self.early_stopping,
            param_change_tol=self.param_change_tol,
        )

    def _penalty(self, total_weight):
        # alpha is per training sample, as in scikit-learn's MLP: the penalty
        # is alpha / sum(sample_weight) * Omega(W), whatever the batch size.
        return Penalty.from_name(self.penalty, self.alpha / total_weight, self.l1_ratio)

    def _make_trainer(self, network, generator, data, max_iter=None):
        """A trainer for ``network`` with this estimator's settings.

        ``max_iter`` overrides the estimator's (pre-training stages).
        """
        penalty = self._penalty(data.total_weight)
        criteria = self._criteria()
        if max_iter is not None:
            criteria.max_iter = max_iter
        if self.solver == "lbfgs":
            return LBFGSTrainer(network, penalty, criteria, self.max_fun, self.verbose)
        if self.solver == "sgd":
            optimizer = OPTIMIZERS["sgd"](
                network.theta.size,
                network.dtype,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
            )
        else:
            optimizer = OPTIMIZERS["adam"](
                network.theta.size,
                network.dtype,
                self.learning_rate_init,
                self.beta_1,
                self.beta_2,
                self.epsilon,
            )
        return MinibatchTrainer(
            network,
            optimizer,
            penalty,
            criteria,
            self._batch_size(data.n_samples),
            self.shuffle,
            generator,
            self.verbose,
            clip_norm=getattr(self, "clip_norm", None),
        )

    # -- input handling ---------------------------------------------------

    def _validate_X(self, X, reset):
        dtype = [np.float64, np.float32] if reset else self._network.dtype
        return validate_data(
            self, X, reset=reset, accept_sparse=["csr", "csc"], dtype=dtype
        )

    def _scale(self, X):
        """Standardise with the fitted scaler (into a new array) if there is one.

        Sparse input becomes CSR, whose rows minibatches can slice cheaply.
        """
        if sp.issparse(X):
            X = X.tocsr()
        if self.scaler_ is not None:
            X = self.scaler_.transform(X)
        return X

    def _validate_Xy(self, X, y, reset, dtype=None):
        if dtype is None:
            dtype = [np.float64, np.float32] if reset else self._network.dtype
        return validate_data(
            self,
            X,
            y,
            reset=reset,
            accept_sparse=["csr", "csc"],
            dtype=dtype,
            multi_output=True,
            y_numeric=self._y_numeric,
        )

    def _prepare_fit_data(self, X, y, sample_weight, reset, classes=None):
        X, y = self._validate_Xy(X, y, reset)
        Y = self._encode_targets(y, reset, classes).astype(X.dtype, copy=False)
        extra = self._extra_sample_weight(Y)
        if sample_weight is not None or extra is not None:
            sample_weight = check_sample_weight(sample_weight, X, X.dtype)
            if extra is not None:
                sample_weight *= extra
        if reset:
            self.scaler_ = (
                StandardScaler(with_mean=not sp.issparse(X)).fit(
                    X, sample_weight=sample_weight
                )
                if self.standardize
                else None
            )
        return Dataset(self._scale(X), Y, sample_weight)

    def _prepare_validation(self, X_val, y_val, sample_weight_val, dtype):
        if (X_val is None) != (y_val is None):
            raise ValueError("Pass both X_val and y_val, or neither.")
        if X_val is None:
            return None
        X_val, y_val = self._validate_Xy(X_val, y_val, reset=False, dtype=dtype)
        Y_val = self._encode_targets(y_val, reset=False).astype(X_val.dtype)
        sw = check_sample_weight(sample_weight_val, X_val, X_val.dtype)
        return Validation(
            Dataset(self._scale(X_val), Y_val, sw), self._validation_score
        )

    def _split_validation(self, data, rng):
        """Hold out ``validation_fraction`` of the rows for early stopping."""
        n_val = int(np.ceil(self.validation_fraction * data.n_samples))
        if n_val < 2 or data.n_samples - n_val < 1:
            raise ValueError(
                f"The validation set is too small: validation_fraction="
                f"{self.validation_fraction} of {data.n_samples} samples leaves "
                f"{n_val}; increase validation_fraction or pass X_val, y_val."
            )
        index = np.arange(data.n_samples)
        train, val = train_test_split(
            index, test_size=n_val, random_state=rng, stratify=self._stratify(data.Y)
        )

        def subset(rows):
            sw = data.sample_weight
            return Dataset(data.X[rows], data.Y[rows], None if sw is None else sw[rows])

        return subset(train), Validation(subset(val), self._validation_score)

    # -- fitting ----------------------------------------------------------

    def _fit(
        self,
        X,
        y,
        sample_weight=None,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
        incremental=False,
        classes=None,
    ):
        fitted = hasattr(self, "_trainer")
        reset = not fitted or not (incremental or self.warm_start)
        if incremental:
            self._check_partial_fit_params()
        data = self._prepare_fit_data(X, y, sample_weight, reset, classes)
        validation = self._prepare_validation(
            X_val, y_val, sample_weight_val, data.X.dtype
        )
        rng = check_random_state(self.random_state)
        if validation is None and self.early_stopping and not incremental:
            data, validation = self._split_validation(data, rng)
        with self._blas_threads(data):
            if reset:
                self._fit_restarts(data, validation, rng, 1 if incremental else None)
            else:
                self._continue_training(data, validation, incremental, rng)
        self._warn_about_stop(incremental)
        self._set_fitted_attributes()
        return self

    def _check_partial_fit_params(self):
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")
        if self.n_init > 1:
            raise ValueError(
                f"partial_fit trains one network; got n_init={self.n_init}, use 1."
            )

    def _blas_threads(self, data):
        """Limit BLAS threads for the fit.

        NumPy's BLAS gets one thread when a minibatch is too small to share
        between two; every other BLAS library gets one thread (see
        ``skdeep.utils._threads``).
        """
        rows = min(data.n_samples, 4096 if self.solver == "lbfgs" else 256)
        if self.solver != "lbfgs":
            rows = min(rows, self._batch_size(data.n_samples))
        widths = [data.X.shape[1], *self._hidden_layer_sizes(), data.Y.shape[1]]
        macs = rows * sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))
        numpy_blas, other_blas = blas_controllers()
        limits = ExitStack()
        if macs < _MIN_MACS_FOR_THREADS:
            limits.enter_context(numpy_blas.limit(limits=1))
        if other_blas.lib_controllers:
            limits.enter_context(other_blas.limit(limits=1))
        return limits

    def _fit_restarts(self, data, validation, rng, max_epochs=None):
        """Train ``n_init`` networks from their own seeds; keep the best."""
        seeds = rng.randint(np.iinfo(np.int32).max, size=self.n_init)
        self.restart_losses_ = np.full(self.n_init, np.inf)
        best = None
        for index, seed in enumerate(seeds):
            generator = np.random.default_rng(seed)
            trainer, reason = self._train_new_network(
                data, validation, generator, max_epochs
            )
            loss = self._selection_loss(trainer, validation)
            self.restart_losses_[index] = loss
            if best is None or loss < self.restart_losses_[best[0]]:
                best = (index, trainer, reason)
        self.best_restart_, self._trainer, self._stop_reason = best
        self._trainer_solver = self.solver

    def _train_new_network(self, data, validation, generator, max_epochs=None):
        """Build, initialise and train one network; return (trainer, reason)."""
        network = self._build_network(data.X.shape[1], data.Y.shape[1], data.X.dtype)
        network.initialize(self.init, generator, self.init_scale)
        trainer = self._make_trainer(network, generator, data)
        return trainer, trainer.train(data, validation, max_epochs)

    @staticmethod
    def _selection_loss(trainer, validation):
        """Validation loss if there is held-out data, else training loss."""
        if validation is not None:
            loss = trainer.evaluate(validation)[0]
        else:
            loss = trainer.loss
        return loss if loss is not None and np.isfinite(loss) else np.inf

    def _continue_training(self, data, validation, incremental, rng):
        """Warm start or partial fit: train the kept network further."""
        fitted_sizes = tuple(layer.n_out for layer in self._weight_layers()[:-1])
        if fitted_sizes != tuple(self._hidden_layer_sizes()):
            raise ValueError(
                f"warm_start and partial_fit continue the fitted network, whose "
                f"hidden layers have {fitted_sizes} units, but the parameters now "
                f"ask for {tuple(self._hidden_layer_sizes())}; set warm_start=False "
                "to train a new network."
            )
        trainer = self._trainer
        if self.solver != self._trainer_solver:
            generator = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
            trainer = self._make_trainer(trainer.network, generator, data)
            trainer.history = self._trainer.history
            self._trainer, self._trainer_solver = trainer, self.solver
        trainer.penalty = self._penalty(data.total_weight)
        trainer.criteria = self._criteria()
        trainer.verbose, trainer.stage = self.verbose, None
        if self.solver == "lbfgs":
            self._stop_reason = trainer.train(data, validation)
            return
        trainer.configure(
            batch_size=self._batch_size(data.n_samples), shuffle=self.shuffle
        )
        self._update_optimizer(trainer.optimizer)
        self._stop_reason = trainer.train(
            data, validation, max_epochs=1 if incremental else None
        )

    def _update_optimizer(self, optimizer):
        """Carry the optimizer's state over, with the current hyper-parameters."""
        if optimizer.learning_rate_init != self.learning_rate_init:
            optimizer.learning_rate_init = self.learning_rate_init
            optimizer.learning_rate = float(self.learning_rate_init)
        if self.solver == "adam":
            optimizer.set_betas(self.beta_1, self.beta_2)
            optimizer.epsilon = self.epsilon
        else:
            optimizer.momentum = self.momentum
            optimizer.nesterov = self.nesterovs_momentum
            optimizer.lr_schedule, optimizer.power_t = self.learning_rate, self.power_t

    def _warn_about_stop(self, incremental):
        reason, trainer = self._stop_reason, self._trainer
        # point at the caller's fit / partial_fit line
        level = 6 if incremental else 5
        if reason == "diverged":
            kept = (
                "The weights of the last finite epoch were kept."
                if trainer.n_iter > 1
                else "No epoch ended finite: the network keeps its initial, "
                "untrained weights."
            )
            warnings.warn(
                f"Training diverged: the loss or the weights stopped being finite "
                f"in epoch {trainer.n_iter}. {kept} Lower learning_rate_init (got "
                f"{self.learning_rate_init!r}), or standardize X and scale y.",
                ConvergenceWarning,
                stacklevel=level,
            )
        elif reason == "max_iter" and not incremental:
            warnings.warn(
                f"Solver {self.solver!r}: maximum iterations ({self.max_iter}) "
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

    def _set_fitted_attributes(self):
        trainer = self._trainer
        history = trainer.history
        self.history_ = history
        self.n_iter_ = trainer.n_iter
        self.t_ = trainer.n_samples_seen
        self.loss_ = trainer.loss
        self.loss_curve_ = [record["loss"] for record in history]
        finite = [loss for loss in self.loss_curve_ if np.isfinite(loss)]
        self.best_loss_ = min(finite) if finite else self.loss_
        validated = [r for r in history if r["val_loss"] is not None]
        if validated:
            self.validation_scores_ = [r["val_score"] for r in history]
            self.validation_loss_curve_ = [r["val_loss"] for r in history]
            kept = min(validated, key=lambda r: r["val_loss"])
            if not self.early_stopping:
                kept = validated[-1]
            self.best_validation_score_ = kept["val_score"]
        else:
            self.validation_scores_ = None
            self.validation_loss_curve_ = None
            self.best_validation_score_ = None
        self.n_layers_ = len(self._weight_layers()) + 1
        self.n_outputs_ = self._network.layers[-1].n_out
        self.out_activation_ = self._network.loss.out_activation

    # -- fitted model -----------------------------------------------------

    @property
    def _network(self):
        return self._trainer.network

    @property
    def coefs_(self):
        """Weight matrices, ``coefs_[i]`` of shape ``(n_in, n_out)`` of layer i."""
        return [layer.params[0] for layer in self._weight_layers()]

    @property
    def intercepts_(self):
        """Bias vectors, ``intercepts_[i]`` of shape ``(n_out,)`` of layer i."""
        return [layer.params[-1] for layer in self._weight_layers()]

    def _weight_layers(self):
        """The layers with weights (dense, and dense with a skip connection)."""
        return [layer for layer in self._network.layers if layer.param_specs()]

    def _forward(self, X, n_layers=None):
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._network.predict(self._scale(X), n_layers=n_layers)

    def _transform_depth(self):
        """Number of engine layers up to the output of the last hidden layer."""
        activations = [
            index
            for index, layer in enumerate(self._network.layers)
            if isinstance(layer, Activation)
        ]
        return activations[-1] + 1

    @property
    def _n_features_out(self):
        return self._network.layers[self._transform_depth() - 2].n_out

    def transform(self, X):
        """Hidden representation: the activations of the last hidden layer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        H : ndarray of shape (n_samples, n_hidden)
            Hidden-unit activations ``g_h(W1' x + b1)`` of the (standardised)
            input, the derived features a linear model can be fitted on.
        """
        return self._forward(X, n_layers=self._transform_depth())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
