"""RidgeFunctionDisplay draws each term over its partial residuals."""

import numpy as np
import pytest

from skdeep import PPRRegressor, RidgeFunctionDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, (300, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.05 * rng.standard_normal(300)
    return PPRRegressor(n_terms=2, random_state=0).fit(X, y), X, y


def test_display_draws_terms_over_partial_residuals(fitted):
    import matplotlib.pyplot as plt

    ppr, X, y = fitted
    display = RidgeFunctionDisplay.from_estimator(ppr, X, y)
    assert len(display.axes_) == len(display.lines_) == 2
    for m, (line, scatter) in enumerate(
        zip(display.lines_, display.scatters_, strict=True)
    ):
        u = X @ ppr.directions_[m]
        offsets = scatter.get_offsets()
        np.testing.assert_allclose(offsets[:, 0], u)
        partial = y - ppr.predict(X) + ppr.term_weights_[m] * ppr.ridge_functions_[m](u)
        np.testing.assert_allclose(offsets[:, 1], partial)
        grid, curve = line.get_data()
        np.testing.assert_allclose(
            curve, ppr.term_weights_[m] * ppr.ridge_functions_[m](grid)
        )
    plt.close("all")


def test_display_draws_on_given_axes(fitted):
    import matplotlib.pyplot as plt

    ppr, X, y = fitted
    figure, axes = plt.subplots(2, 1)
    display = RidgeFunctionDisplay.from_estimator(ppr, X, y, ax=axes)
    assert display.figure_ is figure
    assert all(a.get_title().startswith("term") for a in axes)
    plt.close("all")


def test_display_needs_a_fitted_model():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RidgeFunctionDisplay.from_estimator(
            PPRRegressor(random_state=0), np.ones((3, 2)), np.ones(3)
        )
