"""What a network's outputs mean: classifier and regressor mixins.

Each mixin encodes the targets (``skdeep._targets``), picks the output + loss,
turns the network's outputs into predictions and offers ``partial_fit``; the
network itself comes from a family (DeepFFN, FeedForward) on ``BaseNetwork``.
"""

import numpy as np
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d

from skdeep._engine import LOSSES
from skdeep._targets import ClassLabels, ScaledTargets
from skdeep.utils._compat import _fit_context
from skdeep.utils._mixins import LogProbaMixin


def _stochastic_solver(estimator):
    if estimator.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for the stochastic solvers 'sgd' and "
            f"'adam'; solver={estimator.solver!r}."
        )
    return True


class NetworkClassifierMixin(LogProbaMixin):
    """Labels, probabilities and accuracy for network classifiers."""

    _y_numeric = False

    @staticmethod
    def _target_array(y):
        if y.ndim == 2 and y.shape[1] == 1:
            return column_or_1d(y, warn=True)
        return y

    def _make_targets(self, y, sample_weight, classes):
        return ClassLabels(y, classes, owner=type(self).__name__)

    def _output_loss(self, targets):
        return LOSSES[targets.loss_name]()

    def _weigh_classes(self, targets, Y, sample_weight, dtype):
        extra = targets.class_weights(Y, self.class_weight)
        if extra is None:
            return sample_weight
        if sample_weight is None:
            return extra.astype(dtype)
        return sample_weight * extra

    def _target_attributes(self, targets):
        return {"classes_": targets.classes_}

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
        P = self._network_output(X)
        return self._targets.decode(P)

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
        P = self._network_output(X)
        return self._targets.probabilities(P)

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
            for multilabel targets); later calls may repeat it unchanged.

        Returns
        -------
        self : object
            The partially fitted estimator.

        Notes
        -----
        With ``standardize=True`` the scaling of ``X`` is learned from the
        first call's batch alone and kept by later calls: when batches
        differ (chunks in time order, say), standardise all the data first,
        with statistics of all of it, and set ``standardize=False`` (the
        user guide's "Data larger than memory" shows how with dask-ml).
        """
        if hasattr(self, "_network"):
            self._check_same_classes(classes)
        elif classes is None and not type_of_target(y).startswith("multilabel"):
            raise ValueError("classes must be passed on the first call to partial_fit.")
        elif self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: the "
                "class frequencies of one batch are not those of the data. "
                "Pass a dict of class weights instead."
            )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _check_same_classes(self, classes):
        if classes is not None and not np.array_equal(
            np.unique(classes), self.classes_
        ):
            raise ValueError(
                f"classes={np.asarray(classes).tolist()} is not the same as on "
                f"the first call to partial_fit, {self.classes_.tolist()}."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class NetworkRegressorMixin:
    """Targets in standard units, the regression loss and R^2."""

    _y_numeric = True

    @staticmethod
    def _target_array(y):
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _make_targets(self, y, sample_weight, classes):
        return ScaledTargets(y, sample_weight, self.standardize, type(self).__name__)

    def _output_loss(self, targets):
        if self.loss == "huber":
            return LOSSES["huber"](self.huber_delta)
        return LOSSES["squared_error"]()

    def predict(self, X):
        """Predict the target(s).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values, in the units of the ``y`` given to ``fit``.
        """
        P = self._network_output(X)
        return self._targets.decode(P)

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

        Notes
        -----
        With ``standardize=True`` the scaling of ``X`` and of ``y`` is
        learned from the first call's batch alone and kept by later calls:
        when batches differ (chunks in time order, say), standardise all the
        data first, with statistics of all of it, and set
        ``standardize=False``, which leaves ``y`` in its own units too (scale
        it as well if they are far from 1). The user guide's "Data larger
        than memory" shows how with dask-ml.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
