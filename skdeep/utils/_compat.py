"""The one place that imports scikit-learn's private helpers.

scikit-learn does not promise to keep these names, so every other module
imports them from here; a rename upstream is fixed in this file alone.
"""

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    Options,
    RealNotInt,
    StrOptions,
)
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "HasMethods",
    "Interval",
    "Options",
    "RealNotInt",
    "StrOptions",
    "_fit_context",
    "check_matplotlib_support",
    "check_sample_weight",
]


def check_sample_weight(sample_weight, X, dtype):
    """Validate ``sample_weight`` for ``X``: 1-D, finite, non-negative, not all zero.

    Returns an array of ``dtype`` (ones when ``sample_weight`` is None), never
    the caller's array.
    """
    sample_weight = _check_sample_weight(sample_weight, X, dtype=dtype, copy=True)
    if np.any(sample_weight < 0):
        raise ValueError(
            "Negative values in data passed to `sample_weight`; sample weights "
            "must be non-negative."
        )
    if not np.any(sample_weight):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight
