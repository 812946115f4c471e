"""Targets as the networks see them: class labels and regression values.

An encoder is fitted once (by ``fit``, or the first ``partial_fit``) and turns
the caller's ``y`` into the float matrix the engine trains on, and the
network's outputs back into the caller's terms.
"""

import numpy as np
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from skdeep._data import fit_scaler


class ClassLabels:
    """Class labels <-> one-hot rows (multiclass) or 0/1 columns (binary,
    multilabel).

    Parameters
    ----------
    y : ndarray
        The labels of the first fit.
    classes : array-like or None
        Every class that can appear (``partial_fit``); must contain the
        labels of ``y``.
    owner : str
        Name of the estimator, for error messages.
    """

    def __init__(self, y, classes=None, owner="The classifier"):
        check_classification_targets(y)
        multilabel = type_of_target(y).startswith("multilabel")
        if classes is not None and not multilabel:
            _check_labels(y, np.unique(classes), "classes")
        self._binarizer = LabelBinarizer()
        self._binarizer.fit(y if classes is None or multilabel else classes)
        self.classes_ = self._binarizer.classes_
        if len(self.classes_) < 2 and not multilabel:
            raise ValueError(
                f"{owner} needs samples of at least 2 classes in the data, but the "
                f"data contains only one class: {self.classes_.tolist()[0]!r}."
            )

    @property
    def kind(self):
        """ "binary", "multiclass" or "multilabel-indicator"."""
        return self._binarizer.y_type_

    @property
    def n_outputs(self):
        return 1 if self.kind == "binary" else len(self.classes_)

    @property
    def loss_name(self):
        return "log_loss" if self.kind == "multiclass" else "binary_log_loss"

    def encode(self, y):
        """``y`` as a float matrix; labels outside ``classes_`` are refused."""
        if self.kind != "multilabel-indicator":
            _check_labels(y, self.classes_, "classes_ seen in the first call to fit")
        return self._binarizer.transform(y).astype(np.float64)

    def labels(self, Y):
        """Labels of encoded rows (None for multilabel targets)."""
        if self.kind == "multiclass":
            return self.classes_[Y.argmax(axis=1)]
        if self.kind == "binary":
            return self.classes_[(Y[:, 0] > 0.5).astype(int)]
        return None

    def class_weights(self, Y, class_weight):
        """Per-row weights of ``class_weight`` for encoded rows, or None."""
        if class_weight is None:
            return None
        labels = self.labels(Y)
        return compute_sample_weight(class_weight, Y if labels is None else labels)

    def probabilities(self, P):
        """Network outputs as ``predict_proba`` gives them."""
        return np.hstack([1 - P, P]) if self.kind == "binary" else P

    def decode(self, P):
        """Predicted labels (or indicator rows) for network outputs."""
        return self._binarizer.inverse_transform(P)

    def score(self, P, Y, sample_weight):
        """Accuracy of outputs ``P`` for encoded targets ``Y``."""
        if self.kind == "multiclass":
            correct = P.argmax(axis=1) == Y.argmax(axis=1)
        else:
            correct = np.all((P > 0.5) == (Y > 0.5), axis=1)
        return float(np.average(correct, weights=sample_weight))


def _check_labels(y, known, where):
    unseen = np.setdiff1d(np.unique(y), known)
    if unseen.size:
        raise ValueError(
            f"y contains labels {unseen.tolist()} that are not in {where} "
            f"{np.asarray(known).tolist()}."
        )


class ScaledTargets:
    """Regression targets, standardised (with sample weights) if asked.

    Training in standard units makes the defaults work whatever the target's
    scale; predictions are mapped back to the caller's units.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray or None
    standardize : bool
    owner : str
        Name of the estimator, for error messages.
    """

    loss_name = None  # the estimator's ``loss`` parameter decides

    def __init__(self, Y, sample_weight, standardize, owner="The regressor"):
        self.owner = owner
        self.n_outputs = Y.shape[1]
        if standardize:
            scaler = fit_scaler(Y, sample_weight)
            self.mean_, self.scale_ = scaler.mean_, scaler.scale_
        else:
            self.mean_ = np.zeros(self.n_outputs)
            self.scale_ = np.ones(self.n_outputs)

    def encode(self, Y):
        """``Y`` in standard units; the number of outputs must match."""
        if Y.shape[1] != self.n_outputs:
            raise ValueError(
                f"y has {Y.shape[1]} outputs, but {self.owner} was fitted with "
                f"{self.n_outputs}."
            )
        return (Y - self.mean_) / self.scale_

    @staticmethod
    def labels(Y):
        """Nothing to stratify a validation split by."""
        return None

    def decode(self, P):
        """Outputs in the caller's units."""
        P = P * self.scale_.astype(P.dtype) + self.mean_.astype(P.dtype)
        return P.ravel() if P.shape[1] == 1 else P

    @staticmethod
    def score(P, Y, sample_weight):
        """Mean R^2 over the outputs (the same in standard and caller units)."""
        weights = 1 if sample_weight is None else sample_weight[:, None]
        mean = np.average(Y, axis=0, weights=sample_weight)
        residual = np.sum((Y - P) ** 2 * weights, axis=0)
        total = np.sum((Y - mean) ** 2 * weights, axis=0)
        return float(np.mean(1 - residual / np.where(total > 0, total, 1)))
