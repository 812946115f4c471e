"""
Activation functions, input standardisation and initial weights
===============================================================

Three choices made before a network sees its first gradient:

1. the activation of the hidden units, drawn with its derivative and then
   compared on one regression problem;
2. whether the inputs are standardised (``standardize=True``, the default)
   when the features live on very different scales;
3. the initial weights: Glorot's fan-dependent range (``init="glorot"``, the
   default) against the fixed ``U[-init_scale, init_scale]`` rule
   (``init="uniform"``).
"""

# %%
# The activations skdeep offers (the values of ``activation``), with their
# slopes. The slope is what back-propagation multiplies by: the logistic's
# never exceeds 0.25, and logistic and tanh both flatten out away from zero
# (slopes of 0.05 and 0.01 at z = 3), while the ReLU family keeps a slope of
# one for every positive input. Each derivative is checked against a finite
# difference (away from the kink at zero).
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdeep import FeedForwardClassifier, FeedForwardRegressor

ACTIVATIONS = {  # g(z) and g'(z) of each activation skdeep offers
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
    "logistic": (
        lambda z: 1 / (1 + np.exp(-z)),
        lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2,
    ),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "leaky_relu": (
        lambda z: np.maximum(z, 0.01 * z),
        lambda z: np.where(z > 0, 1.0, 0.01),
    ),
    "elu": (
        lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
        lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))),
    ),
    "softplus": (lambda z: np.logaddexp(0, z), lambda z: 1 / (1 + np.exp(-z))),
}


def evaluate(name, z):
    """g(z) and g'(z)."""
    g, derivative = ACTIVATIONS[name]
    z = np.asarray(z, dtype=float)
    return g(z), derivative(z)


z = np.linspace(-4, 4, 401)
fig, (ax_g, ax_d) = plt.subplots(1, 2, figsize=(10, 4))
for name in ACTIVATIONS:
    g, slope = evaluate(name, z)
    numeric = (evaluate(name, z + 1e-6)[0] - evaluate(name, z - 1e-6)[0]) / 2e-6
    error = np.max(np.abs(numeric - slope)[np.abs(z) > 1e-3])
    at = evaluate(name, [-3.0, 3.0])[1]
    print(
        f"{name:>10}: max slope {slope.max():.2f}, slope at -3 {at[0]:.3f}, "
        f"at +3 {at[1]:.3f}; finite-difference error {error:.0e}"
    )
    ax_g.plot(z, g, label=name)
    ax_d.plot(z, slope, label=name)
ax_g.set(title="activation g(z)", xlabel="z", ylim=(-2, 4))
ax_d.set(title="derivative g'(z)", xlabel="z")
ax_d.legend(fontsize="small")
plt.show()

# %%
# The same 20-unit network with each activation on Friedman's regression
# problem, three seeds each, every fit given the same budget of 300 L-BFGS
# iterations (a longer budget changes the scores little, so the convergence
# warnings are silenced). The identity makes the whole network linear: it
# stops at the linear model's R^2 (0.77). Every other activation fits the
# curved target far better, between 0.96 and 0.98 on every seed: tanh
# scores best and logistic lowest, with relu, leaky_relu, elu and softplus
# in between, and the three seeds of each activation agree to within 0.006.
X, y = make_friedman1(n_samples=600, noise=0.5, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
lbfgs = dict(n_hidden=20, solver="lbfgs", alpha=1.0)
fig, ax = plt.subplots()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name in ACTIVATIONS:
        scores = []
        for seed in range(3):
            net = FeedForwardRegressor(
                activation=name, max_iter=300, random_state=seed, **lbfgs
            ).fit(X_train, y_train)
            scores.append(net.score(X_test, y_test))
            if seed == 0:
                ax.semilogy(net.loss_curve_, label=name)
        print(f"{name:>10}: test R^2 of seeds 0, 1, 2: {np.round(scores, 3)}")
ax.set(xlabel="L-BFGS iteration", ylabel="training objective (seed 0)")
ax.legend(fontsize="small")
plt.show()

# %%
# Standardisation. Multiply the five informative features by 1000 (the other
# five are noise) and train the same tanh network with and without
# ``standardize``. On the raw scale the initial weights produce huge
# pre-activations, so the hidden units sit in tanh's flat tails, where the
# slope is about zero, and L-BFGS makes little progress: after 1000
# iterations (the raw fit has not converged, hence the silenced warning)
# 99.9% of the hidden activations are beyond +-0.99, against 4% for the
# standardised network, and the held-out R^2 is poor (0.20, against 0.98).
# The two objectives are not in the same units: ``standardize=True``
# standardises the target too, so that network's objective is in standard
# units, while the raw network's is in the squared units of ``y`` (whose
# variance is about 26). Divided by that variance the raw objective is still
# about 0.38, twenty times the standardised network's 0.019.
X_big, X_big_test = X_train.copy(), X_test.copy()
X_big[:, :5] *= 1000
X_big_test[:, :5] *= 1000
params = dict(activation="tanh", max_iter=1000, random_state=0, **lbfgs)
fig, ax = plt.subplots()
for standardize in (True, False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = FeedForwardRegressor(standardize=standardize, **params)
        net.fit(X_big, y_train)
    saturated = np.mean(np.abs(net.transform(X_big)) > 0.99)
    print(
        f"standardize={standardize}: {net.n_iter_} iterations, training "
        f"objective {net.loss_:.3f}, test R^2 {net.score(X_big_test, y_test):.3f}, "
        f"{saturated:.1%} of hidden activations beyond +-0.99"
    )
    ax.semilogy(net.loss_curve_, label=f"standardize={standardize}")
ax.set(xlabel="L-BFGS iteration", ylabel="training objective")
ax.legend()
plt.show()

# %%
# Initial weights. ``init="uniform"`` draws every weight from
# ``U[-init_scale, init_scale]`` whatever the layer's size; Glorot's range
# ``sqrt(6 / (fan_in + fan_out))`` shrinks as layers grow. On the 64 pixels
# of the digits, with 50 tanh units, Glorot's bound is about 0.23, so the
# classic 0.7 starts three times wider and 2.0 far wider. Wide starts begin
# with a much larger loss and 2.0 needs twice the epochs. All of them end up
# fitting the training data almost perfectly, but the wider the start, the
# worse the held-out loss and accuracy. A uniform start of Glorot's size
# behaves like Glorot. (The held-out set, passed as ``X_val``, is only
# monitored; it does not stop the training.)
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
print(f"Glorot bound of the hidden layer: {np.sqrt(6 / (64 + 50)):.2f}")
params = dict(n_hidden=50, activation="tanh", max_iter=1000, random_state=0)
fig, ax = plt.subplots()
starts = [("glorot", 0.7), ("uniform", 0.2), ("uniform", 0.7), ("uniform", 2.0)]
for init, scale in starts:
    net = FeedForwardClassifier(init=init, init_scale=scale, **params)
    net.fit(X_train, y_train, X_val=X_test, y_val=y_test)
    label = init if init == "glorot" else f"uniform, init_scale={scale}"
    print(
        f"{label:>25}: first-epoch loss {net.loss_curve_[0]:.2f}, "
        f"{net.n_iter_} epochs, final training loss {net.loss_:.3f}, held-out "
        f"loss {net.validation_loss_curve_[-1]:.3f}, accuracy "
        f"{net.score(X_test, y_test):.3f}"
    )
    (line,) = ax.semilogy(net.loss_curve_, label=label)
    ax.semilogy(net.validation_loss_curve_, color=line.get_color(), linestyle="--")
ax.set(xlabel="epoch", ylabel="log-loss (solid: training, dashed: held-out)")
ax.legend()
plt.show()
