"""Small methods several estimators share."""

import numpy as np


def doc_version_url(version):
    """The Read the Docs version holding the pages of skdeep ``version``.

    Read the Docs builds the default branch as "latest" and each release
    tag under its own name, so a development version links to the newest
    pages and a release to the pages that describe it.
    """
    return "latest" if ".dev" in version else version


class DocLinkMixin:
    """Links the HTML repr (notebooks) to the estimator's API page.

    scikit-learn's HTML repr draws a "?" icon linking to ``_get_doc_link()``
    and, in versions newer than 1.6, parameter names linking into that page
    with their docstring as a tooltip. It builds the link from the three
    attributes below, and gives an empty link to a class outside
    ``_doc_link_module`` (a user's subclass, say).
    """

    _doc_link_module = "skdeep"
    _doc_link_template = (
        "https://skdeep.readthedocs.io/en/{version_url}/generated/"
        "skdeep.{estimator_name}.html"
    )

    def _doc_link_url_param_generator(self):
        from skdeep import __version__

        return {
            "version_url": doc_version_url(__version__),
            "estimator_name": type(self).__name__,
        }


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
