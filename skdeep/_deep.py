"""The DeepFFN family: deep feed-forward networks with dropout, supervised
layer-wise pre-training and gradient diagnostics, on the shared engine."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.utils.metaestimators import available_if

from skdeep._base import BaseNetwork
from skdeep._engine import Activation, Dataset, Dense, Dropout, Network, SkipDense
from skdeep._engine.solvers import Validation
from skdeep._feedforward import (
    NetworkClassifierMixin,
    NetworkFitMixin,
    NetworkRegressorMixin,
    _stochastic_solver,
)
from skdeep.utils._compat import Interval, StrOptions, _fit_context
from skdeep.utils._docstrings import fill_doc


class _DeepMixin:
    """Hidden layers, dropout, pre-training and diagnostics of a deep net."""

    _parameter_constraints = {
        **BaseNetwork._parameter_constraints,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "pretraining": [StrOptions({"grow", "greedy", "greedy_with_inputs"}), None],
        "pretraining_max_iter": [Interval(Integral, 1, None, closed="left")],
        "fine_tune": ["boolean"],
        "clip_norm": [Interval(Real, 0, None, closed="neither"), None],
        "transform_layer": [Interval(Integral, None, None, closed="neither")],
    }

    def _hidden_layer_sizes(self):
        sizes = np.atleast_1d(self.hidden_layer_sizes)
        if sizes.ndim != 1 or len(sizes) == 0 or np.any(sizes < 1):
            raise ValueError(
                "hidden_layer_sizes must be a positive int or a sequence of them, "
                f"got {self.hidden_layer_sizes!r}."
            )
        return tuple(int(size) for size in sizes)

    def _dropout_rates(self):
        sizes = self._hidden_layer_sizes()
        rates = np.asarray(self.dropout, dtype=float)
        if rates.ndim == 0:
            rates = np.full(len(sizes), float(rates))
        if rates.shape != (len(sizes),) or np.any((rates < 0) | (rates >= 1)):
            raise ValueError(
                f"dropout must be a rate in [0, 1) or one per hidden layer, got "
                f"{self.dropout!r} for {len(sizes)} hidden layers."
            )
        if self.solver == "lbfgs" and rates.any():
            raise ValueError(
                "dropout makes the training loss random, which L-BFGS cannot "
                "minimise; use solver='adam' or 'sgd', or dropout=0."
            )
        return tuple(float(rate) for rate in rates)

    def _build_network(
        self, n_features, n_outputs, dtype, sizes=None, skip=None, rates=None
    ):
        """Dense, activation and (with a rate) dropout for each hidden layer.

        With input skip connections (``pretraining="greedy_with_inputs"``)
        every hidden layer after the first also reads the network's input.
        ``sizes``, ``skip`` and ``rates`` override the estimator's settings
        (pre-training stages).
        """
        sizes = self._hidden_layer_sizes() if sizes is None else sizes
        rates = self._dropout_rates() if rates is None else rates
        skip = self.pretraining == "greedy_with_inputs" if skip is None else skip
        layers, n_in = [], n_features
        for index, width in enumerate(sizes):
            if skip and index > 0:
                layers.append(SkipDense(n_in, n_features, width))
            else:
                layers.append(Dense(n_in, width))
            layers.append(Activation(self.activation))
            if rates[index] > 0:
                layers.append(Dropout(rates[index]))
            n_in = width
        layers.append(Dense(n_in, n_outputs))
        return Network(layers, self._make_loss(), dtype=dtype)

    def _transform_depth(self):
        """Engine layers up to the activation of hidden layer ``transform_layer``."""
        activations = [
            index
            for index, layer in enumerate(self._network.layers)
            if isinstance(layer, Activation)
        ]
        try:
            return activations[self.transform_layer] + 1
        except IndexError:
            raise ValueError(
                f"transform_layer={self.transform_layer} does not name one of the "
                f"{len(activations)} hidden layers."
            ) from None

    # -- pre-training -----------------------------------------------------

    def _train_new_network(self, data, validation, generator, max_epochs=None):
        self._dropout_rates()  # validates before any training
        if self.pretraining is None or max_epochs is not None:
            return super()._train_new_network(data, validation, generator, max_epochs)
        if self.pretraining == "grow":
            trainer, history = self._grow(data, validation, generator)
        else:
            trainer, history = self._greedy(data, validation, generator)
        if self.fine_tune:
            last_loss = trainer.loss
            trainer = self._make_trainer(trainer.network, generator, data)
            trainer.stage, trainer.loss = "fine-tune", last_loss
            trainer.history = history
            reason = trainer.train(data, validation)
        else:
            reason = "converged"
        trainer.n_iter = len(history)
        return trainer, reason

    def _stage_trainer(self, network, generator, data, stage, history):
        trainer = self._make_trainer(
            network, generator, data, self.pretraining_max_iter
        )
        trainer.stage, trainer.history = stage, history
        return trainer

    def _grow(self, data, validation, generator):
        """One hidden layer, then two with the first carried over, and so on."""
        sizes, history, previous = self._hidden_layer_sizes(), [], None
        for depth in range(1, len(sizes) + 1):
            network = self._build_network(data.X.shape[1], data.Y.shape[1],
                                          data.X.dtype, sizes[:depth])  # fmt: skip
            network.initialize(self.init, generator, self.init_scale)
            if previous is not None:
                _copy_hidden_layers(previous, network, depth - 1)
            stage = f"grow {depth}/{len(sizes)}"
            trainer = self._stage_trainer(network, generator, data, stage, history)
            trainer.train(data, validation)
            previous = network
        return trainer, history

    def _greedy(self, data, validation, generator):
        """Each hidden layer trained alone on the outputs of the frozen ones.

        The frozen layers run once per stage, without dropout, to give the
        stage its inputs (with the original inputs appended for
        ``"greedy_with_inputs"``); every stage is a one-hidden-layer network
        on the target, whose output layer the last stage hands to the
        final network.
        """
        sizes, history, stages = self._hidden_layer_sizes(), [], []
        with_inputs = self.pretraining == "greedy_with_inputs"
        stage_data, stage_validation = data, validation
        for depth, width in enumerate(sizes):
            network = self._build_network(
                stage_data.X.shape[1], data.Y.shape[1], data.X.dtype, (width,),
                skip=False, rates=self._dropout_rates()[depth : depth + 1],
            )  # fmt: skip
            network.initialize(self.init, generator, self.init_scale)
            stage = f"{self.pretraining} {depth + 1}/{len(sizes)}"
            trainer = self._stage_trainer(
                network, generator, stage_data, stage, history
            )
            trainer.train(stage_data, stage_validation)
            stages.append(network)
            stage_data = _next_inputs(network, stage_data, data, with_inputs)
            if validation is not None:
                stage_validation = Validation(
                    _next_inputs(network, stage_validation.data, validation.data,
                                 with_inputs),
                    validation.score,
                )  # fmt: skip
        final = self._build_network(data.X.shape[1], data.Y.shape[1], data.X.dtype)
        _assemble(stages, final)
        trainer_for_final = self._stage_trainer(final, generator, data, None, history)
        trainer_for_final.loss = trainer.loss
        return trainer_for_final, history

    # -- fitted attributes ------------------------------------------------

    def _set_fitted_attributes(self):
        super()._set_fitted_attributes()
        n_layers = len(self._weight_layers())
        rows = [
            record["grad_norms"]
            for record in self.history_
            if record["stage"] in (None, "fine-tune")
            and len(record["grad_norms"]) == n_layers
        ]
        self.grad_norms_ = np.array(rows).reshape(len(rows), n_layers)

    @property
    def skip_coefs_(self):
        """Input skip weights of each hidden layer (None where there is none)."""
        return [
            layer.params[1] if isinstance(layer, SkipDense) else None
            for layer in self._weight_layers()
        ]


def _copy_hidden_layers(source, target, n_hidden):
    """Copy the first ``n_hidden`` hidden layers' weights from ``source``."""
    copied = 0
    for from_layer, to_layer in zip(source.layers, target.layers, strict=False):
        if copied == n_hidden:
            break
        if from_layer.params:
            for a, b in zip(from_layer.params, to_layer.params, strict=True):
                b[...] = a
            copied += 1


def _next_inputs(network, stage_data, original, with_inputs):
    """The stage network's hidden activations: the next stage's inputs."""
    hidden = network.predict(stage_data.X, n_layers=2)
    if with_inputs:
        if sp.issparse(original.X):
            hidden = sp.hstack([sp.csr_matrix(hidden), original.X], format="csr")
        else:
            hidden = np.hstack([hidden, original.X])
    return Dataset(hidden, stage_data.Y, stage_data.sample_weight)


def _assemble(stages, final):
    """Put each stage's hidden layer, and the last stage's output, into ``final``."""
    hidden = [layer for layer in final.layers if layer.params][:-1]
    for stage, layer in zip(stages, hidden, strict=True):
        dense = stage.layers[0]
        coef, intercept = dense.params
        if isinstance(layer, SkipDense):
            layer.params[0][...] = coef[: layer.n_in]
            layer.params[1][...] = coef[layer.n_in :]
        else:
            layer.params[0][...] = coef
        layer.params[-1][...] = intercept
    output = [layer for layer in final.layers if layer.params][-1]
    for a, b in zip(stages[-1].layers[-1].params, output.params, strict=True):
        b[...] = a


_DEEP_PARAMETERS = """\
hidden_layer_sizes : int or tuple of int, default=(100,)
        Width of each hidden layer, input side first.

    activation : {"relu", "logistic", "tanh", "identity", "leaky_relu", \
"elu", "softplus"}, default="relu"
        Activation of every hidden layer.

    dropout : float or sequence of float, default=0.0
        Inverted dropout after each hidden layer: every unit is zeroed with
        this probability (one rate, or one per hidden layer) while training,
        the others scaled by ``1 / (1 - rate)``; prediction uses the whole
        network. Masks come from ``random_state``. Needs "sgd" or "adam".

    pretraining : {"grow", "greedy", "greedy_with_inputs"} or None, \
default=None
        Supervised layer-wise pre-training before the network is trained
        whole (see Notes).

    pretraining_max_iter : int, default=50
        Epochs (iterations for "lbfgs") of each pre-training stage.

    fine_tune : bool, default=True
        After pre-training, train the whole network for ``max_iter`` epochs
        (with a fresh optimizer); False keeps the pre-trained network.

    clip_norm : float or None, default=None
        Rescale every minibatch gradient whose norm exceeds this value to
        that norm (gradient clipping), against exploding gradients.

    transform_layer : int, default=-1
        Hidden layer whose activations ``transform`` returns (Python
        indexing: -1 is the last)."""

_DEEP_ATTRIBUTES = """\
grad_norms_ : ndarray of shape (n_epochs, n_layers)
        Mean weight-gradient norm of each layer (input side first) in every
        epoch that trained the whole network; shrinking values toward the
        input are the vanishing-gradient problem.

    skip_coefs_ : list of ndarray or None
        Weights of the input skip connection of each layer (None where there
        is none; only ``pretraining="greedy_with_inputs"`` makes them)."""

_DEEP_NOTES = """\
Pre-training strategies, each stage trained for ``pretraining_max_iter``
    epochs on the target and recorded in ``history_`` under its "stage":

    - "grow": a one-hidden-layer network, then a two-layer network whose
      first layer starts from that fit, and so on until every layer is in.
    - "greedy": each hidden layer trained as a one-hidden-layer network on
      the outputs of the (frozen) layers below it.
    - "greedy_with_inputs": as "greedy", but every hidden layer also reads
      the original inputs; the skip connections stay in the final network.

    Then, with ``fine_tune=True``, the whole network trains for
    ``max_iter`` epochs. ``partial_fit`` trains the whole network from its
    first call, without pre-training."""


@fill_doc(
    deep_parameters=_DEEP_PARAMETERS,
    deep_attributes=_DEEP_ATTRIBUTES,
    deep_notes=_DEEP_NOTES,
)
class DeepFFNClassifier(
    ClassNamePrefixFeaturesOutMixin,
    NetworkClassifierMixin,
    ClassifierMixin,
    TransformerMixin,
    NetworkFitMixin,
    _DeepMixin,
    BaseNetwork,
):
    """Deep feed-forward network classifier (the DeepFFN family).

    Any number of hidden layers, each ``h_l = g(W_l' h_{l-1} + b_l)``, then a
    softmax (multiclass) or logistic (binary, multilabel) output, trained on
    the log-loss plus a weight penalty, with dropout, supervised layer-wise
    pre-training, gradient clipping and per-layer gradient diagnostics.

    Parameters
    ----------
    %(deep_parameters)s

    %(training_parameters)s

    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    %(deep_attributes)s

    %(training_attributes)s

    See Also
    --------
    DeepFFNRegressor : The same networks for regression.
    FeedForwardClassifier : One hidden layer.

    Notes
    -----
    %(deep_notes)s

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeep import DeepFFNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> net = DeepFFNClassifier((64, 32), dropout=0.1, max_iter=30, random_state=0)
    >>> net.fit(X, y).score(X, y) > 0.95
    True
    >>> net.grad_norms_.shape
    (30, 3)
    >>> net.transform(X[:2]).shape
    (2, 32)
    """

    _parameter_constraints = {
        **_DeepMixin._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        dropout=0.0,
        pretraining=None,
        pretraining_max_iter=50,
        fine_tune=True,
        clip_norm=None,
        transform_layer=-1,
        solver="adam",
        penalty="l2",
        alpha=0.0001,
        l1_ratio=0.15,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=10,
        param_change_tol=None,
        early_stopping=False,
        validation_fraction=0.1,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_fun=15000,
        standardize=True,
        init="glorot",
        init_scale=0.7,
        n_init=1,
        warm_start=False,
        random_state=None,
        verbose=0,
        class_weight=None,
    ):
        self._store_params(locals())

    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for one epoch on ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or a label-indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        classes : array-like of shape (n_classes,), default=None
            Every class that can appear; required on the first call (except
            for multilabel targets).

        Returns
        -------
        self : object
            The partially fitted estimator.
        """
        return self._classifier_partial_fit(X, y, sample_weight, classes)


@fill_doc(
    deep_parameters=_DEEP_PARAMETERS,
    deep_attributes=_DEEP_ATTRIBUTES,
    deep_notes=_DEEP_NOTES,
)
class DeepFFNRegressor(
    ClassNamePrefixFeaturesOutMixin,
    NetworkRegressorMixin,
    RegressorMixin,
    TransformerMixin,
    NetworkFitMixin,
    _DeepMixin,
    BaseNetwork,
):
    """Deep feed-forward network regressor (the DeepFFN family).

    Any number of hidden layers, each ``h_l = g(W_l' h_{l-1} + b_l)``, then an
    identity output per target, trained on the squared error (or the Huber
    loss) plus a weight penalty, with dropout, supervised layer-wise
    pre-training, gradient clipping and per-layer gradient diagnostics.

    Parameters
    ----------
    %(deep_parameters)s

    %(training_parameters)s

    loss : {"squared_error", "huber"}, default="squared_error"
        Training loss.

    huber_delta : float, default=1.0
        Residual size where the Huber loss turns linear.

    Attributes
    ----------
    %(deep_attributes)s

    %(training_attributes)s

    See Also
    --------
    DeepFFNClassifier : The same networks for classification.
    FeedForwardRegressor : One hidden layer.

    Notes
    -----
    %(deep_notes)s

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from skdeep import DeepFFNRegressor
    >>> X, y = make_friedman1(n_samples=1000, random_state=0)
    >>> net = DeepFFNRegressor((32, 32), pretraining="grow", pretraining_max_iter=20,
    ...                        solver="lbfgs", random_state=0).fit(X, y)
    >>> net.score(X, y) > 0.95
    True
    >>> sorted({record["stage"] for record in net.history_})
    ['fine-tune', 'grow 1/2', 'grow 2/2']
    """

    _parameter_constraints = {
        **_DeepMixin._parameter_constraints,
        "loss": [StrOptions({"squared_error", "huber"})],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        dropout=0.0,
        pretraining=None,
        pretraining_max_iter=50,
        fine_tune=True,
        clip_norm=None,
        transform_layer=-1,
        solver="adam",
        penalty="l2",
        alpha=0.0001,
        l1_ratio=0.15,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=10,
        param_change_tol=None,
        early_stopping=False,
        validation_fraction=0.1,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_fun=15000,
        standardize=True,
        init="glorot",
        init_scale=0.7,
        n_init=1,
        warm_start=False,
        random_state=None,
        verbose=0,
        loss="squared_error",
        huber_delta=1.0,
    ):
        self._store_params(locals())

    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : object
            The partially fitted estimator.
        """
        return self._partial_fit(X, y, sample_weight)
