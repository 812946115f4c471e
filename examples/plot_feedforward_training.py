"""
Training a feed-forward network: early stopping, penalties and restarts
=======================================================================

A single-hidden-layer network on the digits data, three ways:

1. with early stopping on a held-out tenth of the training data, which
   restores the weights of the best epoch;
2. with an L2 (ridge) penalty against an L1 penalty of the same strength,
   which sets many weights exactly to zero;
3. with random restarts, keeping the network whose validation loss is lowest.
"""

# %%
# Data: 8x8 digit images, a quarter kept aside for testing.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdeep import FeedForwardClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# Early stopping: the validation loss bottoms out while the training loss
# keeps falling; the fitted network keeps the weights of the best epoch.
net = FeedForwardClassifier(
    n_hidden=100,
    learning_rate_init=0.01,
    early_stopping=True,
    n_iter_no_change=10,
    random_state=0,
).fit(X_train, y_train)
best_epoch = int(np.argmin(net.validation_loss_curve_)) + 1
print(f"stopped after {net.n_iter_} epochs, kept epoch {best_epoch}")
print(f"test accuracy {net.score(X_test, y_test):.3f}")

fig, ax = plt.subplots()
ax.plot(net.loss_curve_, label="training objective")
ax.plot(net.validation_loss_curve_, label="validation loss")
ax.axvline(best_epoch - 1, color="gray", linestyle=":", label="kept epoch")
ax.set_xlabel("epoch")
ax.set_ylabel("log-loss")
ax.legend()
plt.show()

# %%
# Ridge against lasso: the same alpha, very different weights.
for penalty in ("l2", "l1"):
    model = FeedForwardClassifier(
        n_hidden=50,
        solver="lbfgs",
        penalty=penalty,
        alpha=5.0,
        max_iter=500,
        random_state=0,
    ).fit(X_train, y_train)
    weights = np.concatenate([coef.ravel() for coef in model.coefs_])
    print(
        f"{penalty}: {np.mean(weights == 0):.0%} of the weights are exactly zero, "
        f"test accuracy {model.score(X_test, y_test):.3f}"
    )

# %%
# Random restarts: each seed lands in its own local minimum. A validation
# split of the training data picks the best one (the test set stays unseen).
X_fit, X_val, y_fit, y_val = train_test_split(
    X_train, y_train, test_size=0.2, stratify=y_train, random_state=0
)
restarts = FeedForwardClassifier(
    n_hidden=20, solver="lbfgs", max_iter=100, n_init=5, random_state=0
).fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
print("validation loss of each restart:", np.round(restarts.restart_losses_, 3))
print(
    f"kept restart {restarts.best_restart_}, "
    f"test accuracy {restarts.score(X_test, y_test):.3f}"
)
