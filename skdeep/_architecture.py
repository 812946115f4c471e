"""Architectures: what network an estimator's parameters describe.

An architecture is an immutable description built from the estimator's
parameters and the data's shape; ``build`` turns it into engine layers.  Its
``layout`` is what the shapes of the parameters depend on: a warm start or a
partial fit may change anything else (the activation, dropout, the loss) but
must keep the layout of the fitted network.
"""

from dataclasses import dataclass, replace

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

    def replace(self, **changes):
        return replace(self, **changes)

    def build(self, loss, dtype):
        """An uninitialised engine network with the output + loss ``loss``."""
        layers, n_in = [], self.n_features
        for index, width in enumerate(self.hidden_layer_sizes):
            if self.skip_inputs and index > 0:
                layers.append(SkipDense(n_in, self.n_features, width))
            else:
                layers.append(Dense(n_in, width))
            layers.append(Activation(self.activation))
            if self.dropout[index] > 0:
                layers.append(Dropout(self.dropout[index]))
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
