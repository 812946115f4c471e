"""skdeep on every scikit-learn it supports: what needs a newer one says so."""

import subprocess
import sys
import warnings

import pytest

from skdeep import FeedForwardRegressor
from skdeep.utils._callbacks import CALLBACKS_AVAILABLE
from skdeep.utils._compat import Parallel, delayed


def test_set_callbacks_without_the_callback_api_explains_what_it_needs():
    """On scikit-learn < 1.9 (simulated here on a newer one) skdeep imports,
    fits, and ``set_callbacks`` says what to install."""
    if not CALLBACKS_AVAILABLE:
        with pytest.raises(ImportError, match=r"scikit-learn>=1\.9"):
            FeedForwardRegressor().set_callbacks(object())
        return
    code = (
        "import sys, types\n"
        "import sklearn.callback._callback_support, sklearn.ensemble\n"
        "import sklearn.linear_model, sklearn.model_selection, sklearn.pipeline\n"
        "sys.modules['sklearn.callback'] = types.ModuleType('sklearn.callback')\n"
        "import numpy as np\n"
        "from skdeep import FeedForwardRegressor\n"
        "net = FeedForwardRegressor(n_hidden=2, max_iter=2)\n"
        "net.fit(np.arange(20.0).reshape(10, 2), np.arange(10.0))\n"
        "try:\n"
        "    net.set_callbacks(object())\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", code],
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert "new in scikit-learn 1.9" in result.stdout
    assert "pip install -U 'scikit-learn>=1.9'" in result.stdout


def _what_a_warning_does(category, message):
    """In a worker: whether the warning raises, is shown or is ignored."""
    with warnings.catch_warnings(record=True) as shown:
        try:
            warnings.warn(message, category, stacklevel=2)
        except Warning:
            return "error"
    return "shown" if shown else "ignored"


def test_parallel_workers_follow_the_callers_warning_filters():
    """Worker processes act on the caller's filters (scikit-learn >= 1.7 sees to
    it; before, skdeep's Parallel): message patterns, and tuples of categories
    as scikit-learn's ``ignore_warnings`` sets them."""
    cases = [(UserWarning, "loud"), (UserWarning, "other"), (FutureWarning, "loud")]
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.filterwarnings("error", message="loud", category=UserWarning)
        warnings.simplefilter("ignore", (FutureWarning, DeprecationWarning))
        outcomes = Parallel(n_jobs=2)(
            delayed(_what_a_warning_does)(*case) for case in cases
        )
    assert outcomes == ["error", "shown", "ignored"]
