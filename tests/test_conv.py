"""ConvNetClassifier and ConvNetRegressor: shapes, conventions and learning."""

import pickle
import tracemalloc

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skdeep import BaggedNetEnsemble, ConvNetClassifier, ConvNetRegressor
from skdeep import _conv as conv_module

# These tests stop training early on purpose; any other ConvergenceWarning
# (a divergence above all) still shows.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Solver .* maximum iterations:sklearn.exceptions.ConvergenceWarning"
)

SMALL = {"filters": (4, 8), "hidden_layer_sizes": (16,), "max_iter": 15,
         "batch_size": 50, "learning_rate_init": 0.01, "random_state": 0}  # fmt: skip


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


def test_images_and_their_rows_give_the_same_model(digits):
    X, y = digits
    images = ConvNetClassifier(**SMALL).fit(X.reshape(-1, 8, 8, 1), y)
    rows = ConvNetClassifier(**SMALL, input_shape=(8, 8, 1)).fit(X, y)
    assert images.input_shape_ == rows.input_shape_ == (8, 8, 1)
    assert images.n_features_in_ == rows.n_features_in_ == 64
    np.testing.assert_array_equal(images.predict_proba(X), rows.predict_proba(X))
    # a fitted image model also takes rows, and images without the channel axis
    np.testing.assert_array_equal(
        images.predict(X), images.predict(X.reshape(-1, 8, 8))
    )


def test_convolution_learns_digits_with_few_parameters(digits):
    X, y = digits
    net = ConvNetClassifier(**{**SMALL, "max_iter": 40}, input_shape=(8, 8, 1))
    net.fit(X[:450], y[:450])
    assert net.score(X[450:], y[450:]) > 0.8
    kernels = [kernel.shape for kernel in net.filters_]
    assert kernels == [(3, 3, 1, 4), (3, 3, 4, 8)]
    # 'same' padding and two pools of 2: 8 -> 4 -> 2, times 8 channels
    assert net.transform(X[:5]).shape == (5, 2 * 2 * 8)
    assert net.coefs_[0].shape == (9, 4)  # the im2col view: fan-in x filters
    assert net.n_layers_ == 5


def test_rows_without_input_shape_are_one_channel_signals():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 20))
    y = X[:, 5:9].sum(axis=1)
    net = ConvNetRegressor(filters=(6,), kernel_size=4, pool_size=1,
                           hidden_layer_sizes=(), max_iter=80,
                           learning_rate_init=0.01, random_state=0)  # fmt: skip
    net.fit(X[:250], y[:250])
    assert net.input_shape_ == (20, 1)
    assert net.score(X[250:], y[250:]) > 0.9
    assert net.filters_[0].shape == (4, 1, 6)


def test_each_channel_is_standardised_as_a_whole():
    rng = np.random.default_rng(0)
    images = np.stack([rng.normal(5, 1, (40, 6, 6)), rng.normal(-300, 50, (40, 6, 6))],
                      axis=-1)  # fmt: skip
    before = images.copy()
    y = rng.integers(0, 2, 40)
    net = ConvNetClassifier(filters=(2,), max_iter=2, random_state=0).fit(images, y)
    np.testing.assert_array_equal(images, before)  # the caller's data untouched
    means = net.scaler_.mean_.reshape(36, 2)
    scales = net.scaler_.scale_.reshape(36, 2)
    np.testing.assert_allclose(means, np.broadcast_to(images.mean((0, 1, 2)), (36, 2)))
    np.testing.assert_allclose(scales, np.broadcast_to(images.std((0, 1, 2)), (36, 2)))


def test_shapes_that_do_not_fit_are_named(digits):
    X, y = digits
    with pytest.raises(ValueError, match=r"input_shape=\(8, 7, 1\) holds 56 values"):
        ConvNetClassifier(input_shape=(8, 7, 1)).fit(X, y)
    with pytest.raises(ValueError, match=r"samples of shape \(8, 8, 1\), but "):
        ConvNetClassifier(input_shape=(4, 16, 1)).fit(X.reshape(-1, 8, 8, 1), y)
    with pytest.raises(ValueError, match=r"channels last; X's samples have shape"):
        ConvNetClassifier().fit(X.reshape(-1, 2, 2, 4, 4), y)
    with pytest.raises(ValueError, match="input_shape must be a positive int"):
        ConvNetClassifier(input_shape=(8, -8)).fit(X, y)
    with pytest.raises(ValueError, match="kernel_size must be an int or one per"):
        ConvNetClassifier(kernel_size=(3, 3, 3), input_shape=(8, 8, 1)).fit(X, y)
    with pytest.raises(ValueError, match="do not fit samples of shape"):
        ConvNetClassifier(padding="valid", kernel_size=5, input_shape=(8, 8, 1)).fit(
            X, y
        )
    net = ConvNetClassifier(**SMALL).fit(X.reshape(-1, 8, 8, 1), y)
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(8, 8, 1\)"):
        net.predict(X.reshape(-1, 4, 16, 1))
    with pytest.raises(ValueError, match="expecting 64 features"):
        net.predict(X[:, :60])


def test_warm_start_keeps_the_fitted_blocks(digits):
    X, y = digits
    net = ConvNetClassifier(**SMALL, input_shape=(8, 8, 1)).fit(X, y)
    net.set_params(warm_start=True, max_iter=2, activation="tanh")
    net.fit(X, y)  # an activation may change
    net.set_params(filters=(4, 6))
    with pytest.raises(ValueError, match=r"filters=\(4, 8\) \(now \(4, 6\)\)"):
        net.fit(X, y)
    assert net.filters_[1].shape[-1] == 8  # the failed fit changed nothing


def test_n_d_input_in_search_pipeline_and_ensemble(digits):
    X, y = digits
    images = X[:300].reshape(-1, 8, 8, 1)
    small = {**SMALL, "max_iter": 15}
    search = GridSearchCV(ConvNetClassifier(**small), {"pooling": ["max", "avg"]}, cv=2)
    search.fit(images, y[:300])
    assert search.best_params_["pooling"] in ("max", "avg")
    scores = cross_val_score(ConvNetClassifier(**small), images, y[:300], cv=3)
    assert scores.min() > 0.5
    scale = FunctionTransformer(lambda Z: Z / 16)  # keeps the images' shape
    pipe = make_pipeline(scale, ConvNetClassifier(**small)).fit(images, y[:300])
    assert pipe.score(images, y[:300]) > 0.7
    ensemble = BaggedNetEnsemble(ConvNetClassifier(**small), n_estimators=2,
                                 random_state=0).fit(images, y[:300])  # fmt: skip
    assert ensemble.predict_proba(images).shape == (300, 10)
    assert ensemble.estimators_[0].input_shape_ == (8, 8, 1)


def test_partial_fit_pickle_and_float32(digits):
    X, y = digits
    images = X.reshape(-1, 8, 8, 1).astype(np.float32)
    net = ConvNetClassifier(**SMALL)
    for start in range(0, 600, 200):
        net.partial_fit(images[start : start + 200], y[start : start + 200],
                        classes=np.arange(10))  # fmt: skip
    assert net.n_iter_ == 3
    assert net.transform(images[:3]).dtype == np.float32
    clone = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(
        clone.predict_proba(images), net.predict_proba(images)
    )


def _one_sgd_step(cls, X, y, **params):
    """theta moved by one full-batch SGD step (from the same initial weights)."""
    common = dict(solver="sgd", momentum=0.0, max_iter=1, batch_size=len(y),
                  shuffle=False, alpha=0.0, random_state=0, **params)  # fmt: skip
    start = cls(learning_rate_init=1e-300, **common).fit(X, y)._network.theta
    return cls(learning_rate_init=0.1, **common).fit(X, y)._network.theta - start


def test_clip_norm_bounds_the_step(digits):
    X, y = digits
    images = X.reshape(-1, 8, 8, 1)
    clipped = _one_sgd_step(ConvNetClassifier, images, y, filters=(4,), clip_norm=0.01)
    assert np.linalg.norm(clipped) == pytest.approx(0.1 * 0.01, rel=1e-6)
    free = _one_sgd_step(ConvNetClassifier, images, y, filters=(4,))
    assert np.linalg.norm(free) > 10 * 0.1 * 0.01


@pytest.mark.parametrize(
    "activation",
    ["relu", "logistic", "tanh", "identity", "leaky_relu", "elu", "softplus"],
)
@pytest.mark.parametrize("init", ["glorot", "he", "uniform"])
def test_every_activation_and_initialiser(digits, activation, init):
    X, y = digits
    net = ConvNetClassifier(filters=(3,), hidden_layer_sizes=(8,), max_iter=3,
                            activation=activation, init=init, dropout=0.2,
                            batch_size=50, learning_rate_init=0.01,
                            random_state=0)  # fmt: skip
    net.fit(X[:200].reshape(-1, 8, 8, 1), y[:200])
    assert np.isfinite(net.loss_curve_).all()
    assert net.loss_curve_[-1] < net.loss_curve_[0]
    # one gradient norm per parameterised layer (conv, dense, output) and epoch
    assert net.grad_norms_.shape == (3, 3)
    assert (net.grad_norms_ > 0).all()
    if init == "uniform":  # the course's rule: every weight in [-0.7, 0.7]
        first = ConvNetClassifier(filters=(3,), init=init, max_iter=1,
                                  learning_rate_init=1e-300,
                                  random_state=0)  # fmt: skip
        kernel = first.fit(X[:50].reshape(-1, 8, 8, 1), y[:50]).filters_[0]
        assert np.abs(kernel).max() <= 0.7
        assert np.abs(kernel).max() > 0.5


@pytest.mark.parametrize(
    "activation, pooling",
    [("relu", "max"), ("logistic", "max"), ("tanh", "max"), ("tanh", "avg")],
)
def test_max_pooling_before_the_activation_gives_the_same_model(
    digits, activation, pooling, monkeypatch
):
    """Blocks pool before a non-decreasing activation (on four times fewer
    values): the same fit, to the last bit, as activation then pooling,
    initialised alike (Glorot's bound depends on the activation above)."""
    X, y = digits
    images, y = X[:200].reshape(-1, 8, 8, 1), y[:200]
    params = {**SMALL, "max_iter": 3, "activation": activation, "pooling": pooling,
              "init": "glorot", "dropout": 0.1}  # fmt: skip
    reordered = ConvNetClassifier(**params).fit(images, y)
    monkeypatch.setattr(conv_module, "_NON_DECREASING", frozenset())
    plain = ConvNetClassifier(**params).fit(images, y)
    orders = [[type(layer).__name__ for layer in net._network.layers[:3]]
              for net in (reordered, plain)]  # fmt: skip
    pool = f"{pooling.capitalize()}Pool2D"
    first = [pool, "Activation"] if pooling == "max" else ["Activation", pool]
    assert orders == [["Conv2D", *first], ["Conv2D", "Activation", pool]]
    np.testing.assert_array_equal(reordered._network.theta, plain._network.theta)
    np.testing.assert_array_equal(reordered.transform(images), plain.transform(images))


def test_wide_feature_maps_predict_in_small_chunks():
    """4096 rows of 28 x 28 x 32 maps would take 822 MB per float64 buffer;
    prediction and validation go through fewer rows at a time instead."""
    rng = np.random.default_rng(0)
    images = rng.normal(size=(1500, 28, 28, 1))
    net = ConvNetRegressor(filters=(32,), pool_size=1, hidden_layer_sizes=(),
                           max_iter=1, random_state=0)  # fmt: skip
    net.fit(images[:20], images[:20, 0, 0, 0])
    assert net._network.chunk_rows == 2**22 // (28 * 28 * 32)
    tracemalloc.start()
    prediction = net.predict(images)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200 * 2**20  # one 1500-row buffer alone would be 301 MB
    np.testing.assert_allclose(prediction[:20], net.predict(images[:20]))
