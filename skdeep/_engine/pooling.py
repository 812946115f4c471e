"""Pooling layers for channels-last images and signals.

Rows stay flat, as for every engine layer (see ``skdeep._engine.conv``): a
row is one ``(height, width, channels)`` image or ``(length, channels)``
signal, and a 1-D pool is the 2-D pool on images of height 1.  Windows are
strided views of the whole batch, one per window offset; pooling is in
"ceil mode", so a window that hangs over the end pools the values it
covers (the data is copied into a padded buffer whose border holds a value
that changes nothing: -inf for the maximum, 0 for the sum).  When windows
tile the image exactly, pooling reduces whole image rows first, then column
groups, which is fewer and more contiguous passes.
"""

from math import prod

import numpy as np

from skdeep._engine.conv import _any_shape, _dense, _shape, _tuple
from skdeep._engine.layers import Layer


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

    @staticmethod
    def _size(shape):
        # math.prod: np.prod costs 20 us a call, 8 % of a digits epoch
        return prod(shape)

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
        return flat, flat.reshape(n_samples, *self._out_hw, self._image_shape[2])

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
    """Maximum over each window; the gradient goes to one maximum.

    Over tiles the maximum is taken over the rows of a window, then over
    its columns; a tie goes to the first column holding the maximum, and
    within it to the first row (the windows' other paths take the first
    offset in row-major order).
    """

    _pad_value = -np.inf
    commutes_with_activation = True  # max(g(x)) = g(max(x)) for a rising g

    def forward(self, X, training=False):
        if self._tiles and self._pool_2d != (1, 1):
            return self._forward_tiles(_dense(X), training)
        source = self._source(X)
        out, pooled = self._output("out", source.shape[0], source.dtype)
        windows = [source[:, rows, cols] for rows, cols in self._windows]
        self._cache["argmax"] = self._running_max("window", windows, pooled)
        return out

    def _tile_rows(self, flat, n_samples):
        """Views of row ``i`` of every tile of the images in the ``flat``
        rows (the input, or ``dX`` in backward), and the shape of each."""
        n_rows, pool_h = self._out_hw[0], self._pool_2d[0]
        width, channels = self._image_shape[1:]
        images = flat.reshape(n_samples, n_rows, pool_h, width, channels)
        return [images[:, :, i] for i in range(pool_h)], (n_rows, width, channels)

    def _forward_tiles(self, X, training):
        """Rows then columns: the row pass reads whole image rows, and the
        column pass works on ``pool_h`` times fewer values."""
        n_samples, dtype = X.shape[0], X.dtype
        (n_rows, n_cols), (pool_h, pool_w) = self._out_hw, self._pool_2d
        channels = self._image_shape[2]
        out, pooled = self._output("out", n_samples, dtype)
        rows, row_shape = self._tile_rows(X, n_samples)
        row_max = rows[0]
        if pool_h > 1:
            row_max = pooled
            if pool_w > 1:
                row_max = self._scratch("row_max", n_samples, row_shape, dtype)
            self._cache["rows"] = self._tile_max("row", rows, row_max, training)
        if pool_w > 1:
            blocks = row_max.reshape(n_samples, n_rows, n_cols, pool_w, channels)
            cols = [blocks[:, :, :, j] for j in range(pool_w)]
            self._cache["cols"] = self._tile_max("col", cols, pooled, training)
        return out

    def _tile_max(self, key, views, out, training):
        """``out`` = the maximum of ``views``; while training, what
        ``_route`` needs to send the gradient to the first view holding it."""
        if not training:
            np.maximum(views[0], views[1], out=out)
            for view in views[2:]:
                np.maximum(out, view, out=out)
            return None
        if len(views) > 2:
            return self._running_max(key, views, out)
        # Two views: a mask of where the second wins, in the data's dtype
        # so that backward multiplies like by like.
        n_samples, shape = out.shape[0], out.shape[1:]
        second = self._scratch(f"{key}_second", n_samples, shape, out.dtype)
        np.greater(views[1], views[0], out=second)
        np.maximum(views[0], views[1], out=out)
        return second

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
        if self._tiles and self._pool_2d != (1, 1):
            return self._backward_tiles(dY)
        argmax = self._cache["argmax"]
        n_samples = argmax.shape[0]
        grad = dY.reshape(n_samples, *self._out_hw, self._image_shape[2])
        mask = self._scratch("mask", n_samples, grad.shape[1:], np.bool_)

        def write(index, target):
            np.equal(argmax, index, out=mask)
            np.multiply(grad, mask, out=target)

        return self._scatter(n_samples, dY.dtype, write)

    def _backward_tiles(self, dY):
        """The forward passes in reverse: columns, then rows."""
        n_samples, dtype = dY.shape[0], dY.dtype
        (n_rows, n_cols), (pool_h, pool_w) = self._out_hw, self._pool_2d
        channels = self._image_shape[2]
        dX = self._buffer("dX", n_samples, self._size(self._image_shape), dtype)
        rows, row_shape = self._tile_rows(dX, n_samples)
        grad = dY.reshape(n_samples, n_rows, n_cols, channels)
        if pool_w > 1:
            row_grad = rows[0]
            if pool_h > 1:
                row_grad = self._scratch("row_grad", n_samples, row_shape, dtype)
            blocks = row_grad.reshape(n_samples, n_rows, n_cols, pool_w, channels)
            cols = [blocks[:, :, :, j] for j in range(pool_w)]
            self._route("col", grad, self._cache["cols"], cols)
            grad = row_grad
        if pool_h > 1:
            self._route("row", grad, self._cache["rows"], rows)
        return dX

    def _route(self, key, grad, winner, targets):
        """Each target gets ``grad`` where it held the maximum, else 0."""
        if len(targets) == 2:
            # winner masks the second view; grad - grad * 1 is exactly 0
            np.multiply(grad, winner, out=targets[1])
            np.subtract(grad, targets[1], out=targets[0])
            return
        mask = self._scratch(f"{key}_mask", grad.shape[0], grad.shape[1:], np.bool_)
        for index, target in enumerate(targets):
            np.equal(winner, index, out=mask)
            np.multiply(grad, mask, out=target)


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
            size, channels = self._size(self._image_shape), self._image_shape[2]
            dX = self._buffer("dX", n_samples, size, dY.dtype)
            tiles = dX.reshape(n_samples, n_rows, pool_h, n_cols, pool_w, channels)
            grad = dY.reshape(n_samples, n_rows, 1, n_cols, 1, channels)
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
        np.sum(X.reshape(X.shape[0], self._n_positions, channels), axis=1, out=out)
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
            out=dX.reshape(n_samples, self._n_positions, channels),
        )
        return dX
