"""Ensembles of networks: best-of and averaged random restarts, and bagging."""

import copy
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from skdeep._feedforward import FeedForwardRegressor
from skdeep.utils._compat import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    _fit_context,
    check_sample_weight,
)
from skdeep.utils._state import unchanged_on_failure
from skdeep.utils._threads import one_blas_thread

_MAX_SEED = np.iinfo(np.int32).max


def _classifier_with_proba(ensemble):
    base = ensemble._base_estimator()
    return is_classifier(base) and hasattr(base, "predict_proba")


class BaggedNetEnsemble(BaseEstimator):
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
        The member to clone; None means ``FeedForwardRegressor()``.

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
        the workers too.

    random_state : int, RandomState instance or None, default=None
        Draws one integer seed per member, once; a member's seed sets every
        ``random_state`` of its estimator (nested ones too, as in a
        ``Pipeline``) and draws its sample.

    verbose : int, default=0
        joblib's progress messages.

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

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from skdeep import BaggedNetEnsemble, FeedForwardRegressor
    >>> X, y = make_friedman1(n_samples=400, random_state=0)
    >>> net = FeedForwardRegressor(n_hidden=20, solver="lbfgs", max_iter=100)
    >>> ensemble = BaggedNetEnsemble(net, n_estimators=4, random_state=0)
    >>> ensemble.fit(X, y).score(X, y) > 0.9
    True
    >>> mean, spread = ensemble.predict(X[:3], return_std=True)
    >>> spread.shape
    (3,)
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
        with unchanged_on_failure(self):
            self._check_settings()
            warm = self.warm_start and hasattr(self, "estimators_")
            X, y, sample_weight = self._validate_fit_data(X, y, sample_weight, warm)
            rng = check_random_state(self.random_state)
            train, held_out = self._split(y, rng)
            seeds = rng.randint(_MAX_SEED, size=self.n_estimators)
            members, samples = self._fit_new_members(
                X, y, sample_weight, train, seeds, warm
            )
            # New lists, not extended in place: a failure restores the old ones.
            self.estimators_ = members
            self.estimators_samples_ = samples
            self._score_members(X, y, sample_weight, held_out)
            if self.oob_score:
                self._set_oob(X, y, sample_weight)
        return self

    def _check_settings(self):
        if self.combine == "median" and self._is_classifier:
            raise ValueError(
                "combine='median' averages regression outputs; a classifier "
                "ensemble combines with 'mean' (soft voting) or 'best'."
            )
        if self.oob_score and not self.bootstrap:
            raise ValueError(
                "oob_score=True needs bootstrap=True: without it no row is out of bag."
            )
        if self.oob_score and self.warm_start:
            raise ValueError(
                "oob_score=True needs warm_start=False: the members kept from an "
                "earlier fit drew their rows from that fit's X, so their "
                "out-of-bag rows in this X are unknown."
            )
        if (
            self.combine == "best"
            and not self.bootstrap
            and not self.validation_fraction
        ):
            raise ValueError(
                "combine='best' scores the members out of bag or on held-out "
                "rows: set bootstrap=True or a validation_fraction."
            )
        if self.subnetwork is not None and not _hidden_parameter(
            self._base_estimator()
        ):
            raise ValueError(
                "subnetwork needs an estimator with n_hidden or hidden_layer_sizes, "
                f"got {type(self._base_estimator()).__name__}."
            )

    def _validate_fit_data(self, X, y, sample_weight, warm):
        """Validated ``X``, ``y`` and ``sample_weight``; sets ``classes_``."""
        sparse = get_tags(self._base_estimator()).input_tags.sparse
        regression = not self._is_classifier
        X, y = validate_data(
            self,
            X,
            y,
            reset=not warm,  # added members must take the features of the others
            accept_sparse=["csr", "csc"] if sparse else False,
            dtype=None,
            multi_output=regression,
            y_numeric=regression,
        )
        if self._is_classifier:
            check_classification_targets(y)
            self._set_classes(np.unique(y), warm)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X, np.float64)
            self._check_weights_reach_members()
        return X, y, sample_weight

    def _set_classes(self, classes, warm):
        if warm and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"warm_start=True adds members for the classes already fitted, "
                f"{self.classes_.tolist()}, but y has classes {classes.tolist()}. "
                "Set warm_start=False to fit a new ensemble."
            )
        self.classes_ = classes

    def _check_weights_reach_members(self):
        """Without bootstrap, weights reach members through their ``fit`` only."""
        base = self._base_estimator()
        if self.bootstrap or has_fit_parameter(base, "sample_weight"):
            return
        raise ValueError(
            f"With bootstrap=False, sample_weight is passed to each member's fit, "
            f"but {type(base).__name__}.fit takes no sample_weight. Set "
            "bootstrap=True to draw each member's rows with probabilities "
            "proportional to sample_weight, or use an estimator that takes it."
        )

    def _split(self, y, rng):
        """Training rows, and the held-out rows that score members (or None)."""
        rows = np.arange(len(y))
        if self.bootstrap or not self.validation_fraction:
            return rows, None
        stratify = y if self._is_classifier else None
        train, held_out = train_test_split(
            rows,
            test_size=self.validation_fraction,
            random_state=rng,
            stratify=stratify,
        )
        return train, held_out

    def _fit_new_members(self, X, y, sample_weight, train, seeds, warm):
        """All members and samples: the kept ones, then the new ones fitted."""
        members = list(self.estimators_) if warm else []
        samples = list(self.estimators_samples_) if warm else []
        start = len(members)
        if start > self.n_estimators:
            raise ValueError(
                f"n_estimators={self.n_estimators} must be at least the "
                f"{start} members already fitted when warm_start=True."
            )
        new_samples = [
            self._sample(train, seed, sample_weight) for seed in seeds[start:]
        ]
        weighted = _weighted_rows(np.arange(len(y)), sample_weight)
        several_classes = self._is_classifier and len(np.unique(y[weighted])) > 1
        new_members = [
            self._member(seed, y[rows], several_classes)
            for seed, rows in zip(seeds[start:], new_samples, strict=True)
        ]
        # A bootstrap draw has used the weights already; passing them on
        # would count them twice.
        member_weight = None if self.bootstrap else sample_weight
        fitted = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
            delayed(_fit_member)(member, X, y, member_weight, rows)
            for member, rows in zip(new_members, new_samples, strict=True)
        )
        return members + fitted, samples + new_samples

    def _member(self, seed, labels, several_classes):
        """An unfitted member for ``seed``, to be fitted on rows labelled ``labels``.

        ``several_classes``: the rows of non-zero weight hold several classes.
        Most classifiers refuse a sample of one class; when the data itself
        has one, the member's own error says so.
        """
        if several_classes and len(np.unique(labels)) == 1:
            return DummyClassifier(strategy="prior")
        member = _seeded(clone(self._base_estimator()), seed)
        if self.subnetwork is not None:
            name = _hidden_parameter(member)
            sizes = np.atleast_1d(member.get_params()[name])
            kept = tuple(max(1, int(round(self.subnetwork * s))) for s in sizes)
            member.set_params(**{name: kept[0] if name == "n_hidden" else kept})
        return member

    def _sample(self, train, seed, sample_weight):
        """The rows a member trains on, drawn from its own seed.

        A bootstrap draws rows with probabilities proportional to
        ``sample_weight``; without bootstrap the weights go to the member.
        """
        n_rows = len(train)
        if isinstance(self.max_samples, Integral):
            n_draw = int(self.max_samples)
        else:
            n_draw = max(1, int(round(self.max_samples * n_rows)))
        rng = np.random.RandomState(seed)
        if self.bootstrap:  # with replacement, so any count can be drawn
            if sample_weight is None:
                return train[rng.randint(0, n_rows, n_draw)]
            p = sample_weight[train] / sample_weight[train].sum()
            return train[rng.choice(n_rows, n_draw, p=p)]
        if n_draw >= n_rows:
            return train.copy()
        return train[np.sort(rng.choice(n_rows, n_draw, replace=False))]

    def _score_members(self, X, y, sample_weight, held_out):
        """Out-of-bag or held-out score of every member, and the best one."""
        self.member_scores_, self.best_index_ = None, None
        if not self.bootstrap and held_out is None:
            return
        scores = []
        for member, rows in zip(
            self.estimators_, self.estimators_samples_, strict=True
        ):
            rows = held_out if held_out is not None else _out_of_bag(rows, len(y))
            predict = partial(_predict_rows, member, X)
            scores.append(self._score_on(rows, y, predict, sample_weight))
        self.member_scores_ = np.array(scores)
        if np.isfinite(self.member_scores_).any():
            self.best_index_ = int(np.nanargmax(self.member_scores_))
        elif self.combine == "best":
            raise ValueError(
                "combine='best' could not score any member: each needs at least "
                "two rows of non-zero weight it did not train on. Lower "
                "max_samples or use more rows."
            )

    def _set_oob(self, X, y, sample_weight):
        """Average each row over the members that did not train on it."""
        total, counts = None, np.zeros(len(y))
        for member, rows in zip(
            self.estimators_, self.estimators_samples_, strict=True
        ):
            oob = _out_of_bag(rows, len(y))
            if not len(oob):
                continue
            output = self._member_output(member, X[oob])
            total = np.zeros((len(y),) + output.shape[1:]) if total is None else total
            total[oob] += output
            counts[oob] += 1
        seen = counts > 0
        if not seen.all():
            warnings.warn(
                f"{int((~seen).sum())} rows were in every member's sample and "
                "have no out-of-bag prediction (NaN); use more members.",
                UserWarning,
                stacklevel=4,  # the caller of fit, past _fit_context
            )
        average = total / np.where(seen, counts, np.nan).reshape(
            (-1,) + (1,) * (total.ndim - 1)
        )
        if self._is_classifier:
            self.oob_decision_function_ = average
            predicted = self.classes_[np.argmax(average, axis=1)]  # NaN rows unused
        else:
            self.oob_prediction_ = predicted = average
        self.oob_score_ = self._score_on(
            np.flatnonzero(seen), y, predicted.__getitem__, sample_weight
        )

    def _score_on(self, rows, y, predict, sample_weight):
        """Accuracy or R^2 of ``predict(rows)`` on the ``rows`` of non-zero weight.

        Weighted by ``sample_weight``; NaN with fewer than two such rows, on
        which no score is worth trusting (R^2 has none on one row).
        """
        rows = _weighted_rows(rows, sample_weight)
        if len(rows) < 2:
            return np.nan
        weights = None if sample_weight is None else sample_weight[rows]
        return self._metric(y[rows], predict(rows), sample_weight=weights)

    # -- prediction -------------------------------------------------------

    def _member_output(self, member, X):
        """A member's probabilities on ``classes_`` (classifiers) or prediction."""
        if not self._is_classifier:
            return np.asarray(member.predict(X), dtype=float)
        proba = np.zeros((X.shape[0], len(self.classes_)))
        columns = np.searchsorted(self.classes_, member.classes_)
        if hasattr(member, "predict_proba"):
            proba[:, columns] = member.predict_proba(X)
        else:  # hard vote: all of the member's probability on its label
            proba[
                np.arange(len(proba)), np.searchsorted(self.classes_, member.predict(X))
            ] = 1
        return proba

    def _outputs(self, X):
        check_is_fitted(self)
        X = validate_data(
            self, X, reset=False, dtype=None, accept_sparse=["csr", "csc"]
        )
        if self.combine == "best":
            return self._member_output(self.estimators_[self.best_index_], X)[None]
        return np.array([self._member_output(m, X) for m in self.estimators_])

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
        if self._is_classifier:
            if return_std:
                raise ValueError("return_std is for regressors.")
            return self.classes_[np.argmax(outputs.mean(axis=0), axis=1)]
        center = np.median if self.combine == "median" else np.mean
        prediction = center(outputs, axis=0)
        if return_std:
            return prediction, _spread(outputs)
        return prediction

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

    @available_if(_classifier_with_proba)
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
        metric = accuracy_score if self._is_classifier else r2_score
        return metric(y, self.predict(X), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = get_tags(self._base_estimator())
        tags.estimator_type = base.estimator_type
        tags.classifier_tags = copy.deepcopy(base.classifier_tags)
        tags.regressor_tags = copy.deepcopy(base.regressor_tags)
        tags.target_tags = copy.deepcopy(base.target_tags)
        tags.input_tags.sparse = base.input_tags.sparse
        if tags.classifier_tags is not None:
            tags.classifier_tags.multi_label = False
        return tags


def _seeded(member, seed):
    """``member`` with every ``random_state``, nested ones too, set to ``seed``."""
    names = [
        name
        for name in member.get_params(deep=True)
        if name == "random_state" or name.endswith("__random_state")
    ]
    return member.set_params(**dict.fromkeys(names, int(seed)))


def _fit_member(member, X, y, sample_weight, rows):
    """Fit one member on its rows, with one BLAS thread (see ``n_jobs``).

    ``X[rows]`` is a new C-ordered array whatever the order of ``X``, so
    members train on row-major data even from a DataFrame or a Fortran-ordered
    array, and the ensemble keeps no copy of ``X`` of its own.
    """
    with one_blas_thread():
        if sample_weight is None:
            return member.fit(X[rows], y[rows])
        return member.fit(X[rows], y[rows], sample_weight=sample_weight[rows])


def _predict_rows(member, X, rows):
    return member.predict(X[rows])


def _spread(outputs):
    """Standard deviation of the members' outputs about their mean, per row.

    Taken of the differences from the first member: a shift leaves a standard
    deviation unchanged, but the mean of equal floats can differ from them in
    the last bit (three copies of 0.1 have a naive deviation of 1e-17), so
    this keeps it exactly 0 where all members agree.
    """
    return (outputs - outputs[0]).std(axis=0)


def _out_of_bag(rows, n_samples):
    mask = np.ones(n_samples, dtype=bool)
    mask[rows] = False
    return np.flatnonzero(mask)


def _weighted_rows(rows, sample_weight):
    """The ``rows`` of non-zero weight: rows of weight 0 are not in the data."""
    return rows if sample_weight is None else rows[sample_weight[rows] > 0]


def _hidden_parameter(estimator):
    params = estimator.get_params()
    for name in ("n_hidden", "hidden_layer_sizes"):
        if name in params:
            return name
    return None
