"""Layers of the back-propagation engine.

The layer contract, readable on one screen:

- ``param_specs()`` lists ``(shape, penalized)`` for each parameter array.  The
  network allocates one flat parameter vector and one flat gradient vector and
  hands every layer views into them as ``params`` and ``grads`` (same order).
- ``forward(X, training)`` returns the layer's output and caches what
  ``backward`` needs.  Outputs live in buffers the layer reuses from one call to
  the next, so a caller that wants to keep an output must copy it.
- ``backward(dY, need_input_grad)`` fills ``grads`` and returns ``dL/dX``
  (``None`` when ``need_input_grad`` is False, which spares the first layer a
  matrix product).
- ``initialize(initializer, rng, activation, init_scale)`` draws the layer's
  own initial parameters (a no-op for layers without any).
- ``trainable = False`` freezes a layer: its gradients stay zero and ``backward``
  only propagates.
- What ``forward`` leaves for ``backward`` goes in ``_cache`` and outputs in
  ``_buffers``: neither is pickled.

Activation layers work in place on their input, which is always a buffer
owned by the layer before them; dropout writes to a buffer of its own, since
the activation below it still needs its output for its derivative.
"""

import numpy as np

from skdeep._engine.activations import ACTIVATIONS
from skdeep._engine.kernels import Buffers


class Layer:
    """Base class: no parameters, reusable buffers, pickles without scratch.

    Class attributes describe a layer kind to the network:

    - ``owns_output``: the output lives in a buffer of the layer's own (not
      in its input, as for the in-place activations), so the layer may come
      first in a network without overwriting the caller's data;
    - ``needs_rng``: the layer draws random numbers (dropout); the network
      hands it a generator through ``rng``;
    - ``activation_name``: the activation this layer applies, which tells the
      layer below it how to initialise its weights;
    - ``takes_network_input``: ``forward`` also receives the network's input;
    - ``commutes_with_activation``: the layer gives the same result before
      or after a non-decreasing activation (max pooling), so the layer
      below it looks past it for the activation above.
    """

    trainable = True
    owns_output = False
    needs_rng = False
    activation_name = None
    takes_network_input = False
    commutes_with_activation = False

    def __init__(self):
        self.params = []
        self.grads = []
        self._buffers = Buffers()
        # what the last forward pass left for backward
        self._cache = {}

    def param_specs(self):
        """Return a list of ``(shape, penalized)``, one per parameter array."""
        return []

    def initialize(self, initializer, rng, activation, init_scale):
        """Draw initial parameters; ``activation`` is the one applied above."""

    def freeze(self):
        """Hold this layer's parameters fixed during training."""
        self.trainable = False
        for grad in self.grads:
            grad[...] = 0

    def unfreeze(self):
        """Let training update this layer's parameters again."""
        self.trainable = True

    def _buffer(self, key, n_rows, n_cols, dtype, fill=None):
        """An ``(n_rows, n_cols)`` array reused across calls (see ``Buffers``)."""
        return self._buffers.get(key, (n_rows, n_cols), dtype, fill)

    def __getstate__(self):
        # Parameters are views that the owning network re-binds after
        # unpickling; the cache holds the last batch's data.
        state = self.__dict__.copy()
        for key in ("params", "grads", "_cache"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.params, self.grads, self._cache = [], [], {}


class Dense(Layer):
    """Affine layer ``Y = X W + b`` with ``W`` of shape ``(n_in, n_out)``.

    With ``bias=False`` it is the linear map ``X W`` (projection pursuit's
    projections onto its directions).
    """

    owns_output = True

    def __init__(self, n_in, n_out, bias=True):
        super().__init__()
        self.n_in = n_in
        self.n_out = n_out
        self.bias = bias

    def param_specs(self):
        specs = [((self.n_in, self.n_out), True)]
        return specs + [((self.n_out,), False)] if self.bias else specs

    def initialize(self, initializer, rng, activation, init_scale):
        coef, intercept = initializer(
            self.n_in, self.n_out, activation, rng, init_scale
        )
        self.params[0][...] = coef
        if self.bias:
            self.params[1][...] = intercept

    def forward(self, X, training=False):
        coef = self.params[0]
        out = self._buffer("out", X.shape[0], self.n_out, coef.dtype)
        if isinstance(X, np.ndarray):
            np.matmul(X, coef, out=out)
        else:  # a scipy.sparse matrix or array
            out[...] = X @ coef
        if self.bias:
            out += self.params[1]
        self._cache["input"] = X
        return out

    def backward(self, dY, need_input_grad=True):
        coef = self.params[0]
        if self.trainable:
            X = self._cache["input"]
            if isinstance(X, np.ndarray):
                np.matmul(X.T, dY, out=self.grads[0])
            else:
                self.grads[0][...] = X.T @ dY
        if self.trainable and self.bias:
            # ones @ dY is a BLAS matrix-vector product, which beats dY.sum(0)
            ones = self._buffer("ones", dY.shape[0], 1, dY.dtype, fill=1)[:, 0]
            np.matmul(ones, dY, out=self.grads[1])
        if not need_input_grad:
            return None
        dX = self._buffer("dX", dY.shape[0], self.n_in, dY.dtype)
        np.matmul(dY, coef.T, out=dX)
        return dX


class SkipDense(Layer):
    """Affine layer on the previous layer's output and the network's input.

    ``Y = H W_h + X0 W_x + b``: a hidden layer with a skip connection from the
    network's input ``X0`` (supervised pre-training with inputs).  The network
    passes ``X0`` to every layer whose ``takes_network_input`` is True.
    """

    owns_output = True
    takes_network_input = True

    def __init__(self, n_in, n_inputs, n_out):
        super().__init__()
        self.n_in = n_in
        self.n_inputs = n_inputs
        self.n_out = n_out
        self.bias = True

    def param_specs(self):
        return [
            ((self.n_in, self.n_out), True),
            ((self.n_inputs, self.n_out), True),
            ((self.n_out,), False),
        ]

    def initialize(self, initializer, rng, activation, init_scale):
        # one draw over both inputs, whose rows are then split between them
        fan_in = self.n_in + self.n_inputs
        coef, intercept = initializer(fan_in, self.n_out, activation, rng, init_scale)
        self.params[0][...] = coef[: self.n_in]
        self.params[1][...] = coef[self.n_in :]
        self.params[2][...] = intercept

    def forward(self, H, training=False, network_input=None):
        coef, skip_coef, intercept = self.params
        out = self._buffer("out", H.shape[0], self.n_out, coef.dtype)
        np.matmul(H, coef, out=out)
        out += _product(network_input, skip_coef)
        out += intercept
        self._cache["input"], self._cache["network_input"] = H, network_input
        return out

    def backward(self, dY, need_input_grad=True):
        coef = self.params[0]
        if self.trainable:
            coef_grad, skip_grad, intercept_grad = self.grads
            np.matmul(self._cache["input"].T, dY, out=coef_grad)
            skip_grad[...] = _product(self._cache["network_input"].T, dY)
            ones = self._buffer("ones", dY.shape[0], 1, dY.dtype, fill=1)[:, 0]
            np.matmul(ones, dY, out=intercept_grad)
        if not need_input_grad:
            return None
        dX = self._buffer("dX", dY.shape[0], self.n_in, dY.dtype)
        np.matmul(dY, coef.T, out=dX)
        return dX


def _product(A, B):
    """``A @ B`` for a dense or scipy.sparse ``A``, as a dense array."""
    return A @ B if isinstance(A, np.ndarray) else np.asarray(A @ B)


class Activation(Layer):
    """Element-wise activation, by name from ``ACTIVATIONS``, in place."""

    def __init__(self, name):
        super().__init__()
        self.name = name
        self.activation = ACTIVATIONS[name]

    @property
    def activation_name(self):
        return self.name

    def _scratch(self, X):
        """A work buffer and a (never written) buffer of zeros shaped like X."""
        n_rows, n_cols = X.shape
        zeros = self._buffer("zeros", n_rows, n_cols, X.dtype, fill=0)
        return self._buffer("work", n_rows, n_cols, X.dtype), zeros

    def forward(self, X, training=False):
        work, zeros = self._scratch(X)
        self.activation.forward(X, work, zeros)
        self._cache["output"] = X
        return X

    def backward(self, dY, need_input_grad=True):
        work, zeros = self._scratch(dY)
        self.activation.multiply_derivative(self._cache["output"], dY, work, zeros)
        return dY


class Dropout(Layer):
    """Inverted dropout: zero each unit with probability ``rate`` while training.

    Kept units are scaled by ``1 / (1 - rate)`` so that the expected activation
    is unchanged and prediction (``training=False``) is the identity.  Masks are
    drawn from ``rng``, a :class:`numpy.random.Generator` that the network
    sets (see ``Network.set_rng``).
    """

    needs_rng = True

    def __init__(self, rate, rng=None):
        super().__init__()
        self.rate = rate
        self.rng = rng

    def forward(self, X, training=False):
        active = training and self.rate > 0
        self._cache["mask"] = None
        if not active:
            return X
        mask = self._buffer("mask", X.shape[0], X.shape[1], X.dtype)
        self.rng.random(out=mask, dtype=mask.dtype)
        np.greater_equal(mask, self.rate, out=mask)
        mask *= 1 / (1 - self.rate)
        # Into a buffer of its own: the activation below computes its
        # derivative from its output, which must stay as it was.
        out = self._buffer("out", X.shape[0], X.shape[1], X.dtype)
        np.multiply(X, mask, out=out)
        self._cache["mask"] = mask
        return out

    def backward(self, dY, need_input_grad=True):
        mask = self._cache["mask"]
        if mask is not None:
            dY *= mask
        return dY

    def __getstate__(self):
        state = super().__getstate__()
        state["rng"] = None  # the network's generator is set for each run
        return state


class RidgeFunctions(Layer):
    """Column ``m`` of the output is ``g_m`` of column ``m`` of the input.

    The curves are objects with ``evaluate(v, order) -> (g(v), g'(v))``
    (projection pursuit's smoothers); they are fitted outside
    back-propagation, so the layer has no parameters and ``backward``
    multiplies by ``g_m'``.  ``orders``, when set, holds ``argsort`` of each
    input column for the next forward pass, which speeds the evaluation.
    """

    owns_output = True

    def __init__(self, functions):
        super().__init__()
        self.functions = list(functions)
        self.orders = None

    def forward(self, X, training=False):
        out = self._buffer("out", X.shape[0], X.shape[1], X.dtype)
        slopes = self._buffer("slopes", X.shape[0], X.shape[1], X.dtype)
        for m, function in enumerate(self.functions):
            order = None if self.orders is None else self.orders[m]
            out[:, m], slopes[:, m] = function.evaluate(X[:, m], order)
        self.orders = None  # valid for one input only
        self._cache["slopes"] = slopes
        return out

    @property
    def slopes(self):
        """``g_m'`` at the inputs of the last forward pass, column by column."""
        return self._cache["slopes"]

    def backward(self, dY, need_input_grad=True):
        dX = self._buffer("dX", dY.shape[0], dY.shape[1], dY.dtype)
        np.multiply(dY, self.slopes, out=dX)
        return dX
