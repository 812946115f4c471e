"""fetch_affordability (parser, checksum, cache) and the make_cbf generator."""

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest

from skdeep.datasets import (
    _affordability,
    fetch_affordability,
    get_data_home,
    make_cbf,
)
from skdeep.datasets._affordability import FILENAME, read_affordability

HEADER = ["RegionID", "RegionName", "SizeRank", "Index",
          "HistoricAverage_1985thru1999", "2016-09", "2016-12", "2017-03"]  # fmt: skip
ROWS = [
    ["102001", "United States", "0", "Price To Income", "2.5", "3.6", "3.7", "3.8"],
    ["102001", "United States", "0", "Mortgage Affordability", "0.21", "0.15",
     "0.16", "0.17"],
    ["394913", "New York, NY", "1", "Mortgage Affordability", "", "", "0.25",
     "0.26"],
    ["394913", "New York, NY", "1", "Rent Affordability", "0.3", "0.4", "0.41",
     "0.42"],
]  # fmt: skip


def _write(path, rows, header=HEADER):
    with open(path, "w", newline="") as file:
        csv.writer(file, quoting=csv.QUOTE_NONNUMERIC).writerows([header, *rows])
    return path


@pytest.fixture
def small_file(tmp_path):
    return _write(tmp_path / FILENAME, ROWS)


def _use_small_release(monkeypatch, path):
    """Make the loader take ``path`` for the release (its address and hash)."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    monkeypatch.setattr(_affordability, "URL", Path(path).as_uri())
    monkeypatch.setattr(_affordability, "SHA256", digest)


def test_parser_returns_the_mortgage_series(small_file):
    bunch = read_affordability(small_file)
    assert bunch.region_names.tolist() == ["United States", "New York, NY"]
    assert bunch.region_ids.tolist() == [102001, 394913]
    assert bunch.size_ranks.tolist() == [0, 1]
    np.testing.assert_array_equal(
        bunch.data, [[0.15, 0.16, 0.17], [np.nan, 0.25, 0.26]]
    )
    np.testing.assert_array_equal(bunch.historic_average, [0.21, np.nan])
    assert bunch.quarters.dtype == np.dtype("datetime64[M]")
    assert [str(q) for q in bunch.quarters] == ["2016-09", "2016-12", "2017-03"]
    assert "Zillow" in bunch.DESCR and "attribution" in bunch.DESCR


def test_frame_is_the_whole_file(small_file):
    pytest.importorskip("pandas")
    frame = read_affordability(small_file).frame
    assert frame.shape == (4, 8) and list(frame.columns) == HEADER
    assert frame["Index"].tolist()[0] == "Price To Income"
    assert frame["RegionID"].dtype == np.int64
    assert frame["2017-03"].tolist() == [3.8, 0.17, 0.26, 0.42]
    assert read_affordability(small_file, as_frame=False).frame is None


@pytest.mark.parametrize(
    "rows, header, message",
    [
        (ROWS[:2] + [ROWS[2][:5]], HEADER, "line 4: 5 fields where the header has 8"),
        (ROWS, ["Region"] + HEADER[1:], "does not look like Zillow's"),
        (ROWS, HEADER[:5] + ["2016-09", "2016-12", "2017-01"], "not a quarter"),
        (ROWS, HEADER[:5] + ["2016-09", "2017-03", "2016-12"], "not consecutive"),
        ([ROWS[0][:5] + ["3.6", "n/a", "3.8"]], HEADER, "not a number"),
    ],
)
def test_malformed_files_are_named(tmp_path, rows, header, message):
    path = _write(tmp_path / FILENAME, rows, header)
    with pytest.raises(ValueError, match=message):
        read_affordability(path)


def test_empty_file_is_named(tmp_path):
    path = tmp_path / FILENAME
    path.write_text("")
    with pytest.raises(ValueError, match="is empty"):
        read_affordability(path)


def test_a_file_that_is_not_the_release_is_refused(small_file):
    with pytest.raises(ValueError, match="not Zillow's 2017Q1 .* SHA-256"):
        fetch_affordability(data_home=small_file.parent)


def test_missing_file_without_download_is_an_os_error(tmp_path):
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_affordability(data_home=tmp_path, download_if_missing=False)


def test_download_checks_then_caches(tmp_path, small_file, monkeypatch):
    _use_small_release(monkeypatch, small_file)
    home = tmp_path / "new" / "home"
    bunch = fetch_affordability(data_home=home)
    assert (home / FILENAME).read_bytes() == small_file.read_bytes()
    assert bunch.data.shape == (2, 3)

    def no_download(*args):
        raise AssertionError("downloaded again")

    monkeypatch.setattr(_affordability, "fetch_file", no_download)
    np.testing.assert_array_equal(fetch_affordability(data_home=home).data, bunch.data)


def test_a_corrupted_download_leaves_nothing_behind(tmp_path, small_file, monkeypatch):
    _use_small_release(monkeypatch, small_file)
    monkeypatch.setattr(_affordability, "SHA256", "0" * 64)
    home = tmp_path / "home"
    with pytest.raises(OSError, match="incomplete or the file has changed"):
        fetch_affordability(data_home=home)
    assert list(home.iterdir()) == []


def test_an_unreachable_address_says_where_to_put_the_file(tmp_path, monkeypatch):
    missing = (tmp_path / "nowhere.csv").as_uri()
    monkeypatch.setattr(_affordability, "URL", missing)
    with pytest.raises(OSError, match="Could not download .* SKDEEP_DATA_HOME"):
        fetch_affordability(data_home=tmp_path / "home")


def test_data_home_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SKDEEP_DATA_HOME", str(tmp_path))
    assert get_data_home() == str(tmp_path)
    assert get_data_home("~/elsewhere") == str(Path.home() / "elsewhere")
    monkeypatch.delenv("SKDEEP_DATA_HOME")
    assert get_data_home() == str(Path.home() / "skdeep_data")


def test_the_2017q1_release():
    path = Path(get_data_home()) / FILENAME
    if not path.exists():
        pytest.skip("the release is not in SKDEEP_DATA_HOME")
    bunch = fetch_affordability(download_if_missing=False)
    assert bunch.data.shape == (323, 153)
    complete = ~np.isnan(bunch.data).any(axis=1)
    assert complete.sum() == 76 and complete[0]
    assert bunch.region_names[0] == "United States"
    assert [str(q) for q in bunch.quarters[[0, -1]]] == ["1979-03", "2017-03"]
    assert 0.1 < np.nanmean(bunch.data) < 0.4  # a share of income
    if bunch.frame is not None:
        assert bunch.frame.shape == (963, 158)
        assert (bunch.frame["Index"] == "Mortgage Affordability").sum() == 323


# make_cbf: the generator of the cylinder-bell-funnel problem


def _events(X):
    """Each noiseless series' event: (first, last) columns where it is non-zero."""
    nonzero = X != 0
    first = nonzero.argmax(axis=1)
    last = X.shape[1] - 1 - nonzero[:, ::-1].argmax(axis=1)
    return first, last


def test_cbf_shapes_dtype_and_balanced_classes():
    X, y = make_cbf(n_samples=11, n_timesteps=40, random_state=0)
    assert X.shape == (11, 40) and X.dtype == np.float64
    assert y.shape == (11,) and np.issubdtype(y.dtype, np.integer)
    assert np.bincount(y).tolist() == [4, 4, 3]
    assert np.bincount(make_cbf(n_samples=1, random_state=0)[1]).tolist() == [1]
    assert np.all(np.isfinite(X))


def test_cbf_same_seed_same_data_and_shuffle_only_reorders():
    X, y = make_cbf(n_samples=30, random_state=3)
    X_again, y_again = make_cbf(n_samples=30, random_state=np.random.RandomState(3))
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    assert not np.allclose(X, make_cbf(n_samples=30, random_state=4)[0])
    X_ordered, y_ordered = make_cbf(n_samples=30, shuffle=False, random_state=3)
    assert y_ordered.tolist() == [0] * 10 + [1] * 10 + [2] * 10
    assert not np.array_equal(y, y_ordered)
    order = np.lexsort(X.T[::-1])
    order_ordered = np.lexsort(X_ordered.T[::-1])
    np.testing.assert_array_equal(X[order], X_ordered[order_ordered])
    np.testing.assert_array_equal(y[order], y_ordered[order_ordered])


@pytest.mark.parametrize("n_timesteps", [16, 128, 300])
def test_cbf_noiseless_events_follow_the_definition(n_timesteps):
    X, y = make_cbf(n_samples=300, n_timesteps=n_timesteps, noise=0, shuffle=False)
    scale = n_timesteps / 128
    first, last = _events(X)
    # column j is time j + 1; a in scale * [16, 32], b - a in scale * [32, 96]
    assert np.all(first + 1 >= 16 * scale) and np.all(first + 1 <= np.ceil(32 * scale))
    assert np.all(last - first >= 32 * scale - 1)
    assert np.all(last - first <= 96 * scale)
    # and they cover most of those ranges
    assert np.ptp(first) >= 0.8 * 16 * scale - 1
    assert np.ptp(last - first) >= 0.8 * 64 * scale - 1
    for row, label in enumerate(y):
        event = X[row, first[row] : last[row] + 1]
        steps = np.diff(event)
        if label == 0:
            np.testing.assert_allclose(steps, 0, atol=1e-12)
        else:
            # a straight ramp: equal steps, up for a bell, down for a funnel
            np.testing.assert_allclose(steps, steps[0], rtol=1e-9)
            assert np.sign(steps[0]) == (1 if label == 1 else -1)
        height = event[0] if label != 1 else event[-1]
        assert 0 < height < 12


def test_cbf_class_means_have_the_three_shapes():
    X, y = make_cbf(n_samples=900, random_state=0)
    inside = slice(31, 48)  # times 32 to 48 lie in every event
    for label in range(3):
        mean = X[y == label].mean(axis=0)
        assert np.abs(mean[:15]).max() < 0.3  # before any event: noise alone
        slope, level = np.polyfit(np.arange(17), mean[inside], 1)
        if label == 0:
            assert abs(slope) < 0.01 and abs(level - 6) < 0.3
        else:
            assert (slope > 0.02) if label == 1 else (slope < -0.02)
    assert abs(X[:, :15].std() - 1) < 0.05
    X_noisier, _ = make_cbf(n_samples=300, noise=2.5, random_state=0)
    assert abs(X_noisier[:, :15].std() - 2.5) < 0.1


@pytest.mark.parametrize(
    "parameters, message",
    [
        ({"n_samples": 0}, "n_samples must be an integer >= 1, got 0"),
        ({"n_samples": 2.5}, "n_samples must be an integer >= 1, got 2.5"),
        ({"n_samples": True}, "n_samples must be an integer >= 1, got True"),
        ({"n_timesteps": 15}, "n_timesteps must be an integer >= 16.* got 15"),
        ({"n_timesteps": "128"}, "n_timesteps must be an integer >= 16.* got '128'"),
        ({"noise": -0.1}, "noise must be a finite number >= 0, got -0.1"),
        ({"noise": np.nan}, "noise must be a finite number >= 0, got nan"),
        ({"noise": np.inf}, "noise must be a finite number >= 0, got inf"),
    ],
)
def test_cbf_parameter_errors(parameters, message):
    with pytest.raises(ValueError, match=message):
        make_cbf(**parameters)
