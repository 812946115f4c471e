"""The single-hidden-layer feed-forward network, for classification and regression.

``h = g_h(W1' x + b1)`` and ``f = g_f(W2' h + b2)``, trained by
back-propagation on the shared engine: the one-hidden-layer case of the
DeepFFN code path, with its own parameter ``n_hidden`` and defaults.
"""

from numbers import Integral, Real

from sklearn.base import (
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
)

from skdeep._deep import _DenseNetwork
from skdeep._outputs import NetworkClassifierMixin, NetworkRegressorMixin
from skdeep.utils._compat import Interval, StrOptions
from skdeep.utils._docstrings import fill_doc


class _OneHiddenLayer(_DenseNetwork):
    """A dense network of one hidden layer of ``n_hidden`` units.

    The DeepFFN parameters a one-hidden-layer network does not have take
    fixed values here: no dropout, pre-training or clipping, and
    ``transform`` gives the hidden layer.
    """

    _parameter_constraints = {
        key: value
        for key, value in _DenseNetwork._parameter_constraints.items()
        if key
        not in (
            "hidden_layer_sizes",
            "dropout",
            "pretraining",
            "pretraining_max_iter",
            "fine_tune",
            "clip_norm",
            "transform_layer",
        )  # fmt: skip
    } | {"n_hidden": [Interval(Integral, 1, None, closed="left")]}
    _size_name = "n_hidden"
    dropout = 0.0
    pretraining = None
    clip_norm = None
    transform_layer = -1

    @property
    def hidden_layer_sizes(self):
        return (self.n_hidden,)


@fill_doc()
class FeedForwardClassifier(
    ClassNamePrefixFeaturesOutMixin,
    NetworkClassifierMixin,
    ClassifierMixin,
    TransformerMixin,
    _OneHiddenLayer,
):
    """Single-hidden-layer feed-forward network classifier.

    ``h = g_h(W1' x + b1)`` with ``n_hidden`` units, then a softmax output
    (multiclass) or logistic outputs (binary, multilabel), trained on the
    log-loss plus a weight penalty by back-propagation.

    Parameters
    ----------
    n_hidden : int, default=100
        Number of hidden units.

    activation : {"relu", "logistic", "tanh", "identity", "leaky_relu", \
"elu", "softplus"}, default="relu"
        Activation ``g_h`` of the hidden units.

    %(training_parameters)s

    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``; "balanced"
        weighs classes inversely to their frequency.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    %(training_attributes)s

    See Also
    --------
    FeedForwardRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : scikit-learn's multi-layer
        perceptron.

    Notes
    -----
    The objective is ``sum_i s_i L(y_i, f(x_i)) / sum_i s_i + alpha / sum_i s_i
    * Omega(W)`` with sample weights ``s_i``. With ``n_init > 1`` the
    restarts are trained one after the other; the best is kept.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skdeep import FeedForwardClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = FeedForwardClassifier(n_hidden=20, solver="lbfgs", random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    >>> float(clf.predict_proba(X[:1]).round(2).sum())
    1.0
    >>> clf.transform(X).shape
    (150, 20)
    """

    _parameter_constraints = {
        **_OneHiddenLayer._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        n_hidden=100,
        activation="relu",
        *,
        solver="adam",
        penalty="l2",
        alpha=0.0001,
        l1_ratio=0.15,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=10,
        param_change_tol=None,
        early_stopping=False,
        validation_fraction=0.1,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_fun=15000,
        standardize=True,
        init="glorot",
        init_scale=0.7,
        n_init=1,
        warm_start=False,
        random_state=None,
        verbose=0,
        class_weight=None,
    ):
        self._store_params(locals())


@fill_doc()
class FeedForwardRegressor(
    ClassNamePrefixFeaturesOutMixin,
    NetworkRegressorMixin,
    RegressorMixin,
    TransformerMixin,
    _OneHiddenLayer,
):
    """Single-hidden-layer feed-forward network regressor.

    ``h = g_h(W1' x + b1)`` with ``n_hidden`` units and an identity output
    ``f = W2' h + b2`` (one per target), trained on the squared error (or the
    Huber loss) plus a weight penalty by back-propagation.

    Parameters
    ----------
    n_hidden : int, default=100
        Number of hidden units.

    activation : {"relu", "logistic", "tanh", "identity", "leaky_relu", \
"elu", "softplus"}, default="relu"
        Activation ``g_h`` of the hidden units.

    %(training_parameters)s

    loss : {"squared_error", "huber"}, default="squared_error"
        Training loss: ``1/2 (f - y)^2``, or Huber's loss, quadratic within
        ``huber_delta`` of the target and linear beyond (robust to outliers).

    huber_delta : float, default=1.0
        Residual size where the Huber loss turns linear (in standard units
        of ``y`` when ``standardize=True``).

    Attributes
    ----------
    %(training_attributes)s

    See Also
    --------
    FeedForwardClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : scikit-learn's multi-layer
        perceptron.

    Notes
    -----
    With ``standardize=True`` (the default) the targets are standardised
    too: the network trains in standard units of each output and
    ``predict`` answers in the units of ``y``. The losses in ``history_`` and
    ``loss_curve_``, and ``huber_delta``, are then in standard units.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from skdeep import FeedForwardRegressor
    >>> X, y = make_friedman1(n_samples=500, random_state=0)
    >>> reg = FeedForwardRegressor(n_hidden=30, solver="lbfgs", tol=1e-3,
    ...                            random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    """

    _parameter_constraints = {
        **_OneHiddenLayer._parameter_constraints,
        "loss": [StrOptions({"squared_error", "huber"})],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        n_hidden=100,
        activation="relu",
        *,
        solver="adam",
        penalty="l2",
        alpha=0.0001,
        l1_ratio=0.15,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=10,
        param_change_tol=None,
        early_stopping=False,
        validation_fraction=0.1,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_fun=15000,
        standardize=True,
        init="glorot",
        init_scale=0.7,
        n_init=1,
        warm_start=False,
        random_state=None,
        verbose=0,
        loss="squared_error",
        huber_delta=1.0,
    ):
        self._store_params(locals())
