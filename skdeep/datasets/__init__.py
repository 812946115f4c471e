"""Loaders for the data sets of skdeep's examples, cached like scikit-learn's."""

from skdeep.datasets._affordability import fetch_affordability
from skdeep.datasets._base import get_data_home

__all__ = ["fetch_affordability", "get_data_home"]
