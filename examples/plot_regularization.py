"""
Regularising a network: L2, L1 and early stopping
=================================================

Two ways to keep a network from fitting the noise. A penalty on the weights,
either L2 (ridge: shrink every weight) or L1 (lasso: set weights exactly to
zero), traced here over a grid of ``alpha``; and early stopping, which
watches a validation set during training and keeps the weights of the epoch
where the validation loss was lowest.
"""

# %%
# Data: Friedman #1 with strong noise (600 training rows, 1000 test rows).
# The networks standardise the inputs and the target themselves: they train
# in standard units and predict in the units of ``y``.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdeep import FeedForwardRegressor

X, y = make_friedman1(n_samples=1600, noise=2.0, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=600, random_state=0
)

# %%
# One 20-unit tanh network per penalty and ``alpha``, each fitted by L-BFGS
# to convergence from the same seed. We record the test R^2, the size of the
# first-layer weights ``coefs_[0]`` (Frobenius norm), the share of them that
# are exactly zero, and how many hidden units still receive any input.
alphas = [0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]
paths, nets = {}, {}
for penalty in ("l2", "l1"):
    rows = []
    for alpha in alphas:
        nets[penalty, alpha] = net = FeedForwardRegressor(
            n_hidden=20,
            activation="tanh",
            solver="lbfgs",
            penalty=penalty,
            alpha=alpha,
            max_iter=4000,
            random_state=0,
        ).fit(X_train, y_train)
        W = net.coefs_[0]
        live_units = np.any(W != 0, axis=0).sum()
        rows.append(
            (net.score(X_test, y_test), np.linalg.norm(W), np.mean(W == 0), live_units)
        )
    paths[penalty] = np.array(rows)

print("alpha   R^2 l2  R^2 l1  |W| l2  |W| l1  zero l1  live units l1")
for alpha, l2, l1 in zip(alphas, paths["l2"], paths["l1"], strict=True):
    print(
        f"{alpha:6.2f}  {l2[0]:6.3f}  {l1[0]:6.3f}  {l2[1]:6.2f}  {l1[1]:6.2f}"
        f"  {l1[2]:6.0%}  {l1[3]:5.0f}"
    )

fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
titles = ["test $R^2$", "norm of first-layer weights", "share of exact zeros"]
for column, (ax, title) in enumerate(zip(axes, titles, strict=True)):
    for penalty, path in paths.items():
        ax.plot(alphas, path[:, column], marker="o", label=penalty)
    ax.set_xscale("log")
    ax.set_xlabel("alpha")
    ax.set_title(title)
axes[0].legend()
fig.tight_layout()
plt.show()

# %%
# Both paths start with networks that fit the noise (test R^2 about 0.66 at
# the smallest penalties), rise to a peak and fall again as the penalty
# flattens the fit. L1 peaks at a smaller ``alpha`` (0.85 at alpha=1) than L2
# (0.83 at alpha=3); the two penalties measure the weights differently, so
# the same ``alpha`` is not the same strength. The weight norm shrinks
# steadily along both paths, but only L1 produces exact zeros: L2 leaves every
# weight non-zero at every ``alpha``, while L1 zeroes 71% of the first layer
# at its best ``alpha`` and all of it at alpha=100, where the network predicts
# a constant (R^2 = 0).
#
# The zeros come mostly as whole hidden units switched off: at alpha=1 only 8
# of the 20 units still receive any input. They do not single out the five
# inputs that Friedman #1 ignores: those keep about as many non-zero weights
# as the five it uses, though mostly smaller ones.
W = nets["l1", 1.0].coefs_[0]
print("L1 at alpha=1, first-layer weights of each input:")
for label, rows in [("0-4 (used)  ", W[:5]), ("5-9 (unused)", W[5:])]:
    nonzero, size = (rows != 0).sum(axis=1), np.abs(rows).sum(axis=1).round(2)
    print(f"  inputs {label}: non-zero {nonzero}, sum |w| {size}")

# %%
# Early stopping. A wider network (100 ReLU units) is trained by Adam with
# almost no penalty, once with ``early_stopping=True`` and once for a fixed
# 300 epochs. Both get the same validation rows (a quarter of the training
# set, passed as ``X_val, y_val``; without them ``validation_fraction`` of the
# rows would be held out) and the same seed, so their curves coincide until
# early stopping ends its run.
#
# The validation loss is lowest at epoch 32 and then creeps up while the
# training objective keeps falling towards zero; early stopping waits 30
# epochs for an improvement, stops and puts back the weights of epoch 32.
# The restored network scores 0.763 on the test set, against 0.709 for the
# one trained to the end. It is still no match for a tuned penalty here: the
# L2 network at alpha=3 reached 0.832, with L-BFGS and all 600 training rows.
X_fit, X_val, y_fit, y_val = train_test_split(
    X_train, y_train, test_size=0.25, random_state=0
)
settings = dict(n_hidden=100, learning_rate_init=0.01, alpha=1e-4, random_state=0)
stopped = FeedForwardRegressor(
    early_stopping=True, n_iter_no_change=30, max_iter=300, **settings
).fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
# The second run is meant to train for all 300 epochs: its warning that the
# training loss is still improving is expected and silenced.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    full = FeedForwardRegressor(n_iter_no_change=np.inf, max_iter=300, **settings).fit(
        X_fit, y_fit, X_val=X_val, y_val=y_val
    )

kept = int(np.argmin(stopped.validation_loss_curve_)) + 1
print(f"early stopping: stopped after {stopped.n_iter_} epochs, kept epoch {kept}")
print(
    f"test R^2: early stopping {stopped.score(X_test, y_test):.3f}, "
    f"all 300 epochs {full.score(X_test, y_test):.3f}"
)

fig, ax = plt.subplots()
epochs = np.arange(1, full.n_iter_ + 1)
ax.plot(epochs, full.loss_curve_, label="training objective")
ax.plot(epochs, full.validation_loss_curve_, label="validation loss")
ax.axvline(kept, color="gray", linestyle=":", label="kept epoch")
ax.axvline(stopped.n_iter_, color="black", linestyle="--", label="stopped")
ax.set_xlabel("epoch")
ax.set_ylabel("loss (half squared error)")
ax.legend()
plt.show()
