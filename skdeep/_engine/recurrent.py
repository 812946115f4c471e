"""Recurrent layers: a tanh RNN, the LSTM and the GRU, on 2-D batches.

Every engine layer takes and returns ``(batch, n_values)`` arrays, so a
recurrent layer's input is the C-ordered flattening of ``(batch, n_timesteps,
n_features)`` (channels last), and its output either the last hidden state
``(batch, hidden_size)`` or, with ``return_sequences=True``, the flattening
of ``(batch, n_timesteps, hidden_size)``, which the next recurrent layer
takes as its input.

The cells, for the input ``x_t`` and the previous state ``h_{t-1}``
(``h_{-1} = c_{-1} = 0``; ``s`` the logistic function, ``*`` element-wise)::

    SimpleRNN  h_t = tanh(x_t W_x + h_{t-1} W_h + b)

    LSTM       [i, f, g, o] = x_t W_x + h_{t-1} W_h + b     (gates in this order)
               i, f, o = s(i), s(f), s(o);  g = tanh(g)
               c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t)

    GRU        [r, z, n] = x_t W_x + b  and  [R_r, R_z, R_n] = h_{t-1} W_h
               r = s(r + R_r);  z = s(z + R_z);  n = tanh(n + r * R_n)
               h_t = (1 - z) * n + z * h_{t-1}

The gates are column blocks of ``hidden_size`` in ``W_x`` (``n_features,
G * hidden_size``), ``W_h`` (``hidden_size, G * hidden_size``) and ``b``
(``G * hidden_size``), ``G`` = 1, 4, 3; the LSTM's order is PyTorch's.  The
GRU applies the reset gate after the recurrent product (PyTorch's and cuDNN's
variant, Keras's ``reset_after=True``) with one bias, on the input side, so
that all three recurrent products are one matrix product per step.

The input products of all time steps are computed before the recurrence, and
back-propagation through time collects the per-step gate deltas so that the
gradients of ``W_x``, ``W_h`` and ``b`` and the input gradient are computed
after it.  Internally the arrays are time-major and feature-major: step
``t``'s gates are a ``(G * hidden_size, batch)`` block (the transpose of
``x_t W_x``), so that each gate is a contiguous ``(hidden_size, batch)``
block and the dozen element-wise operations of a step run on contiguous
memory (on the ``(batch, G * hidden_size)`` layout every gate is a strided
column block, several times slower for small batches).  Steps are stored in
processing order, which ``reverse=True`` runs from the last time step to the
first.
"""

import math

import numpy as np

from skdeep._engine.layers import Layer

# Inference on many rows goes through the recurrence in chunks of rows so that
# the per-step arrays kept for back-propagation (one row of G * hidden_size
# values per sample and step) stay near this many values.
INFERENCE_CHUNK_VALUES = 2**22
# A weight gradient sums one matrix product per time step; the products are
# computed a few steps at a time, at most this many values at once.
PRODUCT_CHUNK_VALUES = 2**20


class _Recurrent(Layer):
    """Shared machinery: stacked steps, feature-major buffers, gradients.

    Subclasses set ``n_gates``, ``gate_activations`` and ``column_scale``
    (see ``_scaled_weights``) and write ``_run(V, W, n)``, the recurrence,
    which fills the states of ``V`` (see ``_stacked_steps``) and returns
    the ``(T, G * H, n)`` gates its backward needs, and ``_bptt(dY, n,
    first)``, which returns the steps' deltas of the input side and of the
    recurrent side (the same array for every cell but the GRU).
    """

    owns_output = True
    n_gates = 1
    gate_activations = ("tanh",)
    column_scale = (1,)

    def __init__(
        self,
        n_timesteps,
        n_features,
        hidden_size,
        return_sequences=False,
        truncate=None,
        reverse=False,
    ):
        super().__init__()
        if truncate is not None and truncate < 1:
            raise ValueError(
                f"truncate must be None or at least 1 (the number of steps the "
                f"gradient goes back through); got {truncate!r}."
            )
        self.n_timesteps = n_timesteps
        self.n_features = n_features
        self.hidden_size = hidden_size
        self.return_sequences = return_sequences
        self.truncate = truncate
        self.reverse = reverse
        self.record_step_norms = False
        self.step_grad_norms = None

    @property
    def output_shape(self):
        """``(hidden_size,)``, or ``(n_timesteps, hidden_size)`` for sequences."""
        if self.return_sequences:
            return (self.n_timesteps, self.hidden_size)
        return (self.hidden_size,)

    @property
    def n_out(self):
        """Number of output values per sample."""
        return math.prod(self.output_shape)

    def multiply_adds(self):
        """Multiply-adds per sample of a forward pass (its matrix products)."""
        width = self.n_gates * self.hidden_size
        return self.n_timesteps * (self.n_features + self.hidden_size) * width

    def param_specs(self):
        width = self.n_gates * self.hidden_size
        return [
            ((self.n_features, width), True),
            ((self.hidden_size, width), True),
            ((width,), False),
        ]

    def initialize(self, initializer, rng, activation, init_scale):
        """Per gate: ``W_x`` from ``initializer``, ``W_h`` orthogonal, ``b = 0``.

        Each gate is its own map from the features to ``hidden_size`` values
        followed by its own nonlinearity, so each gate's block is one draw of
        ``initializer(n_features, hidden_size, gate_activation, ...)``; a single
        draw of width ``G * hidden_size`` would shrink the Glorot bound as if the
        gates were one wide layer.  Orthogonal recurrent weights keep the norm
        of a state carried across many steps neither growing nor shrinking at
        the start of training (Saxe et al., 2014).  ``activation``, the one
        applied above the layer, does not enter: the cells have their own.
        """
        W_x, W_h, b = self.params
        H = self.hidden_size
        for gate, gate_activation in enumerate(self.gate_activations):
            block = slice(gate * H, (gate + 1) * H)
            W_x[:, block] = initializer(
                self.n_features, H, gate_activation, rng, init_scale
            )[0]
            W_h[:, block] = _orthogonal(H, rng)
        b[...] = 0

    def _array(self, key, *shape):
        """A C-ordered array of ``shape`` reused across calls (a buffer view)."""
        flat = self._buffer(key, math.prod(shape), 1, self.params[0].dtype)
        return flat.reshape(shape)

    # ---------------------------------------------------------------- forward

    def forward(self, X, training=False):
        n = X.shape[0]
        out = self._buffer("out", n, self.n_out, self.params[0].dtype)
        values_per_row = self.n_timesteps * self.params[1].shape[1]
        rows = max(1, INFERENCE_CHUNK_VALUES // values_per_row)
        if training or n <= rows:
            return self._forward_batch(X, out)
        for start in range(0, n, rows):
            stop = min(start + rows, n)
            out[start:stop] = self._forward_batch(X[start:stop], None)
        return out

    def _forward_batch(self, X, out):
        """Run the recurrence on X; the output goes to ``out`` (or a buffer)."""
        n, T, H = X.shape[0], self.n_timesteps, self.hidden_size
        W = self._scaled_weights()
        V = self._stacked_steps(X)
        # exp overflows to inf for large negated pre-activations, and the
        # logistic function 1 / (1 + inf) = 0 is then exact
        with np.errstate(over="ignore"):
            gates = self._run(V, W, n)
        hs = V[:, :H]
        self._cache.update(n=n, steps=V, gates=gates, hidden=hs)
        if out is None:
            out = self._buffer("chunk_out", n, self.n_out, W.dtype)
        if self.return_sequences:
            steps = hs[T:0:-1] if self.reverse else hs[1:]
            out.reshape(n, T, H)[...] = steps.transpose(2, 0, 1)
        else:
            # a copy: the layer above may work in place on the output
            out[...] = hs[T].T
        return out

    def _stacked_steps(self, X):
        """``V`` of shape ``(T + 1, H + n_features + 1, n)``: ``[h_t; x_t; 1]``.

        Step ``t``'s block holds the state entering it (``h_0 = 0``; the
        recurrence writes the others, ``h_T`` last), its input and a row of
        ones, which multiplies the bias, so that ``W @ V[t]`` with the
        weights of ``_scaled_weights`` is the step's whole pre-activation.
        """
        n, T, F, H = X.shape[0], self.n_timesteps, self.n_features, self.hidden_size
        V = self._array("steps", T + 1, H + F + 1, n)
        steps = np.asarray(X).reshape(n, T, F).transpose(1, 2, 0)
        V[:T, H : H + F] = steps[::-1] if self.reverse else steps
        V[:T, H + F] = 1
        V[0, :H] = 0
        return V

    def _scaled_weights(self):
        """``[W_h; W_x; b]`` transposed, gate rows times ``column_scale``.

        The cells compute the logistic function as ``1 / (1 + exp(-z))`` (one
        exp, cheaper than NumPy's float32 ``tanh``) and the LSTM's ``tanh(g)`` as
        ``2 / (1 + exp(-2 g)) - 1``: scaling the rows here by -1 or -2 spares
        negating and doubling the pre-activations at every step.
        """
        W_x, W_h, b = self.params
        (F, width), H = W_x.shape, self.hidden_size
        scale = self._gate_vector(self.column_scale)[:, None]
        W = self._buffer("scaled_weights", width, H + F + 1, W_x.dtype)
        np.multiply(W_h.T, scale, out=W[:, :H])
        np.multiply(W_x.T, scale, out=W[:, H : H + F])
        np.multiply(b[:, None], scale, out=W[:, H + F :])
        return W

    def _gate_vector(self, values):
        """One value per gate, each repeated over the gate's columns."""
        return np.repeat(np.asarray(values, self.params[0].dtype), self.hidden_size)

    # --------------------------------------------------------------- backward

    def backward(self, dY, need_input_grad=True):
        n, T, F = self._cache["n"], self.n_timesteps, self.n_features
        first = self._first_step()
        dZx, dZh = self._bptt(dY, n, first)
        if self.trainable:
            self._weight_grads(dZx, dZh, first)
        if not need_input_grad:
            return None
        dXt = self._array("dX_steps", T, F, n)
        dXt[:first] = 0
        np.matmul(self.params[0], dZx[first:], out=dXt[first:])
        dX = self._buffer("dX", n, T * F, dY.dtype)
        dXt = dXt[::-1] if self.reverse else dXt
        dX.reshape(n, T, F)[...] = dXt.transpose(2, 0, 1)
        return dX

    def _weight_grads(self, dZx, dZh, first):
        """Gradients of ``W_x``, ``W_h`` and ``b`` from the steps' deltas.

        When both sides share their deltas (every cell but the GRU), one sum
        of products with the stacked steps ``[h_t; x_t; 1]`` gives all three.
        """
        H, F = self.hidden_size, self.n_features
        V = self._cache["steps"][first : self.n_timesteps]
        grad = self._buffer("grad", H + F + 1, dZh.shape[1], dZh.dtype)
        if dZx is dZh:
            self._sum_over_steps("steps", V, dZh[first:], grad)
        else:
            self._sum_over_steps("hidden", V[:, :H], dZh[first:], grad[:H])
            self._sum_over_steps("input", V[:, H:], dZx[first:], grad[H:])
        self.grads[1][...] = grad[:H]
        self.grads[0][...] = grad[H : H + F]
        self.grads[2][...] = grad[H + F]

    def _sum_over_steps(self, key, left, right, out):
        """``out = sum over t of left[t] @ right[t].T``, batched a few steps at a time.

        A step's arrays are ``(rows, n)`` blocks, so the sum over steps and
        samples is not one matrix product without copying every block into
        a ``(rows, T * n)`` array; stacked products of the blocks, then a
        sum, cost about as much as that one product would.
        """
        T, a, b = left.shape[0], left.shape[1], right.shape[1]
        chunk = max(1, min(T, PRODUCT_CHUNK_VALUES // (a * b)))
        products = self._array("products_" + key, chunk, a, b)
        for start in range(0, T, chunk):
            part = products[: min(chunk, T - start)]
            stop = start + part.shape[0]
            np.matmul(left[start:stop], right[start:stop].transpose(0, 2, 1), out=part)
            if start == 0:
                np.sum(part, axis=0, out=out)
            else:
                out += part.sum(axis=0)

    def _first_step(self):
        """The first step (processing order) that back-propagation reaches."""
        if self.return_sequences or self.truncate is None:
            return 0
        return max(0, self.n_timesteps - self.truncate)

    def _n_slots(self):
        """How many ages of output gradients travel back separately.

        Truncated sequences: the gradient from output ``t`` stops after
        ``truncate`` steps, so the gradients from the last ``truncate``
        outputs travel in slots of their own (slot ``t % truncate``), each
        dropped when it is ``truncate`` steps old.
        """
        if self.return_sequences and self.truncate is not None:
            if self.truncate < self.n_timesteps:
                return self.truncate
        return 1

    def _output_grads(self, dY, n):
        """``dY`` as ``(T, n, H)`` in processing order (a view), or ``None``."""
        if not self.return_sequences:
            return None
        steps = dY.reshape(n, self.n_timesteps, self.hidden_size).transpose(1, 0, 2)
        return steps[::-1] if self.reverse else steps

    def _start_bptt(self, dY, n):
        """State gradient slots ``(m, H, n)`` at zero, output grads, norms."""
        dh = self._array("dh", self._n_slots(), self.hidden_size, n)
        dh[...] = 0
        if self.record_step_norms:
            self.step_grad_norms = np.zeros(self.n_timesteps)
        return dh, self._output_grads(dY, n)

    def _add_output_grad(self, dh, dY, seq, s):
        """Add the gradient arriving at the output of step ``s`` to ``dh``."""
        if seq is None:
            if s == self.n_timesteps - 1:
                dh[0] = dY.T
        elif dh.shape[0] == 1:
            dh[0] += seq[s].T
        else:
            # output s takes the slot of output s + m, now m steps old
            dh[s % dh.shape[0]] = seq[s].T

    def _record(self, dh, s):
        if self.record_step_norms:
            t = self.n_timesteps - 1 - s if self.reverse else s
            total = dh[0] if dh.shape[0] == 1 else dh.sum(axis=0)
            self.step_grad_norms[t] = float(np.sqrt(np.vdot(total, total)))

    def _back_through_weights(self, slots, dh):
        """``dh = W_h @ slots``: the state gradients from step deltas (per slot)."""
        W_h = self.params[1]
        if slots.shape[0] == 1:
            np.matmul(W_h, slots[0], out=dh[0])
        else:
            np.matmul(W_h, slots, out=dh)

    def _slots(self, dZ, s, m):
        """Where step ``s`` writes its per-slot gate deltas ``(m, G * H, n)``."""
        if m == 1:
            return dZ[s][None]
        return self._array("slots", m, *dZ.shape[1:])

    def __getstate__(self):
        state = super().__getstate__()
        state["step_grad_norms"] = None  # a diagnostic of the last batch
        return state


def _orthogonal(size, rng):
    """A random orthogonal matrix (Haar-distributed: QR with the signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((size, size)))
    return q * np.sign(np.diag(r))


class SimpleRNN(_Recurrent):
    """Elman's recurrent layer, ``h_t = tanh(x_t W_x + h_{t-1} W_h + b)``.

    Parameters
    ----------
    n_timesteps : int
        Length of the input sequences.
    n_features : int
        Values per time step.
    hidden_size : int
        Size of the hidden state.
    return_sequences : bool, default=False
        Output every step's hidden state ``(n_timesteps, hidden_size)``
        (flattened) instead of the last one.
    truncate : int or None, default=None
        Truncated back-propagation through time: the gradient arriving at
        the output of step ``t`` goes back through steps ``t, t-1, ...,
        t-truncate+1`` only (the state entering step ``t-truncate+1`` is
        held constant for it).  With ``return_sequences=False`` only the
        last step has an output, so the gradient reaches the last
        ``truncate`` steps.  None back-propagates through all steps.
    reverse : bool, default=False
        Run from the last time step to the first.  Output ``t`` is then the
        state after reading steps ``t, ..., n_timesteps - 1`` and the last
        hidden state the one after reading step 0 (PyTorch's convention for
        the backward direction of a bidirectional layer).

    Attributes
    ----------
    record_step_norms : bool
        When True, each backward pass stores ``step_grad_norms``.
    step_grad_norms : ndarray of shape (n_timesteps,) or None
        Norm of ``dL/dh_t`` over the batch for each time step ``t`` of the
        last backward pass (zero for steps the truncation cuts off).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep._engine import LOSSES, Network
    >>> layer = SimpleRNN(n_timesteps=5, n_features=2, hidden_size=3)
    >>> net = Network([layer], LOSSES["squared_error"]())
    >>> net.initialize("glorot", np.random.default_rng(0))
    >>> layer.forward(np.ones((4, 5 * 2))).shape
    (4, 3)
    """

    def _run(self, V, W, n):
        H = self.hidden_size
        for s in range(self.n_timesteps):
            h = V[s + 1, :H]
            np.matmul(W, V[s], out=h)
            np.tanh(h, out=h)
        return V[1:, :H]  # the pre-activations are not needed

    def _bptt(self, dY, n, first):
        T, H = self.n_timesteps, self.hidden_size
        hs = self._cache["hidden"]
        slope = self._array("slope", T, H, n)
        np.multiply(hs[first + 1 :], hs[first + 1 :], out=slope[first:])
        np.subtract(1, slope[first:], out=slope[first:])
        dZ = self._array("deltas", T, H, n)
        dh, seq = self._start_bptt(dY, n)
        m, slots = dh.shape[0], None
        for s in range(T - 1, first - 1, -1):
            if s < T - 1:
                self._back_through_weights(slots, dh)
            self._add_output_grad(dh, dY, seq, s)
            self._record(dh, s)
            slots = self._slots(dZ, s, m)
            np.multiply(dh, slope[s], out=slots)
            if m > 1:
                np.sum(slots, axis=0, out=dZ[s])
        return dZ, dZ


class LSTM(_Recurrent):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997).

    Gates ``[i, f, g, o]`` (input, forget, candidate, output) in this order
    in the columns of ``W_x``, ``W_h`` and ``b``.  The forget gate's bias
    starts at 1 (Gers et al., 2000; Jozefowicz et al., 2015): the cell then
    keeps most of its state at first, so gradients reach early steps from
    the first epoch on.  Parameters and attributes as for :class:`SimpleRNN`.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep._engine import LOSSES, Network
    >>> layer = LSTM(n_timesteps=5, n_features=2, hidden_size=3,
    ...              return_sequences=True)
    >>> net = Network([layer], LOSSES["squared_error"]())
    >>> net.initialize("glorot", np.random.default_rng(0))
    >>> layer.output_shape, layer.forward(np.ones((4, 10))).shape
    ((5, 3), (4, 15))
    >>> layer.params[2].reshape(4, 3)[1]  # the forget gate's bias
    array([1., 1., 1.])
    """

    n_gates = 4
    gate_activations = ("logistic", "logistic", "tanh", "logistic")
    column_scale = (-1, -1, -2, -1)

    def initialize(self, initializer, rng, activation, init_scale):
        super().initialize(initializer, rng, activation, init_scale)
        H = self.hidden_size
        self.params[2][H : 2 * H] = 1

    def _run(self, V, W, n):
        T, H = self.n_timesteps, self.hidden_size
        gates = self._array("gates", T, 4 * H, n)
        cells = self._array("cell", T + 1, H, n)
        cells[0] = 0
        tanh_cells = self._array("tanh_cell", T, H, n)
        work = self._array("work", H, n)
        for s in range(T):
            Z = gates[s]  # -z for i, f, o and -2 z for g (see _scaled_weights)
            np.matmul(W, V[s], out=Z)
            np.exp(Z, out=Z)
            Z += 1
            np.divide(1, Z, out=Z)
            i, f, g, o = Z[:H], Z[H : 2 * H], Z[2 * H : 3 * H], Z[3 * H :]
            g *= 2
            g -= 1
            np.multiply(f, cells[s], out=cells[s + 1])
            np.multiply(i, g, out=work)
            cells[s + 1] += work
            np.tanh(cells[s + 1], out=tanh_cells[s])
            np.multiply(o, tanh_cells[s], out=V[s + 1, :H])
        self._cache.update(cell=cells, tanh_cell=tanh_cells)
        return gates

    def _slopes(self, s, K, K_d):
        """Factors of step ``s``'s gate deltas, written to ``K`` and ``K_d``.

        ``dZ[i, f, g] = dc * K[i, f, g]`` and ``dZ[o] = dh * K[o]``; the cell
        state's gradient is ``dc_t = f_{t+1} dc_{t+1} + dh_t * K_d``.  Worked
        out step by step, on blocks that stay in cache, rather than for all
        steps at once before the loop (a dozen passes over memory).
        """
        H = self.hidden_size
        Z = self._cache["gates"][s]
        i, g, o = Z[:H], Z[2 * H : 3 * H], Z[3 * H :]
        tanh_cell = self._cache["tanh_cell"][s]
        # a (1 - a) = s'(z) for i, f, o, then 1 - g^2 = tanh'(g) for g
        np.multiply(Z, Z, out=K)
        np.subtract(Z, K, out=K)
        K_g = K[2 * H : 3 * H]
        np.multiply(g, g, out=K_g)
        np.subtract(1, K_g, out=K_g)
        for k, factor in enumerate((g, self._cache["cell"][s], i, tanh_cell)):
            K[k * H : (k + 1) * H] *= factor
        np.multiply(tanh_cell, tanh_cell, out=K_d)
        np.subtract(1, K_d, out=K_d)
        K_d *= o

    def _bptt(self, dY, n, first):
        T, H = self.n_timesteps, self.hidden_size
        forget = self._cache["gates"][:, H : 2 * H]
        dZ = self._array("deltas", T, 4 * H, n)
        dh, seq = self._start_bptt(dY, n)
        m, slots = dh.shape[0], None
        dc = self._array("dc", m, H, n)
        dc[...] = 0
        work = self._array("dh_work", m, H, n)
        K, K_d = self._array("slope", 4 * H, n), self._array("slope_work", H, n)
        K4 = K.reshape(4, H, n)
        for s in range(T - 1, first - 1, -1):
            if s < T - 1:
                self._back_through_weights(slots, dh)
                dc *= forget[s + 1]
            self._add_output_grad(dh, dY, seq, s)
            if m > 1:
                dc[s % m] = 0
            self._record(dh, s)
            self._slopes(s, K, K_d)
            np.multiply(dh, K_d, out=work)
            dc += work
            slots = self._slots(dZ, s, m)
            slots4 = slots.reshape(m, 4, H, n)
            np.multiply(dc[:, None], K4[:3], out=slots4[:, :3])
            np.multiply(dh, K4[3], out=slots4[:, 3])
            if m > 1:
                np.sum(slots, axis=0, out=dZ[s])
        return dZ, dZ


class GRU(_Recurrent):
    """Gated recurrent unit (Cho et al., 2014), reset gate after ``h W_h``.

    Gates ``[r, z, n]`` (reset, update, candidate) in this order in the
    columns of ``W_x``, ``W_h`` and ``b``; the bias is on the input side (see
    the module's equations).  Parameters and attributes as for
    :class:`SimpleRNN`.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep._engine import LOSSES, Network
    >>> layer = GRU(n_timesteps=5, n_features=2, hidden_size=3, reverse=True)
    >>> net = Network([layer], LOSSES["squared_error"]())
    >>> net.initialize("glorot", np.random.default_rng(0))
    >>> [p.shape for p in layer.params]
    [(2, 9), (3, 9), (9,)]
    """

    n_gates = 3
    gate_activations = ("logistic", "logistic", "tanh")
    # the candidate's recurrent product R_n enters unscaled, times r
    column_scale = (-1, -1, 1)

    def _run(self, V, W, n):
        T, H = self.n_timesteps, self.hidden_size
        gates = self._array("gates", T, 3 * H, n)
        # the input side for all steps at once; the recurrent one step by step
        np.matmul(W[:, H:], V[:T, H:], out=gates)
        recurrent = self._array("recurrent", T, 3 * H, n)
        work = self._array("work", H, n)
        for s in range(T):
            Z, R = gates[s], recurrent[s]
            np.matmul(W[:, :H], V[s, :H], out=R)
            rz = Z[: 2 * H]  # -z for r and z (see _scaled_weights)
            rz += R[: 2 * H]
            np.exp(rz, out=rz)
            rz += 1
            np.divide(1, rz, out=rz)
            r, z, candidate = Z[:H], Z[H : 2 * H], Z[2 * H :]
            np.multiply(r, R[2 * H :], out=work)
            candidate += work
            np.tanh(candidate, out=candidate)
            np.subtract(V[s, :H], candidate, out=work)
            work *= z
            np.add(candidate, work, out=V[s + 1, :H])
        self._cache["recurrent"] = recurrent
        return gates

    def _slopes(self, s, K_h, K_n, difference):
        """Factors of step ``s``: ``dZ_h = dh * K_h`` and ``dZ_x[n] = dh * K_n``.

        ``dZ_h`` is the delta of the recurrent products (for ``W_h`` and the
        state), ``dZ_x`` that of the input side, which differs in the
        candidate block by the reset gate's factor.  Step by step, like the
        LSTM's.
        """
        H = self.hidden_size
        Z = self._cache["gates"][s]
        r, z, candidate = Z[:H], Z[H : 2 * H], Z[2 * H :]
        R_n = self._cache["recurrent"][s, 2 * H :]
        # a (1 - a) = s'(z) for r and z, then 1 - n^2 = tanh'(n) for n
        np.multiply(Z, Z, out=K_h)
        np.subtract(Z, K_h, out=K_h)
        kr, kz, khn = K_h[:H], K_h[H : 2 * H], K_h[2 * H :]
        np.multiply(candidate, candidate, out=khn)
        np.subtract(1, khn, out=khn)
        np.subtract(1, z, out=K_n)
        K_n *= khn
        np.subtract(self._cache["hidden"][s], candidate, out=difference)
        kz *= difference
        kr *= R_n
        kr *= K_n
        np.multiply(K_n, r, out=khn)

    def _bptt(self, dY, n, first):
        T, H = self.n_timesteps, self.hidden_size
        update = self._cache["gates"][:, H : 2 * H]
        dZh = self._array("deltas", T, 3 * H, n)
        dZx = self._array("input_deltas", T, 3 * H, n)
        dh, seq = self._start_bptt(dY, n)
        m, slots = dh.shape[0], None
        work = self._array("dh_work", m, H, n)
        K_h, K_n = self._array("slope", 3 * H, n), self._array("slope_candidate", H, n)
        K_h3, difference = K_h.reshape(3, H, n), self._array("slope_work", H, n)
        for s in range(T - 1, first - 1, -1):
            if s < T - 1:
                self._back_through_weights(slots, work)
                dh *= update[s + 1]
                dh += work
            self._add_output_grad(dh, dY, seq, s)
            self._record(dh, s)
            self._slopes(s, K_h, K_n, difference)
            slots = self._slots(dZh, s, m)
            np.multiply(dh[:, None], K_h3, out=slots.reshape(m, 3, H, n))
            total = dh[0]
            if m > 1:
                np.sum(slots, axis=0, out=dZh[s])
                total = np.sum(dh, axis=0, out=work[0])
            np.multiply(total, K_n, out=dZx[s, 2 * H :])
        # the reset and update blocks are the same on both sides
        dZx[first:, : 2 * H] = dZh[first:, : 2 * H]
        return dZx, dZh


class Bidirectional(Layer):
    """Two recurrent layers on the same input, their outputs side by side.

    The usual pair is a layer and its ``reverse=True`` twin: each output
    step then sees the whole sequence, what came before it through the
    first layer and what comes after it through the second.  With
    ``return_sequences`` each step's output is ``[h_t, h'_t]`` (sizes
    ``H + H'``), else the two last hidden states, ``h'`` the one after
    reading step 0 when the second layer runs in reverse.

    Parameters
    ----------
    forward_layer, backward_layer : SimpleRNN, LSTM or GRU
        Same ``n_timesteps``, ``n_features`` and ``return_sequences``.

    Notes
    -----
    The parameters are the first layer's then the second's; the network's
    per-layer gradient norm, which reads a layer's first array, sees the
    first layer's ``W_x`` only.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep._engine import LOSSES, Network
    >>> layer = Bidirectional(LSTM(5, 2, 3), LSTM(5, 2, 3, reverse=True))
    >>> net = Network([layer], LOSSES["squared_error"]())
    >>> net.initialize("glorot", np.random.default_rng(0))
    >>> layer.output_shape, layer.forward(np.ones((4, 10))).shape
    ((6,), (4, 6))
    """

    owns_output = True

    def __init__(self, forward_layer, backward_layer):
        super().__init__()
        for name in ("n_timesteps", "n_features", "return_sequences"):
            first, second = getattr(forward_layer, name), getattr(backward_layer, name)
            if first != second:
                raise ValueError(
                    f"The two layers of a Bidirectional layer must have the same "
                    f"{name}; got {first!r} and {second!r}."
                )
        self.forward_layer = forward_layer
        self.backward_layer = backward_layer

    @property
    def layers(self):
        return (self.forward_layer, self.backward_layer)

    @property
    def output_shape(self):
        """Like a recurrent layer's, with the two hidden sizes added."""
        size = self.forward_layer.hidden_size + self.backward_layer.hidden_size
        if self.forward_layer.return_sequences:
            return (self.forward_layer.n_timesteps, size)
        return (size,)

    @property
    def n_out(self):
        """Number of output values per sample."""
        return int(np.prod(self.output_shape))

    def multiply_adds(self):
        """Multiply-adds per sample of a forward pass."""
        return sum(layer.multiply_adds() for layer in self.layers)

    def param_specs(self):
        return [spec for layer in self.layers for spec in layer.param_specs()]

    def _share(self):
        """Hand each layer its views of the parameters and the trainable flag."""
        n_first = len(self.forward_layer.param_specs())
        self.forward_layer.params = self.params[:n_first]
        self.forward_layer.grads = self.grads[:n_first]
        self.backward_layer.params = self.params[n_first:]
        self.backward_layer.grads = self.grads[n_first:]
        for layer in self.layers:
            layer.trainable = self.trainable

    def initialize(self, initializer, rng, activation, init_scale):
        self._share()
        for layer in self.layers:
            layer.initialize(initializer, rng, activation, init_scale)

    def _split(self, Y, n):
        """``(first, second)`` views of an output-shaped array ``Y``."""
        H = self.forward_layer.hidden_size
        steps = Y.reshape(n, -1, self.output_shape[-1])
        return steps[:, :, :H], steps[:, :, H:]

    def forward(self, X, training=False):
        self._share()
        n = X.shape[0]
        out = self._buffer("out", n, self.n_out, self.params[0].dtype)
        for layer, part in zip(self.layers, self._split(out, n), strict=True):
            part[...] = layer.forward(X, training).reshape(part.shape)
        return out

    def backward(self, dY, need_input_grad=True):
        self._share()
        n = dY.shape[0]
        dX = None
        keys = ("dY_first", "dY_second")
        for key, layer, part in zip(keys, self.layers, self._split(dY, n), strict=True):
            dY_layer = self._buffer(key, n, layer.n_out, dY.dtype)
            dY_layer.reshape(part.shape)[...] = part
            dX_layer = layer.backward(dY_layer, need_input_grad)
            if dX is None and dX_layer is not None:
                dX = self._buffer("dX", n, dX_layer.shape[1], dY.dtype)
                dX[...] = dX_layer
            elif dX_layer is not None:
                dX += dX_layer
        return dX
