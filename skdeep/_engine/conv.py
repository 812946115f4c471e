"""Convolution layers for images and signals, and ``Flatten``.

Layout.  Rows stay flat, as for every engine layer: a row is the C-ordered
flattening of one ``(height, width, channels)`` image, or of one
``(length, channels)`` signal, channels last; layers reshape views of it.
A 1-D layer is the 2-D layer on images of height 1.

Convolution is one matrix product (im2col).  ``cols`` has one row per
(sample, output position) and one column per (kernel row, kernel column,
input channel); the kernel is the ``(k_h * k_w * in_channels, filters)``
weight matrix, and ``cols @ W`` is the output, channels last already.
With several input channels, ``cols`` is one copy of a strided view of
the (zero-padded) batch: each window's (kernel column, channel) values are
one contiguous run.  With few channels those runs are short, so ``cols`` is
filled one kernel offset at a time instead, each a strided view over the
whole batch whose inner loop runs along image rows; the padding entries of
``cols`` are then zero from the buffer's creation and never written.
Backward runs it in reverse (col2im): each offset's block of ``dcols`` is
added into ``dX`` through strided views.  Pooling layers are in
``skdeep._engine.pooling``.
"""

from math import prod
from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import as_strided

from skdeep._engine.layers import Layer

# Inputs with at least this many channels are copied into ``cols`` in one
# pass over a strided view (see the module docstring).
WINDOW_COPY_MIN_CHANNELS = 8

# Prediction convolves a large chunk of rows a few samples at a time, so the
# im2col matrix stays this small (training needs the whole batch's matrix).
PREDICT_COLS_BYTES = 2**25


def _tuple(value, n, name):
    """``value`` as a tuple of ``n`` positive ints (an int is repeated)."""
    if isinstance(value, Integral):
        value = (value,) * n
    values = tuple(value) if isinstance(value, tuple | list | np.ndarray) else ()
    if len(values) != n or not all(
        isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in values
    ):
        raise ValueError(
            f"{name} must be a positive int or a tuple of {n} positive ints; "
            f"got {value!r}."
        )
    return tuple(int(v) for v in values)


def _shape(input_shape, n_spatial):
    """``input_shape`` checked: ``n_spatial`` sizes then the channels."""
    if isinstance(input_shape, Integral):
        raise ValueError(f"input_shape must be a tuple; got {input_shape!r}.")
    return _tuple(input_shape, n_spatial + 1, "input_shape")


def _conv_axis(n, kernel, stride, dilation, padding):
    """``(n_out, pad_before)`` of a convolution along one axis.

    "same" pads as TensorFlow and PyTorch do: ``n_out = ceil(n / stride)``,
    and an odd total padding puts the extra zero after the data.
    """
    span = (kernel - 1) * dilation + 1
    if padding == "same":
        n_out = -(-n // stride)
        return n_out, max((n_out - 1) * stride + span - n, 0) // 2
    if span > n:
        raise ValueError(
            f"A kernel spanning {span} values (kernel_size={kernel}, "
            f"dilation={dilation}) does not fit in an input of size {n} with "
            "padding='valid'; use padding='same' or a smaller kernel."
        )
    return (n - span) // stride + 1, 0


def _offset_slices(n, n_out, kernel, stride, dilation, pad):
    """For each kernel index, ``(output slice, input slice)`` it connects.

    Output position ``o`` reads input ``o * stride + i * dilation - pad``; the
    slices keep the positions where that index lies inside the input (None
    when none does).
    """
    pairs = []
    for i in range(kernel):
        shift = i * dilation - pad
        low = max(0, -(shift // stride))
        high = min(n_out - 1, (n - 1 - shift) // stride)
        if low > high:
            pairs.append(None)
            continue
        start = low * stride + shift
        stop = start + (high - low) * stride + 1
        pairs.append((slice(low, high + 1), slice(start, stop, stride)))
    return pairs


def _dense(X):
    """A dense ndarray view of ``X`` (scipy.sparse input is densified)."""
    return X if isinstance(X, np.ndarray) else X.toarray()


class Conv2D(Layer):
    """2-D convolution of channels-last images, by im2col and one GEMM.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)`` of the images in each input row.
    filters : int
        Number of output channels.
    kernel_size, stride, dilation : int or tuple of 2 ints
        Kernel height and width, step between output positions, and gap
        between kernel taps (an int applies to both axes).
    padding : {"valid", "same"}
        "valid" uses the positions where the kernel fits; "same" pads with
        zeros so that the output has ``ceil(n / stride)`` positions.

    Attributes
    ----------
    output_shape : tuple of int
        ``(out_height, out_width, filters)``.
    params : list of ndarray
        The ``(k_h * k_w * channels, filters)`` kernel, rows ordered (kernel
        row, kernel column, channel), then the ``(filters,)`` bias.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep._engine import LOSSES, Network
    >>> layer = Conv2D((5, 5, 2), filters=3, kernel_size=3, padding="same")
    >>> net = Network([layer], LOSSES["squared_error"]())
    >>> layer.output_shape, layer.params[0].shape
    ((5, 5, 3), (18, 3))
    >>> layer.forward(np.ones((4, 5 * 5 * 2))).shape
    (4, 75)
    """

    owns_output = True

    def __init__(
        self, input_shape, filters, kernel_size, stride=1, padding="valid", dilation=1
    ):
        super().__init__()
        self.input_shape = _shape(input_shape, 2)
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size")
        self.stride = _tuple(stride, 2, "stride")
        self.dilation = _tuple(dilation, 2, "dilation")
        self._set_geometry(
            self.input_shape,
            filters,
            self.kernel_size,
            self.stride,
            self.dilation,
            padding,
        )
        self.output_shape = (*self._out_hw, self.filters)

    def _set_geometry(self, image_shape, filters, kernel, stride, dilation, padding):
        """Output size and the slices that connect input and output per offset.

        ``kernel``, ``stride`` and ``dilation`` are pairs, whatever the
        layer's dimension: a signal is an image of height 1.
        """
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same'; got {padding!r}.")
        self.filters = _tuple(filters, 1, "filters")[0]
        self.padding = padding
        self._image_shape, self._kernel = image_shape, kernel
        axes = list(zip(image_shape[:2], kernel, stride, dilation, strict=True))
        geometry = [_conv_axis(*axis, padding) for axis in axes]
        self._out_hw = tuple(n_out for n_out, _ in geometry)
        self._step, self._dilation = stride, dilation
        self._pad_before = tuple(pad for _, pad in geometry)
        self._padded_hw = tuple(
            max(pad + n, (n_out - 1) * step + (k - 1) * d + 1)
            for (n, k, step, d), (n_out, pad) in zip(axes, geometry, strict=True)
        )
        self._copy_windows = image_shape[2] >= WINDOW_COPY_MIN_CHANNELS
        rows, cols = self._slices(axes, geometry)
        self._offsets = [
            (i, j, out_h, out_w, in_h, in_w)
            for i, (out_h, in_h) in rows
            for j, (out_w, in_w) in cols
        ]
        # An offset that reads every input value (the centre of an odd kernel
        # with "same" padding and stride 1) goes first in col2im: it is
        # copied into dX, which then needs no zeroing.
        height, width = image_shape[:2]
        whole = (slice(0, height, 1), slice(0, width, 1))
        self._offsets.sort(key=lambda offset: offset[4:] != whole)
        self._covering = bool(self._offsets) and self._offsets[0][4:] == whole

    @staticmethod
    def _slices(axes, geometry):
        """Per axis, the ``(kernel index, (out slice, in slice))`` that connect."""
        per_axis = []
        for (n, kernel, stride, dilation), (n_out, pad) in zip(
            axes, geometry, strict=True
        ):
            pairs = _offset_slices(n, n_out, kernel, stride, dilation, pad)
            per_axis.append([(i, pair) for i, pair in enumerate(pairs) if pair])
        return per_axis

    @property
    def fan_in(self):
        """Inputs of one output value: kernel size times in-channels."""
        return self._kernel[0] * self._kernel[1] * self._image_shape[2]

    def param_specs(self):
        return [((self.fan_in, self.filters), True), ((self.filters,), False)]

    def initialize(self, initializer, rng, activation, init_scale):
        coef, intercept = initializer(
            self.fan_in, self.filters, activation, rng, init_scale
        )
        self.params[0][...] = coef
        self.params[1][...] = intercept

    def multiply_adds(self):
        """Multiply-adds of one sample's forward pass."""
        return int(np.prod(self._out_hw)) * self.fan_in * self.filters

    def _n_positions(self):
        return self._out_hw[0] * self._out_hw[1]

    def forward(self, X, training=False):
        coef = self.params[0]
        X = _dense(X)
        n_samples = X.shape[0]
        out = self._buffer(
            "out", n_samples, self._n_positions() * self.filters, coef.dtype
        )
        row_bytes = self._n_positions() * self.fan_in * coef.itemsize
        chunk = PREDICT_COLS_BYTES // row_bytes
        if training or chunk >= n_samples:
            # backward needs the im2col matrix of the whole batch
            self._cache["cols"] = self._convolve(X, out)
            return out
        self._cache["cols"] = None
        for start in range(0, n_samples, max(chunk, 1)):
            stop = start + max(chunk, 1)
            self._convolve(X[start:stop], out[start:stop])
        return out

    def _convolve(self, X, out):
        """``out = im2col(X) @ W + b``; returns the im2col matrix."""
        coef, intercept = self.params
        n_samples = X.shape[0]
        images = X.reshape(n_samples, *self._image_shape)
        cols = self._buffer(
            "cols", n_samples * self._n_positions(), self.fan_in, coef.dtype, fill=0
        )
        blocks = cols.reshape(
            n_samples, *self._out_hw, *self._kernel, self._image_shape[2]
        )
        if self._copy_windows:
            np.copyto(blocks, self._windows(images, blocks.shape))
        else:
            for i, j, out_h, out_w, in_h, in_w in self._offsets:
                blocks[:, out_h, out_w, i, j] = images[:, in_h, in_w]
        np.matmul(cols, coef, out=out.reshape(-1, self.filters))
        # The bias repeated along a whole output row: adding it to each row
        # is one long run per sample, where broadcasting it over positions
        # would run through rows of only ``filters`` values.
        row = self._buffer("bias_row", 1, self._n_positions() * self.filters,
                           coef.dtype)  # fmt: skip
        np.copyto(row.reshape(self._n_positions(), self.filters), intercept)
        out += row
        return cols

    def _windows(self, images, shape):
        """Read-only view ``(n, out_h, out_w, k_h, k_w, channels)`` of the
        windows of the zero-padded ``images``."""
        source = images
        if self._padded_hw != self._image_shape[:2]:
            n_samples, channels = images.shape[0], self._image_shape[2]
            padded_shape = (*self._padded_hw, channels)
            flat = self._buffer("padded", n_samples, prod(padded_shape),
                                images.dtype, fill=0)  # fmt: skip
            source = flat.reshape(n_samples, *padded_shape)
            # only the data is written: the border keeps its zeros
            (top, left), (height, width) = self._pad_before, self._image_shape[:2]
            source[:, top : top + height, left : left + width] = images
        batch, row, col, channel = source.strides
        (step_h, step_w), (dil_h, dil_w) = self._step, self._dilation
        strides = (batch, row * step_h, col * step_w, row * dil_h, col * dil_w,
                   channel)  # fmt: skip
        return as_strided(source, shape, strides, writeable=False)

    def backward(self, dY, need_input_grad=True):
        coef = self.params[0]
        cols = self._cache["cols"]
        dY = dY.reshape(-1, self.filters)
        if self.trainable:
            np.matmul(cols.T, dY, out=self.grads[0])
            # ones @ dY is a BLAS matrix-vector product, which beats dY.sum(0)
            ones = self._buffer("ones", dY.shape[0], 1, dY.dtype, fill=1)[:, 0]
            np.matmul(ones, dY, out=self.grads[1])
        if not need_input_grad:
            return None
        dcols = self._buffer("dcols", dY.shape[0], self.fan_in, dY.dtype)
        np.matmul(dY, coef.T, out=dcols)
        return self._col2im(dcols)

    def _col2im(self, dcols):
        """``dX``: every kernel offset's block of ``dcols`` added where it came from."""
        n_samples = dcols.shape[0] // self._n_positions()
        dX = self._buffer("dX", n_samples, prod(self._image_shape), dcols.dtype)
        images = dX.reshape(n_samples, *self._image_shape)
        blocks = dcols.reshape(
            n_samples, *self._out_hw, *self._kernel, self._image_shape[2]
        )
        offsets = self._offsets
        if self._covering:
            i, j, out_h, out_w = offsets[0][:4]
            np.copyto(images, blocks[:, out_h, out_w, i, j])
            offsets = offsets[1:]
        else:
            dX.fill(0)
        for i, j, out_h, out_w, in_h, in_w in offsets:
            images[:, in_h, in_w] += blocks[:, out_h, out_w, i, j]
        return dX


class Conv1D(Conv2D):
    """1-D convolution of channels-last signals: a :class:`Conv2D` of height 1.

    Parameters
    ----------
    input_shape : tuple of int
        ``(length, channels)`` of the signals in each input row.
    filters : int
        Number of output channels.
    kernel_size, stride, dilation : int
        Kernel length, step between output positions, gap between taps.
    padding : {"valid", "same"}
        As for :class:`Conv2D`.

    Attributes
    ----------
    output_shape : tuple of int
        ``(out_length, filters)``.
    params : list of ndarray
        The ``(kernel_size * channels, filters)`` kernel, then the bias.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep._engine import LOSSES, Network
    >>> layer = Conv1D((10, 3), filters=4, kernel_size=5, stride=2)
    >>> net = Network([layer], LOSSES["squared_error"]())
    >>> layer.output_shape, layer.params[0].shape
    ((3, 4), (15, 4))
    """

    def __init__(
        self, input_shape, filters, kernel_size, stride=1, padding="valid", dilation=1
    ):
        Layer.__init__(self)
        self.input_shape = _shape(input_shape, 1)
        self.kernel_size = _tuple(kernel_size, 1, "kernel_size")[0]
        self.stride = _tuple(stride, 1, "stride")[0]
        self.dilation = _tuple(dilation, 1, "dilation")[0]
        self._set_geometry(
            (1, *self.input_shape),
            filters,
            (1, self.kernel_size),
            (1, self.stride),
            (1, self.dilation),
            padding,
        )
        self.output_shape = (self._out_hw[1], self.filters)


def _any_shape(input_shape, min_rank):
    """``input_shape`` as a tuple of at least ``min_rank`` positive ints."""
    shape = tuple(input_shape) if isinstance(input_shape, tuple | list) else ()
    if len(shape) < min_rank:
        raise ValueError(
            f"input_shape must be a tuple of at least {min_rank} positive ints; "
            f"got {input_shape!r}."
        )
    return _tuple(shape, len(shape), "input_shape")


class Flatten(Layer):
    """Shape only: rows are flat already, so the data passes unchanged.

    It states in a network description where the structured layers end and
    the dense ones begin.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of each input row's data.

    Attributes
    ----------
    output_shape : tuple of int
        ``(prod(input_shape),)``.

    Examples
    --------
    >>> Flatten((7, 7, 32)).output_shape
    (1568,)
    """

    def __init__(self, input_shape):
        super().__init__()
        self.input_shape = _any_shape(input_shape, 1)
        self.output_shape = (int(np.prod(self.input_shape)),)

    def multiply_adds(self):
        """None: the layer does no arithmetic."""
        return 0

    def forward(self, X, training=False):
        return X

    def backward(self, dY, need_input_grad=True):
        return dY
