"""Architectures: what network an estimator's parameters describe.

An architecture is an immutable description built from the estimator's
parameters and the data's shape; ``build`` turns it into engine layers.  Its
``layout`` is what the shapes of the parameters depend on: a warm start or a
partial fit may change anything else (the activation, dropout, the loss) but
must keep the layout of the fitted network.
"""

from dataclasses import dataclass, replace
from math import prod

from skdeep._engine import Activation, Dense, Dropout, Network, SkipDense


@dataclass(frozen=True)
class DenseArchitecture:
    """Fully connected hidden layers, then a dense output layer.

    Parameters
    ----------
    n_features, n_outputs : int
    hidden_layer_sizes : tuple of int
    activation : str
        Activation of every hidden layer.
    dropout : tuple of float
        Dropout rate after each hidden layer (0 for none).
    skip_inputs : bool
        Every hidden layer after the first also reads the network's input.
    """

    n_features: int
    hidden_layer_sizes: tuple
    n_outputs: int
    activation: str = "relu"
    dropout: tuple = ()
    skip_inputs: bool = False

    def __post_init__(self):
        if not self.dropout:
            object.__setattr__(self, "dropout", (0.0,) * len(self.hidden_layer_sizes))

    @property
    def layout(self):
        """What the parameter shapes depend on."""
        return (self.n_features, self.hidden_layer_sizes, self.n_outputs,
                self.skip_inputs)  # fmt: skip

    @property
    def n_layers(self):
        """Layers counted as scikit-learn's MLP does: input, hidden, output."""
        return len(self.hidden_layer_sizes) + 2

    def replace(self, **changes):
        return replace(self, **changes)

    def layout_change(self, fitted, size_name):
        """What differs from the ``fitted`` layout, in words (None if nothing)."""
        if self.layout == fitted.layout:
            return None
        if self.skip_inputs != fitted.skip_inputs:
            return (
                f"which {'has' if fitted.skip_inputs else 'has no'} input skip "
                "connections, but pretraining now asks for "
                f"{'some' if self.skip_inputs else 'none'}"
            )
        return (
            f"whose hidden layers have {fitted.hidden_layer_sizes} units, but "
            f"{size_name} now asks for {self.hidden_layer_sizes}"
        )

    def build(self, loss, dtype):
        """An uninitialised engine network with the output + loss ``loss``."""
        layers, n_in = [], self.n_features
        for index, width in enumerate(self.hidden_layer_sizes):
            if self.skip_inputs and index > 0:
                layer = SkipDense(n_in, self.n_features, width)
            else:
                layer = Dense(n_in, width)
            layers += activated(layer, self.activation, self.dropout[index])
            n_in = width
        layers.append(Dense(n_in, self.n_outputs))
        return Network(layers, loss, dtype=dtype)

    def depth_of_hidden(self, index):
        """Engine layers up to and including hidden layer ``index``'s
        activation (Python indexing: -1 is the last hidden layer)."""
        n_hidden = len(self.hidden_layer_sizes)
        if not -n_hidden <= index < n_hidden:
            raise IndexError(index)
        index %= n_hidden
        return sum(2 + (rate > 0) for rate in self.dropout[:index]) + 2

    def multiply_adds_per_row(self):
        """Multiply-adds of one row's forward pass (for thread decisions)."""
        widths = [self.n_features, *self.hidden_layer_sizes, self.n_outputs]
        return sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))


def activated(layer, activation, rate):
    """``layer``, then ``activation`` (if any), then dropout if ``rate > 0``."""
    layers = [layer] if activation is None else [layer, Activation(activation)]
    return layers + [Dropout(rate)] if rate > 0 else layers


def dense_head(n_in, sizes, n_outputs, activation, dropout):
    """Fully connected hidden layers of ``sizes`` units, then the output layer."""
    layers = []
    for width, rate in zip(sizes, dropout, strict=True):
        layers += activated(Dense(n_in, width), activation, rate)
        n_in = width
    return [*layers, Dense(n_in, n_outputs)]


def multiply_adds(layers):
    """Multiply-adds of one row's forward pass through ``layers``."""
    total = 0
    for layer in layers:
        if isinstance(layer, Dense):
            total += layer.n_in * layer.n_out
        elif hasattr(layer, "multiply_adds"):
            total += layer.multiply_adds()
    return total


class SharedWeightsLayout:
    """What convolutional and recurrent architectures have in common.

    A subclass is a frozen dataclass with ``input_shape``,
    ``hidden_layer_sizes``, ``n_outputs``, ``activation`` and ``dropout``
    (one rate per feature block, then one per dense layer); it lists the
    fields its parameter shapes depend on in ``_LAYOUT`` and makes the
    feature layers in ``feature_layers``.
    """

    _LAYOUT = ()

    @property
    def layout(self):
        return tuple(getattr(self, name) for name in self._LAYOUT)

    def replace(self, **changes):
        return replace(self, **changes)

    def layout_change(self, fitted, size_name):
        """What differs from the ``fitted`` layout, in words (None if nothing)."""
        changed = [
            f"{name}={getattr(fitted, name)!r} (now {getattr(self, name)!r})"
            for name in self._LAYOUT
            if getattr(self, name) != getattr(fitted, name)
        ]
        return f"fitted with {', '.join(changed)}" if changed else None

    @property
    def n_blocks(self):
        """Feature blocks (convolutional or recurrent layers)."""
        return len(self.dropout) - len(self.hidden_layer_sizes)

    @property
    def n_layers(self):
        """Input, feature blocks, dense hidden layers and output."""
        return self.n_blocks + len(self.hidden_layer_sizes) + 2

    @property
    def feature_depth(self):
        """Engine layers up to the features the dense head reads."""
        return len(self.feature_layers())

    @property
    def n_features_out(self):
        """Values per sample that the dense head reads."""
        return _values_out(self.feature_layers())

    def build(self, loss, dtype):
        layers = self.feature_layers()
        head = dense_head(
            _values_out(layers), self.hidden_layer_sizes, self.n_outputs,
            self.activation, self.dropout[self.n_blocks :],
        )  # fmt: skip
        return Network([*layers, *head], loss, dtype=dtype)

    def multiply_adds_per_row(self):
        layers = self.feature_layers()
        widths = [_values_out(layers), *self.hidden_layer_sizes, self.n_outputs]
        head = sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))
        return multiply_adds(layers) + head


def _values_out(feature_layers):
    """Values per sample leaving the last shaped layer (dropout keeps the shape)."""
    shaped = [layer for layer in feature_layers if hasattr(layer, "output_shape")]
    return prod(shaped[-1].output_shape)
