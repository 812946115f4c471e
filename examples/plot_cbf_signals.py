"""
Signals whose events start anywhere: cylinder, bell, funnel
===========================================================

Saito's cylinder-bell-funnel problem (:func:`~skdeep.datasets.make_cbf`) is
the classic test of classifiers for time series: every series is noise but
for one event, a plateau (cylinder), a rising ramp (bell) or a falling one
(funnel), which starts at a random time and lasts a random length. No single
time step says which class a series is in, and the same shape shows up at
different places in different series. A 1-D convolutional network applies
the same kernels at every time step, so it learns the shape of an edge or a
ramp once and finds it wherever it is; a dense network must learn it
separately at every position where it has seen it.
"""

# %%
# The data: 300 series of 128 steps to train on, 1,000 to test on, drawn
# with different seeds. Three of each class are drawn below: the events are
# easy to see by eye, but they start between steps 16 and 32 and last 32 to
# 96 steps.
import matplotlib.pyplot as plt
import numpy as np

from skdeep import ConvNetClassifier, DeepFFNClassifier
from skdeep.datasets import make_cbf

X_train, y_train = make_cbf(n_samples=300, random_state=0)
X_test, y_test = make_cbf(n_samples=1000, random_state=1)
classes = ["cylinder", "bell", "funnel"]

fig, axes = plt.subplots(1, 3, figsize=(10, 3), sharey=True, layout="constrained")
for label, ax in enumerate(axes):
    for series in X_train[y_train == label][:3]:
        ax.plot(series, linewidth=0.8)
    ax.set(title=classes[label], xlabel="time step")
axes[0].set_ylabel("value")
plt.show()

# %%
# A convolutional network against dense networks. The rows of ``X`` are
# signals: with ``input_shape=None`` a 2-D ``X`` is read as series of one
# channel, shape ``(128, 1)``. The convolutional network has two blocks of 8
# kernels of 5 steps, each followed by a max-pooling over 4 steps, then 16
# dense units: 1,467 parameters. The first dense network has about the same
# budget (11 hidden units, 1,455 parameters); the second has seven times
# as many. Each trains with Adam until its training loss stops improving
# (30 to 70 epochs); the accuracy is on the test series.
#
# The convolutional network is nearly perfect on the 1,000 test series
# (above 99%, a handful of mistakes); the dense networks make about 20
# times as many mistakes, and the larger one is hardly better than the
# small one: more parameters do not make up for having to learn the same
# ramp at every position.
training = dict(learning_rate_init=0.01, random_state=0)
models = {
    "ConvNet (8, 8) + 16": ConvNetClassifier(
        filters=(8, 8), kernel_size=5, pool_size=4, hidden_layer_sizes=(16,), **training
    ),
    "DeepFFN (11,)": DeepFFNClassifier((11,), **training),
    "DeepFFN (64, 32)": DeepFFNClassifier((64, 32), **training),
}


def n_parameters(net):
    """Weights and biases of every layer (a kernel's weights count once)."""
    return sum(w.size for w in net.coefs_) + sum(b.size for b in net.intercepts_)


print(f"{'model':<22}{'parameters':>11}{'epochs':>8}{'accuracy':>10}{'mistakes':>10}")
for name, net in models.items():
    net.fit(X_train, y_train)
    mistakes = np.sum(net.predict(X_test) != y_test)
    accuracy = 1 - mistakes / len(y_test)
    print(
        f"{name:<22}{n_parameters(net):>11,}{net.n_iter_:>8}"
        f"{accuracy:>10.3f}{mistakes:>10}"
    )
conv = models["ConvNet (8, 8) + 16"]
print(f"input_shape_ {conv.input_shape_}, first kernels {conv.filters_[0].shape}")

# %%
# What the first block learned: its 8 kernels of 5 steps
# (``filters_[0][:, 0, k]``, in standard units of the signal). Some have
# weights mostly of one sign: local averages, which respond to the level of
# an event and smooth the noise. Others change sign: local differences,
# which respond where the signal jumps or ramps up or down. Each is applied
# at every time step, so it finds a cylinder's edge wherever the cylinder
# starts.
kernels = conv.filters_[0][:, 0, :]
limit = np.abs(kernels).max()
fig, axes = plt.subplots(1, 8, figsize=(10, 1.8), sharey=True, layout="constrained")
for k, ax in enumerate(axes):
    colours = np.where(kernels[:, k] > 0, "tab:red", "tab:blue")
    ax.bar(np.arange(1, 6), kernels[:, k], color=colours)
    ax.axhline(0, color="k", linewidth=0.5)
    ax.set(title=f"kernel {k}", xticks=[1, 3, 5], ylim=(-limit, limit))
axes[0].set_ylabel("weight")
plt.show()
