"""A sequence of layers ending in a fused output + loss, on one flat vector.

The network owns one contiguous parameter vector ``theta`` and one gradient
vector ``grad``; every layer's arrays are views into them.  All penalized
parameters (the weights) come first, so ``theta[:n_weights]`` is the whole
weight vector: optimizers update everything in one vectorised step, penalties
act on one slice, L-BFGS needs no packing, and a snapshot is one copy.
"""

import numpy as np

from skdeep._engine.initializers import INITIALIZERS
from skdeep._engine.kernels import block_squares, empty

#: Rows per chunk wherever whole datasets are predicted or evaluated ...
CHUNK_ROWS = 4096
#: ... unless a layer's rows are so wide (feature maps of images) that a
#: buffer would hold more values than this; then fewer rows.
CHUNK_VALUES = 2**22


class Network:
    """Layers applied in order, then ``loss.forward`` on the last output.

    Parameters
    ----------
    layers : list of Layer
        The first layer must own its output buffer (``owns_output``, as a
        ``Dense`` layer does): the layers above may work in place on it, and
        must never work on the caller's data.
    loss : OutputLoss
        Output activation fused with the training loss.
    dtype : dtype
        float32 or float64, for parameters, gradients and every buffer.
    """

    def __init__(self, layers, loss, dtype=np.float64):
        self.layers = list(layers)
        if not self.layers or not self.layers[0].owns_output:
            first = type(self.layers[0]).__name__ if self.layers else "nothing"
            raise ValueError(
                f"A network must start with a layer that writes its output to a "
                f"buffer of its own (such as Dense); got {first}, which would "
                "work in place on the network's input."
            )
        self.loss = loss
        self.dtype = np.dtype(dtype)
        self._bind(empty(self._n_params(), self.dtype, fill=0))

    def _specs(self):
        """Yield ``(layer, position, shape, penalized)`` in flat-vector order."""
        specs = [
            (layer, position, shape, penalized)
            for layer in self.layers
            for position, (shape, penalized) in enumerate(layer.param_specs())
        ]
        # Stable sort: penalized arrays (weights) first, then the biases.
        return sorted(specs, key=lambda spec: not spec[3])

    def _n_params(self):
        return sum(int(np.prod(shape)) for _, _, shape, _ in self._specs())

    def _bind(self, theta):
        """Make every layer's params and grads views into theta and grad."""
        self.theta = theta
        self.grad = empty(theta.shape, theta.dtype, fill=0)
        for layer in self.layers:
            n_arrays = len(layer.param_specs())
            layer.params, layer.grads = [None] * n_arrays, [None] * n_arrays
        self._ranges = {id(layer): [] for layer in self.layers}
        start = 0
        self.n_weights = 0
        for layer, position, shape, penalized in self._specs():
            stop = start + int(np.prod(shape))
            layer.params[position] = theta[start:stop].reshape(shape)
            layer.grads[position] = self.grad[start:stop].reshape(shape)
            self._ranges[id(layer)].append((start, stop))
            self.n_weights += (stop - start) * penalized
            start = stop
        #: View of all penalized parameters (the weights).
        self.weights = theta[: self.n_weights]
        #: View of the gradient with respect to the weights.
        self.weight_grad = self.grad[: self.n_weights]
        #: ``(start, stop)`` in ``grad`` of each parameterised layer's weights.
        self.norm_blocks = np.array(
            [self._ranges[id(layer)][0] for layer in self.param_layers], dtype=np.int64
        ).reshape(-1, 2)

    @property
    def param_layers(self):
        """The layers that have parameters, in order."""
        return [layer for layer in self.layers if layer.param_specs()]

    def initialize(self, init, rng, init_scale=0.7):
        """Have every layer draw its parameters with the initializer ``init``.

        A layer's initializer may depend on the activation applied right
        above it (Glorot's bound for the logistic function).
        """
        initializer = INITIALIZERS[init]
        for index, layer in enumerate(self.layers):
            activation = self._activation_above(index)
            layer.initialize(initializer, rng, activation, init_scale)

    def _activation_above(self, index):
        """The next layer's activation, looking past layers that may come
        before or after it alike (max pooling): the same for either order."""
        for layer in self.layers[index + 1 :]:
            if not layer.commutes_with_activation:
                return layer.activation_name
        return None

    def set_rng(self, rng):
        """Hand the generator ``rng`` to every layer that draws random numbers."""
        for layer in self.layers:
            if layer.needs_rng:
                layer.rng = rng

    def forward(self, X, training=False, n_layers=None):
        """Return the output of the first ``n_layers`` layers.

        With ``n_layers=None``, all layers and then the output activation.  The
        result is a reused buffer: copy it to keep it.
        """
        network_input = X
        for layer in self.layers[:n_layers]:
            if layer.takes_network_input:
                X = layer.forward(X, training, network_input)
            else:
                X = layer.forward(X, training)
        if n_layers is None:
            X = self.loss.forward(X)
        return X

    def backward(self, delta):
        """Fill ``grad`` from ``delta``, the gradient with respect to the last
        layer's output (before ``loss.forward``) of the last forward pass."""
        first = self._first_trainable()
        for index in range(len(self.layers) - 1, first - 1, -1):
            delta = self.layers[index].backward(delta, index > first)

    def _first_trainable(self):
        """Index of the lowest layer with trainable parameters.

        Back-propagation stops there: nothing below it needs a gradient.
        """
        for index, layer in enumerate(self.layers):
            if layer.trainable and layer.params:
                return index
        return len(self.layers)

    def loss_and_gradient(self, X, Y, sample_weight, scale, training=True):
        """Forward and backward on one batch.

        Returns ``scale`` times the weighted sum of the per-sample losses and
        leaves ``scale`` times its gradient in ``grad``.
        """
        P = self.forward(X, training)
        loss, delta = self.loss.loss_and_delta(P, Y, sample_weight, scale)
        self.backward(delta)
        return loss * scale

    @property
    def chunk_rows(self):
        """Rows per chunk when working through a whole dataset: ``CHUNK_ROWS``,
        or fewer when the widest layer output would exceed ``CHUNK_VALUES``."""
        widest = max(_row_width(layer) for layer in self.layers)
        return int(min(CHUNK_ROWS, max(1, CHUNK_VALUES // widest)))

    def predict(self, X, n_layers=None, chunk_rows=None):
        """Forward pass without dropout, in chunks, into a new array."""
        n_samples = X.shape[0]
        chunk_rows = chunk_rows or self.chunk_rows
        out = None
        for start in range(0, n_samples, chunk_rows):
            stop = min(start + chunk_rows, n_samples)
            chunk = self.forward(X[start:stop], training=False, n_layers=n_layers)
            if out is None:
                out = np.empty((n_samples, chunk.shape[1]), dtype=chunk.dtype)
            out[start:stop] = chunk
        return out

    def layer_grad_norms(self):
        """Euclidean norm of each parameterised layer's weight gradient.

        The weights (the first parameter array of a layer) carry the signal
        that vanishes or explodes through depth; leaving the biases out keeps
        this to one dot product per layer.
        """
        return np.sqrt(block_squares(self.grad, self.norm_blocks))

    def __getstate__(self):
        state = self.__dict__.copy()
        for key in ("grad", "_ranges", "norm_blocks", "weights", "weight_grad"):
            state.pop(key)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._bind(self.theta)


def _row_width(layer):
    """Values per row of ``layer``'s output (1 when it keeps its input's)."""
    if hasattr(layer, "n_out"):
        return layer.n_out
    return int(np.prod(getattr(layer, "output_shape", (1,))))
