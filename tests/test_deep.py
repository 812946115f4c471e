"""The DeepFFN family: dropout, pre-training, gradient diagnostics, clipping."""

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_friedman1

from skdeep import DeepFFNClassifier, DeepFFNRegressor
from skdeep._engine import (
    LOSSES,
    Activation,
    Dataset,
    Dense,
    Network,
    TrainingConfig,
    make_trainer,
)
from skdeep._engine.solvers import MinibatchTrainer as Trainer

# These tests stop training early on purpose; any other ConvergenceWarning
# (a divergence above all) still shows.
MAX_ITER = pytest.mark.filterwarnings(
    "ignore:Solver .* maximum iterations:sklearn.exceptions.ConvergenceWarning"
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


def test_greedy_stages_leave_frozen_layers_bit_identical(digits):
    X, y = digits
    common = dict(
        pretraining="greedy", pretraining_max_iter=8, fine_tune=False, random_state=0
    )
    one = DeepFFNClassifier((24,), **common).fit(X, y)
    three = DeepFFNClassifier((24, 16, 12), **common).fit(X, y)
    # stage 1 is the same fit in both; later stages never touch its layer
    np.testing.assert_array_equal(three.coefs_[0], one.coefs_[0])
    np.testing.assert_array_equal(three.intercepts_[0], one.intercepts_[0])
    stages = [r["stage"] for r in three.history_]
    assert stages == [f"greedy {k}/3" for k in (1, 2, 3) for _ in range(8)]


@MAX_ITER
def test_greedy_with_inputs_keeps_skip_connections(digits):
    X, y = digits
    net = DeepFFNClassifier(
        (24, 16),
        pretraining="greedy_with_inputs",
        pretraining_max_iter=10,
        max_iter=10,
        learning_rate_init=0.01,
        random_state=0,
    )
    net.fit(X, y)
    assert len(net.skip_coefs_) == 2 and net.skip_coefs_[0] is None
    assert net.skip_coefs_[1].shape == (64, 16) and net.skip_coefs_[1].any()
    assert net.score(X, y) > 0.8


@MAX_ITER
def test_grow_starts_each_stage_from_the_previous_weights(digits, monkeypatch):
    X, y = digits
    snapshots = []
    train = Trainer.train

    def recording_train(self, data, validation=None, max_epochs=None):
        first = [
            layer.params[0].copy() for layer in self.network.layers if layer.params
        ]
        reason = train(self, data, validation, max_epochs)
        last = [layer.params[0].copy() for layer in self.network.layers if layer.params]
        snapshots.append((self.stage, first, last))
        return reason

    monkeypatch.setattr(Trainer, "train", recording_train)
    DeepFFNClassifier(
        (20, 10, 8),
        pretraining="grow",
        pretraining_max_iter=4,
        max_iter=3,
        random_state=0,
    ).fit(X, y)
    assert [stage for stage, _, _ in snapshots] == [
        "grow 1/3", "grow 2/3", "grow 3/3", "fine-tune",
    ]  # fmt: skip
    for (_, _, before), (_, after, _) in zip(
        snapshots[:-1], snapshots[1:], strict=True
    ):
        for ended, started in zip(before[:-1], after, strict=False):  # hidden layers
            np.testing.assert_array_equal(started, ended)
    # and the stages really trained: the first layer moved in every stage
    assert not np.array_equal(snapshots[0][1][0], snapshots[0][2][0])


@MAX_ITER
def test_dropout_only_while_training(digits):
    X, y = digits
    net = DeepFFNClassifier((32, 32), dropout=[0.5, 0.2], max_iter=10, random_state=0)
    net.fit(X, y)
    first, second = net.predict_proba(X), net.predict_proba(X)
    np.testing.assert_array_equal(first, second)
    plain = DeepFFNClassifier((32, 32), max_iter=10, random_state=0).fit(X, y)
    assert not np.allclose(net.coefs_[0], plain.coefs_[0])  # dropout changed training
    first = np.maximum(net.scaler_.transform(X) @ net.coefs_[0] + net.intercepts_[0], 0)
    second = np.maximum(first @ net.coefs_[1] + net.intercepts_[1], 0)
    np.testing.assert_allclose(net.transform(X), second, atol=1e-12)
    np.testing.assert_allclose(net.set_params(transform_layer=0).transform(X), first)
    assert (first == 0).any() and (first > 0).any()


@MAX_ITER
def test_deep_sigmoid_gradients_vanish_toward_the_input():
    X, y = make_friedman1(n_samples=600, random_state=0)
    net = DeepFFNRegressor(
        (16,) * 6,
        activation="logistic",
        solver="sgd",
        learning_rate_init=0.01,
        max_iter=5,
        random_state=0,
    )
    net.fit(X, (y - y.mean()) / y.std())
    norms = net.grad_norms_.mean(axis=0)
    assert net.grad_norms_.shape == (5, 7)
    assert np.all(np.diff(norms[:-1]) > 0)  # each hidden layer above gets more
    assert norms[0] < norms[5] / 20
    relu = DeepFFNRegressor(
        (16,) * 6, solver="sgd", learning_rate_init=0.01, max_iter=5, random_state=0
    ).fit(X, y / y.std())
    relu_norms = relu.grad_norms_.mean(axis=0)
    assert relu_norms[0] / relu_norms[5] > 10 * norms[0] / norms[5]


def test_clipping_bounds_the_update():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((64, 5)) * 50, rng.standard_normal((64, 1)) * 100
    moves = {}
    for clip in (None, 0.5):
        network = Network(
            [Dense(5, 8), Activation("relu"), Dense(8, 1)], LOSSES["squared_error"]()
        )
        network.initialize("glorot", np.random.default_rng(1))
        start = network.theta.copy()
        config = TrainingConfig(
            solver="sgd", learning_rate_init=0.1, momentum=0.0, penalty=None,
            max_iter=1, batch_size=64, shuffle=False, clip_norm=clip,
        )  # fmt: skip
        make_trainer(network, config, rng).train(Dataset(X, Y))
        moves[clip] = np.linalg.norm(network.theta - start)
    assert moves[None] > 10 * 0.1 * 0.5  # the raw step is far larger ...
    assert moves[0.5] == pytest.approx(0.1 * 0.5)  # ... clipping caps it at lr * c


@MAX_ITER
def test_clip_norm_through_the_estimator(digits):
    X, y = digits
    common = dict(
        solver="sgd",
        momentum=0.0,
        max_iter=1,
        batch_size=len(y),
        shuffle=False,
        alpha=0.0,
        random_state=0,
    )
    # a vanishing learning rate leaves the initial weights in place
    start = DeepFFNClassifier((16,), learning_rate_init=1e-300, **common).fit(X, y)
    clipped = DeepFFNClassifier((16,), learning_rate_init=0.1, clip_norm=0.01, **common)
    free = DeepFFNClassifier((16,), learning_rate_init=0.1, **common)
    theta = start._network.theta
    moved = np.linalg.norm(clipped.fit(X, y)._network.theta - theta)
    assert moved == pytest.approx(0.1 * 0.01, rel=1e-6)
    assert np.linalg.norm(free.fit(X, y)._network.theta - theta) > 10 * moved


@MAX_ITER
def test_bad_deep_parameters(digits):
    X, y = digits
    with pytest.raises(ValueError, match="one per hidden layer"):
        DeepFFNClassifier((8, 8), dropout=[0.1, 0.2, 0.3]).fit(X, y)
    with pytest.raises(ValueError, match="L-BFGS"):
        DeepFFNClassifier((8,), dropout=0.2, solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be"):
        DeepFFNClassifier((8, 0)).fit(X, y)
    with pytest.raises(ValueError, match=r"hidden_layer_sizes must be .*\(5.7, 3\)"):
        DeepFFNClassifier((5.7, 3)).fit(X, y)
    net = DeepFFNClassifier((8,), max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="transform_layer=3"):
        net.set_params(transform_layer=3).transform(X)


@MAX_ITER
def test_partial_fit_and_warm_start(digits):
    X, y = digits
    net = DeepFFNClassifier((16, 8), dropout=0.1, random_state=0)
    for _ in range(3):
        net.partial_fit(X, y, classes=np.unique(y))
    assert net.n_iter_ == 3 and net.grad_norms_.shape == (3, 3)
    warm = DeepFFNRegressor(
        (8, 8),
        pretraining="greedy",
        pretraining_max_iter=3,
        max_iter=4,
        warm_start=True,
        random_state=0,
    )
    warm.fit(X, y.astype(float))
    first = warm.n_iter_
    warm.fit(X, y.astype(float))  # continues, no second pre-training
    assert warm.n_iter_ == first + 4
    assert [r["stage"] for r in warm.history_][-4:] == [None] * 4
