"""The DeepFFN family: deep feed-forward networks with dropout, supervised
layer-wise pre-training and gradient diagnostics, on the shared engine.

``_DenseNetwork`` is the code path of every fully connected network:
FeedForwardClassifier and FeedForwardRegressor are its one-hidden-layer case.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted

from skdeep._architecture import DenseArchitecture
from skdeep._base import BaseNetwork
from skdeep._engine import SkipDense
from skdeep._outputs import NetworkClassifierMixin, NetworkRegressorMixin
from skdeep._pretraining import STRATEGIES
from skdeep.utils._compat import Interval, StrOptions
from skdeep.utils._docstrings import fill_doc


def positive_ints(value, name):
    """``value`` (a positive int or a sequence of them) as a tuple of ints."""
    sizes = np.atleast_1d(np.asarray(value, dtype=object))
    whole = all(
        isinstance(size, Integral) and not isinstance(size, bool) for size in sizes
    )
    if sizes.ndim != 1 or len(sizes) == 0 or not whole or min(sizes) < 1:
        raise ValueError(
            f"{name} must be a positive int or a sequence of them, got {value!r}."
        )
    return tuple(int(size) for size in sizes)


class _DenseNetwork(BaseNetwork):
    """Fully connected hidden layers, with dropout, pre-training and clipping."""

    _parameter_constraints = {
        **BaseNetwork._parameter_constraints,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "pretraining": [StrOptions(set(STRATEGIES)), None],
        "pretraining_max_iter": [Interval(Integral, 1, None, closed="left")],
        "fine_tune": ["boolean"],
        "clip_norm": [Interval(Real, 0, None, closed="neither"), None],
        "transform_layer": [Interval(Integral, None, None, closed="neither")],
    }
    # the parameter that sets the hidden layers, for error messages
    _size_name = "hidden_layer_sizes"

    def _hidden_layer_sizes(self):
        return positive_ints(self.hidden_layer_sizes, self._size_name)

    def _dropout_rates(self, n_layers):
        rates = np.asarray(self.dropout, dtype=float)
        if rates.ndim == 0:
            rates = np.full(n_layers, float(rates))
        if rates.shape != (n_layers,) or np.any((rates < 0) | (rates >= 1)):
            raise ValueError(
                f"dropout must be a rate in [0, 1) or one per hidden layer, got "
                f"{self.dropout!r} for {n_layers} hidden layers."
            )
        if self.solver == "lbfgs" and rates.any():
            raise ValueError(
                "dropout makes the training loss random, which L-BFGS cannot "
                "minimise; use solver='adam' or 'sgd', or dropout=0."
            )
        return tuple(float(rate) for rate in rates)

    def _architecture(self, n_features, n_outputs):
        sizes = self._hidden_layer_sizes()
        return DenseArchitecture(
            n_features=n_features,
            hidden_layer_sizes=sizes,
            n_outputs=n_outputs,
            activation=self.activation,
            dropout=self._dropout_rates(len(sizes)),
            skip_inputs=self.pretraining == "greedy_with_inputs",
        )

    def _pretraining(self):
        if self.pretraining is None:
            return None
        return self.pretraining, self.pretraining_max_iter, self.fine_tune

    def _training_config(self):
        return super()._training_config().replace(clip_norm=self.clip_norm)

    def transform(self, X):
        """Hidden representation: the activations of a hidden layer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        H : ndarray of shape (n_samples, n_units)
            Activations ``g(W' h + b)`` of the hidden layer ``transform_layer``
            (the last one by default) for the (standardised) input: the
            derived features a linear model can be fitted on.
        """
        check_is_fitted(self)
        return self._network_output(X, n_layers=self._transform_depth())

    def _transform_depth(self):
        architecture = self._fitted_architecture
        try:
            return architecture.depth_of_hidden(self.transform_layer)
        except IndexError:
            raise ValueError(
                f"transform_layer={self.transform_layer} does not name one of the "
                f"{len(architecture.hidden_layer_sizes)} hidden layers."
            ) from None

    @property
    def _n_features_out(self):
        self._transform_depth()  # names a bad transform_layer
        return self._fitted_architecture.hidden_layer_sizes[self.transform_layer]

    @property
    def grad_norms_(self):
        """Mean weight-gradient norm of each layer in every whole-network epoch."""
        n_layers = len(self._network.param_layers)
        rows = [
            record["grad_norms"]
            for record in self.history_
            if record["stage"] in (None, "fine-tune")
            and len(record["grad_norms"]) == n_layers
        ]
        return np.array(rows, dtype=float).reshape(len(rows), n_layers)


class _SkipConnections:
    """``skip_coefs_``: the DeepFFN family's input skip connections."""

    @property
    def skip_coefs_(self):
        """Input skip weights of each hidden layer (None where there is none)."""
        return [
            layer.params[1] if isinstance(layer, SkipDense) else None
            for layer in self._network.param_layers[:-1]
        ]


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
skip_coefs_ : list of ndarray or None
        One entry per hidden layer: the ``(n_features, n_units)`` weights of
        its input skip connection, or None where there is none (the first
        layer always; only ``pretraining="greedy_with_inputs"`` makes
        them)."""

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
    first call, without pre-training, and so does a warm start.

    A warm start or a ``partial_fit`` follows the current parameters
    (activation, dropout, loss, penalty, solver, learning rate); the hidden
    layer sizes, the input skip connections and the targets' outputs are
    the fitted network's and cannot change."""


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
    _SkipConnections,
    _DenseNetwork,
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
    >>> net = DeepFFNClassifier((64, 32), dropout=0.1, learning_rate_init=0.01,
    ...                         random_state=0)
    >>> net.fit(X, y).score(X, y) > 0.95
    True
    >>> net.grad_norms_.shape == (net.n_iter_, 3)  # per epoch, per layer
    True
    >>> net.transform(X[:2]).shape
    (2, 32)
    """

    _parameter_constraints = {
        **_DenseNetwork._parameter_constraints,
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
    _SkipConnections,
    _DenseNetwork,
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
        Residual size where the Huber loss turns linear (in standard units
        of ``y`` when ``standardize=True``).

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
    ...                        solver="lbfgs", tol=1e-3, random_state=0).fit(X, y)
    >>> net.score(X, y) > 0.95
    True
    >>> sorted({record["stage"] for record in net.history_})
    ['fine-tune', 'grow 1/2', 'grow 2/2']
    """

    _parameter_constraints = {
        **_DenseNetwork._parameter_constraints,
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
