"""Ensembles of networks: best-of and averaged random restarts, and bagging."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from skdeep._bagging import (
    check_settings,
    combined,
    count_new_members,
    fit_members,
    member_output,
    repeat_member_warnings,
    score_members,
    set_oob,
    split_rows,
    spread,
    tags_like_members,
    validate_fit_data,
)
from skdeep._feedforward import FeedForwardRegressor
from skdeep.utils._callbacks import CallbackSupportMixin, fit_task
from skdeep.utils._compat import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    _fit_context,
)
from skdeep.utils._mixins import DocLinkMixin, LogProbaMixin
from skdeep.utils._state import unchanged_on_failure

_MAX_SEED = np.iinfo(np.int32).max
# y "looks like class labels" when it holds the codes 0..k-1 or 1..k of at
# most this many classes, each with this many rows on average: what
# load_iris, make_classification or a LabelEncoder give, and not the small
# integer targets of scikit-learn's estimator checks.
_MAX_LABELS, _ROWS_PER_LABEL = 20, 20


def _warn_if_class_labels(ensemble, y):
    """Warn that a regressor member would regress ``y`` if it holds labels."""
    base = ensemble._base_estimator()
    # Integer (or boolean) y only: floats are regression targets, even of
    # integer value (a 0/1 target averaged into a probability, say).
    if not is_regressor(base) or y.dtype.kind not in "biu":
        return
    if type_of_target(y) not in ("binary", "multiclass"):
        return
    values = np.unique(y).astype(int)
    low, n_labels = values[0], len(values)
    codes = np.array_equal(values, np.arange(low, low + n_labels))
    if not codes or low not in (0, 1) or n_labels > _MAX_LABELS:
        return
    if len(y) < _ROWS_PER_LABEL * n_labels:
        return
    member = type(base).__name__
    if ensemble.estimator is None:
        member += " (the default estimator)"
    warnings.warn(
        f"y looks like class labels ({n_labels} integer codes from {low} to "
        f"{values[-1]}), but the member, {member}, is a regressor: the ensemble "
        "would predict numbers between the labels. To classify, pass a "
        "classifier: BaggedNetEnsemble(FeedForwardClassifier(...)). If y is a "
        "quantity to regress, ignore this warning.",
        UserWarning,
        stacklevel=4,  # the caller of fit, past _fit_context
    )


def _classifier_with_proba(ensemble):
    base = ensemble._base_estimator()
    return is_classifier(base) and hasattr(base, "predict_proba")


class BaggedNetEnsemble(CallbackSupportMixin, DocLinkMixin, BaseEstimator):
    """Bagging and random restarts of any skdeep network (or other estimator).

    A network's loss has many local minima, and where a fit lands depends on
    its random start. The ensemble fits ``n_estimators`` clones of
    ``estimator``, each from its own seed (and, with ``bootstrap=True``, on
    its own bootstrap sample), then predicts with their average, their
    median, or the single member with the best out-of-bag or held-out score.
    It is a classifier or a regressor according to ``estimator``, as a
    ``Pipeline`` is according to its last step. Members fit in parallel
    through joblib, so ``joblib.parallel_config(backend="dask")`` moves them
    to a Dask cluster.

    Parameters
    ----------
    estimator : estimator or None, default=None
        The member to clone; None means ``FeedForwardRegressor()``. For class
        labels pass a classifier, such as ``FeedForwardClassifier()``: ``fit``
        warns when ``y`` looks like labels (an integer array of the codes
        from 0 or 1 of a few classes) and the member is a regressor.

    n_estimators : int, default=10
        Number of members.

    bootstrap : bool, default=True
        Draw each member's rows with replacement. With False and
        ``max_samples=1.0`` every member sees all the data and members differ
        only by their random start (random restarts).

    max_samples : int or float, default=1.0
        Rows per member: a count, or a fraction of the training rows (of the
        rows given, whatever their ``sample_weight``).

    subnetwork : float in (0, 1] or None, default=None
        Each member keeps this fraction of the base network's hidden units
        in every layer (rounded, at least one): an ensemble of random
        sub-networks, the bagging reading of dropout.

    combine : {"mean", "median", "best"}, default="mean"
        "mean" averages predictions (probabilities for classifiers: soft
        voting); "median" is the robust average for regression; "best" keeps
        every member but predicts with the one whose out-of-bag (or held-out)
        score is best.

    oob_score : bool, default=False
        Score the ensemble on out-of-bag rows (needs ``bootstrap=True`` and
        ``warm_start=False``).

    validation_fraction : float in (0, 1) or None, default=None
        Without bootstrap, hold out this share of the rows (stratified for
        classifiers) to score the members; needed for ``combine="best"``.

    warm_start : bool, default=False
        Keep the fitted members and fit only the new ones when
        ``n_estimators`` grows (on the same data: the members' samples are
        rows of it).

    n_jobs : int or None, default=None
        Members fitted in parallel (joblib; -1: all cores). Each member fits
        with one BLAS thread, so the workers do not oversubscribe the cores
        and results do not depend on ``n_jobs``. The caller's warning filters
        and scikit-learn configuration (``sklearn.config_context``) hold in
        the workers too. The members' warnings come back to ``fit``, which
        gives each distinct one once, at the line that called it, with how
        many members gave it ("... (8 of 10 members)"); members fitted in
        threads (joblib's threading backend, Dask) warn where they fit. The
        first parallel fit of a session also starts joblib's worker
        processes, which import NumPy, SciPy and scikit-learn (a second or
        more); later fits reuse them.

    random_state : int, RandomState instance or None, default=None
        Draws one integer seed per member, once; a member's seed sets every
        ``random_state`` of its estimator (nested ones too, as in a
        ``Pipeline``) and draws its sample.

    verbose : int, default=0
        With 1 or more, a line as each member ends, printed by the calling
        process even when members fit in worker processes: "Member 4 of 10
        done (loss 0.012345) in 1.2 s, elapsed 5.0 s, about 7.5 s left". The
        score is the member's out-of-bag score with ``oob_score=True``, else
        its ``best_validation_score_`` if it has one, else its final training
        ``loss_``. Members keep their own ``verbose``.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted members. A classifier member whose sample holds a single
        class (a bootstrap sample of rare positives, say) is a
        ``sklearn.dummy.DummyClassifier(strategy="prior")`` fitted on that
        sample instead of a clone of ``estimator``: it predicts that class
        with probability 1.

    estimators_samples_ : list of ndarray
        The training rows (indices into the ``X`` given to ``fit``) each
        member was fitted on, repeats included.

    member_scores_ : ndarray of shape (n_estimators,) or None
        Each member's out-of-bag (bootstrap) or held-out score (accuracy or
        R^2, weighted by ``sample_weight``); NaN for a member with fewer than
        two such rows of non-zero weight; None without bootstrap or held-out
        rows.

    best_index_ : int or None
        Index of the member with the best score.

    oob_score_ : float
        Score of the out-of-bag predictions (with ``oob_score=True``),
        weighted by ``sample_weight``.

    oob_prediction_ : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Average prediction of the members that did not see each row (NaN for
        rows every member saw); regressors with ``oob_score=True``.

    oob_decision_function_ : ndarray of shape (n_samples, n_classes)
        Average probabilities of the members that did not see each row;
        classifiers with ``oob_score=True``.

    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit`` (classifiers).

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when they were strings.

    See Also
    --------
    sklearn.ensemble.BaggingRegressor : scikit-learn's bagging.

    Notes
    -----
    ``sample_weight`` is used once, never twice. With ``bootstrap=True`` each
    member's rows are drawn with probabilities proportional to it (as
    scikit-learn's bagging does) and the member fits them unweighted, so any
    estimator can be bagged with weights; a row of weight 0 is never drawn.
    Without bootstrap, each member's ``fit`` receives the weights of its
    rows, and an estimator whose ``fit`` takes no ``sample_weight`` raises.
    Members' and out-of-bag scores are weighted.

    With scikit-learn >= 1.9, ``set_callbacks`` takes scikit-learn's
    callbacks (``sklearn.callback``). The fit is a task whose subtasks are the
    members it fits, each member's own tasks (its epochs) below, in parallel
    too: ``set_callbacks(ProgressBar())`` shows a bar per member. Callbacks
    that scikit-learn propagates (``ProgressBar``) follow the members; the
    others stay where they are set: a ``ScoringMonitor`` set on the ensemble
    scores the fitted ensemble, one set on ``estimator`` (which its clones
    share) scores every member's epochs, all in the log of one run.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from skdeep import BaggedNetEnsemble, FeedForwardRegressor
    >>> X, y = make_friedman1(n_samples=400, random_state=0)
    >>> net = FeedForwardRegressor(n_hidden=20, solver="lbfgs", alpha=1.0, tol=1e-3)
    >>> ensemble = BaggedNetEnsemble(net, n_estimators=4, random_state=0)
    >>> ensemble.fit(X, y).score(X, y) > 0.9
    True
    >>> mean, spread = ensemble.predict(X[:3], return_std=True)
    >>> spread.shape
    (3,)

    With ``verbose=1``, a line as each member ends:

    >>> net = FeedForwardRegressor(n_hidden=20, solver="lbfgs", tol=1e-2)
    >>> ensemble = BaggedNetEnsemble(net, n_estimators=2, verbose=1)
    >>> ensemble.fit(X, y)  # doctest: +ELLIPSIS
    Member 1 of 2 done (loss ...) in ..., elapsed ..., about ... left
    Member 2 of 2 done (loss ...) in ..., elapsed ...
    BaggedNetEnsemble(...)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "bootstrap": ["boolean"],
        "max_samples": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
        ],
        "subnetwork": [Interval(Real, 0, 1, closed="right"), None],
        "combine": [StrOptions({"mean", "median", "best"})],
        "oob_score": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "warm_start": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator=None,
        n_estimators=10,
        *,
        bootstrap=True,
        max_samples=1.0,
        subnetwork=None,
        combine="mean",
        oob_score=False,
        validation_fraction=None,
        warm_start=False,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.bootstrap = bootstrap
        self.max_samples = max_samples
        self.subnetwork = subnetwork
        self.combine = combine
        self.oob_score = oob_score
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _base_estimator(self):
        return FeedForwardRegressor() if self.estimator is None else self.estimator

    @property
    def _is_classifier(self):
        return is_classifier(self._base_estimator())

    @property
    def _metric(self):
        return accuracy_score if self._is_classifier else r2_score

    # -- fitting ----------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the members.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs (sparse if the members accept it).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels or regression targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights: with ``bootstrap=True`` the probabilities of
            drawing each row, else passed to the members on their rows (see
            Notes).

        Returns
        -------
        self : object
            The fitted ensemble.
        """
        task = fit_task(self, count_new_members(self), X, y, sample_weight,
                        sub_estimators=[self._base_estimator()])  # fmt: skip
        with unchanged_on_failure(self):
            check_settings(self)
            warm = self.warm_start and hasattr(self, "estimators_")
            X, y, sample_weight = validate_fit_data(self, X, y, sample_weight, warm)
            _warn_if_class_labels(self, y)
            rng = check_random_state(self.random_state)
            train, held_out = split_rows(self, y, rng)
            seeds = rng.randint(_MAX_SEED, size=self.n_estimators)
            self.estimators_, self.estimators_samples_, fitted = fit_members(
                self, X, y, sample_weight, train, held_out, seeds, warm, task
            )
            # Called from fit itself, these two warn naming the line that
            # called fit.
            repeat_member_warnings([result.warnings for result in fitted])
            self.member_scores_, self.best_index_ = score_members(
                self, X, y, sample_weight, held_out, [r.score for r in fitted]
            )
            if self.oob_score:
                set_oob(self, y, sample_weight, [r.oob_output for r in fitted])
        task.end(dict)  # the fitted estimator is this one as it now stands
        return self

    # -- prediction -------------------------------------------------------

    def _outputs(self, X):
        check_is_fitted(self)
        X = validate_data(
            self, X, reset=False, dtype=None, accept_sparse=["csr", "csc"],
            allow_nd=get_tags(self._base_estimator()).input_tags.three_d_array,
        )  # fmt: skip
        classes = self.classes_ if self._is_classifier else None
        members = self.estimators_
        if self.combine == "best":
            members = [members[self.best_index_]]
        return np.array([member_output(m, X, classes) for m in members])

    def predict(self, X, return_std=False):
        """Predict with the combined members.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        return_std : bool, default=False
            Regressors: also return the standard deviation of the members'
            predictions about their mean (``ddof=0``), an estimate of the
            uncertainty. It is exactly 0 where all members agree, and for
            ``combine="best"``, which predicts with one member; with
            ``combine="median"`` it is still taken about the mean.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (the most probable on average) or predictions.
        std : ndarray like ``y``
            Only with ``return_std=True``.
        """
        outputs = self._outputs(X)
        if self._is_classifier and return_std:
            raise ValueError("return_std is for regressors.")
        classes = self.classes_ if self._is_classifier else None
        prediction = combined(outputs, self.combine, classes)
        return (prediction, spread(outputs)) if return_std else prediction

    @available_if(_classifier_with_proba)
    def predict_proba(self, X):
        """Average class probabilities of the members (soft voting).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; members that never
            saw a class give it probability zero.
        """
        return self._outputs(X).mean(axis=0)

    predict_log_proba = available_if(_classifier_with_proba)(
        LogProbaMixin.predict_log_proba
    )

    def score(self, X, y, sample_weight=None):
        """Accuracy (classifier) or R^2 (regressor) of ``predict``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True labels or values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
        """
        return self._metric(y, self.predict(X), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        return tags_like_members(super().__sklearn_tags__(), self._base_estimator())
