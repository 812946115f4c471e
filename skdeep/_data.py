"""Data preparation for the network estimators, as plain functions.

Validation of the arrays stays with the estimators (``validate_data``); what
is here turns validated arrays into what the engine trains on and predicts
from: the input standardisation, C-ordered inputs, the validation split and
chunked predictions.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdeep._engine import Dataset, Validation

PREDICT_CHUNK_ROWS = 4096


def fit_scaler(X, sample_weight=None):
    """A fitted ``StandardScaler`` for ``X`` (sample-weighted; sparse X is not
    centred).

    Values beyond about 1e154 overflow the sum of squares; then the scaler is
    fitted on each column divided by its largest magnitude and scaled back, so
    any finite input standardises to finite values.
    """
    scaler = StandardScaler(with_mean=not sp.issparse(X))
    with np.errstate(over="ignore", invalid="ignore"):
        scaler.fit(X, sample_weight=sample_weight)
    if np.isfinite(scaler.scale_).all() and np.isfinite(scaler.var_).all():
        return scaler
    magnitude = _column_magnitude(X)
    shrunk = X.multiply(1 / magnitude).tocsr() if sp.issparse(X) else X / magnitude
    scaler.fit(shrunk, sample_weight=sample_weight)
    if scaler.with_mean:
        scaler.mean_ *= magnitude
    scaler.scale_ *= magnitude
    with np.errstate(over="ignore"):
        scaler.var_ *= magnitude**2  # may be inf: the variance itself overflows
    return scaler


def _column_magnitude(X):
    magnitude = abs(X).max(axis=0)
    magnitude = magnitude.toarray().ravel() if sp.issparse(magnitude) else magnitude
    magnitude = np.asarray(magnitude, dtype=np.float64)
    magnitude[magnitude == 0] = 1.0
    return magnitude


def row_major(X):
    """``X`` in the layout the engine reads: dense arrays in C order (a
    DataFrame or ``to_numpy()`` gives Fortran order, whose row gathers are
    slow), sparse matrices as CSR.  Returns ``(X, copied)``."""
    converted = X.tocsr() if sp.issparse(X) else np.ascontiguousarray(X)
    return converted, converted is not X


def standardize(X, scaler, out=None):
    """Row-major ``X`` (see ``row_major``), standardised by ``scaler`` if given.

    Never writes into ``X`` unless it is passed as ``out``; returns ``X``
    itself when it is already row-major and there is no scaling to do.
    """
    X = row_major(X)[0]
    if scaler is None:
        return X
    if sp.issparse(X):
        return scaler.transform(X)
    out = np.empty(X.shape, dtype=X.dtype) if out is None else out
    if scaler.with_mean:
        np.subtract(X, scaler.mean_, out=out, casting="same_kind")
        np.divide(out, scaler.scale_, out=out, casting="same_kind")
    else:
        np.divide(X, scaler.scale_, out=out, casting="same_kind")
    return out


def check_standardized(X):
    """Raise if standardising overflowed (values near the float maximum)."""
    values = X.data if sp.issparse(X) else X
    if not np.isfinite(values).all():
        raise ValueError(
            "X holds values too large to standardise in "
            f"{values.dtype} (largest magnitude {np.nanmax(np.abs(values)):.3g}); "
            "rescale X before fitting."
        )


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

    def subset(rows):
        sw = data.sample_weight
        return Dataset(data.X[rows], data.Y[rows], None if sw is None else sw[rows])

    return subset(train), subset(val)


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
    out = None
    for start in range(0, X.shape[0], PREDICT_CHUNK_ROWS):
        chunk = standardize(X[start : start + PREDICT_CHUNK_ROWS], scaler)
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
