"""scikit-learn's callbacks in skdeep (``sklearn.callback``, scikit-learn >= 1.9).

scikit-learn's callback API is experimental, so this module is the only one
that touches it.  A fit is a tree of tasks: the fit itself is the root, and
below it the restarts of a network (``n_init > 1``), its pre-training stages,
its epochs; the terms of a PPR model; the members of an ensemble, whose
fits (perhaps in worker processes) become subtasks of the ensemble's.  A callback
such as ``sklearn.callback.ProgressBar`` hears when each task begins and ends;
``ScoringMonitor`` scores the model as it stands at the end of each task, and
a callback that returns True from ``on_fit_task_end`` stops the epochs.

With an older scikit-learn, or when no callback listens, the tasks are
:data:`NO_TASK`, which does nothing.
"""

from contextlib import contextmanager, nullcontext

import sklearn

from skdeep._engine import Monitor

try:
    from sklearn.callback import CallbackSupportMixin as _SklearnSupport
except ImportError:  # scikit-learn < 1.9
    _SklearnSupport = None

CALLBACKS_AVAILABLE = _SklearnSupport is not None

if CALLBACKS_AVAILABLE:

    class CallbackSupportMixin(_SklearnSupport):
        """``set_callbacks``, as scikit-learn's estimators have it."""

else:

    class CallbackSupportMixin:
        """``set_callbacks`` that explains what it needs."""

        def set_callbacks(self, *callbacks):
            """Set scikit-learn callbacks (needs scikit-learn >= 1.9)."""
            raise ImportError(
                "set_callbacks needs scikit-learn's callback API (sklearn.callback), "
                f"new in scikit-learn 1.9; this is scikit-learn {sklearn.__version__}. "
                "Upgrade with: pip install -U 'scikit-learn>=1.9'"
            )


class Task:
    """One task of a fit, begun when made; :meth:`end` ends it."""

    def __init__(self, estimator, context, data):
        self.estimator, self.context, self.data = estimator, context, data
        context.call_on_fit_task_begin(estimator=estimator, **data)

    def subtask(self, name, max_subtasks=0, task_id=None):
        """Begin a task below this one (``max_subtasks`` None: not known)."""
        context = self.context.subcontext(
            task_name=name, task_id=task_id, max_subtasks=max_subtasks
        )
        return Task(self.estimator, context, self.data)

    def end(self, fitted=None):
        """End the task; return True if a callback asks to stop.

        ``fitted`` is None or a callable returning the attributes that make
        a copy of the estimator predict as the model stands now (called only
        if a callback wants that copy).
        """
        return self.context.call_on_fit_task_end(
            estimator=self.estimator, reconstruction_attributes=fitted, **self.data
        )

    def epoch_monitor(self, fitted=None):
        """A training-run monitor making each epoch a subtask of this task;
        ``fitted(network)`` gives the reconstruction attributes."""
        return _EpochTasks(self, fitted)

    def sub_estimator_tasks(self, name, count):
        """``count`` leaf subtasks, each to become the fit of a sub-estimator.

        Made here, where the task tree lives, before the sub-estimators go
        to worker processes (as scikit-learn's searches do); each begins and
        ends where its sub-estimator fits (:meth:`SubEstimatorTask.fitting`).
        """
        return [
            SubEstimatorTask(self.estimator, self.context.subcontext(task_name=name))
            for _ in range(count)
        ]


class SubEstimatorTask:
    """A leaf task of a meta-estimator that a sub-estimator's fit becomes."""

    def __init__(self, estimator, context):
        self.estimator, self.context = estimator, context

    @contextmanager
    def fitting(self, sub_estimator, X, y, sample_weight=None):
        """Context manager around ``sub_estimator``'s fit on ``(X, y)``: the
        task begins and ends around it, and the fit's own tasks hang below.

        The callbacks that propagate (``ProgressBar``) follow the fit into
        ``sub_estimator``; the others see this task only.
        """
        data = _task_data(X, y, sample_weight)
        # scikit-learn warns that it cannot propagate to an estimator without
        # callbacks (a Ridge, the DummyClassifier of a one-class sample):
        # that would be a warning per member. Its task still begins and ends.
        propagation = (
            self.context.propagate_callback_context(sub_estimator)
            if hasattr(sub_estimator, "set_callbacks")
            else nullcontext()
        )
        with propagation:
            self.context.call_on_fit_task_begin(estimator=self.estimator, **data)
            yield
        self.context.call_on_fit_task_end(estimator=self.estimator, **data)


class _NoTask:
    """The task when nobody listens: does nothing."""

    def subtask(self, name, max_subtasks=0, task_id=None):
        return self

    def end(self, fitted=None):
        return False

    def epoch_monitor(self, fitted=None):
        return None

    def sub_estimator_tasks(self, name, count):
        return [self] * count

    def fitting(self, sub_estimator, X, y, sample_weight=None):
        return nullcontext()


NO_TASK = _NoTask()


def fit_task(
    estimator, max_subtasks, X=None, y=None, sample_weight=None, *, sub_estimators=()
):
    """Begin the root task of ``estimator``'s fit (:data:`NO_TASK` if no
    callback is set on it, propagated to it, or set on one of the
    ``sub_estimators`` it fits: their tasks then join its tree, as they do
    in scikit-learn's meta-estimators).

    Call it at the start of a ``fit`` decorated with ``_fit_context``, which
    tears the callbacks down whatever happens.
    """
    listening = hasattr(estimator, "_parent_callback_ctx") or any(
        hasattr(each, "_skl_callbacks") for each in (estimator, *sub_estimators)
    )
    if not (CALLBACKS_AVAILABLE and listening):
        return NO_TASK
    context = estimator._init_callback_context(max_subtasks=max_subtasks)
    return Task(estimator, context, _task_data(X, y, sample_weight))


def _task_data(X, y, sample_weight):
    metadata = None if sample_weight is None else {"sample_weight": sample_weight}
    return {"X": X, "y": y, "metadata": metadata}


class _EpochTasks(Monitor):
    """Each epoch of a training run as a subtask of ``task``."""

    def __init__(self, task, fitted):
        self.task, self.fitted, self.current = task, fitted, None

    def epoch_started(self, trainer):
        self.current = self.task.subtask("epoch")

    def epoch_ended(self, trainer, record):
        task, self.current = self.current, None
        fitted = self.fitted
        return task.end(None if fitted is None else lambda: fitted(trainer.network))

    def run_ended(self, trainer, reason):
        # L-BFGS begins an iteration that its convergence test then skips
        if self.current is not None:
            self.current.end()
            self.current = None
