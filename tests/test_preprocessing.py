"""make_windows: exact windows on small series, panels, errors, and no copies."""

import tracemalloc

import numpy as np
import pytest
from sklearn.model_selection import TimeSeriesSplit

from skdeep.preprocessing import make_windows


def test_windows_of_one_series_are_consecutive_values_and_the_next():
    X, y = make_windows(np.arange(10), window=3)
    assert X.shape == (7, 3, 1) and y.shape == (7,)
    np.testing.assert_array_equal(X[:, :, 0], [[i, i + 1, i + 2] for i in range(7)])
    np.testing.assert_array_equal(y, np.arange(3, 10))


def test_horizon_skips_steps_before_the_target():
    X, y, index = make_windows(np.arange(10), window=3, horizon=3, return_index=True)
    np.testing.assert_array_equal(X[:, :, 0], [[i, i + 1, i + 2] for i in range(5)])
    np.testing.assert_array_equal(y, np.arange(5, 10))
    np.testing.assert_array_equal(index, [[0, t] for t in range(5, 10)])


@pytest.mark.parametrize(
    "n_times, starts", [(10, [0, 3, 6]), (11, [1, 4, 7]), (12, [2, 5, 8])]
)
def test_stride_counts_back_from_the_last_value(n_times, starts):
    X, y = make_windows(np.arange(n_times), window=3, stride=3)
    np.testing.assert_array_equal(X[:, :, 0], [[s, s + 1, s + 2] for s in starts])
    np.testing.assert_array_equal(y, np.array(starts) + 3)
    assert y[-1] == n_times - 1


def test_multivariate_windows_and_targets():
    series = np.arange(20).reshape(10, 2)  # row t is [2t, 2t + 1]
    X, y = make_windows(series, window=3, horizon=2)
    assert X.shape == (6, 3, 2) and y.shape == (6, 2)
    np.testing.assert_array_equal(X[2], series[2:5])
    np.testing.assert_array_equal(y, series[4:10])
    X_one, y_one = make_windows(series, window=3, horizon=2, target=1)
    np.testing.assert_array_equal(X_one, X)
    np.testing.assert_array_equal(y_one, series[4:10, 1])
    y_list = make_windows(series, window=3, horizon=2, target=[1])[1]
    np.testing.assert_array_equal(y_list, series[4:10, [1]])
    y_swapped = make_windows(series, window=3, horizon=2, target=(1, 0))[1]
    np.testing.assert_array_equal(y_swapped, series[4:10, ::-1])
    y_column = make_windows(series[:, :1], window=3, horizon=2)[1]
    assert y_column.shape == (6,)


def test_windows_never_cross_series_and_short_series_give_none():
    panel = [np.arange(6), 100 + np.arange(3), 200 + np.arange(5)]
    X, y, index = make_windows(panel, window=2, horizon=2, return_index=True)
    assert X.shape == (5, 2, 1)
    np.testing.assert_array_equal(
        X[:, :, 0], [[0, 1], [1, 2], [2, 3], [200, 201], [201, 202]]
    )
    np.testing.assert_array_equal(y, [3, 4, 5, 203, 204])
    np.testing.assert_array_equal(index, [[0, 3], [0, 4], [0, 5], [2, 3], [2, 4]])


@pytest.mark.parametrize("window, horizon, stride", [(1, 1, 1), (4, 2, 3), (3, 5, 2)])
def test_every_window_is_the_series_before_its_target(window, horizon, stride):
    rng = np.random.RandomState(0)
    panel = [rng.normal(size=(n, 3)) for n in (30, 7, 19, 8)]
    X, y, index = make_windows(
        panel, window, horizon=horizon, stride=stride, return_index=True
    )
    expected = sum(max(0, (len(s) - window - horizon) // stride + 1) for s in panel)
    assert len(X) == len(y) == len(index) == expected
    for inputs, target, (number, time) in zip(X, y, index, strict=True):
        last = time - horizon
        np.testing.assert_array_equal(
            inputs, panel[number][last - window + 1 : last + 1]
        )
        np.testing.assert_array_equal(target, panel[number][time])
    # series by series, in time order within each
    assert np.all(np.diff(index[:, 0]) >= 0)
    same = np.diff(index[:, 0]) == 0
    assert np.all(np.diff(index[:, 1])[same] == stride)
    last_times = [index[index[:, 0] == k, 1].max() for k in np.unique(index[:, 0])]
    assert last_times == [len(panel[k]) - 1 for k in np.unique(index[:, 0])]


def test_a_3d_array_is_many_series():
    panel = np.arange(2 * 7 * 2, dtype=float).reshape(2, 7, 2)
    X, y, index = make_windows(panel, window=3, return_index=True)
    X_list, y_list, index_list = make_windows(list(panel), window=3, return_index=True)
    np.testing.assert_array_equal(X, X_list)
    np.testing.assert_array_equal(y, y_list)
    np.testing.assert_array_equal(index, index_list)
    assert index[:, 0].tolist() == [0] * 4 + [1] * 4


def test_pandas_series_and_frames_are_series():
    pd = pytest.importorskip("pandas")
    values = np.arange(8.0)
    X, y = make_windows(pd.Series(values, index=values * 10), window=2)
    np.testing.assert_array_equal(y, values[2:])
    frame = pd.DataFrame({"a": values, "b": -values})
    X, y = make_windows(frame, window=2, target=1)
    np.testing.assert_array_equal(X[0], [[0, 0], [1, -1]])
    np.testing.assert_array_equal(y, -values[2:])


@pytest.mark.parametrize(
    "dtypes, expected",
    [
        ([np.float32], np.float32),
        ([np.float32, np.float32], np.float32),
        ([np.float64], np.float64),
        ([np.float32, np.float64], np.float64),
        ([np.int16], np.float64),
        ([np.int64, np.float32], np.float64),
        ([np.bool_], np.float64),
    ],
)
def test_dtype_is_float32_only_when_every_series_is(dtypes, expected):
    panel = [np.arange(5).astype(dtype) for dtype in dtypes]
    X, y = make_windows(panel, window=2)
    assert X.dtype == expected and y.dtype == expected


def test_the_input_is_read_only_and_the_result_its_own():
    panel = [np.arange(12.0).reshape(6, 2), np.arange(10.0).reshape(5, 2)]
    originals = [values.copy() for values in panel]
    for values in panel:
        values.flags.writeable = False
    X, y = make_windows(panel, window=2, horizon=1)
    for values, original in zip(panel, originals, strict=True):
        np.testing.assert_array_equal(values, original)
        assert not np.shares_memory(values, X) and not np.shares_memory(values, y)
    assert X.flags.c_contiguous and X.flags.writeable and y.flags.writeable
    X[...] = -1
    y[...] = -1
    np.testing.assert_array_equal(panel[0], originals[0])


def test_no_copy_beyond_the_result():
    # a copy of the series, even as it is, would take half its size over this
    series = np.arange(200_000, dtype=np.int32)
    tracemalloc.start()
    try:
        X, y, index = make_windows(series, window=10, stride=10, return_index=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    result = X.nbytes + y.nbytes + index.nbytes
    assert X.nbytes == series.nbytes * 2 - 8 * 10
    assert peak < result + series.nbytes / 2


@pytest.mark.parametrize("horizon, stride", [(1, 1), (3, 1), (3, 2), (5, 2), (2, 4)])
def test_the_documented_gap_keeps_training_targets_before_test_forecasts(
    horizon, stride
):
    X, y, index = make_windows(
        np.arange(60.0), window=4, horizon=horizon, stride=stride, return_index=True
    )
    gap = -(-horizon // stride) - 1
    for train, test in TimeSeriesSplit(n_splits=3, gap=gap).split(X):
        # the last step of the first test window is all a forecast may know
        known = index[test[0], 1] - horizon
        assert index[train, 1].max() <= known
        if gap > 0:
            # and a gap one smaller would not have been enough
            assert index[train[-1] + 1, 1] > known


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"window": 0}, "window must be an integer >= 1, got 0"),
        ({"window": 2.0}, "window must be an integer >= 1, got 2.0"),
        ({"window": True}, "window must be an integer >= 1, got True"),
        ({"horizon": 0}, "horizon must be an integer >= 1, got 0"),
        ({"stride": -1}, "stride must be an integer >= 1, got -1"),
        ({"target": 2}, r"target must be a feature number in \[0, 1\].* got 2"),
        ({"target": [0, -1]}, r"target must be .* got \[0, -1\]"),
        ({"target": "a"}, "target must be .* got 'a'"),
        ({"target": []}, "target is an empty list"),
        ({"window": 8}, "needs 9 values, and the longest series has 8"),
        ({"window": 7, "horizon": 2}, "needs 9 values, and the longest series has 8"),
    ],
)
def test_parameter_errors(arguments, message):
    arguments = {"series": np.zeros((8, 2)), "window": 2} | arguments
    with pytest.raises(ValueError, match=message):
        make_windows(**arguments)


@pytest.mark.parametrize(
    "series, message",
    [
        ([], "series is an empty list"),
        ([np.zeros(5), np.zeros((5, 2))], "series 0 has 1, series 1 has 2"),
        (
            [np.zeros(5), np.zeros((2, 5, 1))],
            r"series 1 must be 1-D .* shape \(2, 5, 1\)",
        ),
        (np.zeros((2, 2, 2, 2)), r"series must be 1-D .* shape \(2, 2, 2, 2\)"),
        (np.array(["a", "b", "c"]), "series must hold numbers, got dtype <U1"),
        (np.zeros((5, 0)), r"series has no features \(shape \(5, 0\)\)"),
        ([np.zeros(5), np.r_[1.0, 2, np.nan, 4, 5]], "series 1 has NaN at time 2"),
        (
            np.c_[np.zeros(5), [0, 0, 0, -np.inf, 0]],
            "series has an infinite value at time 3",
        ),
        ([np.zeros(2), np.zeros(3)], "longest series has 3"),
    ],
)
def test_series_errors_name_the_series(series, message):
    with pytest.raises(ValueError, match=message):
        make_windows(series, window=3)
