"""Small methods several estimators share."""

import numpy as np


class LogProbaMixin:
    """``predict_log_proba`` from ``predict_proba``."""

    def predict_log_proba(self, X):
        """Logarithm of ``predict_proba``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_`` (minus infinity
            where a probability is zero).
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))
