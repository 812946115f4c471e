"""How ``BaggedNetEnsemble`` draws, fits, scores and combines its members.

The estimator in ``skdeep._ensemble`` keeps its public surface and the order
of the steps; each step is a function here:

- ``check_settings`` and ``validate_fit_data`` refuse what cannot work
  before any member fits;
- ``split_rows`` holds out the rows that score members without bootstrap;
- ``count_new_members`` says how many members a fit adds;
- ``fit_members`` gives each new member its rows (``draw_rows``) and its
  estimator (``new_member``: a clone seeded by ``seeded``, or a
  ``DummyClassifier`` for a sample of one class), and fits them in parallel
  (``fit_member``) on data the workers share (``shared_with_workers``),
  each a subtask of the fit for scikit-learn's callbacks,
  each scored where it fits (``MemberScoring``), printing a line per member
  with ``verbose`` (``MemberProgress``); ``repeat_member_warnings`` then
  gives the caller the members' warnings;
- ``score_members`` and ``set_oob`` gather the scores of the members and of
  the ensemble on the rows each member did not train on (``score_rows``);
- ``member_output``, ``combined`` and ``spread`` turn the members' outputs
  into the ensemble's prediction, and ``tags_like_members`` gives the
  ensemble its members' tags.
"""

import copy
import threading
import time
import warnings
from collections import Counter
from contextlib import contextmanager
from functools import partial
from numbers import Integral
from typing import NamedTuple

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import train_test_split
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import has_fit_parameter, validate_data

from skdeep._engine import format_duration
from skdeep.utils._compat import Parallel, check_sample_weight, delayed
from skdeep.utils._shared import shared_with_workers
from skdeep.utils._threads import one_blas_thread

# -- settings and data ------------------------------------------------------


def check_settings(ensemble):
    """Refuse parameters of ``ensemble`` that cannot work together.

    Parameters
    ----------
    ensemble : BaggedNetEnsemble
        The estimator about to fit; only read.

    Raises
    ------
    ValueError
        Naming the parameters at odds and how to reconcile them.
    """
    if ensemble.combine == "median" and ensemble._is_classifier:
        raise ValueError(
            "combine='median' averages regression outputs; a classifier "
            "ensemble combines with 'mean' (soft voting) or 'best'."
        )
    if ensemble.oob_score and not ensemble.bootstrap:
        raise ValueError(
            "oob_score=True needs bootstrap=True: without it no row is out of bag."
        )
    if ensemble.oob_score and ensemble.warm_start:
        raise ValueError(
            "oob_score=True needs warm_start=False: the members kept from an "
            "earlier fit drew their rows from that fit's X, so their "
            "out-of-bag rows in this X are unknown."
        )
    if (
        ensemble.combine == "best"
        and not ensemble.bootstrap
        and not ensemble.validation_fraction
    ):
        raise ValueError(
            "combine='best' scores the members out of bag or on held-out "
            "rows: set bootstrap=True or a validation_fraction."
        )
    base = ensemble._base_estimator()
    if ensemble.subnetwork is not None and not hidden_parameter(base):
        raise ValueError(
            "subnetwork needs an estimator with n_hidden or hidden_layer_sizes, "
            f"got {type(base).__name__}."
        )


def validate_fit_data(ensemble, X, y, sample_weight, warm):
    """Validated ``X``, ``y`` and ``sample_weight`` for ``ensemble.fit``.

    Like ``validate_data``, sets ``n_features_in_`` (and
    ``feature_names_in_``) on ``ensemble``, and ``classes_`` for classifiers.

    Parameters
    ----------
    ensemble : BaggedNetEnsemble
        The estimator being fitted.
    X, y, sample_weight
        As given to ``fit``.
    warm : bool
        Members are kept from an earlier fit: the new ones must take the
        same features and classes.

    Returns
    -------
    X, y, sample_weight
        Validated; ``sample_weight`` an array of float64 or None.
    """
    base = ensemble._base_estimator()
    input_tags = get_tags(base).input_tags
    regression = not is_classifier(base)
    X, y = validate_data(
        ensemble,
        X,
        y,
        reset=not warm,  # added members must take the features of the others
        accept_sparse=["csr", "csc"] if input_tags.sparse else False,
        allow_nd=input_tags.three_d_array,  # images and sequences
        dtype=None,
        multi_output=regression,
        y_numeric=regression,
    )
    if not regression:
        check_classification_targets(y)
        classes = np.unique(y)
        if warm and not np.array_equal(classes, ensemble.classes_):
            raise ValueError(
                f"warm_start=True adds members for the classes already fitted, "
                f"{ensemble.classes_.tolist()}, but y has classes "
                f"{classes.tolist()}. Set warm_start=False to fit a new ensemble."
            )
        ensemble.classes_ = classes
    if sample_weight is not None:
        sample_weight = check_sample_weight(sample_weight, X, np.float64)
        _check_weights_reach_members(base, ensemble.bootstrap)
    return X, y, sample_weight


def _check_weights_reach_members(base, bootstrap):
    """Without bootstrap, weights reach members through their ``fit`` only."""
    if bootstrap or has_fit_parameter(base, "sample_weight"):
        return
    raise ValueError(
        f"With bootstrap=False, sample_weight is passed to each member's fit, "
        f"but {type(base).__name__}.fit takes no sample_weight. Set "
        "bootstrap=True to draw each member's rows with probabilities "
        "proportional to sample_weight, or use an estimator that takes it."
    )


def split_rows(ensemble, y, rng):
    """Training rows, and the held-out rows that score members (or None).

    Rows are held out only without bootstrap and with a
    ``validation_fraction``, stratified by ``y`` for classifiers.
    """
    rows = np.arange(len(y))
    if ensemble.bootstrap or not ensemble.validation_fraction:
        return rows, None
    stratify = y if ensemble._is_classifier else None
    train, held_out = train_test_split(
        rows,
        test_size=ensemble.validation_fraction,
        random_state=rng,
        stratify=stratify,
    )
    return train, held_out


# -- members ------------------------------------------------------------------


def count_new_members(ensemble):
    """How many members ``ensemble.fit`` adds: all, or the new ones of a warm start."""
    if not (ensemble.warm_start and hasattr(ensemble, "estimators_")):
        return ensemble.n_estimators
    kept = len(ensemble.estimators_)
    if kept > ensemble.n_estimators:
        raise ValueError(
            f"n_estimators={ensemble.n_estimators} must be at least the "
            f"{kept} members already fitted when warm_start=True."
        )
    return ensemble.n_estimators - kept


def fit_members(ensemble, X, y, sample_weight, train, held_out, seeds, warm, task):
    """All members and their rows: the kept ones, then the new ones fitted.

    New lists, never the ensemble's own extended in place, so a fit that
    fails leaves the earlier members as they were.

    Parameters
    ----------
    ensemble : BaggedNetEnsemble
        The estimator being fitted: its parameters, and with ``warm`` its
        members so far.
    X, y, sample_weight
        Validated training data.
    train : ndarray of int
        The rows members draw from.
    held_out : ndarray of int or None
        The rows that score the members (``split_rows``); None: each member
        is scored out of bag with bootstrap, not at all without.
    seeds : ndarray of int
        One seed per member, ``n_estimators`` of them; kept members keep
        theirs.
    warm : bool
        Keep the members of the earlier fit.
    task : Task
        The fit's task for scikit-learn's callbacks (``fit_task``).

    Returns
    -------
    members : list of estimators
    samples : list of ndarray
        Each member's rows, repeats included.
    fitted : list of FittedMember
        What fitting each new member gave: its warnings and its score.
    """
    members = list(ensemble.estimators_) if warm else []
    samples = list(ensemble.estimators_samples_) if warm else []
    start = len(members)
    draw = partial(
        draw_rows,
        train,
        sample_weight=sample_weight,
        bootstrap=ensemble.bootstrap,
        max_samples=ensemble.max_samples,
    )
    new_samples = [draw(seed) for seed in seeds[start:]]
    weighted = weighted_rows(np.arange(len(y)), sample_weight)
    several_classes = ensemble._is_classifier and len(np.unique(y[weighted])) > 1
    base = ensemble._base_estimator()
    new_members = [
        new_member(base, seed, y[rows], several_classes, ensemble.subnetwork)
        for seed, rows in zip(seeds[start:], new_samples, strict=True)
    ]
    data = (X, y, sample_weight, held_out, new_samples)
    with shared_with_workers(ensemble.n_jobs, data) as shared:
        fitted = _fit_new_members(ensemble, *shared, new_members, task)
    new_members = [result.member for result in fitted]
    return members + new_members, samples + new_samples, fitted


def _fit_new_members(ensemble, X, y, sample_weight, held_out, samples, members, task):
    """Fit ``members`` on their ``samples``, in parallel; the results
    (:class:`FittedMember`) in member order, whatever order they end in."""
    # A bootstrap draw has used the weights already; passing them on
    # would count them twice.
    member_weight = None if ensemble.bootstrap else sample_weight
    scoring = member_scoring(ensemble, sample_weight, held_out)
    # the members' tasks are made here, where the callbacks' task tree lives
    tasks = task.sub_estimator_tasks("member", len(members))
    jobs = (
        delayed(fit_member)(index, member, X, y, member_weight, rows, subtask, scoring)
        for index, (member, rows, subtask) in enumerate(
            zip(members, samples, tasks, strict=True)
        )
    )
    first = ensemble.n_estimators - len(members)
    progress = MemberProgress(ensemble.verbose, first, ensemble.n_estimators)
    results = [None] * len(members)
    for result in _as_they_end(ensemble.n_jobs)(jobs):
        results[result.index] = result
        progress.member_fitted(result)
    return results


def _as_they_end(n_jobs):
    """A ``Parallel`` yielding each result as soon as it is ready.

    Backends that cannot (joblib's "multiprocessing") give them all at the end.
    """
    try:
        return Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    except ValueError:
        return Parallel(n_jobs=n_jobs)


def draw_rows(train, seed, *, sample_weight, bootstrap, max_samples):
    """The rows a member trains on, drawn from its own seed.

    ``max_samples`` rows of ``train`` (a count, or a fraction of them,
    rounded, at least one). A bootstrap draws rows with replacement, with
    probabilities proportional to ``sample_weight``; without bootstrap the
    weights go to the member, and the rows are drawn without replacement and
    sorted (or are all of ``train``).
    """
    n_rows = len(train)
    if isinstance(max_samples, Integral):
        n_draw = int(max_samples)
    else:
        n_draw = max(1, int(round(max_samples * n_rows)))
    rng = np.random.RandomState(seed)
    if bootstrap:  # with replacement, so any count can be drawn
        if sample_weight is None:
            return train[rng.randint(0, n_rows, n_draw)]
        p = sample_weight[train] / sample_weight[train].sum()
        return train[rng.choice(n_rows, n_draw, p=p)]
    if n_draw >= n_rows:
        return train.copy()
    return train[np.sort(rng.choice(n_rows, n_draw, replace=False))]


def new_member(base, seed, labels, several_classes, subnetwork):
    """An unfitted member for ``seed``, to be fitted on rows labelled ``labels``.

    A clone of ``base`` seeded by ``seeded``, keeping the ``subnetwork``
    fraction of its hidden units (if not None). ``several_classes``: the
    rows of non-zero weight hold several classes. Most classifiers refuse a
    sample of one class, so such a sample gets a ``DummyClassifier``; when
    the data itself has one, the member's own error says so.
    """
    if several_classes and len(np.unique(labels)) == 1:
        return DummyClassifier(strategy="prior")
    member = seeded(clone(base), seed)
    if subnetwork is not None:
        name = hidden_parameter(member)
        sizes = np.atleast_1d(member.get_params()[name])
        kept = tuple(max(1, int(round(subnetwork * s))) for s in sizes)
        member.set_params(**{name: kept[0] if name == "n_hidden" else kept})
    return member


def seeded(member, seed):
    """``member`` with every ``random_state``, nested ones too, set to ``seed``."""
    names = [
        name
        for name in member.get_params(deep=True)
        if name == "random_state" or name.endswith("__random_state")
    ]
    return member.set_params(**dict.fromkeys(names, int(seed)))


class FittedMember(NamedTuple):
    """What fitting a member gives back, from wherever it was fitted."""

    index: int  # among the members fitted by this fit
    member: object
    warnings: list  # the distinct (category, message) its fit gave
    seconds: float
    score: float | None = None  # out of bag or on the held-out rows
    words: str | None = None  # a few words on how it did, for ``verbose``
    oob_output: object = None  # its output on its out-of-bag rows, for oob_score


def fit_member(index, member, X, y, sample_weight, rows, task, scoring=None):
    """Fit one member on its rows, with one BLAS thread (see ``n_jobs``).

    ``X[rows]`` is a new C-ordered array whatever the order of ``X``, so
    members train on row-major data even from a DataFrame or a Fortran-ordered
    array, and the ensemble keeps no copy of ``X`` of its own. The fit is
    ``task`` (a ``SubEstimatorTask``); ``scoring`` (a :class:`MemberScoring`),
    if given, scores the member, says how well it did and gives its output
    on its out-of-bag rows.

    Returns
    -------
    FittedMember
    """
    started = time.perf_counter()
    X_rows, y_rows = X[rows], y[rows]
    weights = None if sample_weight is None else sample_weight[rows]
    fit_params = {} if weights is None else {"sample_weight": weights}
    with shown_warnings() as shown, one_blas_thread():
        with task.fitting(member, X_rows, y_rows, weights):
            member.fit(X_rows, y_rows, **fit_params)
        seconds = time.perf_counter() - started
        judged = {} if scoring is None else scoring.judge(member, X, y, rows)
    distinct = list(dict.fromkeys((w.category, str(w.message)) for w in shown))
    return FittedMember(index, member, distinct, seconds, **judged)


@contextmanager
def shown_warnings():
    """Collect the warnings the block would show, instead of showing them.

    A worker process's warnings are lost or printed by the worker; collected,
    they go back to ``fit``, which gives them to its caller. The caller's
    filters hold here (joblib's workers get them), so "ignore" drops a
    warning and "error" raises it. ``catch_warnings`` swaps state shared by
    the whole process, which only a process's main thread may do safely: in
    other threads (joblib's threading backend, an ensemble fitted inside a
    worker), warnings show where they are raised.
    """
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    with warnings.catch_warnings(record=True) as shown:
        yield shown


def repeat_member_warnings(member_warnings):
    """Warn once for each distinct warning of the members, with how many gave it.

    ``member_warnings`` holds each member's distinct ``(category, message)``.
    The count follows the message, so that filters on how a message begins
    ("Solver ...") still match. Call it from ``fit`` itself: its warnings
    name the line that called ``fit``.
    """
    counts = Counter(warning for caught in member_warnings for warning in caught)
    n_members = len(member_warnings)
    members = "member" if n_members == 1 else "members"
    for (category, message), count in counts.items():
        warnings.warn(
            f"{message} ({count} of {n_members} {members})",
            category,
            stacklevel=4,  # the caller of fit, past _fit_context
        )


def hidden_parameter(estimator):
    """The name of ``estimator``'s hidden-layer-size parameter, or None."""
    params = estimator.get_params()
    for name in ("n_hidden", "hidden_layer_sizes"):
        if name in params:
            return name
    return None


# -- verbose ------------------------------------------------------------------


class MemberProgress:
    """The ``verbose`` output of a fit: a line for each member as it ends.

    ``first`` members are kept from an earlier fit (warm start), of ``total``.
    """

    def __init__(self, verbose, first, total):
        self.verbose, self.first, self.total = verbose, first, total
        self.done, self.started = 0, time.perf_counter()

    def member_fitted(self, result):
        self.done += 1
        if self.verbose:
            print(self.line(result), flush=True)

    def line(self, result):
        """``Member 4 of 10 done (loss 0.012345) in 1.2 s, elapsed 5.0 s, about
        7.5 s left``; the time left assumes the members left take as long."""
        line = f"Member {self.first + result.index + 1} of {self.total} done"
        if result.words is not None:
            line += f" ({result.words})"
        elapsed = time.perf_counter() - self.started
        line += f" in {format_duration(result.seconds)}"
        line += f", elapsed {format_duration(elapsed)}"
        left = self.total - self.first - self.done
        if left:
            line += f", about {format_duration(elapsed / self.done * left)} left"
        return line


def member_scoring(ensemble, sample_weight, held_out):
    """The :class:`MemberScoring` of the members ``ensemble`` fits now."""
    scored = ensemble.bootstrap or held_out is not None
    name = None
    if ensemble.oob_score:
        name = "out-of-bag " + ("accuracy" if ensemble._is_classifier else "R^2")
    return MemberScoring(
        ensemble._metric if scored else None,
        held_out,
        sample_weight,
        ensemble.verbose,
        name,
        ensemble.oob_score,
        ensemble.classes_ if ensemble._is_classifier else None,
    )


class MemberScoring(NamedTuple):
    """What the process that fits a member also works out about it: its
    score, the words ``verbose`` prints, and for ``oob_score`` its output on
    the rows it did not train on.

    Worked out where each member is fitted, in parallel, rather than one
    member after another by ``fit`` once all are fitted.
    """

    metric: object  # accuracy_score or r2_score; None: members are not scored
    held_out: object  # the rows that score every member; None: out of bag
    sample_weight: object
    verbose: int
    score_name: str | None  # the words give the score under this name
    oob_outputs: bool  # give the member's output on its out-of-bag rows
    classes: object  # the ensemble's classes_, or None for a regressor

    def judge(self, member, X, y, rows):
        """``score``, ``words`` and ``oob_output`` of :class:`FittedMember`."""
        score = self.score(member, X, y, rows)
        oob_output = None
        if self.oob_outputs:
            oob = out_of_bag(rows, len(y))
            if len(oob):  # a network predicts no empty input
                oob_output = member_output(member, X[oob], self.classes)
        words = self.words(member, score)
        return {"score": score, "words": words, "oob_output": oob_output}

    def score(self, member, X, y, rows):
        """The member's score on ``held_out``, or out of bag of its ``rows``."""
        if self.metric is None:
            return None
        held_out = self.held_out
        scored = out_of_bag(rows, len(y)) if held_out is None else held_out
        predict = partial(_predict_rows, member, X)
        return score_rows(self.metric, scored, y, predict, self.sample_weight)

    def words(self, member, score):
        """With ``verbose``, a few words on how well the member does: its
        out-of-bag score with ``oob_score=True``, else its best validation
        score if it has one, else its final training loss."""
        if not self.verbose:
            return None
        if self.score_name is not None:
            return f"{self.score_name} {score:.4f}"
        validation = getattr(member, "best_validation_score_", None)
        if validation is not None:
            return f"validation score {validation:.4f}"
        loss = getattr(member, "loss_", None)
        return None if loss is None else f"loss {loss:.6f}"


# -- scoring ------------------------------------------------------------------


def score_members(ensemble, X, y, sample_weight, held_out, new_scores):
    """Out-of-bag or held-out score of every member, and the best one.

    ``new_scores`` are the scores of the members this fit added, worked out
    where they were fitted; the members kept from an earlier fit (warm
    start) are scored here.

    Returns
    -------
    scores : ndarray of shape (n_estimators,) or None
        None without bootstrap or held-out rows.
    best_index : int or None
        None when no member could be scored.
    """
    if not ensemble.bootstrap and held_out is None:
        return None, None
    scoring = member_scoring(ensemble, sample_weight, held_out)
    members, samples = ensemble.estimators_, ensemble.estimators_samples_
    n_kept = len(members) - len(new_scores)
    kept = zip(members[:n_kept], samples[:n_kept], strict=True)
    scores = [scoring.score(member, X, y, rows) for member, rows in kept]
    scores = np.array(scores + list(new_scores), dtype=float)
    if np.isfinite(scores).any():
        return scores, int(np.nanargmax(scores))
    if ensemble.combine == "best":
        raise ValueError(
            "combine='best' could not score any member: each needs at least "
            "two rows of non-zero weight it did not train on. Lower "
            "max_samples or use more rows."
        )
    return scores, None


def set_oob(ensemble, y, sample_weight, oob_outputs):
    """Average each row over the members that did not train on it.

    Sets ``oob_score_`` and ``oob_decision_function_`` (classifiers) or
    ``oob_prediction_`` (regressors) on the fitted ``ensemble``, from each
    member's output on its out-of-bag rows (``oob_outputs``, None for a
    member with none), worked out where it was fitted. Call it from ``fit``
    itself: its warning names the line that called ``fit``.
    """
    classes = ensemble.classes_ if ensemble._is_classifier else None
    total, counts = None, np.zeros(len(y))
    for output, rows in zip(oob_outputs, ensemble.estimators_samples_, strict=True):
        if output is None:
            continue
        oob = out_of_bag(rows, len(y))
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
    if classes is not None:
        ensemble.oob_decision_function_ = average
        predicted = classes[np.argmax(average, axis=1)]  # NaN rows unused
    else:
        ensemble.oob_prediction_ = predicted = average
    ensemble.oob_score_ = score_rows(
        ensemble._metric, np.flatnonzero(seen), y, predicted.__getitem__, sample_weight
    )


def score_rows(metric, rows, y, predict, sample_weight):
    """``metric`` of ``predict(rows)`` on the ``rows`` of non-zero weight.

    Weighted by ``sample_weight``; NaN with fewer than two such rows, on
    which no score is worth trusting (R^2 has none on one row).
    """
    rows = weighted_rows(rows, sample_weight)
    if len(rows) < 2:
        return np.nan
    weights = None if sample_weight is None else sample_weight[rows]
    return metric(y[rows], predict(rows), sample_weight=weights)


def _predict_rows(member, X, rows):
    return member.predict(X[rows])


def out_of_bag(rows, n_samples):
    """The rows of ``range(n_samples)`` not in ``rows``."""
    mask = np.ones(n_samples, dtype=bool)
    mask[rows] = False
    return np.flatnonzero(mask)


def weighted_rows(rows, sample_weight):
    """The ``rows`` of non-zero weight: rows of weight 0 are not in the data."""
    return rows if sample_weight is None else rows[sample_weight[rows] > 0]


# -- prediction and tags ---------------------------------------------------------------


def member_output(member, X, classes):
    """A member's probabilities on ``classes`` (classifiers) or prediction.

    ``classes`` is the ensemble's ``classes_``, or None for a regressor.
    """
    if classes is None:
        return np.asarray(member.predict(X), dtype=float)
    proba = np.zeros((X.shape[0], len(classes)))
    columns = np.searchsorted(classes, member.classes_)
    if hasattr(member, "predict_proba"):
        proba[:, columns] = member.predict_proba(X)
    else:  # hard vote: all of the member's probability on its label
        proba[np.arange(len(proba)), np.searchsorted(classes, member.predict(X))] = 1
    return proba


def combined(outputs, combine, classes):
    """The ensemble's prediction from its members' ``outputs``.

    Classifiers (``classes`` not None): the class most probable on average.
    Regressors: the mean, or the median with ``combine="median"``.
    """
    if classes is not None:
        return classes[np.argmax(outputs.mean(axis=0), axis=1)]
    center = np.median if combine == "median" else np.mean
    return center(outputs, axis=0)


def spread(outputs):
    """Standard deviation of the members' outputs about their mean, per row.

    Taken of the differences from the first member: a shift leaves a standard
    deviation unchanged, but the mean of equal floats can differ from them in
    the last bit (three copies of 0.1 have a naive deviation of 1e-17), so
    this keeps it exactly 0 where all members agree.
    """
    return (outputs - outputs[0]).std(axis=0)


def tags_like_members(tags, base):
    """The ensemble's ``tags``, updated to be those of its members.

    Classifier or regressor, target, sparse and N-d input tags follow ``base``;
    a classifier ensemble fits one column of labels, so is never multi-label.
    """
    base = get_tags(base)
    tags.estimator_type = base.estimator_type
    tags.classifier_tags = copy.deepcopy(base.classifier_tags)
    tags.regressor_tags = copy.deepcopy(base.regressor_tags)
    tags.target_tags = copy.deepcopy(base.target_tags)
    tags.input_tags.sparse = base.input_tags.sparse
    tags.input_tags.three_d_array = base.input_tags.three_d_array
    if tags.classifier_tags is not None:
        tags.classifier_tags.multi_label = False
    return tags
