"""Recurrent networks: parameter sharing across time.

A recurrent layer applies the same weights at every time step of a sequence,
carrying a hidden state from one step to the next: the plain tanh cell
("rnn"), the long short-term memory ("lstm", Hochreiter and Schmidhuber,
1997) whose gated cell state carries information over long lags, or the
gated recurrent unit ("gru", Cho et al., 2014).  Stacked layers pass on
their whole output sequence; the last layer's final hidden state feeds a
dense head.  The training is the DeepFFN family's, through
``_StructuredNetwork``.
"""

from dataclasses import dataclass
from numbers import Integral, Real

from sklearn.base import (
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
)

from skdeep._architecture import SharedWeightsLayout
from skdeep._engine import GRU, LSTM, Bidirectional, Dropout, SimpleRNN
from skdeep._outputs import NetworkClassifierMixin, NetworkRegressorMixin
from skdeep._structured import _StructuredNetwork, structured_constraints
from skdeep.utils._compat import Interval, StrOptions
from skdeep.utils._docstrings import fill_doc

CELLS = {"rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}


@dataclass(frozen=True)
class RecurrentArchitecture(SharedWeightsLayout):
    """Stacked recurrent layers, then a dense head.

    Parameters
    ----------
    input_shape : tuple of int
        ``(n_timesteps, n_features)``.
    cell : {"rnn", "lstm", "gru"}
    hidden_size, n_layers : int
    hidden_layer_sizes : tuple of int
        Units of the dense head's hidden layers.
    n_outputs : int
    activation : str
        Activation of the dense hidden layers.
    dropout : tuple of float
        One rate after each recurrent layer, then one per dense layer.
    bidirectional : bool
        Each recurrent layer also reads the sequence backwards; the two
        directions' states are concatenated.
    truncate : int or None
        Steps of back-propagation through time (None: all).
    """

    input_shape: tuple
    cell: str
    hidden_size: int
    n_layers_recurrent: int
    hidden_layer_sizes: tuple
    n_outputs: int
    activation: str = "relu"
    dropout: tuple = ()
    bidirectional: bool = False
    truncate: int = None

    _LAYOUT = ("input_shape", "cell", "hidden_size", "n_layers_recurrent",
               "bidirectional", "hidden_layer_sizes", "n_outputs")  # fmt: skip

    def feature_layers(self):
        """Engine layers from the sequence to the final hidden state."""
        layers = []
        n_timesteps, n_features = self.input_shape
        for index in range(self.n_layers_recurrent):
            sequences = index < self.n_layers_recurrent - 1
            layers.append(self._recurrent(n_features, sequences))
            if self.dropout[index] > 0:
                layers.append(Dropout(self.dropout[index]))
            n_features = self.hidden_size * (2 if self.bidirectional else 1)
        return layers

    def multiply_adds_per_row(self):
        """For the thread rule: the multiply-adds of one time step per row.

        The recurrence makes its products step by step, each small, and it
        is their size, not the total, that decides whether BLAS threads pay
        (so mid-sized recurrent networks get the thread tuner that copes with
        a busy core).
        """
        return super().multiply_adds_per_row() // self.input_shape[0]

    def _recurrent(self, n_features, sequences):
        cell = CELLS[self.cell]
        n_timesteps = self.input_shape[0]

        def make(reverse):
            return cell(n_timesteps, n_features, self.hidden_size,
                        return_sequences=sequences, truncate=self.truncate,
                        reverse=reverse)  # fmt: skip

        if self.bidirectional:
            return Bidirectional(make(False), make(True))
        return make(False)


class _RecurrentNetwork(_StructuredNetwork):
    """Recurrent layers and a dense head, on the shared training path."""

    _parameter_constraints = structured_constraints(
        {
            "cell": [StrOptions(set(CELLS))],
            "hidden_size": [Interval(Integral, 1, None, closed="left")],
            "n_layers": [Interval(Integral, 1, None, closed="left")],
            "bidirectional": ["boolean"],
            "truncate": [Interval(Integral, 1, None, closed="left"), None],
        }
    )
    _ranks = (2,)
    _shape_words = "(n_timesteps, n_features)"

    def _architecture(self, n_features, n_outputs):
        sizes = self._hidden_layer_sizes()
        return RecurrentArchitecture(
            input_shape=self._given_input_shape() or self._sample_shape,
            cell=self.cell,
            hidden_size=self.hidden_size,
            n_layers_recurrent=self.n_layers,
            hidden_layer_sizes=sizes,
            n_outputs=n_outputs,
            activation=self.activation,
            dropout=self._dropout_rates(self.n_layers + len(sizes)),
            bidirectional=self.bidirectional,
            truncate=self.truncate,
        )


_RECURRENT_PARAMETERS = """\
cell : {"lstm", "gru", "rnn"}, default="lstm"
        The recurrent cell: long short-term memory, gated recurrent unit,
        or the plain tanh cell ``h_t = tanh(W_x' x_t + W_h' h_{t-1} + b)``.

    hidden_size : int, default=32
        Units of the hidden state of each recurrent layer.

    n_layers : int, default=1
        Stacked recurrent layers; each reads the whole output sequence of
        the one below.

    hidden_layer_sizes : int or tuple of int, default=()
        Units of each hidden layer of the dense head that reads the final
        hidden state; () for none (the output layer reads it directly).

    activation : {"relu", "logistic", "tanh", "identity", "leaky_relu", \
"elu", "softplus"}, default="relu"
        Activation of the dense hidden layers.

    bidirectional : bool, default=False
        Each recurrent layer also reads the sequence from its end; the two
        directions' states are concatenated (twice the features).

    truncate : int or None, default=None
        Back-propagate through the last ``truncate`` time steps only
        (truncated back-propagation through time); None for all of them.

    input_shape : tuple of int or None, default=None
        ``(n_timesteps, n_features)`` of one sample. Needed when X is given
        as rows of ``n_timesteps * n_features`` values (time-major, C
        order); None takes the shape of 3-D X, and rows of 2-D X as
        univariate sequences.

    dropout : float or sequence of float, default=0.0
        Inverted dropout after each recurrent layer and each dense hidden
        layer (one rate, or one per layer), while training only. Needs
        "sgd" or "adam".

    clip_norm : float or None, default=None
        Rescale every minibatch gradient whose norm exceeds this value to
        that norm (gradient clipping), against the exploding gradients of
        long sequences."""

_RECURRENT_ATTRIBUTES = """\
input_shape_ : tuple of int
        ``(n_timesteps, n_features)`` of one sample."""

_RECURRENT_NOTES = """\
X is an array of shape ``(n_samples, n_timesteps, n_features)`` or its
    rows ``(n_samples, n_timesteps * n_features)``. With
    ``standardize=True`` each feature is standardised with one mean and
    scale over all time steps, since every step shares the weights.
    ``skdeep.preprocessing.make_windows`` turns series into such samples
    for forecasting.

    ``transform`` returns the final hidden state of the last recurrent
    layer. A warm start or ``partial_fit`` keeps the fitted shapes (input,
    cell, hidden size, layers, direction, dense head)."""


@fill_doc(
    recurrent_parameters=_RECURRENT_PARAMETERS,
    recurrent_attributes=_RECURRENT_ATTRIBUTES,
    recurrent_notes=_RECURRENT_NOTES,
)
class RecurrentClassifier(
    ClassNamePrefixFeaturesOutMixin,
    NetworkClassifierMixin,
    ClassifierMixin,
    TransformerMixin,
    _RecurrentNetwork,
):
    """Recurrent network classifier for sequences (LSTM, GRU, tanh RNN).

    Recurrent layers apply the same weights at every time step (parameter
    sharing across time), carrying a hidden state along the sequence; a
    dense head with a softmax (multiclass) or logistic (binary, multilabel)
    output reads the final state. Trained on the log-loss plus a weight
    penalty by back-propagation through time.

    Parameters
    ----------
    %(recurrent_parameters)s

    %(training_parameters)s

    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    %(recurrent_attributes)s

    %(training_attributes)s

    See Also
    --------
    RecurrentRegressor : The same networks for regression.
    ConvNetClassifier : Parameters shared across positions instead.

    Notes
    -----
    %(recurrent_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import RecurrentClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 20, 1))  # 600 sequences of 20 steps
    >>> y = X[:, :5, 0].sum(axis=1) > 0  # the sign of the early steps' sum
    >>> clf = RecurrentClassifier(hidden_size=16, batch_size=50, early_stopping=True,
    ...                           n_iter_no_change=5, learning_rate_init=0.01,
    ...                           random_state=0)
    >>> clf.fit(X[:500], y[:500]).score(X[500:], y[500:]) > 0.85
    True
    >>> clf.transform(X[:3]).shape  # the final hidden state
    (3, 16)
    """

    _parameter_constraints = {
        **_RecurrentNetwork._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        cell="lstm",
        hidden_size=32,
        n_layers=1,
        hidden_layer_sizes=(),
        activation="relu",
        *,
        bidirectional=False,
        truncate=None,
        input_shape=None,
        dropout=0.0,
        clip_norm=None,
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
    recurrent_parameters=_RECURRENT_PARAMETERS,
    recurrent_attributes=_RECURRENT_ATTRIBUTES,
    recurrent_notes=_RECURRENT_NOTES,
)
class RecurrentRegressor(
    ClassNamePrefixFeaturesOutMixin,
    NetworkRegressorMixin,
    RegressorMixin,
    TransformerMixin,
    _RecurrentNetwork,
):
    """Recurrent network regressor for sequences (LSTM, GRU, tanh RNN).

    Recurrent layers apply the same weights at every time step (parameter
    sharing across time), carrying a hidden state along the sequence; a
    dense head with an identity output per target reads the final state.
    Trained on the squared error (or the Huber loss) plus a weight penalty
    by back-propagation through time.

    Parameters
    ----------
    %(recurrent_parameters)s

    %(training_parameters)s

    loss : {"squared_error", "huber"}, default="squared_error"
        Training loss.

    huber_delta : float, default=1.0
        Residual size where the Huber loss turns linear (in standard units
        of ``y`` when ``standardize=True``).

    Attributes
    ----------
    %(recurrent_attributes)s

    %(training_attributes)s

    See Also
    --------
    RecurrentClassifier : The same networks for classification.
    ConvNetRegressor : Parameters shared across positions instead.

    Notes
    -----
    %(recurrent_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import RecurrentRegressor
    >>> from skdeep.preprocessing import make_windows
    >>> t = np.arange(600)
    >>> series = np.sin(t / 8) + 0.05 * np.random.default_rng(0).normal(size=600)
    >>> X, y = make_windows(series, window=24)  # predict the next value
    >>> X.shape
    (576, 24, 1)
    >>> net = RecurrentRegressor(cell="gru", hidden_size=16, max_iter=40,
    ...                          learning_rate_init=0.01, random_state=0)
    >>> net.fit(X[:450], y[:450]).score(X[450:], y[450:]) > 0.95
    True
    """

    _parameter_constraints = {
        **_RecurrentNetwork._parameter_constraints,
        "loss": [StrOptions({"squared_error", "huber"})],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        cell="lstm",
        hidden_size=32,
        n_layers=1,
        hidden_layer_sizes=(),
        activation="relu",
        *,
        bidirectional=False,
        truncate=None,
        input_shape=None,
        dropout=0.0,
        clip_norm=None,
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
