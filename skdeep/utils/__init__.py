"""Utilities: the scikit-learn compatibility layer and testing helpers."""
