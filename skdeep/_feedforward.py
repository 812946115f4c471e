"""The single-hidden-layer feed-forward network, for classification and regression.

``h = g_h(W1' x + b1)`` and ``f = g_f(W2' h + b2)``, trained by
back-propagation on the shared engine.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from skdeep._base import BaseNetwork
from skdeep._engine import LOSSES
from skdeep.utils._compat import Interval, StrOptions, _fit_context
from skdeep.utils._docstrings import fill_doc


def _stochastic_solver(estimator):
    if estimator.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for the stochastic solvers 'sgd' and "
            f"'adam'; solver={estimator.solver!r}."
        )
    return True


class _FeedForwardMixin:
    """One hidden layer of ``n_hidden`` units."""

    _parameter_constraints = {
        **BaseNetwork._parameter_constraints,
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
    }

    def _hidden_layer_sizes(self):
        return (self.n_hidden,)


class NetworkClassifierMixin:
    """Label encoding, probabilities and accuracy for network classifiers."""

    def _encode_targets(self, y, reset, classes=None):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if reset:
            check_classification_targets(y)
            multilabel = type_of_target(y).startswith("multilabel")
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y if classes is None or multilabel else classes)
            self.classes_ = self._label_binarizer.classes_
            if len(self.classes_) < 2 and not multilabel:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes "
                    f"in the data, but the data contains only one class: "
                    f"{self.classes_.tolist()[0]!r}."
                )
        elif self._label_binarizer.y_type_ != "multilabel-indicator":
            unseen = np.setdiff1d(np.unique(y), self.classes_)
            if unseen.size:
                raise ValueError(
                    f"y contains labels {unseen.tolist()} that are not in classes_ "
                    f"{self.classes_.tolist()} seen in the first call to fit or "
                    "partial_fit."
                )
        return self._label_binarizer.transform(y)

    @property
    def _multiclass(self):
        return self._label_binarizer.y_type_ == "multiclass"

    def _make_loss(self):
        if self._multiclass:
            return LOSSES["log_loss"]()
        return LOSSES["binary_log_loss"]()

    def _labels_from_encoded(self, Y):
        """Original labels of encoded targets (None for multilabel)."""
        if self._multiclass:
            return self.classes_[Y.argmax(axis=1)]
        if self._label_binarizer.y_type_ == "binary":
            return self.classes_[(Y[:, 0] > 0.5).astype(int)]
        return None

    def _stratify(self, Y):
        return self._labels_from_encoded(Y)

    def _extra_sample_weight(self, Y):
        if self.class_weight is None:
            return None
        labels = self._labels_from_encoded(Y)
        return compute_sample_weight(self.class_weight, Y if labels is None else labels)

    def _validation_score(self, P, Y, sample_weight):
        if self._multiclass:
            correct = P.argmax(axis=1) == Y.argmax(axis=1)
        else:
            correct = np.all((P > 0.5) == (Y > 0.5), axis=1)
        return float(np.average(correct, weights=sample_weight))

    def predict(self, X):
        """Predict class labels (label indicators for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted classes.
        """
        P = self._forward(X)
        return self._label_binarizer.inverse_transform(P)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities in the order of ``classes_`` (for multilabel
            targets, the probability of each label).
        """
        P = self._forward(X)
        if self._label_binarizer.y_type_ == "binary":
            return np.hstack([1 - P, P])
        return P

    def predict_log_proba(self, X):
        """Logarithm of ``predict_proba``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def _classifier_partial_fit(self, X, y, sample_weight, classes):
        if not hasattr(self, "_trainer"):
            if classes is None and not type_of_target(y).startswith("multilabel"):
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            if self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' is not supported by partial_fit: the "
                    "class frequencies of one batch are not those of the data. "
                    "Pass a dict of class weights instead."
                )
        return self._partial_fit(X, y, sample_weight, classes)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class NetworkRegressorMixin:
    """Targets, loss and R^2 for network regressors."""

    _y_numeric = True

    def _encode_targets(self, y, reset, classes=None):
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if reset:
            self.n_outputs_ = Y.shape[1]
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs, but {type(self).__name__} was "
                f"fitted with {self.n_outputs_}."
            )
        return Y

    def _make_loss(self):
        if self.loss == "huber":
            return LOSSES["huber"](self.huber_delta)
        return LOSSES["squared_error"]()

    def _validation_score(self, P, Y, sample_weight):
        weights = None if sample_weight is None else sample_weight[:, None]
        mean = np.average(Y, axis=0, weights=sample_weight)
        residual = np.sum((Y - P) ** 2 * (1 if weights is None else weights), axis=0)
        total = np.sum((Y - mean) ** 2 * (1 if weights is None else weights), axis=0)
        r2 = 1 - residual / np.where(total > 0, total, 1)
        return float(np.mean(r2))

    def predict(self, X):
        """Predict the target(s).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        P = self._forward(X)
        return P.ravel() if P.shape[1] == 1 else P

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class NetworkFitMixin:
    """``fit`` and ``partial_fit``, shared by every network estimator."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, X, y, sample_weight=None, X_val=None, y_val=None, sample_weight_val=None
    ):
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs; float32 input trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: class labels (or a label-indicator matrix) for a
            classifier, real values for a regressor.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        X_val, y_val : array-like, default=None
            Validation data, used instead of a ``validation_fraction``
            split: monitored every epoch (``validation_scores_``), used by
            early stopping when ``early_stopping=True`` and to choose among
            the ``n_init`` restarts.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, X_val, y_val, sample_weight_val)

    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)


@fill_doc()
class FeedForwardClassifier(
    ClassNamePrefixFeaturesOutMixin,
    NetworkClassifierMixin,
    ClassifierMixin,
    TransformerMixin,
    NetworkFitMixin,
    _FeedForwardMixin,
    BaseNetwork,
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
    >>> clf.predict_proba(X[:1]).round(2).sum()
    np.float64(1.0)
    >>> clf.transform(X).shape
    (150, 20)
    """

    _parameter_constraints = {
        **_FeedForwardMixin._parameter_constraints,
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

    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for one epoch on ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or a label-indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        classes : array-like of shape (n_classes,), default=None
            Every class that can appear; required on the first call (except
            for multilabel targets), ignored afterwards.

        Returns
        -------
        self : object
            The partially fitted estimator.
        """
        return self._classifier_partial_fit(X, y, sample_weight, classes)


@fill_doc()
class FeedForwardRegressor(
    ClassNamePrefixFeaturesOutMixin,
    NetworkRegressorMixin,
    RegressorMixin,
    TransformerMixin,
    NetworkFitMixin,
    _FeedForwardMixin,
    BaseNetwork,
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
        Residual size where the Huber loss turns linear.

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
    Targets are not scaled: standardise ``y`` (e.g. with
    ``sklearn.compose.TransformedTargetRegressor``) when its scale is far
    from one.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from skdeep import FeedForwardRegressor
    >>> X, y = make_friedman1(n_samples=500, random_state=0)
    >>> reg = FeedForwardRegressor(n_hidden=30, solver="lbfgs", random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    """

    _parameter_constraints = {
        **_FeedForwardMixin._parameter_constraints,
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

    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : object
            The partially fitted estimator.
        """
        return self._partial_fit(X, y, sample_weight)
