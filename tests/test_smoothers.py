"""The ridge-function smoothers: correctness, weights, ties, derivatives."""

import numpy as np
import pytest

from skdeep._smoothers import (
    RunningLines,
    pool_ties,
    pspline,
    running_line,
    supersmoother,
)
from skdeep.utils._testing import check_directional_gradient


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_pool_ties_merges_equal_abscissas(rng):
    x = np.array([3.0, 1.0, 3.0, 2.0, 1.0])
    y = np.array([[1.0], [2.0], [5.0], [0.0], [4.0]])
    w = np.array([1.0, 1.0, 3.0, 1.0, 1.0])
    xu, yu, wu, group = pool_ties(x, y, w)
    np.testing.assert_array_equal(xu, [1, 2, 3])
    np.testing.assert_allclose(yu[:, 0], [3.0, 0.0, 4.0])  # (1*1 + 3*5) / 4 = 4
    np.testing.assert_array_equal(wu, [2, 1, 4])
    np.testing.assert_array_equal(xu[group], x)


def test_zero_weights_act_as_removed_points(rng):
    x, y = rng.random(60), rng.standard_normal(60)
    w = rng.integers(0, 3, 60).astype(float)
    for smoother in (supersmoother, pspline):
        weighted = smoother(x, y, w)
        kept = w > 0
        removed = smoother(x[kept], y[kept], w[kept])
        np.testing.assert_allclose(weighted(x), removed(x), rtol=1e-10, atol=1e-12)


def test_running_line_is_a_local_least_squares_line(rng):
    x = np.sort(rng.random(40))
    y, w = rng.standard_normal(40), rng.uniform(0.5, 2, 40)
    fit, slope = running_line(x, y, w, span=0.25)  # windows of 10 points
    for i in (0, 7, 20, 39):
        lo = int(np.clip(i - 5, 0, 30))
        window = slice(lo, lo + 10)
        coef = np.polyfit(x[window], y[window], 1, w=np.sqrt(w[window]))
        np.testing.assert_allclose(slope[i], coef[0], rtol=1e-8)
        np.testing.assert_allclose(fit[i], np.polyval(coef, x[i]), rtol=1e-8)


def test_cross_validated_residuals_are_leave_one_out(rng):
    x, y, w = np.sort(rng.random(30)), rng.standard_normal(30), np.ones(30)
    lines = RunningLines(x, w)
    _, _, cv = lines.fit(y, [0.3], with_cv=True)
    i, lo = 12, 12 - 4
    window = [j for j in range(lo, lo + 9) if j != i]
    coef = np.polyfit(x[window], y[window], 1)
    np.testing.assert_allclose(cv[0, 0, i], y[i] - np.polyval(coef, x[i]), rtol=1e-8)


@pytest.mark.parametrize("smoother", [supersmoother, pspline])
def test_ties_get_one_value_and_extrapolation_is_flat(smoother, rng):
    x = np.round(rng.random(300), 2)  # many ties
    y = np.sin(4 * x) + 0.1 * rng.standard_normal(300)
    ridge = smoother(x, y)
    values = ridge(x)
    for value in np.unique(x)[:10]:
        assert np.ptp(values[x == value]) == 0
    assert ridge(-5.0) == pytest.approx(ridge(x.min()))
    assert ridge(7.0) == pytest.approx(ridge(x.max()))
    np.testing.assert_array_equal(ridge.derivative(np.array([-5.0, 7.0])), 0.0)


def test_supersmoother_adapts_and_bass_smooths(rng):
    x = rng.random(2000)
    f = np.where(x < 0.5, np.sin(20 * x), 0.2 * x)  # wiggly, then flat
    y = f + 0.2 * rng.standard_normal(2000)
    adaptive = supersmoother(x, y)
    woofer = supersmoother(x, y, span=0.5)
    assert np.sqrt(np.mean((adaptive(x) - f) ** 2)) < 0.08
    assert np.sqrt(np.mean((woofer(x) - f) ** 2)) > 0.2
    rough = np.abs(np.diff(adaptive.values, 2)).sum()
    smooth = np.abs(np.diff(supersmoother(x, y, bass=9).values, 2)).sum()
    assert smooth < rough


def test_supersmoother_slopes_follow_the_curve(rng):
    x = rng.random(5000)
    y = np.sin(3 * x) + 0.05 * rng.standard_normal(5000)
    ridge = supersmoother(x, y)
    inner = (x > 0.1) & (x < 0.9)
    error = ridge.derivative(x[inner]) - 3 * np.cos(3 * x[inner])
    assert np.sqrt(np.mean(error**2)) < 0.15


def test_pspline_derivative_matches_finite_differences(rng):
    x = rng.random(500)
    ridge = pspline(x, np.exp(x) + 0.05 * rng.standard_normal(500))
    inner = np.linspace(0.05, 0.95, 7)
    error = check_directional_gradient(
        lambda v: float(np.sum(ridge(v))), ridge.derivative, inner, rng
    )
    assert error < 1e-6
    # the stored knot values and slopes are those of the spline itself
    np.testing.assert_allclose(ridge.values, ridge.spline(ridge.knots), atol=1e-12)
    np.testing.assert_allclose(
        ridge.slopes, ridge.spline.derivative()(ridge.knots), atol=1e-10
    )


def test_pspline_smoothing_controls(rng):
    x = rng.random(400)
    y = np.sin(6 * x) + 0.3 * rng.standard_normal(400)
    gcv = pspline(x, y)
    assert np.sqrt(np.mean((gcv(x) - np.sin(6 * x)) ** 2)) < 0.1
    stiff = pspline(x, y, smoothing=1e9)  # a straight line
    slope = np.diff(stiff(np.array([0.2, 0.8])))[0] / 0.6
    np.testing.assert_allclose(stiff.derivative(np.array([0.3, 0.7])), slope, rtol=1e-4)
    wiggly = pspline(x, y, df=20)
    assert (
        np.abs(np.diff(wiggly.values, 2)).sum() > np.abs(np.diff(gcv.values, 2)).sum()
    )


@pytest.mark.parametrize("smoother", [supersmoother, pspline])
def test_too_few_points_give_a_line_or_a_constant(smoother):
    line = smoother(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]))
    np.testing.assert_allclose(line(np.array([0.5, 1.5])), [2.0, 4.0])
    constant = smoother(np.ones(5), np.arange(5.0))
    np.testing.assert_allclose(constant(np.array([0.0, 1.0, 2.0])), 2.0)
    assert np.isfinite(constant.derivative(np.array([1.0]))).all()


@pytest.mark.parametrize(
    "settings", [{}, {"smoothing": 1.0}, {"df": 6}], ids=["gcv", "smoothing", "df"]
)
def test_pspline_depends_only_on_the_ratios_of_the_weights(settings, rng):
    # GCV counted sum(w) as the sample size, so weights summing to 1 chose
    # the least smoothing; a fixed penalty weighed against sum(w) too.
    x = rng.random(300)
    y = np.sin(6 * x) + 0.3 * rng.standard_normal(300)
    w = rng.uniform(0.5, 2.0, 300)
    w[::7] = 0.0
    reference = pspline(x, y, w, **settings)(x)
    for scale in (1e-3, 1.0 / w.sum(), 1e3):
        np.testing.assert_allclose(
            pspline(x, y, scale * w, **settings)(x), reference, rtol=1e-9, atol=1e-12
        )


@pytest.mark.parametrize(
    "settings", [{}, {"smoothing": 1.0}, {"df": 6}], ids=["gcv", "smoothing", "df"]
)
def test_pspline_integer_weights_are_repeated_points(settings, rng):
    x = rng.random(200)
    y = np.sin(6 * x) + 0.3 * rng.standard_normal(200)
    counts = rng.integers(0, 4, 200)
    weighted = pspline(x, y, counts.astype(float), **settings)(x)
    repeated = pspline(np.repeat(x, counts), np.repeat(y, counts), **settings)(x)
    np.testing.assert_allclose(weighted, repeated, rtol=1e-9, atol=1e-12)
    # the whole sample twice is no new information: the same curve
    once = pspline(x, y, **settings)(x)
    twice = pspline(np.repeat(x, 2), np.repeat(y, 2), **settings)(x)
    np.testing.assert_allclose(twice, once, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "settings", [{}, {"smoothing": 1.0}, {"df": 8}], ids=["gcv", "smoothing", "df"]
)
def test_pspline_is_stable_across_a_gap_in_the_data(settings, rng):
    # Basis functions over a gap see no data, so the gram matrix is singular;
    # the penalty alone must settle them, not rounding. Moving every x (or
    # weight) by one unit in the last place used to move the curve by 1e-3.
    x = np.concatenate([rng.random(150) * 0.3, 0.7 + rng.random(150) * 0.3])
    y = np.sin(6 * x) + 0.3 * rng.standard_normal(300)
    w = rng.uniform(0.5, 2.0, 300)
    moved = x * (1 + 2**-52)
    curve = pspline(x, y, w, **settings)
    np.testing.assert_allclose(
        pspline(moved, y, w, **settings)(moved), curve(x), rtol=0, atol=1e-10
    )
    nudged = w * (1 + 2**-52)
    np.testing.assert_allclose(
        pspline(x, y, nudged, **settings)(x), curve(x), rtol=0, atol=1e-10
    )
    between = curve(np.linspace(0.3, 0.7, 9))
    assert np.all(np.abs(between) < 2)  # bridged, not blown up
