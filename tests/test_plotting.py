"""RidgeFunctionDisplay draws each term over its partial residuals;
TrainingHistoryDisplay draws a network's epochs."""

import copy
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skdeep import (
    BaggedNetEnsemble,
    DeepFFNRegressor,
    FeedForwardClassifier,
    PPRRegressor,
    RidgeFunctionDisplay,
    TrainingHistoryDisplay,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, (300, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.05 * rng.standard_normal(300)
    return PPRRegressor(n_terms=2, random_state=0).fit(X, y), X, y


def test_display_draws_terms_over_partial_residuals(fitted):
    import matplotlib.pyplot as plt

    ppr, X, y = fitted
    display = RidgeFunctionDisplay.from_estimator(ppr, X, y)
    assert len(display.axes_) == len(display.lines_) == 2
    for m, (line, scatter) in enumerate(
        zip(display.lines_, display.scatters_, strict=True)
    ):
        u = X @ ppr.directions_[m]
        offsets = scatter.get_offsets()
        np.testing.assert_allclose(offsets[:, 0], u)
        partial = y - ppr.predict(X) + ppr.term_weights_[m] * ppr.ridge_functions_[m](u)
        np.testing.assert_allclose(offsets[:, 1], partial)
        grid, curve = line.get_data()
        np.testing.assert_allclose(
            curve, ppr.term_weights_[m] * ppr.ridge_functions_[m](grid)
        )
    plt.close("all")


def test_display_draws_on_given_axes(fitted):
    import matplotlib.pyplot as plt

    ppr, X, y = fitted
    figure, axes = plt.subplots(2, 1)
    display = RidgeFunctionDisplay.from_estimator(ppr, X, y, ax=axes)
    assert display.figure_ is figure
    assert all(a.get_title().startswith("term") for a in axes)
    plt.close("all")


def test_display_needs_a_fitted_model():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RidgeFunctionDisplay.from_estimator(
            PPRRegressor(random_state=0), np.ones((3, 2)), np.ones(3)
        )


# -- TrainingHistoryDisplay -------------------------------------------------


@pytest.fixture(scope="module")
def early_stopped():
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(n_samples=400, noise=1.0, random_state=0)
    net = DeepFFNRegressor(hidden_layer_sizes=(32, 32), learning_rate_init=0.01,
                           early_stopping=True, n_iter_no_change=5, max_iter=100,
                           random_state=0)  # fmt: skip
    return net.fit(X, y)


@pytest.fixture(scope="module")
def pretrained():
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(n_samples=200, random_state=0)
    net = DeepFFNRegressor(
        hidden_layer_sizes=(6, 5, 4),
        pretraining="greedy",
        pretraining_max_iter=4,
        max_iter=6,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        return net.fit(X, y)


@pytest.fixture(scope="module")
def ensemble():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 3))
    y = (np.arange(40) < 1).astype(int)  # one positive: some samples lack it
    member = FeedForwardClassifier(n_hidden=3, solver="lbfgs", max_iter=15)
    ensemble = BaggedNetEnsemble(member, n_estimators=4, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ensemble.fit(X, y)


def _x_values(line):
    return np.asarray(line.get_xdata(), dtype=float)


def _y_values(line):
    return np.asarray(line.get_ydata(), dtype=float)


def _vertical_lines_at(axes, x):
    return [
        line
        for line in axes.get_lines()
        if len(line.get_xdata()) == 2 and np.all(_x_values(line) == x)
    ]


def test_history_panels_draw_the_history(early_stopped):
    net = early_stopped
    display = TrainingHistoryDisplay.from_estimator(net)
    assert len(display.axes_) == 3
    epochs = np.arange(1, net.n_iter_ + 1)
    for lines, values in [
        (display.loss_lines_, net.loss_curve_),
        (display.val_loss_lines_, net.validation_loss_curve_),
        (display.score_lines_, net.validation_scores_),
    ]:
        assert len(lines) == 1
        np.testing.assert_array_equal(_x_values(lines[0]), epochs)
        np.testing.assert_array_equal(_y_values(lines[0]), values)
    assert display.axes_[1].get_ylabel() == "validation R^2"
    assert display.figure_._suptitle.get_text() == "DeepFFNRegressor"
    plt.close("all")


def test_gradient_panel_has_a_log_line_per_layer(early_stopped):
    net = early_stopped
    display = TrainingHistoryDisplay.from_estimator(net)
    grad_axes = display.axes_[-1]
    assert grad_axes.get_yscale() == "log"
    (lines,) = display.grad_norm_lines_
    assert [line.get_label() for line in lines] == [
        "layer 1", "layer 2", "layer 3 (output)",
    ]  # fmt: skip
    for layer, line in enumerate(lines):
        np.testing.assert_allclose(_y_values(line), net.grad_norms_[:, layer])
    assert set(lines) <= set(grad_axes.get_lines())
    plt.close("all")


def test_the_kept_epoch_is_the_one_early_stopping_restored(early_stopped):
    net = early_stopped
    display = TrainingHistoryDisplay.from_estimator(net)
    (marker,) = display.kept_lines_
    kept = _x_values(marker)[0]
    assert kept < net.n_iter_  # training went on past it
    assert net.history_[int(kept) - 1]["val_score"] == net.best_validation_score_
    assert marker.get_label() == f"kept epoch {int(kept)}"
    for axes in display.axes_:
        assert len(_vertical_lines_at(axes, kept)) == 1
    plt.close("all")


def test_the_kept_epoch_follows_the_network_when_it_says(early_stopped):
    net = copy.copy(early_stopped)
    net.kept_epoch_ = 3
    display = TrainingHistoryDisplay.from_estimator(net)
    assert _x_values(display.kept_lines_[0])[0] == 3
    plt.close("all")


def test_without_validation_two_panels_and_the_last_epoch_kept(pretrained):
    display = TrainingHistoryDisplay.from_estimator(pretrained)
    assert len(display.axes_) == 2
    assert display.val_loss_lines_ == display.score_lines_ == []
    assert _x_values(display.kept_lines_[0])[0] == pretrained.n_iter_
    plt.close("all")


def test_pretraining_stages_are_shaded_and_named(pretrained):
    display = TrainingHistoryDisplay.from_estimator(pretrained)
    loss_axes = display.axes_[0]
    assert len(display.stage_spans_) == 3
    to_data = loss_axes.transData.inverted()
    for n, span in enumerate(display.stage_spans_):
        x = to_data.transform(span.get_verts())[:, 0]
        np.testing.assert_allclose([x.min(), x.max()], [4 * n + 0.5, 4 * n + 4.5])
    (top,) = loss_axes.child_axes
    assert [t.get_text() for t in top.get_xticklabels()] == ["1/3", "2/3", "3/3"]
    assert top.get_xlabel() == "pre-training: greedy"
    plt.close("all")


def test_each_layer_is_drawn_where_it_was_trained(pretrained):
    """Stage k of greedy pre-training trains hidden layer k under an output
    layer of its own; the fine-tuning trains all four layers."""
    display = TrainingHistoryDisplay.from_estimator(pretrained)
    (lines,) = display.grad_norm_lines_
    grad = np.column_stack([_y_values(line) for line in lines])
    for row, record in enumerate(pretrained.history_):
        stage = record["stage"]
        if stage == "fine-tune":
            np.testing.assert_allclose(grad[row], record["grad_norms"])
            continue
        k = int(stage.split()[1][0])
        expected = np.full(4, np.nan)
        expected[[k - 1, 3]] = record["grad_norms"]
        np.testing.assert_allclose(grad[row], expected)
    plt.close("all")


def test_ensemble_draws_every_network_member(ensemble):
    networks = [m for m in ensemble.estimators_ if isinstance(m, FeedForwardClassifier)]
    assert 1 < len(networks) < len(ensemble.estimators_)  # a DummyClassifier too
    display = TrainingHistoryDisplay.from_estimator(ensemble)
    assert len(display.loss_lines_) == len(display.kept_lines_) == len(networks)
    for line, member in zip(display.loss_lines_, networks, strict=True):
        np.testing.assert_array_equal(_y_values(line), member.loss_curve_)
        assert line.get_alpha() < 1
    labels = [text.get_text() for text in display.axes_[0].get_legend().get_texts()]
    assert f"training objective ({len(networks)} members)" in labels
    title = display.figure_._suptitle.get_text()
    assert title.startswith(f"BaggedNetEnsemble of {len(networks)} ")
    assert "1 single-class DummyClassifier not drawn" in title
    plt.close("all")


def test_history_draws_on_given_axes(pretrained):
    figure, axes = plt.subplots(1, 2)
    display = TrainingHistoryDisplay.from_estimator(pretrained, ax=axes)
    assert display.figure_ is figure
    with pytest.raises(ValueError, match="needs 2 axes .* got ax with 3"):
        TrainingHistoryDisplay.from_estimator(pretrained, ax=plt.subplots(1, 3)[1])
    plt.close("all")


@pytest.mark.parametrize(
    "estimator, error, match",
    [
        (PPRRegressor(random_state=0), TypeError, "got PPRRegressor"),
        (DeepFFNRegressor(), NotFittedError, "not fitted"),
        (BaggedNetEnsemble(), NotFittedError, "not fitted"),
    ],
)
def test_history_needs_a_fitted_network(estimator, error, match):
    with pytest.raises(error, match=match):
        TrainingHistoryDisplay.from_estimator(estimator)


def test_history_refuses_an_ensemble_of_other_estimators():
    from sklearn.linear_model import LinearRegression

    X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    ensemble = BaggedNetEnsemble(LinearRegression(), n_estimators=2, random_state=0)
    with pytest.raises(TypeError, match="has LinearRegression members"):
        TrainingHistoryDisplay.from_estimator(ensemble.fit(X, y))
