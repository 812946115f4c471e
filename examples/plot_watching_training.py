"""
Watching a network train
========================

Training a network is a sequence of decisions the fit makes on its own:
when to stop, which weights to keep, how much each layer learns. This
example trains a deep network with dropout and early stopping on the
handwritten digits and watches it three ways: the ``verbose`` lines printed
as it trains, scikit-learn's callbacks (a progress bar and a score per
epoch), and :class:`~skdeep.TrainingHistoryDisplay`, the figure of its
history. See :ref:`monitoring` in the user guide.
"""

# %%
# The data: 1,797 images of 8 x 8 pixels, split into a training and a test
# set. The network has three hidden layers of 64 tanh units, drops 10 % of
# each hidden layer's units while training, and stops early: 10 % of the
# training set is held out, and training stops once the validation loss has
# not improved for 10 epochs, keeping the weights of the best epoch.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdeep import BaggedNetEnsemble, DeepFFNClassifier, TrainingHistoryDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
net = DeepFFNClassifier(
    hidden_layer_sizes=(64, 64, 64),
    activation="tanh",
    dropout=0.1,
    early_stopping=True,
    random_state=0,
    verbose=1,
)

# %%
# Verbose output
# --------------
# With ``verbose=1`` each epoch prints a line: its number out of the budget
# (``max_iter=200``), the training loss (of the thinned networks dropout
# trains), the validation loss and accuracy, how long the epoch took, the
# time so far and the time left if the whole budget were used. The last line
# says why training stopped and which epoch's weights were kept.
net.fit(X_train, y_train)
print(f"test accuracy {net.score(X_test, y_test):.3f}")

# %%
# Callbacks: a progress bar and a score per epoch
# -----------------------------------------------
# scikit-learn 1.9's callbacks work on every skdeep estimator. A
# ``ProgressBar`` draws a bar for the fit (in a notebook or terminal it
# moves as the epochs pass); a ``ScoringMonitor`` scores the model as it
# stood after each epoch, here the accuracy on the training set, which the
# history does not record. Both are set with ``set_callbacks``; ``verbose``
# is turned off so the bar is not interleaved with text.
monitor = ScoringMonitor(scoring="accuracy")
net.set_params(verbose=0).set_callbacks(ProgressBar(), monitor)
net.fit(X_train, y_train)

scores = monitor.get_logs().data_as_pandas
train_accuracy = scores.loc[scores["task_name"] == "epoch", "accuracy"].to_numpy()
print(f"{len(train_accuracy)} epochs scored; training accuracy "
      f"{train_accuracy[0]:.3f} after the first, {train_accuracy[-1]:.3f} "
      f"after the last")  # fmt: skip

# %%
# The history as a figure
# -----------------------
# :class:`~skdeep.TrainingHistoryDisplay` draws ``history_``: the training
# and validation losses, the validation accuracy, and the gradient norm of
# each layer's weights on a log scale, with the kept epoch marked. The
# validation loss levels off after about 30 epochs while the training loss
# keeps falling: the network has started fitting the training set's
# peculiarities, and early stopping keeps the weights of the epoch with the
# lowest validation loss. The gradient norms shrink as training settles. They
# do not vanish toward the input here (the first layer's are the largest):
# three tanh layers on standardised inputs are shallow enough. The example
# :ref:`sphx_glr_auto_examples_plot_deep_vanishing_gradients.py` shows a
# network where they do.
TrainingHistoryDisplay.from_estimator(net)
plt.show()

# %%
# The training accuracy from the ``ScoringMonitor`` sits beside the
# validation accuracy from the history: the gap between them is what the
# network has memorised rather than learned.
epochs = np.arange(1, len(train_accuracy) + 1)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(epochs, train_accuracy, label="training (ScoringMonitor)")
ax.plot(epochs, net.validation_scores_, label="validation (history_)")
ax.axvline(net.kept_epoch_, color="0.5", linestyle=":", label="kept epoch")
ax.set(xlabel="epoch", ylabel="accuracy", ylim=(0.8, 1.005))
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()

# %%
# Every member of an ensemble
# ---------------------------
# A :class:`~skdeep.BaggedNetEnsemble` with ``verbose=1`` prints a line as
# each member finishes, and its history figure overlays every member's
# curves: here five restarts of the same network on bootstrap samples, whose
# early stopping chose different epochs.
ensemble = BaggedNetEnsemble(
    DeepFFNClassifier((64, 64, 64), activation="tanh", dropout=0.1,
                      early_stopping=True),
    n_estimators=5,
    random_state=0,
    verbose=1,
)  # fmt: skip
ensemble.fit(X_train, y_train)
print(f"ensemble test accuracy {ensemble.score(X_test, y_test):.3f}")
TrainingHistoryDisplay.from_estimator(ensemble)
plt.show()
