"""
Long-term dependencies: a tanh RNN against an LSTM
==================================================

A recurrent network shares its weights across time steps, carrying a hidden
state from one step to the next. Back-propagation through time multiplies
the error signal by the recurrent weights and the activation's slope once
per step on its way back, so in a plain tanh RNN the gradient that reaches
a step far from the output is tiny: the network cannot learn what depends
on inputs long ago, the long-term dependency problem that deep chains of
sigmoids suffer too. The long short-term memory (LSTM) cell adds a cell
state that is only scaled by a forget gate and added to from step to step,
so the signal can travel back over many steps.

The adding problem (Hochreiter and Schmidhuber, 1997) tests exactly this.
Each sequence has two channels: values drawn uniformly on [0, 1], and a
marker that is 1 at two steps (one in each half of the sequence) and 0
elsewhere. The target is the sum of the two marked values. Predicting 1,
the mean, every time gives a mean squared error of 1/6 = 0.167 (the
variance of a sum of two uniforms); to do better, a network must remember
the first marked value over tens of steps.
"""

# %%
# The data: sequences of 50 steps, 1,000 to train on and 500 to validate
# on, as ``(n_samples, n_timesteps, n_features)`` arrays.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdeep import RecurrentRegressor


def adding_problem(n_samples, n_timesteps, rng):
    """Sequences of (value, marker) pairs and the sum of the marked values."""
    values = rng.uniform(size=(n_samples, n_timesteps))
    markers = np.zeros((n_samples, n_timesteps))
    rows = np.arange(n_samples)
    markers[rows, rng.integers(0, n_timesteps // 2, size=n_samples)] = 1
    markers[rows, rng.integers(n_timesteps // 2, n_timesteps, size=n_samples)] = 1
    X = np.stack([values, markers], axis=2)
    return X, np.sum(values * markers, axis=1)


rng = np.random.default_rng(0)
X_train, y_train = adding_problem(1000, 50, rng)
X_val, y_val = adding_problem(500, 50, rng)
baseline = np.mean((y_val - 1) ** 2)
print(f"X_train {X_train.shape}; MSE of predicting 1 on X_val: {baseline:.3f}")

# %%
# Loss curves. Both networks have one recurrent layer of 16 units read by a
# linear output, and train with Adam (learning rate 0.01, minibatches of 32)
# for exactly 10 epochs (``n_iter_no_change=np.inf`` switches off the
# stopping rule; the convergence warnings this gives are silenced). The
# validation set is passed to ``fit``, which records its R^2 every epoch in
# ``validation_scores_``; the mean squared error is ``(1 - R^2)`` times the
# variance of the validation targets.
#
# The tanh RNN never leaves the level of always predicting 1: it has not
# learned to remember anything. The LSTM falls below it from the second
# epoch, below 0.01 by the fourth, and ends near 0.002, about 80 times
# smaller (the exact epochs vary with the seed; the contrast does not).
budget = dict(
    hidden_size=16,
    learning_rate_init=0.01,
    batch_size=32,
    max_iter=10,
    n_iter_no_change=np.inf,
    random_state=0,
)
networks = {}
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for cell in ("rnn", "lstm"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = RecurrentRegressor(cell=cell, **budget)
        net.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    networks[cell] = net
    mse = (1 - np.asarray(net.validation_scores_)) * np.var(y_val)
    print(f"{cell:>5}: validation MSE per epoch {np.round(mse, 3)}")
    ax.semilogy(np.arange(1, len(mse) + 1), mse, "o-", label=f'cell="{cell}"')
ax.axhline(baseline, color="gray", linestyle=":", label="always predict 1")
ax.set(xlabel="epoch", ylabel="validation mean squared error")
ax.legend()
plt.show()


# %%
# Why: the gradient at each step. A recurrent layer of the engine can record
# the norm of the gradient of the loss with respect to its hidden state at
# every step, ``dL/dh_t``, during a backward pass
# (``record_step_norms``). The helper below switches that on for the
# fitted network's recurrent layer (``net._network.layers[0]``, a private
# attribute: this is a diagnostic, not part of the estimator's API) and runs
# one forward and backward pass of the validation set through the engine,
# in the network's own units (inputs standardised by ``scaler_``, targets by
# the fitted target scaling).
def step_gradient_norms(net, X, y):
    """The norm of dL/dh_t at each step t, for a fitted network, on (X, y)."""
    network = net._network
    layer = network.layers[0]
    rows = net.scaler_.transform(X.reshape(len(X), -1))
    targets = net._targets.encode(y.reshape(-1, 1))
    layer.record_step_norms = True
    network.loss_and_gradient(rows, targets, None, 1 / len(X))
    layer.record_step_norms = False
    return layer.step_grad_norms


# %%
# The loss depends on the last output only, so the gradient enters at step
# 50 and flows back from there. Through the trained tanh RNN it shrinks by a
# roughly constant factor at every step back: about 30 times smaller at step
# 25 than at step 50, and 600 times smaller at step 1. The first marked
# value (somewhere in steps 1 to 25) gets almost no signal, so the weights
# never learn to keep it. Through the trained LSTM the gradient drops over
# the last few steps, then stays flat all the way back to the first step:
# an error at the output reaches the first marker as strongly as the
# second.
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
steps = np.arange(1, X_val.shape[1] + 1)
for cell, net in networks.items():
    norms = step_gradient_norms(net, X_val, y_val)
    print(
        f"{cell:>5}: |dL/dh_t| at t = 50, 40, 25, 1: "
        f"{' '.join(f'{norms[t - 1]:.1e}' for t in (50, 40, 25, 1))}"
    )
    ax.semilogy(steps, norms, label=f'cell="{cell}"')
ax.axvspan(1, 25, color="gray", alpha=0.15, label="first marker somewhere here")
ax.set(xlabel="time step t", ylabel="norm of dL/dh_t (validation set)")
ax.legend()
plt.show()
