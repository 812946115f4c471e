"""
Many local minima: restarts, averaging and bagging
==================================================

A network's training loss has many local minima, and the random initial
weights decide which one a fit ends in. Here the same small network is fitted
to the same 80 noisy points from 30 seeds; the spread of the test scores shows
how much the seed matters. Then four ways around it are compared on the same
test data: keeping the best of several restarts (by training loss or on
held-out rows), averaging the restarts, and bagging, whose members' spread
also gives a rough uncertainty band.
"""

# %%
# Data: a wiggly curve plus noise, 80 training points on [-3, 3] and 1000
# test points from the same distribution, so that test scores are precise.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone

from skdeep import BaggedNetEnsemble, FeedForwardRegressor

rng = np.random.RandomState(0)


def truth(x):
    return np.sin(3 * x) + 0.3 * x


X_train = rng.uniform(-3, 3, size=(80, 1))
y_train = truth(X_train[:, 0]) + rng.normal(scale=0.3, size=80)
X_test = rng.uniform(-3, 3, size=(1000, 1))
y_test = truth(X_test[:, 0]) + rng.normal(scale=0.3, size=1000)
grid = np.linspace(-4, 4, 401)[:, None]

# %%
# Thirty fits of a 10-unit ReLU network, identical but for ``random_state``.
# L-BFGS runs each one to convergence (no warning is raised), so the
# differences do not come from stopping early: the fits end in different
# minima.
net = FeedForwardRegressor(n_hidden=10, solver="lbfgs", alpha=0.01, max_iter=3000)
fits = [clone(net).set_params(random_state=s).fit(X_train, y_train) for s in range(30)]
single = np.array([fit.score(X_test, y_test) for fit in fits])
train_loss = np.array([fit.loss_ for fit in fits])
print(
    f"single fits, test R^2: min {single.min():.3f}, median {np.median(single):.3f}, "
    f"max {single.max():.3f}, mean {single.mean():.3f}"
)
correlation = np.corrcoef(train_loss, single)[0, 1]
print(f"correlation of final training loss and test R^2: {correlation:.2f}")

# %%
# Left, the fitted curves: 18 of the 30 fits follow every wiggle (test
# R^2 0.86 to 0.89), the others cut straight through the middle ones (0.62
# to 0.70; the worst, at 0.50, is no better than a linear regression). Right,
# the training loss alone tells the two groups apart: the bad minima underfit
# rather than overfit, so here a lower training loss means a better test
# score.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
inside = np.abs(grid[:, 0]) <= 3
for fit, score in zip(fits, single, strict=True):
    colour = plt.cm.viridis((score - 0.5) / 0.4)
    left.plot(grid[inside], fit.predict(grid[inside]), color=colour, linewidth=0.8)
left.scatter(X_train, y_train, color="black", s=8, zorder=3)
left.set_title("30 fits (colour: test $R^2$, yellow is best)")
right.scatter(train_loss, single)
right.set_xlabel("final training objective")
right.set_ylabel("test $R^2$")
plt.show()

# %%
# Four remedies, each built from 8 fits of the network and each tried with
# three seeds of its own:
#
# - ``n_init=8``: restarts inside the network, keeping the lowest training
#   loss;
# - ``combine="best"``: keep the restart that scores best on a held-out
#   quarter of the training rows (so every member trains on 60 rows only);
# - ``bootstrap=False``: average the 8 restarts;
# - the default: bagging, each member fitted on its own bootstrap sample.


def remedy(name, seed):
    if name == "n_init":
        return clone(net).set_params(n_init=8, random_state=seed)
    if name == "best of 8":
        return BaggedNetEnsemble(
            net,
            8,
            bootstrap=False,
            combine="best",
            validation_fraction=0.25,
            random_state=seed,
        )
    if name == "mean of 8":
        return BaggedNetEnsemble(net, 8, bootstrap=False, random_state=seed)
    return BaggedNetEnsemble(net, 8, random_state=seed)


scores = {}
for name in ["n_init", "best of 8", "mean of 8", "bagging"]:
    models = [remedy(name, seed).fit(X_train, y_train) for seed in range(3)]
    scores[name] = [model.score(X_test, y_test) for model in models]
    runs = " ".join(f"{s:.3f}" for s in scores[name])
    print(f"{name:>9}: test R^2 {runs}, mean {np.mean(scores[name]):.3f}")
bagged = models[0]

# %%
# Every remedy beats the mean single fit (0.79), since each makes ending up
# with a bad minimum unlikely, but only ``n_init`` reliably beats the median
# one (0.87). Because the training loss picks out the good minima so well
# here, ``n_init`` does best. Selecting on held-out rows comes next: its
# members lose a quarter of the data, and 20 rows are a noisy judge.
# Averaging is sure to beat its average member, but the members in bad minima
# pull the mean towards a straight line. Bagging, whose members also miss
# about a third of the distinct rows each, is about as good as averaging,
# a little lower on average and more variable from seed to seed.
fig, ax = plt.subplots()
jitter = np.random.RandomState(1).uniform(-0.1, 0.1, size=len(single))
ax.scatter(jitter, single, alpha=0.6)
for position, name in enumerate(scores, start=1):
    ax.scatter([position] * 3, scores[name], color="C1")
ax.set_xticks(range(5), ["single fits"] + list(scores))
ax.set_ylabel("test $R^2$")
plt.show()

# %%
# Uncertainty: ``predict(X, return_std=True)`` also returns the spread of the
# bagged members' predictions. Inside the data it is widest at the bumps that
# some members missed; outside [-3, 3], where no member has data and each
# extrapolates in its own way, it keeps growing. It measures how much the
# members disagree, not the noise in ``y``.
mean, std = bagged.predict(grid, return_std=True)
print(
    f"bagging std: mean {std[inside].mean():.3f} inside [-3, 3], "
    f"{std[~inside].mean():.3f} outside"
)
fig, ax = plt.subplots()
ax.fill_between(
    grid[:, 0], mean - 2 * std, mean + 2 * std, alpha=0.3, label="mean ± 2 std"
)
ax.plot(grid, mean, label="bagged mean")
ax.plot(grid, truth(grid), "k--", linewidth=1, label="truth")
ax.scatter(X_train, y_train, color="black", s=8)
ax.legend()
plt.show()
