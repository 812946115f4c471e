"""Zillow's mortgage-affordability series, the 2017Q1 public release."""

import csv
import re
import urllib.error
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from skdeep.datasets._base import fetch_file, get_data_home, sha256_of

FILENAME = "Affordability_Wide_2017Q1_Public.csv"
URL = f"https://files.zillowstatic.com/research/public/{FILENAME}"
SHA256 = "9f7be4cf0603b23edc582c62aae1226ab3788eb7a9bd61d251d35fc39ba3542c"
SERIES = "Mortgage Affordability"
ID_COLUMNS = (
    "RegionID",
    "RegionName",
    "SizeRank",
    "Index",
    "HistoricAverage_1985thru1999",
)

DESCR = f"""\
.. _affordability_dataset:

Zillow mortgage affordability, 2017Q1 release
---------------------------------------------

Zillow Research's public "Affordability_Wide" file as released for the first
quarter of 2017 ({FILENAME}): 963 rows, one per region and affordability
index, with the columns RegionID, RegionName, SizeRank (0 for the United
States, then metropolitan areas by population), Index, the 1985-1999
historic average, and 153 quarterly values from 1979-03 to 2017-03.

Three indices are in the file: "Price To Income", "Mortgage Affordability"
(the share of a median household income spent on the mortgage payment of a
median-priced home) and "Rent Affordability". ``data`` holds the mortgage
affordability series, one row per region (323 regions, missing quarters as
NaN); 76 of them, the United States included, are complete from 1979-03 to
2017-03.

Source and attribution: Zillow Research, https://www.zillow.com/research/data/
(file downloaded from {URL}). Data provided by Zillow; Zillow publishes it
for public use with attribution. skdeep does not ship the file: the loader
reads it from ``data_home`` or downloads it there, and checks its SHA-256
({SHA256}).
"""


def fetch_affordability(*, data_home=None, download_if_missing=True, as_frame="auto"):
    """Load Zillow's mortgage-affordability series (2017Q1 release).

    The file is read from ``data_home``; when it is not there it is
    downloaded from Zillow's public address (if ``download_if_missing``).
    Either way its SHA-256 must match the 2017Q1 release. Read
    the description, source and attribution in ``DESCR``.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding (or to receive) ``Affordability_Wide_2017Q1_Public.csv``;
        by default ``$SKDEEP_DATA_HOME``, else ``~/skdeep_data``.

    download_if_missing : bool, default=True
        Download the file when it is not in ``data_home``; with False a
        missing file raises ``OSError``.

    as_frame : bool or "auto", default="auto"
        Also return the whole file as a pandas DataFrame in ``frame``:
        "auto" does so when pandas is installed, True requires it, False
        leaves ``frame`` None.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (323, 153)
            The mortgage-affordability series, one row per region, one
            column per quarter; NaN where a quarter is missing.
        region_names : ndarray of shape (323,)
            "United States" first, then metropolitan areas.
        region_ids : ndarray of shape (323,)
            Zillow's RegionID of each row.
        size_ranks : ndarray of shape (323,)
            Zillow's SizeRank (0: the United States).
        historic_average : ndarray of shape (323,)
            Each region's 1985-1999 average affordability.
        quarters : ndarray of shape (153,), dtype datetime64[M]
            The month that ends each quarter, 1979-03 to 2017-03.
        frame : pandas DataFrame of shape (963, 158) or None
            The whole file, all three indices.
        DESCR : str
            Description, source and attribution.

    Raises
    ------
    OSError
        The file is missing and cannot (or may not) be downloaded.
    ValueError
        The file is not the 2017Q1 release (checksum) or is malformed.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.datasets import fetch_affordability
    >>> bunch = fetch_affordability()
    >>> bunch.data.shape
    (323, 153)
    >>> int((~np.isnan(bunch.data).any(axis=1)).sum())  # complete series
    76
    >>> str(bunch.quarters[-1])
    '2017-03'
    """
    path = Path(get_data_home(data_home)) / FILENAME
    if not path.exists():
        _download(path, download_if_missing)
    found = sha256_of(path)
    if found != SHA256:
        raise ValueError(
            f"{path} is not Zillow's 2017Q1 affordability release: its SHA-256 "
            f"is {found}, expected {SHA256}. The file may be truncated or "
            "another release; delete it to download the right one."
        )
    return read_affordability(path, as_frame=as_frame)


def _download(path, download_if_missing):
    if not download_if_missing:
        raise OSError(
            f"{path.name} is not in {path.parent} and download_if_missing=False; "
            f"download it from {URL} or set SKDEEP_DATA_HOME to its folder."
        )
    try:
        fetch_file(URL, path, SHA256)
    except urllib.error.URLError as error:
        raise OSError(
            f"Could not download {URL} ({error.reason}); put {path.name} in "
            f"{path.parent} or point SKDEEP_DATA_HOME at a folder holding it."
        ) from error


def read_affordability(path, *, as_frame="auto"):
    """Parse an affordability file (any quarters, any regions) into a Bunch.

    ``fetch_affordability`` checks the release first; this checks only the
    layout, so it also reads other releases of the same format.
    """
    header, rows = _read_rows(path)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(header)
    values = np.array([_numbers(column, path) for column in columns[4:]]).T
    values = values.reshape(len(rows), len(header) - 4)
    index = np.array(columns[3], dtype=str)
    series = index == SERIES
    return Bunch(
        data=values[series, 1:],
        region_names=np.array(columns[1], dtype=object)[series],
        region_ids=np.array(columns[0], dtype=np.int64)[series],
        size_ranks=np.array(columns[2], dtype=np.int64)[series],
        historic_average=values[series, 0],
        quarters=np.array(header[5:], dtype="datetime64[M]"),
        frame=_frame(header, columns, values, as_frame),
        DESCR=DESCR,
    )


def _read_rows(path):
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    if not rows:
        raise ValueError(f"{path} is empty; delete it to download it again.")
    header, body = rows[0], rows[1:]
    _check_header(header, path)
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ValueError(
                f"{path}, line {line}: {len(row)} fields where the header has "
                f"{len(header)}; the file is truncated or damaged. Delete it to "
                "download it again."
            )
    return header, body


def _check_header(header, path):
    if tuple(header[:5]) != ID_COLUMNS or len(header) < 6:
        raise ValueError(
            f"{path} does not look like Zillow's Affordability_Wide file: its "
            f"header starts {header[:5]}, expected {list(ID_COLUMNS)} and then "
            "one column per quarter."
        )
    months = []
    for name in header[5:]:
        if not re.fullmatch(r"\d{4}-(03|06|09|12)", name):
            raise ValueError(f"{path}: column {name!r} is not a quarter (YYYY-MM).")
        year, month = name.split("-")
        months.append(int(year) * 12 + int(month))
    if np.any(np.diff(months) != 3):
        raise ValueError(f"{path}: the quarterly columns are not consecutive.")


def _numbers(column, path):
    try:
        return [float(value) if value else np.nan for value in column]
    except ValueError as error:
        raise ValueError(f"{path}: a value is not a number ({error}).") from None


def _frame(header, columns, values, as_frame):
    if as_frame is False:
        return None
    try:
        import pandas as pd
    except ImportError:
        if as_frame is True:
            raise ImportError("as_frame=True needs pandas installed.") from None
        return None
    frame = pd.DataFrame(values, columns=header[4:])
    for position, name in enumerate(header[:4]):
        dtype = np.int64 if name in ("RegionID", "SizeRank") else object
        frame.insert(position, name, np.array(columns[position], dtype=dtype))
    return frame
