"""Data preparation for the network estimators, as plain functions.

Validation of the arrays stays with the estimators (``validate_data``); what
is here turns validated arrays into what the engine trains on and predicts
from: the input standardisation, C-ordered inputs, the validation split and
chunked predictions.  Nothing here copies a dense ``X`` whole (unless it must
be made C-ordered): the standardisation statistics are gathered chunk by
chunk and the engine standardises rows as it reads them.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdeep._engine import Dataset, Standardizer, Validation

# Rows per chunk when gathering statistics: the scaler's float64
# temporaries then take about 16 MiB whatever the size of X.
_STATISTICS_CHUNK_VALUES = 2**21


def fit_scaler(X, sample_weight=None):
    """A fitted ``StandardScaler`` for ``X`` (sample-weighted; sparse X is not
    centred), fitted chunk by chunk so that its memory does not grow with X.

    Values beyond about 1e154 overflow the sum of squares; then the scaler is
    fitted on each column divided by its largest magnitude and scaled back, so
    any finite input standardises to finite values.
    """
    scaler = _fit_in_chunks(X, sample_weight)
    if np.isfinite(scaler.scale_).all() and np.isfinite(scaler.var_).all():
        return scaler
    magnitude = _column_magnitude(X)
    scaler = _fit_in_chunks(X, sample_weight, divide_by=magnitude)
    if scaler.with_mean:
        scaler.mean_ *= magnitude
    scaler.scale_ *= magnitude
    with np.errstate(over="ignore"):
        scaler.var_ *= magnitude**2  # may be inf: the variance itself overflows
    return scaler


def _fit_in_chunks(X, sample_weight, divide_by=None):
    scaler = StandardScaler(with_mean=not sp.issparse(X))
    for rows in _weighted_chunks(X, sample_weight):
        part = X[rows] if divide_by is None else _divided(X[rows], divide_by)
        sw = None if sample_weight is None else sample_weight[rows]
        with np.errstate(over="ignore", invalid="ignore"):
            scaler.partial_fit(part, sample_weight=sw)
    return scaler


def _divided(X, divisors):
    return X.multiply(1 / divisors).tocsr() if sp.issparse(X) else X / divisors


def _weighted_chunks(X, sample_weight):
    """Row slices of ``X`` to gather statistics over: one for sparse or small
    X, and no slice whose weights are all zero (it would make the running
    means 0 / 0)."""
    step = max(1, _STATISTICS_CHUNK_VALUES // max(X.shape[1], 1))
    if sp.issparse(X) or X.shape[0] <= step:
        return [slice(None)]
    chunks = [slice(start, start + step) for start in range(0, X.shape[0], step)]
    if sample_weight is not None:
        chunks = [rows for rows in chunks if sample_weight[rows].sum() > 0]
    return chunks or [slice(None)]


def _column_magnitude(X):
    if sp.issparse(X):
        magnitude = abs(X).max(axis=0).toarray().ravel()
    else:
        magnitude = np.zeros(X.shape[1], dtype=X.dtype)
        for rows in _weighted_chunks(X, None):
            np.maximum(magnitude, np.abs(X[rows]).max(axis=0), out=magnitude)
    magnitude = np.asarray(magnitude, dtype=np.float64)
    magnitude[magnitude == 0] = 1.0
    return magnitude


def make_standardizer(scaler, dtype):
    """The engine's ``Standardizer`` for a fitted scaler (or None)."""
    if scaler is None:
        return None
    mean = scaler.mean_ if scaler.with_mean else None
    return Standardizer.from_moments(mean, scaler.scale_, dtype)


def row_major(X):
    """``X`` in the layout the engine reads: dense arrays in C order (a
    DataFrame or ``to_numpy()`` gives Fortran order, whose row gathers are
    slow), sparse matrices as CSR.  Returns ``(X, copied)``."""
    converted = X.tocsr() if sp.issparse(X) else np.ascontiguousarray(X)
    return converted, converted is not X


def make_dataset(X, Y, sample_weight, scaler):
    """The engine's ``Dataset`` of validated ``X``: row-major, and
    standardised by ``scaler`` (if any) as the engine reads its rows; sparse
    ``X`` is scaled once here, which keeps it sparse."""
    X = row_major(X)[0]
    standardizer = make_standardizer(scaler, X.dtype)
    if sp.issparse(X) and standardizer is not None:
        X, standardizer = standardizer.apply(X), None
    return Dataset(X, Y, sample_weight, standardizer)


def standardize(X, standardizer):
    """Row-major ``X``, standardised if ``standardizer`` is given; never
    writes into the caller's ``X``."""
    X, copied = row_major(X)
    if standardizer is None:
        return X
    return standardizer.apply(X, out=X if copied and not sp.issparse(X) else None)


def split_validation(data, fraction, rng, stratify=None):
    """Hold out ``fraction`` of the rows of ``data`` (stratified by the labels
    ``stratify``); return the training ``Dataset`` and the held-out one."""
    n_val = int(np.ceil(fraction * data.n_samples))
    if n_val < 2 or data.n_samples - n_val < 1:
        raise ValueError(
            f"The validation set is too small: validation_fraction={fraction} of "
            f"{data.n_samples} samples leaves {n_val}; increase "
            "validation_fraction or pass X_val, y_val."
        )
    train, val = train_test_split(
        np.arange(data.n_samples), test_size=n_val, random_state=rng, stratify=stratify
    )
    return data.subset(train), data.subset(val)


def make_validation(data, score):
    """The engine's ``Validation`` for a held-out ``Dataset`` (or None)."""
    return None if data is None else Validation(data, score)


def predict_in_chunks(network, X, scaler, n_layers=None):
    """The output of ``network``'s first ``n_layers`` layers (all, with the
    output activation, by default) for ``X``, standardised chunk by chunk.

    Raises a ValueError when an output is not finite: the inputs are too
    large for the fitted weights.
    """
    if sp.issparse(X):
        X = X.tocsr()
    standardizer = make_standardizer(scaler, X.dtype)
    out, chunk_rows = None, network.chunk_rows
    for start in range(0, X.shape[0], chunk_rows):
        chunk = standardize(X[start : start + chunk_rows], standardizer)
        with np.errstate(over="ignore", invalid="ignore"):
            result = network.forward(chunk, training=False, n_layers=n_layers)
        if out is None:
            out = np.empty((X.shape[0], result.shape[1]), dtype=result.dtype)
        out[start : start + len(result)] = result
    if not np.isfinite(out).all():
        raise ValueError(
            "The network's output is not finite for some rows of X: their values "
            "are too large for the fitted weights (largest magnitude in X: "
            f"{abs(X).max():.3g})."
        )
    return out
