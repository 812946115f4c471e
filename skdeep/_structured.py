"""Networks whose inputs have a structure: signals, images, sequences.

Convolutional and recurrent networks share parameters across the positions
of their input, so they need its shape.  ``_StructuredNetwork`` is their
common code path on the DeepFFN family's: it takes ``(n_samples,
*input_shape)`` arrays (or rows with ``input_shape`` given), flattens them
to the rows the engine reads, standardises each channel as a whole, and
ends in the same dense head, trainer, history and callbacks.

Shapes are channels last: an image is ``(height, width, channels)``, a
signal or sequence ``(n_timesteps, n_features)``; the C-ordered flattening
of one sample is what ``load_digits`` gives for an 8 x 8 x 1 image.
"""

from math import prod

import numpy as np
import scipy.sparse as sp

from skdeep._data import fit_scaler
from skdeep._deep import _DenseNetwork, positive_ints

# DeepFFN parameters that structured networks do not have
_NOT_STRUCTURED = (
    "pretraining",
    "pretraining_max_iter",
    "fine_tune",
    "transform_layer",
)


def structured_constraints(extra):
    """The DeepFFN constraints without pre-training, plus ``extra``."""
    constraints = {
        key: value
        for key, value in _DenseNetwork._parameter_constraints.items()
        if key not in _NOT_STRUCTURED
    }
    return constraints | {"input_shape": ["array-like", None]} | extra


class _StructuredNetwork(_DenseNetwork):
    """Base of the networks that read ``(n_samples, *input_shape)`` arrays.

    A family says which ranks of ``input_shape`` it takes (``_ranks``) and
    builds its architecture from ``self._sample_shape`` (set by
    ``_as_rows``); ``transform`` returns the features the dense head reads.
    """

    _accept_sparse = False
    _ranks = (2,)  # accepted lengths of input_shape, channels included
    _shape_words = "(n_timesteps, n_features)"
    pretraining = None
    transform_layer = -1

    def _hidden_layer_sizes(self):
        # the dense head may be empty: the output layer reads the features
        sizes = self.hidden_layer_sizes
        if sizes is None or (np.ndim(sizes) == 1 and len(sizes) == 0):
            return ()
        return super()._hidden_layer_sizes()

    def _pretraining(self):
        return None

    # -- input shapes ------------------------------------------------------

    def _as_rows(self, X, reset):
        """Flatten N-D ``X`` to rows and record or check the sample shape."""
        if X is None or sp.issparse(X) or hasattr(X, "columns"):
            nd_shape = None
        else:
            X = X if hasattr(X, "ndim") else _array_or_same(X)
            nd_shape = tuple(X.shape[1:]) if getattr(X, "ndim", 2) > 2 else None
        if reset:
            self._sample_shape = self._new_sample_shape(X, nd_shape)
        elif nd_shape is not None:
            self._check_sample_shape(nd_shape)
        if nd_shape is None:
            return X
        return np.reshape(X, (X.shape[0], prod(nd_shape)))

    def _new_sample_shape(self, X, nd_shape):
        """The shape of one sample for a new fit, validated."""
        given = self._given_input_shape()
        if nd_shape is None:
            n_features = _n_columns(X)
            if given is None:
                return (n_features, 1) if n_features is not None else None
            if n_features is not None and prod(given) != n_features:
                raise ValueError(
                    f"input_shape={given} holds {prod(given)} values per sample, "
                    f"but X has {n_features} features."
                )
            return given
        shape = nd_shape if given is None else given
        if given is not None and not _same_shape(nd_shape, given):
            raise ValueError(
                f"X has samples of shape {nd_shape}, but input_shape={given}."
            )
        return self._checked_rank(shape, "X's samples have shape")

    def _given_input_shape(self):
        if self.input_shape is None:
            return None
        shape = positive_ints(self.input_shape, "input_shape")
        return self._checked_rank(shape, "input_shape is")

    def _checked_rank(self, shape, what):
        if len(shape) == min(self._ranks) - 1:
            shape = (*shape, 1)  # one channel, left implicit
        if len(shape) not in self._ranks:
            raise ValueError(
                f"{type(self).__name__} takes samples of shape {self._shape_words}, "
                f"channels last; {what} {shape}."
            )
        return shape

    def _check_sample_shape(self, nd_shape):
        fitted = getattr(self, "input_shape_", None)
        if fitted is None:
            fitted = getattr(self, "_sample_shape", None)
        if fitted is not None and not _same_shape(nd_shape, fitted):
            raise ValueError(
                f"X has samples of shape {nd_shape}, but {type(self).__name__} "
                f"was fitted on samples of shape {fitted}."
            )

    # -- standardisation ---------------------------------------------------

    def _fit_scaler(self, X, sample_weight):
        """One mean and scale per channel, shared by all positions: the
        layers apply the same weights everywhere, so every position must see
        its channel on the same scale."""
        if not self.standardize:
            return None
        return pool_channels(fit_scaler(X, sample_weight), self._sample_shape[-1])

    # -- the fitted model --------------------------------------------------

    def _commit(self, run, outcome):
        super()._commit(run, outcome)
        self.input_shape_ = run.architecture.input_shape

    def _transform_depth(self):
        return self._fitted_architecture.feature_depth

    @property
    def _n_features_out(self):
        return self._fitted_architecture.n_features_out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.three_d_array = True  # (n_samples, *input_shape)
        return tags


def pool_channels(scaler, n_channels):
    """Make a per-feature ``StandardScaler`` one of per-channel moments.

    Features are positions x channels (channels last).  A channel's mean is
    the mean of its positions' means and its variance the mean of their
    variances plus the variance of their means (the law of total variance,
    as every position has the same samples), computed relative to the
    largest spread so that huge values do not overflow.
    """
    means = scaler.mean_.reshape(-1, n_channels)
    scales = scaler.scale_.reshape(-1, n_channels)
    # StandardScaler sets the scale of a constant feature to 1: count it as 0
    scales = np.where(scaler.var_.reshape(-1, n_channels) == 0, 0.0, scales)
    pooled_mean = means.mean(axis=0)
    deviations = means - pooled_mean
    spread = np.maximum(np.abs(scales).max(axis=0), np.abs(deviations).max(axis=0))
    unit = np.where(spread > 0, spread, 1.0)
    relative_var = ((scales / unit) ** 2).mean(0) + ((deviations / unit) ** 2).mean(0)
    pooled_scale = np.sqrt(relative_var) * unit
    pooled_scale[pooled_scale == 0] = 1.0
    n_positions = means.shape[0]
    scaler.mean_ = np.tile(pooled_mean, n_positions)
    scaler.scale_ = np.tile(pooled_scale, n_positions)
    with np.errstate(over="ignore"):
        scaler.var_ = scaler.scale_**2
    return scaler


def _same_shape(shape, fitted):
    """Equal, or equal once a missing single channel is added."""
    return tuple(shape) == tuple(fitted) or (*shape, 1) == tuple(fitted)


def _n_columns(X):
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 2:
        return int(shape[1])
    return None


def _array_or_same(X):
    """A nested list as an array to read its shape; anything else as it is
    (``validate_data`` then names what is wrong with it)."""
    try:
        return np.asarray(X)
    except (ValueError, TypeError):
        return X
