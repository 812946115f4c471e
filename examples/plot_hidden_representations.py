"""
Hidden units as learned features
================================

A fitted network's ``transform`` returns the activations of its (last)
hidden layer: features learned from the labels, which a linear model can
then use. Two cases: concentric circles, where the raw inputs are useless to
a logistic regression and the hidden units are not, and the digits, where a
few hidden units are compared with as many principal components.
"""

# %%
# Data: two noisy concentric circles, half of the 600 points kept for testing.
# No straight line separates them, so a logistic regression on the raw
# coordinates does no better than guessing.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits, make_circles
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import FeedForwardClassifier

X, y = make_circles(n_samples=600, noise=0.15, factor=0.5, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
raw = LogisticRegression().fit(X_train, y_train)
print(f"logistic regression on the raw inputs: {raw.score(X_test, y_test):.3f}")

# %%
# The network as the first step of a ``Pipeline``: fitting the pipeline fits
# the network on the labels, then the logistic regression on the network's
# eight hidden activations. The network's own output layer is a logistic
# regression on the same features, so the two score the same here.
common = dict(
    activation="tanh", solver="lbfgs", alpha=1.0, max_iter=2000, random_state=0
)
net = FeedForwardClassifier(n_hidden=8, **common)
pipe = Pipeline([("net", net), ("logreg", LogisticRegression())])
pipe.fit(X_train, y_train)
print(f"logistic regression on 8 hidden units: {pipe.score(X_test, y_test):.3f}")
print(f"the network itself:                    {net.score(X_test, y_test):.3f}")

# %%
# What a straight line in the hidden space looks like in the input space:
# the boundary of the two logistic regressions, drawn over the test points.
# The one on the hidden units is a closed curve between the circles.
grid = np.linspace(-1.6, 1.6, 200)
xx, yy = np.meshgrid(grid, grid)
points = np.column_stack([xx.ravel(), yy.ravel()])
fig, ax = plt.subplots(figsize=(5, 5))
ax.scatter(*X_test.T, c=y_test, cmap="coolwarm", s=10)
for model, color in [(raw, "gray"), (pipe, "k")]:
    proba = model.predict_proba(points)[:, 1].reshape(xx.shape)
    ax.contour(xx, yy, proba, levels=[0.5], colors=color)
ax.set(xlabel="x1", ylabel="x2", title="boundaries: raw (gray), hidden (black)")
plt.show()

# %%
# Digits: the same recipe as compression. A network with ``k`` hidden units
# squeezes the 64 pixels into ``k`` features chosen to tell the digits
# apart; principal components keep the ``k`` directions of largest variance,
# whatever the labels. A logistic regression is fitted on each.
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
all_pixels = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
all_pixels.fit(X_train, y_train)
print(f"\ndigits, all 64 pixels: {all_pixels.score(X_test, y_test):.3f}")
print(" k  principal components  hidden units")
nets = {}
for k in (2, 5, 10):
    pcs = make_pipeline(
        StandardScaler(), PCA(n_components=k, random_state=0), LogisticRegression()
    )
    nets[k] = FeedForwardClassifier(n_hidden=k, **common)
    learned = make_pipeline(nets[k], LogisticRegression(max_iter=2000))
    scores = [m.fit(X_train, y_train).score(X_test, y_test) for m in (pcs, learned)]
    print(f"{k:2d}  {scores[0]:20.3f}  {scores[1]:12.3f}")

# %%
# Ten hidden units serve the logistic regression as well as all 64 pixels,
# while ten principal components fall about 0.1 short; at every size the
# learned features are ahead, most of all with two. The contest is not even,
# since the hidden units were fitted to the labels and the components were
# not, but that is what learned features buy.
#
# The same comparison in two dimensions, on the test digits. Left, the first
# two principal components of the pixels: half the classes overlap in the
# middle. Middle, the first two principal components of the ten hidden units:
# most digits are further apart, and 0, 3 and 6 form tight clusters of their
# own. Right, the network with two hidden units, plotted directly: the tanh
# units push most digits to the edges and corners of the square, each class
# to its own stretch, while 8 and 9 stay in the middle.
pixel_pca = make_pipeline(StandardScaler(), PCA(n_components=2, random_state=0))
hidden_pca = PCA(n_components=2, random_state=0).fit(nets[10].transform(X_train))
views = {
    "pixels, 2 principal components": pixel_pca.fit(X_train).transform(X_test),
    "10 hidden units, 2 principal components": hidden_pca.transform(
        nets[10].transform(X_test)
    ),
    "2 hidden units": nets[2].transform(X_test),
}
fig, axes = plt.subplots(1, 3, figsize=(13, 4.5))
for ax, (title, Z) in zip(axes, views.items(), strict=True):
    for digit in range(10):
        ax.scatter(*Z[y_test == digit].T, s=8, color=plt.cm.tab10(digit))
        ax.annotate(str(digit), np.median(Z[y_test == digit], axis=0), weight="bold")
    ax.set_title(title, fontsize=10)
plt.show()
