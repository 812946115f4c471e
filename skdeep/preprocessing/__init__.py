"""Preparing data for skdeep's estimators: supervised windows from time series."""

from skdeep.preprocessing._windows import make_windows

__all__ = ["make_windows"]
