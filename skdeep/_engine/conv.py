"""Convolution and pooling layers for images and signals.

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
added into ``dX`` through strided views.
"""

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
        chunk = n_samples if training else max(1, PREDICT_COLS_BYTES // row_bytes)
        for start in range(0, n_samples, chunk):
            stop = min(start + chunk, n_samples)
            cols = self._convolve(X[start:stop], out[start:stop])
        # backward needs the im2col matrix of the whole batch
        self._cache["cols"] = cols if chunk >= n_samples else None
        return out

    def _convolve(self, X, out):
        """``out = im2col(X) @ W + b``; returns the im2col matrix."""
        coef, intercept = self.params
        n_samples = X.shape[0]
        images = X.reshape(n_samples, *self._image_shape)
        cols = self._buffer(
            "cols", n_samples * self._n_positions(), self.fan_in, coef.dtype, fill=0
        )
        blocks = cols.reshape(n_samples, *self._out_hw, *self._kernel, -1)
        if self._copy_windows:
            np.copyto(blocks, self._windows(images, blocks.shape))
        else:
            for i, j, out_h, out_w, in_h, in_w in self._offsets:
                blocks[:, out_h, out_w, i, j] = images[:, in_h, in_w]
        flat_out = out.reshape(-1, self.filters)
        np.matmul(cols, coef, out=flat_out)
        flat_out += intercept
        return cols

    def _windows(self, images, shape):
        """Read-only view ``(n, out_h, out_w, k_h, k_w, channels)`` of the
        windows of the zero-padded ``images``."""
        source = images
        if self._padded_hw != self._image_shape[:2]:
            n_samples, channels = images.shape[0], self._image_shape[2]
            padded_shape = (*self._padded_hw, channels)
            flat = self._buffer("padded", n_samples, int(np.prod(padded_shape)),
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
        dX = self._buffer("dX", n_samples, int(np.prod(self._image_shape)), dcols.dtype)
        dX.fill(0)
        images = dX.reshape(n_samples, *self._image_shape)
        blocks = dcols.reshape(n_samples, *self._out_hw, *self._kernel, -1)
        for i, j, out_h, out_w, in_h, in_w in self._offsets:
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


def _pool_axis(n, pool, stride):
    """``(n_out, padded_size)`` of ceil-mode pooling along one axis.

    The last window may hang over the end and pools what it covers; no
    window starts past the data.
    """
    n_out = -(-max(n - pool, 0) // stride) + 1
    if (n_out - 1) * stride >= n:
        n_out -= 1
    return n_out, max(n, (n_out - 1) * stride + pool)


class _Pool(Layer):
    """Pooling windows as strided views of a (padded) image batch.

    Subclasses set ``_n_spatial`` (1 or 2) and ``_pad_value``, the value the
    windows that hang over the end see in place of the missing data.
    """

    owns_output = True
    _n_spatial = 2
    _pad_value = 0.0

    def __init__(self, input_shape, pool_size, stride=None):
        super().__init__()
        n_spatial = self._n_spatial
        self.input_shape = _shape(input_shape, n_spatial)
        self.pool_size = _tuple(pool_size, n_spatial, "pool_size")
        self.stride = (
            self.pool_size if stride is None else _tuple(stride, n_spatial, "stride")
        )
        ones = (1,) * (2 - n_spatial)  # a signal is an image of height 1
        image = (*ones, *self.input_shape)
        pool, step = (*ones, *self.pool_size), (*ones, *self.stride)
        geometry = [
            _pool_axis(*axis) for axis in zip(image[:2], pool, step, strict=True)
        ]
        self._image_shape, self._pool_2d, self._step_2d = image, pool, step
        self._out_hw = tuple(n_out for n_out, _ in geometry)
        self._padded_shape = (*(size for _, size in geometry), image[2])
        # windows that exactly tile the image: each value is in one window
        self._tiles = step == pool and self._padded_shape == image
        self._windows = [
            (
                slice(i, i + (self._out_hw[0] - 1) * step[0] + 1, step[0]),
                slice(j, j + (self._out_hw[1] - 1) * step[1] + 1, step[1]),
            )
            for i in range(pool[0])
            for j in range(pool[1])
        ]
        self.output_shape = (*self._out_hw[2 - n_spatial :], image[2])

    def _size(self, shape):
        return int(np.prod(shape))

    def multiply_adds(self):
        """Comparisons or additions of one sample's forward pass."""
        return self._size(self.output_shape) * len(self._windows)

    def _source(self, X):
        """The input batch as images, padded when a window hangs over."""
        X = _dense(X)
        images = X.reshape(X.shape[0], *self._image_shape)
        if self._padded_shape == self._image_shape:
            return images
        # the border keeps the fill it was created with: only the data is written
        padded = self._buffer(
            "padded",
            X.shape[0],
            self._size(self._padded_shape),
            X.dtype,
            fill=self._pad_value,
        )
        padded = padded.reshape(X.shape[0], *self._padded_shape)
        height, width = self._image_shape[:2]
        padded[:, :height, :width] = images
        return padded

    def _output(self, key, n_samples, dtype):
        """A buffer of ``n_samples`` pooled rows and its image view."""
        flat = self._buffer(key, n_samples, self._size(self.output_shape), dtype)
        return flat, flat.reshape(n_samples, *self._out_hw, -1)

    def _scratch(self, key, n_samples, shape, dtype):
        """A reused ``(n_samples, *shape)`` array."""
        flat = self._buffer(key, n_samples, self._size(shape), dtype)
        return flat.reshape(n_samples, *shape)

    def _scatter(self, n_samples, dtype, write):
        """``dX`` from ``write(k, target)``, which puts window ``k``'s gradient
        in ``target``; windows that overlap add up."""
        if self._tiles:
            dX = self._buffer("dX", n_samples, self._size(self._image_shape), dtype)
            images = dX.reshape(n_samples, *self._image_shape)
            for index, (rows, cols) in enumerate(self._windows):
                write(index, images[:, rows, cols])
            return dX
        padded = self._buffer(
            "dpadded", n_samples, self._size(self._padded_shape), dtype
        )
        padded.fill(0)
        images = padded.reshape(n_samples, *self._padded_shape)
        work = self._output("work", n_samples, dtype)[1]
        for index, (rows, cols) in enumerate(self._windows):
            write(index, work)
            images[:, rows, cols] += work
        if self._padded_shape == self._image_shape:
            return padded
        dX = self._buffer("dX", n_samples, self._size(self._image_shape), dtype)
        height, width = self._image_shape[:2]
        dX.reshape(n_samples, *self._image_shape)[...] = images[:, :height, :width]
        return dX


class _MaxPool(_Pool):
    """Maximum over each window; the gradient goes to one maximum."""

    _pad_value = -np.inf

    def forward(self, X, training=False):
        if self._tiles and self._pool_2d != (1, 1):
            return self._forward_tiles(_dense(X))
        source = self._source(X)
        out, pooled = self._output("out", source.shape[0], source.dtype)
        windows = [source[:, rows, cols] for rows, cols in self._windows]
        self._cache["argmax"] = self._running_max("window", windows, pooled)
        return out

    def _forward_tiles(self, X):
        """Rows then columns: two passes each reading whole image rows, which
        is fewer and more contiguous work than a pass per window offset."""
        n_samples = X.shape[0]
        (n_rows, n_cols), (pool_h, pool_w) = self._out_hw, self._pool_2d
        width, channels = self._image_shape[1:]
        images = X.reshape(n_samples, n_rows, pool_h, width, channels)
        out, pooled = self._output("out", n_samples, X.dtype)
        row_max, row_arg = images[:, :, 0], None
        if pool_h > 1:
            row_max = pooled
            if pool_w > 1:
                shape = (n_rows, width, channels)
                row_max = self._scratch("row_max", n_samples, shape, X.dtype)
            rows = [images[:, :, i] for i in range(pool_h)]
            row_arg = self._running_max("row", rows, row_max)
        if pool_w == 1:
            self._cache["argmax"] = row_arg
            return out
        blocks = row_max.reshape(n_samples, n_rows, n_cols, pool_w, channels)
        cols = [blocks[:, :, :, j] for j in range(pool_w)]
        col_arg = self._running_max("col", cols, pooled)
        if row_arg is not None:
            row_arg = row_arg.reshape(blocks.shape)
            col_arg = self._window_index(row_arg, col_arg)
        self._cache["argmax"] = col_arg
        return out

    def _window_index(self, row_arg, col_arg):
        """Index ``i * pool_w + j`` of the winning window offset, from the
        winning column ``j`` and the winning row ``i`` of each column."""
        n_samples, shape = col_arg.shape[0], col_arg.shape[1:]
        index_dtype = np.uint8 if len(self._windows) < 256 else np.intp
        index = self._scratch("window_arg", n_samples, shape, index_dtype)
        np.copyto(index, row_arg[:, :, :, 0])
        work = self._scratch("window_work", n_samples, shape, index_dtype)
        mask = self._scratch("window_mask", n_samples, shape, np.bool_)
        for j in range(1, row_arg.shape[3]):
            # index += (col_arg == j) * (row_arg[j] - index); exact even in
            # uint8, whose wrap-around cancels
            np.equal(col_arg, j, out=mask)
            np.subtract(row_arg[:, :, :, j], index, out=work, casting="unsafe")
            np.multiply(work, mask, out=work)
            index += work
        index *= index_dtype(row_arg.shape[3])
        index += col_arg
        return index

    def _running_max(self, key, views, out):
        """``out`` = the maximum of ``views``; returns the index of the first
        view that attains it (strictly greater wins, so ties keep the first)."""
        n_samples, shape = out.shape[0], out.shape[1:]
        index_dtype = np.uint8 if len(views) < 256 else np.intp
        argmax = self._scratch(f"{key}_arg", n_samples, shape, index_dtype)
        if len(views) == 1:
            np.copyto(out, views[0])
            argmax.fill(0)
            return argmax
        better = self._scratch(f"{key}_better", n_samples, shape, np.bool_)
        np.greater(views[1], views[0], out=better)
        np.maximum(views[0], views[1], out=out)
        np.copyto(argmax, better, casting="unsafe")
        # Masked copies (np.copyto with where) are several times slower than
        # arithmetic; the views come in increasing order, so the index of the
        # view that holds the maximum so far is a running maximum as well.
        index = self._scratch(f"{key}_index", n_samples, shape, index_dtype)
        for k, view in enumerate(views[2:], start=2):
            np.greater(view, out, out=better)
            np.maximum(out, view, out=out)
            np.multiply(better.view(np.uint8), index_dtype(k), out=index)
            np.maximum(argmax, index, out=argmax)
        return argmax

    def backward(self, dY, need_input_grad=True):
        argmax = self._cache["argmax"]
        n_samples = argmax.shape[0]
        grad = dY.reshape(n_samples, *self._out_hw, -1)
        mask = self._scratch("mask", n_samples, grad.shape[1:], np.bool_)

        def write(index, target):
            np.equal(argmax, index, out=mask)
            np.multiply(grad, mask, out=target)

        return self._scatter(n_samples, dY.dtype, write)


class _AvgPool(_Pool):
    """Mean over each window of the values it covers."""

    def __init__(self, input_shape, pool_size, stride=None):
        super().__init__(input_shape, pool_size, stride)
        counts = [
            np.minimum(np.arange(n_out) * step + pool, n) - np.arange(n_out) * step
            for n, n_out, pool, step in zip(
                self._image_shape[:2],
                self._out_hw,
                self._pool_2d,
                self._step_2d,
                strict=True,
            )
        ]
        self._scale = 1.0 / np.multiply.outer(*counts)[:, :, np.newaxis]

    def forward(self, X, training=False):
        if self._tiles:
            return self._forward_tiles(_dense(X))
        source = self._source(X)
        out, pooled = self._output("out", source.shape[0], source.dtype)
        _sum([source[:, rows, cols] for rows, cols in self._windows], pooled)
        pooled *= self._scale.astype(pooled.dtype, copy=False)
        return out

    def _forward_tiles(self, X):
        """Sum rows then columns, reading whole image rows (as max pooling)."""
        n_samples = X.shape[0]
        (n_rows, n_cols), (pool_h, pool_w) = self._out_hw, self._pool_2d
        width, channels = self._image_shape[1:]
        images = X.reshape(n_samples, n_rows, pool_h, width, channels)
        out, pooled = self._output("out", n_samples, X.dtype)
        row_sum = images[:, :, 0]
        if pool_h > 1:
            shape = (n_rows, width, channels)
            row_sum = self._scratch("row_sum", n_samples, shape, X.dtype)
            _sum([images[:, :, i] for i in range(pool_h)], row_sum)
        blocks = row_sum.reshape(n_samples, n_rows, n_cols, pool_w, channels)
        _sum([blocks[:, :, :, j] for j in range(pool_w)], pooled)
        pooled *= 1 / (pool_h * pool_w)
        return out

    def backward(self, dY, need_input_grad=True):
        n_samples = dY.shape[0]
        if self._tiles:
            # every value of a window gets the same share: one broadcast
            (n_rows, n_cols), (pool_h, pool_w) = self._out_hw, self._pool_2d
            size = self._size(self._image_shape)
            dX = self._buffer("dX", n_samples, size, dY.dtype)
            tiles = dX.reshape(n_samples, n_rows, pool_h, n_cols, pool_w, -1)
            grad = dY.reshape(n_samples, n_rows, 1, n_cols, 1, -1)
            np.multiply(grad, 1 / (pool_h * pool_w), out=tiles)
            return dX
        scaled = self._output("scaled", n_samples, dY.dtype)[1]
        scale = self._scale.astype(dY.dtype, copy=False)
        np.multiply(dY.reshape(scaled.shape), scale, out=scaled)

        def write(index, target):
            np.copyto(target, scaled)

        return self._scatter(n_samples, dY.dtype, write)


def _sum(views, out):
    """``out`` = the sum of ``views``."""
    if len(views) == 1:
        np.copyto(out, views[0])
        return
    np.add(views[0], views[1], out=out)
    for view in views[2:]:
        out += view


_POOL_PARAMETERS = """
    Parameters
    ----------
    input_shape : tuple of int
        {shape} of each input row, channels last.
    pool_size : {kind}
        Window size.
    stride : {kind} or None, default=None
        Step between windows; None means ``pool_size`` (windows that tile).

    Attributes
    ----------
    output_shape : tuple of int
        Along each axis of size ``n``, ``ceil((n - pool) / stride) + 1``
        positions (one when ``n < pool``): a window that hangs over the end
        pools the values it covers ("ceil mode").
"""


def _pool_doc(summary, shape, kind, example):
    parameters = _POOL_PARAMETERS.format(shape=shape, kind=kind)
    return f"{summary}\n{parameters}\n    Examples\n    --------\n{example}"


class MaxPool2D(_MaxPool):
    _n_spatial = 2


class AvgPool2D(_AvgPool):
    _n_spatial = 2


class MaxPool1D(_MaxPool):
    _n_spatial = 1


class AvgPool1D(_AvgPool):
    _n_spatial = 1


MaxPool2D.__doc__ = _pool_doc(
    "Maximum over windows of channels-last images.",
    "``(height, width, channels)``",
    "int or tuple of 2 ints",
    """    >>> import numpy as np
    >>> layer = MaxPool2D((3, 3, 1), pool_size=2)
    >>> layer.output_shape
    (2, 2, 1)
    >>> layer.forward(np.arange(9.0).reshape(1, 9))
    array([[4., 5., 7., 8.]])
""",
)
AvgPool2D.__doc__ = _pool_doc(
    "Mean over windows of channels-last images (of the values present).",
    "``(height, width, channels)``",
    "int or tuple of 2 ints",
    """    >>> import numpy as np
    >>> layer = AvgPool2D((3, 3, 1), pool_size=2)
    >>> layer.forward(np.arange(9.0).reshape(1, 9))
    array([[2. , 3.5, 6.5, 8. ]])
""",
)
MaxPool1D.__doc__ = _pool_doc(
    "Maximum over windows of channels-last signals.",
    "``(length, channels)``",
    "int",
    """    >>> import numpy as np
    >>> layer = MaxPool1D((5, 1), pool_size=2)
    >>> layer.forward(np.array([[1.0, 3.0, 2.0, 0.0, 5.0]]))
    array([[3., 2., 5.]])
""",
)
AvgPool1D.__doc__ = _pool_doc(
    "Mean over windows of channels-last signals (of the values present).",
    "``(length, channels)``",
    "int",
    """    >>> import numpy as np
    >>> layer = AvgPool1D((5, 1), pool_size=2)
    >>> layer.forward(np.array([[1.0, 3.0, 2.0, 0.0, 5.0]]))
    array([[2., 1., 5.]])
""",
)


def _any_shape(input_shape, min_rank):
    """``input_shape`` as a tuple of at least ``min_rank`` positive ints."""
    shape = tuple(input_shape) if isinstance(input_shape, tuple | list) else ()
    if len(shape) < min_rank:
        raise ValueError(
            f"input_shape must be a tuple of at least {min_rank} positive ints; "
            f"got {input_shape!r}."
        )
    return _tuple(shape, len(shape), "input_shape")


class GlobalAveragePool(Layer):
    """Mean of each channel over all positions: ``(..., channels) -> channels``.

    Parameters
    ----------
    input_shape : tuple of int
        Spatial sizes then channels, e.g. ``(height, width, channels)``.

    Attributes
    ----------
    output_shape : tuple of int
        ``(channels,)``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = GlobalAveragePool((2, 2, 2))
    >>> layer.forward(np.arange(8.0).reshape(1, 8))
    array([[3., 4.]])
    """

    owns_output = True

    def __init__(self, input_shape):
        super().__init__()
        self.input_shape = _any_shape(input_shape, 2)
        self.output_shape = self.input_shape[-1:]
        self._n_positions = int(np.prod(self.input_shape[:-1]))

    def multiply_adds(self):
        """Additions of one sample's forward pass."""
        return int(np.prod(self.input_shape))

    def forward(self, X, training=False):
        X = _dense(X)
        channels = self.output_shape[0]
        out = self._buffer("out", X.shape[0], channels, X.dtype)
        np.sum(X.reshape(X.shape[0], -1, channels), axis=1, out=out)
        out *= 1 / self._n_positions
        return out

    def backward(self, dY, need_input_grad=True):
        if not need_input_grad:
            return None
        n_samples, channels = dY.shape
        dX = self._buffer("dX", n_samples, int(np.prod(self.input_shape)), dY.dtype)
        np.multiply(
            dY[:, np.newaxis, :],
            1 / self._n_positions,
            out=dX.reshape(n_samples, -1, channels),
        )
        return dX


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
