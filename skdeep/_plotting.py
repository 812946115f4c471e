"""Plots following scikit-learn's Display convention (matplotlib imported lazily)."""

import re

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted, validate_data

from skdeep.utils._compat import check_matplotlib_support


class RidgeFunctionDisplay:
    """The ridge functions of a fitted :class:`~skdeep.PPRRegressor`.

    One panel per term: the term's contribution ``beta_m g_m(u)`` against its
    projection ``u = w_m' x``, over the partial residuals
    ``y - f(x) + beta_m g_m(u)``, the part of the target the term is left to
    explain.  Build it with :meth:`from_estimator`.

    Parameters
    ----------
    projections : list of ndarray
        ``u`` of every sample, one array per term.
    partial_residuals : list of ndarray
        Partial residuals of every sample, one array per term.
    grids, curves : list of ndarray
        Where each term's contribution is drawn, and its values there.

    Attributes
    ----------
    figure_ : matplotlib Figure
        The figure holding the panels.
    axes_ : ndarray of matplotlib Axes
        One panel per term.
    lines_ : list of matplotlib Line2D
        The curves ``beta_m g_m``.
    scatters_ : list of matplotlib PathCollection
        The partial residuals.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skdeep import PPRRegressor, RidgeFunctionDisplay
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, (300, 3))
    >>> y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2
    >>> ppr = PPRRegressor(n_terms=2).fit(X, y)
    >>> display = RidgeFunctionDisplay.from_estimator(ppr, X, y)
    >>> len(display.axes_)
    2
    """

    def __init__(self, projections, partial_residuals, grids, curves):
        self.projections = projections
        self.partial_residuals = partial_residuals
        self.grids = grids
        self.curves = curves

    @classmethod
    def from_estimator(cls, estimator, X, y, *, output=0, n_points=200, ax=None):
        """Compute the panels from a fitted PPRRegressor and draw them.

        Parameters
        ----------
        estimator : PPRRegressor
            A fitted projection-pursuit model.
        X : array-like of shape (n_samples, n_features)
            Samples to show, usually the training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets.
        output : int, default=0
            Which output to show for a multi-output model.
        n_points : int, default=200
            Points on each drawn curve.
        ax : array of matplotlib Axes, default=None
            One per term; a new figure when None.

        Returns
        -------
        display : RidgeFunctionDisplay
        """
        check_is_fitted(estimator)
        X = validate_data(estimator, X, reset=False, dtype=np.float64)
        y = np.asarray(y, dtype=float)
        y = y if y.ndim == 1 else y[:, output]
        prediction = estimator.predict(X)
        prediction = prediction if prediction.ndim == 1 else prediction[:, output]
        weights = np.asarray(estimator.term_weights_).reshape(
            len(estimator.ridge_functions_), -1
        )[:, output]
        projections, residuals, grids, curves = [], [], [], []
        for m, ridge in enumerate(estimator.ridge_functions_):
            u = X @ estimator.directions_[m]
            projections.append(u)
            residuals.append(y - prediction + weights[m] * ridge(u))
            grid = np.linspace(min(u.min(), ridge.lower), max(u.max(), ridge.upper),
                               n_points)  # fmt: skip
            grids.append(grid)
            curves.append(weights[m] * ridge(grid))
        return cls(projections, residuals, grids, curves).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the panels.

        Parameters
        ----------
        ax : array of matplotlib Axes, default=None
            One per term; a new figure when None.

        Returns
        -------
        display : RidgeFunctionDisplay
            With ``figure_``, ``axes_``, ``lines_`` and ``scatters_`` set.
        """
        import matplotlib.pyplot as plt

        n_terms = len(self.curves)
        if ax is None:
            figure, ax = plt.subplots(
                1, n_terms, figsize=(4 * n_terms, 3.5), squeeze=False,
                layout="constrained",
            )  # fmt: skip
            ax = ax[0]
        ax = np.atleast_1d(ax)
        self.scatters_, self.lines_ = [], []
        for m, axes in enumerate(ax):
            self.scatters_.append(
                axes.scatter(
                    self.projections[m],
                    self.partial_residuals[m],
                    s=6,
                    alpha=0.4,
                    color="tab:gray",
                )  # fmt: skip
            )
            (line,) = axes.plot(self.grids[m], self.curves[m], color="tab:red")
            self.lines_.append(line)
            axes.set_xlabel(f"projection {m + 1}")
            axes.set_ylabel("partial residual" if m == 0 else "")
            axes.set_title(f"term {m + 1}")
        self.axes_ = ax
        self.figure_ = ax[0].figure
        return self


class TrainingHistoryDisplay:
    """The training history of a fitted skdeep network, or of an ensemble's.

    Panels, epoch by epoch: the training objective and validation loss; the
    validation score (accuracy or R^2) when there was validation data; and
    each layer's mean weight-gradient norm on a log scale, where gradients
    that shrink toward the input show the vanishing-gradient problem.  A
    dashed line marks the kept epoch, whose weights the model holds, and
    shaded spans the supervised pre-training stages.  For a
    :class:`~skdeep.BaggedNetEnsemble`, every member's curves are drawn
    thin and translucent.  Build it with :meth:`from_estimator`.

    Parameters
    ----------
    histories : list of list of dict
        One ``history_`` per network (see the networks' ``history_``).
    kept_epochs : list of int
        The epoch whose weights each network holds (its "epoch" number in
        ``history_``).
    score_name : str, default="score"
        What the validation score is ("accuracy", "R^2"), for its axis.
    estimator_name : str, default=None
        Title of the figure.

    Attributes
    ----------
    figure_ : matplotlib Figure
        The figure holding the panels.
    axes_ : ndarray of matplotlib Axes
        The loss panel, the validation-score panel (with validation data
        only) and the gradient-norm panel.
    loss_lines_, val_loss_lines_ : list of matplotlib Line2D
        Training objective and validation loss, one line per network
        (``val_loss_lines_`` is empty without validation data).
    score_lines_ : list of matplotlib Line2D
        Validation score, one line per network (empty without validation).
    grad_norm_lines_ : list of list of matplotlib Line2D
        For each network, one line per layer, input side first.
    kept_lines_ : list of matplotlib Line2D
        The kept-epoch marker of each network in the loss panel.
    stage_spans_ : list of matplotlib Patch
        The pre-training stages shaded in the loss panel.

    See Also
    --------
    RidgeFunctionDisplay : The ridge functions of a projection-pursuit model.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_friedman1
    >>> from skdeep import DeepFFNRegressor, TrainingHistoryDisplay
    >>> X, y = make_friedman1(n_samples=300, random_state=0)
    >>> net = DeepFFNRegressor(hidden_layer_sizes=(16, 16), early_stopping=True,
    ...                        learning_rate_init=0.01, random_state=0).fit(X, y)
    >>> display = TrainingHistoryDisplay.from_estimator(net)
    >>> [ax.get_ylabel() for ax in display.axes_]
    ['loss', 'validation R^2', 'gradient norm']
    >>> kept = display.kept_lines_[0].get_xdata()[0]
    >>> bool(kept < net.n_iter_)  # early stopping tried epochs past the best
    True
    """

    def __init__(self, histories, kept_epochs, *, score_name="score",
                 estimator_name=None):  # fmt: skip
        self.histories = histories
        self.kept_epochs = kept_epochs
        self.score_name = score_name
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None):
        """Draw the history of a fitted network or ensemble of networks.

        Parameters
        ----------
        estimator : estimator
            A fitted FeedForwardClassifier, FeedForwardRegressor,
            DeepFFNClassifier or DeepFFNRegressor, or a fitted
            BaggedNetEnsemble of them (members that are single-class
            ``DummyClassifier`` are left out).
        ax : array of matplotlib Axes, default=None
            One per panel (three with validation data, else two); a new
            figure when None.

        Returns
        -------
        display : TrainingHistoryDisplay
        """
        networks, name = _networks(estimator)
        return cls(
            [network.history_ for network in networks],
            [network.kept_epoch_ for network in networks],
            score_name="accuracy" if is_classifier(estimator) else "R^2",
            estimator_name=name,
        ).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the panels.

        Parameters
        ----------
        ax : array of matplotlib Axes, default=None
            One per panel (three with validation data, else two); a new
            figure when None.

        Returns
        -------
        display : TrainingHistoryDisplay
            With ``figure_``, ``axes_`` and the line attributes set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        curves = [_curves(history) for history in self.histories]
        validated = any(np.isfinite(c["val_loss"]).any() for c in curves)
        ax = _panels(ax, 3 if validated else 2)
        style = _style(len(curves))
        self.loss_lines_, self.val_loss_lines_ = _plot_losses(ax[0], curves, style)
        self.score_lines_ = []
        if validated:
            self.score_lines_ = _plot_scores(ax[1], curves, style, self.score_name)
        self.grad_norm_lines_ = _plot_grad_norms(ax[-1], curves, style)
        self.kept_lines_ = _mark_kept(ax, self.kept_epochs, style)
        self.stage_spans_ = _shade_stages(ax, curves)
        for axes in ax:
            axes.set_xlabel("epoch")
        ax[0].legend(fontsize="small")
        ax[-1].legend(fontsize="small")
        if self.estimator_name:
            ax[0].figure.suptitle(self.estimator_name)
        self.axes_, self.figure_ = ax, ax[0].figure
        return self


def _networks(estimator):
    """The fitted networks to draw, and the figure's title."""
    from sklearn.dummy import DummyClassifier

    from skdeep._base import BaseNetwork
    from skdeep._ensemble import BaggedNetEnsemble

    name = type(estimator).__name__
    if not isinstance(estimator, BaseNetwork | BaggedNetEnsemble):
        raise TypeError(
            "TrainingHistoryDisplay draws the epochs of a skdeep network "
            "(FeedForward*, DeepFFN*) or of a BaggedNetEnsemble of them; got "
            f"{name}, which has no training history."
        )
    check_is_fitted(estimator)
    if isinstance(estimator, BaseNetwork):
        return [estimator], name
    members = [m for m in estimator.estimators_ if not isinstance(m, DummyClassifier)]
    for member in members:
        if not isinstance(member, BaseNetwork):
            raise TypeError(
                "TrainingHistoryDisplay draws an ensemble of skdeep networks; "
                f"this one has {type(member).__name__} members."
            )
    if not members:
        raise ValueError(
            "Every member of this ensemble is a DummyClassifier (each bootstrap "
            "sample held one class): there is no training history to draw."
        )
    left_out = len(estimator.estimators_) - len(members)
    title = f"{name} of {len(members)} {type(members[0]).__name__}"
    if left_out:
        title += f" ({left_out} single-class DummyClassifier not drawn)"
    return members, title


def _curves(history):
    """A history as arrays (NaN where a value is missing) and its stages."""

    def column(name):
        return np.array(
            [np.nan if r[name] is None else r[name] for r in history], dtype=float
        )

    numbers = [_layer_numbers(r["stage"], len(r["grad_norms"])) for r in history]
    n_layers = max((max(n) for n in numbers if n), default=0)
    grad = np.full((len(history), n_layers), np.nan)
    for row, (record, layers) in enumerate(zip(history, numbers, strict=True)):
        grad[row, np.subtract(layers, 1)] = record["grad_norms"]
    stages = []
    for record in history:
        if record["stage"] in (None, "fine-tune"):
            continue
        if stages and stages[-1][0] == record["stage"]:
            stages[-1][2] = record["epoch"]
        else:
            stages.append([record["stage"], record["epoch"], record["epoch"]])
    return {"epoch": column("epoch"), "loss": column("loss"),
            "val_loss": column("val_loss"), "val_score": column("val_score"),
            "grad": grad, "stages": [tuple(stage) for stage in stages]}  # fmt: skip


def _layer_numbers(stage, n_norms):
    """The layers of the final network (1-based) a record's norms belong to.

    A pre-training stage trains part of the network under an output layer
    of its own (see ``skdeep._pretraining``): "grow k/n" hidden layers 1 to
    k, "greedy k/n" and "greedy_with_inputs k/n" hidden layer k; its last
    norm is drawn as the output layer's.
    """
    match = re.fullmatch(r"(grow|greedy|greedy_with_inputs) (\d+)/(\d+)", stage or "")
    if match is None:
        return list(range(1, n_norms + 1))
    k, n = int(match[2]), int(match[3])
    hidden = list(range(1, k + 1)) if match[1] == "grow" else [k]
    return [*hidden, n + 1]


def _panels(ax, n_panels):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(1, n_panels, figsize=(4.5 * n_panels, 3.6),
                             sharex=True, layout="constrained")  # fmt: skip
    ax = np.atleast_1d(ax).ravel()
    if len(ax) != n_panels:
        raise ValueError(
            f"This history needs {n_panels} axes (loss, "
            f"{'validation score, ' if n_panels == 3 else ''}gradient norms), "
            f"got ax with {len(ax)}."
        )
    return ax


def _style(n_networks):
    """Members of an ensemble are drawn thin and translucent."""
    if n_networks == 1:
        return {"linewidth": 1.5, "alpha": 1.0}
    return {"linewidth": 0.8, "alpha": 0.4}


def _label(text, n_networks):
    return text if n_networks == 1 else f"{text} ({n_networks} members)"


def _lines(ax, curves, field, text, style, color):
    """One line per network of ``field``; the first one carries the label."""
    lines = []
    for i, c in enumerate(curves):
        label = _label(text, len(curves)) if i == 0 else None
        (line,) = ax.plot(c["epoch"], c[field], color=color, label=label, **style)
        lines.append(line)
    return lines


def _plot_losses(ax, curves, style):
    train = _lines(ax, curves, "loss", "training objective", style, "tab:blue")
    validated = any(np.isfinite(c["val_loss"]).any() for c in curves)
    val = []
    if validated:
        val = _lines(ax, curves, "val_loss", "validation loss", style, "tab:orange")
    ax.set_ylabel("loss")
    return train, val


def _plot_scores(ax, curves, style, score_name):
    lines = _lines(ax, curves, "val_score", f"validation {score_name}", style,
                   "tab:green")  # fmt: skip
    ax.set_ylabel(f"validation {score_name}")
    return lines


def _plot_grad_norms(ax, curves, style):
    """One line per layer and network, on a log scale; a layer's line has
    gaps where it was not trained (pre-training stages)."""
    import matplotlib

    n_layers = max(c["grad"].shape[1] for c in curves)
    colors = matplotlib.colormaps["viridis"](np.linspace(0, 0.85, n_layers))
    lines = [[] for _ in curves]
    for layer in range(n_layers):
        label = f"layer {layer + 1}" + (" (output)" if layer == n_layers - 1 else "")
        for i, c in enumerate(curves):
            if layer >= c["grad"].shape[1]:
                continue
            (line,) = ax.plot(
                c["epoch"],
                c["grad"][:, layer],
                color=colors[layer],
                label=label if i == 0 else None,
                **style,
            )
            lines[i].append(line)
    ax.set_yscale("log")
    ax.set_ylabel("gradient norm")
    return lines


def _mark_kept(ax, kept_epochs, style):
    """A dashed line at each network's kept epoch, on every panel; returns
    the loss panel's."""
    label = f"kept epoch {kept_epochs[0]}" if len(kept_epochs) == 1 else "kept epochs"
    kept = []
    for i, epoch in enumerate(kept_epochs):
        for axes in ax[1:]:
            axes.axvline(epoch, color="tab:red", linestyle="--", **style)
        kept.append(
            ax[0].axvline(
                epoch,
                color="tab:red",
                linestyle="--",
                label=label if i == 0 else None,
                **style,
            )
        )
    return kept


def _shade_stages(ax, curves):
    """Shade each distinct pre-training stage (once when members share it)
    on every panel, named above the loss panel; returns the loss panel's."""
    stages = list(dict.fromkeys(stage for c in curves for stage in c["stages"]))
    spans = []
    for index, (_, first, last) in enumerate(stages):
        for axes in ax:
            span = axes.axvspan(first - 0.5, last + 0.5, color="0.5", linewidth=0,
                                alpha=0.12 if index % 2 == 0 else 0.22)  # fmt: skip
            if axes is ax[0]:
                spans.append(span)
    if stages:
        _name_stages(ax[0], stages)
    return spans


def _name_stages(ax, stages):
    """Stage names as ticks of a top axis: "1/3", "2/3", ... under the
    strategy's name when the stages share one."""
    centers = {}
    for name, first, last in stages:
        centers.setdefault(name, (first + last) / 2)
    names = list(centers)
    strategies = {name.rpartition(" ")[0] for name in names}
    top = ax.secondary_xaxis("top")
    if len(strategies) == 1 and "" not in strategies:
        top.set_xlabel(f"pre-training: {strategies.pop()}", fontsize="small")
        names = [name.rpartition(" ")[2] for name in names]
    top.set_xticks(list(centers.values()), names, fontsize="x-small")
