"""Data sets for skdeep's examples: loaders cached like scikit-learn's, generators."""

from skdeep.datasets._affordability import fetch_affordability
from skdeep.datasets._base import get_data_home
from skdeep.datasets._cbf import make_cbf

__all__ = ["fetch_affordability", "get_data_home", "make_cbf"]
