"""Doctests that read data files run only where the files are at hand."""

from pathlib import Path

import pytest


def _affordability_available():
    from skdeep.datasets import get_data_home
    from skdeep.datasets._affordability import FILENAME

    return (Path(get_data_home()) / FILENAME).exists()


def pytest_collection_modifyitems(config, items):
    if _affordability_available():
        return
    skip = pytest.mark.skip(
        reason="no affordability CSV in SKDEEP_DATA_HOME (tests never download)"
    )
    for item in items:
        if item.name.endswith("fetch_affordability"):
            item.add_marker(skip)
