"""Convolutional networks: parameter sharing over signals and images.

Each convolutional block applies the same small kernels at every position
of its input (a convolution), then the activation, then pools neighbouring
positions; a dense head reads the flattened feature maps.  The training is
the DeepFFN family's, through ``_StructuredNetwork``.
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
from skdeep._deep import positive_ints
from skdeep._engine import (
    Activation,
    AvgPool1D,
    AvgPool2D,
    Conv1D,
    Conv2D,
    Dropout,
    Flatten,
    MaxPool1D,
    MaxPool2D,
)
from skdeep._outputs import NetworkClassifierMixin, NetworkRegressorMixin
from skdeep._structured import _StructuredNetwork, structured_constraints
from skdeep.utils._compat import Interval, StrOptions
from skdeep.utils._docstrings import fill_doc

_CONVOLUTIONS = {2: Conv1D, 3: Conv2D}  # by the rank of the input shape
_POOLS = {("max", 2): MaxPool1D, ("max", 3): MaxPool2D,
          ("avg", 2): AvgPool1D, ("avg", 3): AvgPool2D}  # fmt: skip
# Activations that max pooling may precede (a new one pools after it until
# it is known to be non-decreasing).
_NON_DECREASING = frozenset(
    {"identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "softplus"}
)


@dataclass(frozen=True)
class ConvArchitecture(SharedWeightsLayout):
    """Convolutional blocks, then a dense head.

    Parameters
    ----------
    input_shape : tuple of int
        ``(length, channels)`` or ``(height, width, channels)``.
    filters : tuple of int
        Kernels of each block.
    kernel_size, pool_size : int or tuple of int
        Kernel and pooling window (a pool of 1 means no pooling).
    hidden_layer_sizes : tuple of int
        Units of the dense head's hidden layers.
    n_outputs : int
    activation : str
    dropout : tuple of float
        One rate per block, then one per dense hidden layer.
    padding : {"same", "valid"}
    pooling : {"max", "avg"}
    """

    input_shape: tuple
    filters: tuple
    kernel_size: object
    pool_size: object
    hidden_layer_sizes: tuple
    n_outputs: int
    activation: str = "relu"
    dropout: tuple = ()
    padding: str = "same"
    pooling: str = "max"

    _LAYOUT = ("input_shape", "filters", "kernel_size", "pool_size", "padding",
               "hidden_layer_sizes", "n_outputs")  # fmt: skip

    def feature_layers(self):
        """Engine layers from the input to the flattened feature maps.

        Max pooling goes before a non-decreasing activation ``g``: the
        values are the same (``max(g(x)) = g(max(x))``, and the gradient
        reaches the same maximum), and ``g`` works on the pooled maps.
        """
        layers, shape = [], self.input_shape
        convolution = _CONVOLUTIONS[len(shape)]
        pool = _POOLS[self.pooling, len(shape)]
        pooled = max(_pair(self.pool_size)) > 1
        pool_first = self.pooling == "max" and self.activation in _NON_DECREASING
        for filters, rate in zip(self.filters, self.dropout, strict=False):
            conv = convolution(shape, filters, self.kernel_size, padding=self.padding)
            block, shape = [conv, Activation(self.activation)], conv.output_shape
            if pooled:
                pooling = pool(shape, self.pool_size)
                block.insert(1 if pool_first else 2, pooling)
                shape = pooling.output_shape
            layers += [*block, Dropout(rate)] if rate > 0 else block
        return [*layers, Flatten(shape)]


def _pair(size):
    return (size,) if isinstance(size, Integral) else tuple(size)


class _ConvNetwork(_StructuredNetwork):
    """Convolutional blocks and a dense head, on the shared training path."""

    _parameter_constraints = structured_constraints(
        {
            "filters": ["array-like", Interval(Integral, 1, None, closed="left")],
            "kernel_size": ["array-like", Interval(Integral, 1, None, closed="left")],
            "pool_size": ["array-like", Interval(Integral, 1, None, closed="left")],
            "padding": [StrOptions({"same", "valid"})],
            "pooling": [StrOptions({"max", "avg"})],
        }
    )
    _ranks = (2, 3)
    _shape_words = "(length, channels) or (height, width, channels)"

    def _architecture(self, n_features, n_outputs):
        shape = self._given_input_shape() or self._sample_shape
        filters = positive_ints(self.filters, "filters")
        sizes = self._hidden_layer_sizes()
        architecture = ConvArchitecture(
            input_shape=shape,
            filters=filters,
            kernel_size=_window(self.kernel_size, "kernel_size", shape),
            pool_size=_window(self.pool_size, "pool_size", shape),
            hidden_layer_sizes=sizes,
            n_outputs=n_outputs,
            activation=self.activation,
            dropout=self._dropout_rates(len(filters) + len(sizes)),
            padding=self.padding,
            pooling=self.pooling,
        )
        _check_feature_maps(architecture)
        return architecture

    @property
    def filters_(self):
        """Kernels of each block, shaped ``(*kernel, in_channels, filters)``."""
        architecture = self._fitted_architecture
        shape = architecture.input_shape
        kernel = _pair(architecture.kernel_size) * (len(shape) - 1)
        kernel = kernel[: len(shape) - 1]
        channels = [shape[-1], *architecture.filters]
        layers = self._network.param_layers
        return [
            layers[block].params[0].reshape(*kernel, channels[block], filters)
            for block, filters in enumerate(architecture.filters)
        ]


def _window(size, name, shape):
    """A kernel or pooling size: one int, or one per spatial axis of ``shape``."""
    sizes = positive_ints(size, name)
    if len(sizes) == 1:
        return sizes[0]
    if len(sizes) != len(shape) - 1:
        raise ValueError(
            f"{name} must be an int or one per spatial axis of the samples "
            f"(shape {shape}, channels last), got {size!r}."
        )
    return sizes


def _check_feature_maps(architecture):
    """A 'valid' convolution must fit inside what the blocks before it leave."""
    try:
        architecture.feature_layers()
    except ValueError as error:
        raise ValueError(
            f"The blocks do not fit samples of shape {architecture.input_shape} "
            f"(pooled by pool_size={architecture.pool_size} after each block): "
            f"{error}"
        ) from None


_CONV_PARAMETERS = """\
filters : int or tuple of int, default=(16, 32)
        Kernels (output channels) of each convolutional block, input side
        first.

    kernel_size : int or tuple of int, default=3
        Size of the kernels: one int for every spatial axis, or one per axis.

    pool_size : int or tuple of int, default=2
        Window of the pooling after each convolution (its stride too); 1
        for no pooling. An incomplete window at the edge pools what it has,
        so short inputs never shrink to nothing.

    hidden_layer_sizes : int or tuple of int, default=(64,)
        Units of each hidden layer of the dense head that reads the
        flattened feature maps; () for none.

    activation : {"relu", "logistic", "tanh", "identity", "leaky_relu", \
"elu", "softplus"}, default="relu"
        Activation after every convolution and dense hidden layer.

    padding : {"same", "valid"}, default="same"
        "same" pads with zeros so that a convolution keeps the size of its
        input; "valid" applies kernels only where they fit.

    pooling : {"max", "avg"}, default="max"
        Maximum or average over each pooling window.

    input_shape : tuple of int or None, default=None
        Shape of one sample, channels last: ``(length, channels)`` for
        signals, ``(height, width, channels)`` for images. Needed when X is
        given as rows (a 64-pixel row of ``load_digits`` is an image with
        ``input_shape=(8, 8, 1)``; ``(8, 8)`` would be a signal of 8 steps
        with 8 channels); None takes the shape of N-D X, and rows of 2-D X
        as signals of one channel.

    dropout : float or sequence of float, default=0.0
        Inverted dropout after each block and each dense hidden layer (one
        rate, or one per block then per dense layer), while training only.
        Needs "sgd" or "adam".

    clip_norm : float or None, default=None
        Rescale every minibatch gradient whose norm exceeds this value to
        that norm (gradient clipping)."""

_CONV_ATTRIBUTES = """\
input_shape_ : tuple of int
        Shape of one sample, channels last.

    filters_ : list of ndarray
        Kernels of each block, of shape ``(*kernel_size, in_channels,
        filters)``."""

_CONV_NOTES = """\
X is an array of shape ``(n_samples, *input_shape)``, channels last (a
    3-D array is a batch of signals, ``(n_samples, length, channels)``; give
    images as ``(n_samples, height, width, channels)``), or its rows as
    ``(n_samples, prod(input_shape))`` in C order. With
    ``standardize=True`` each channel is standardised with one mean and
    scale for all its positions, since every position shares the kernels.

    Each block is convolution, activation, pooling, then dropout; the dense
    head reads the flattened maps, which ``transform`` returns. A warm
    start or ``partial_fit`` keeps the fitted shapes (input, filters,
    kernels, pooling windows, padding, dense head)."""


@fill_doc(
    conv_parameters=_CONV_PARAMETERS,
    conv_attributes=_CONV_ATTRIBUTES,
    conv_notes=_CONV_NOTES,
)
class ConvNetClassifier(
    ClassNamePrefixFeaturesOutMixin,
    NetworkClassifierMixin,
    ClassifierMixin,
    TransformerMixin,
    _ConvNetwork,
):
    """Convolutional network classifier for signals and images.

    Convolutional blocks share their kernels across the positions of the
    input (parameter sharing), pooling shrinks the feature maps, and a
    dense head with a softmax (multiclass) or logistic (binary, multilabel)
    output reads them; trained on the log-loss plus a weight penalty.

    Parameters
    ----------
    %(conv_parameters)s

    %(training_parameters)s

    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    %(conv_attributes)s

    %(training_attributes)s

    See Also
    --------
    ConvNetRegressor : The same networks for regression.
    DeepFFNClassifier : Fully connected layers only.

    Notes
    -----
    %(conv_notes)s

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeep import ConvNetClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> images = X.reshape(-1, 8, 8, 1)
    >>> net = ConvNetClassifier(filters=(8, 16), learning_rate_init=0.01,
    ...                         early_stopping=True, n_iter_no_change=5,
    ...                         random_state=0)
    >>> net.fit(images[:1000], y[:1000]).score(images[1000:], y[1000:]) > 0.9
    True
    >>> net.filters_[0].shape  # 3 x 3 kernels, 1 channel in, 8 out
    (3, 3, 1, 8)
    >>> net.transform(images[:2]).shape  # 2 x 2 maps of 16 channels
    (2, 64)
    """

    _parameter_constraints = {
        **_ConvNetwork._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        filters=(16, 32),
        kernel_size=3,
        pool_size=2,
        hidden_layer_sizes=(64,),
        activation="relu",
        *,
        padding="same",
        pooling="max",
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
    conv_parameters=_CONV_PARAMETERS,
    conv_attributes=_CONV_ATTRIBUTES,
    conv_notes=_CONV_NOTES,
)
class ConvNetRegressor(
    ClassNamePrefixFeaturesOutMixin,
    NetworkRegressorMixin,
    RegressorMixin,
    TransformerMixin,
    _ConvNetwork,
):
    """Convolutional network regressor for signals and images.

    Convolutional blocks share their kernels across the positions of the
    input (parameter sharing), pooling shrinks the feature maps, and a
    dense head with an identity output per target reads them; trained on
    the squared error (or the Huber loss) plus a weight penalty.

    Parameters
    ----------
    %(conv_parameters)s

    %(training_parameters)s

    loss : {"squared_error", "huber"}, default="squared_error"
        Training loss.

    huber_delta : float, default=1.0
        Residual size where the Huber loss turns linear (in standard units
        of ``y`` when ``standardize=True``).

    Attributes
    ----------
    %(conv_attributes)s

    %(training_attributes)s

    See Also
    --------
    ConvNetClassifier : The same networks for classification.
    DeepFFNRegressor : Fully connected layers only.

    Notes
    -----
    %(conv_notes)s

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import ConvNetRegressor
    >>> rng = np.random.default_rng(0)
    >>> signals = rng.normal(size=(500, 32))  # rows: 1-channel signals
    >>> y = signals[:, 10:14].sum(axis=1)  # a local feature
    >>> net = ConvNetRegressor(filters=(8,), kernel_size=4, pool_size=1,
    ...                        hidden_layer_sizes=(), learning_rate_init=0.01,
    ...                        random_state=0)
    >>> net.fit(signals[:400], y[:400]).score(signals[400:], y[400:]) > 0.9
    True
    >>> net.input_shape_
    (32, 1)
    """

    _parameter_constraints = {
        **_ConvNetwork._parameter_constraints,
        "loss": [StrOptions({"squared_error", "huber"})],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        filters=(16, 32),
        kernel_size=3,
        pool_size=2,
        hidden_layer_sizes=(64,),
        activation="relu",
        *,
        padding="same",
        pooling="max",
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
