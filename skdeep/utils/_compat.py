"""The one place that imports scikit-learn's private helpers.

scikit-learn does not promise to keep these names, so every other module
imports them from here; a rename upstream is fixed in this file alone.
"""

import warnings

import numpy as np
import sklearn
from sklearn.base import _fit_context
from sklearn.utils import parallel as _parallel
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    Options,
    RealNotInt,
    StrOptions,
)
from sklearn.utils.fixes import parse_version
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "HasMethods",
    "Interval",
    "Options",
    "Parallel",
    "RealNotInt",
    "StrOptions",
    "_fit_context",
    "check_matplotlib_support",
    "check_sample_weight",
    "delayed",
]

SKLEARN_VERSION = parse_version(sklearn.__version__)


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


# scikit-learn's Parallel carries the caller's configuration to joblib's
# workers, and from 1.7 on its warning filters as well. Before 1.7 a worker
# process keeps its own filters, so a warning the caller silenced is still
# printed, and one the caller turned into an error does not fail the fit.
delayed = _parallel.delayed
if SKLEARN_VERSION >= parse_version("1.7"):
    Parallel = _parallel.Parallel
else:

    class Parallel(_parallel.Parallel):
        """scikit-learn's ``Parallel``, also carrying the caller's warning filters."""

        def __call__(self, iterable):
            filters = list(warnings.filters)
            return super().__call__(
                (_UnderWarningFilters(task, filters), args, kwargs)
                for task, args, kwargs in iterable
            )


class _UnderWarningFilters:
    """A task of ``delayed`` that runs under the warning filters it is given.

    scikit-learn before 1.7 attaches its configuration through ``with_config``,
    which is passed on to the task.
    """

    def __init__(self, task, filters):
        self.task = task
        self.filters = filters

    def with_config(self, config):
        self.task = self.task.with_config(config)
        return self

    def __call__(self, *args, **kwargs):
        with warnings.catch_warnings():
            _set_warning_filters(self.filters)
            return self.task(*args, **kwargs)


def _set_warning_filters(filters):
    """Set ``warnings.filters`` to act as ``filters``, through the public API.

    Assigning the list directly would leave the warning registries' caches
    stale; ``filterwarnings`` invalidates them. A filter's message and module
    are compiled patterns, plain strings, or None (any). Its category may be a
    tuple of classes (``simplefilter`` takes one, and scikit-learn's
    ``ignore_warnings`` passes one), which ``filterwarnings`` refuses: one
    filter per class, in the same place, acts the same.
    """
    warnings.resetwarnings()
    for action, message, category, module, lineno in filters:
        message, module = (getattr(p, "pattern", p) or "" for p in (message, module))
        for one in category if isinstance(category, tuple) else (category,):
            warnings.filterwarnings(action, message, one, module, lineno, append=True)
