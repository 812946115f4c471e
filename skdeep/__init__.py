"""skdeep: neural networks for scikit-learn users, on one NumPy engine."""

from skdeep._conv import ConvNetClassifier, ConvNetRegressor
from skdeep._deep import DeepFFNClassifier, DeepFFNRegressor
from skdeep._ensemble import BaggedNetEnsemble
from skdeep._feedforward import FeedForwardClassifier, FeedForwardRegressor
from skdeep._plotting import RidgeFunctionDisplay, TrainingHistoryDisplay
from skdeep._ppr import PPRRegressor
from skdeep._recurrent import RecurrentClassifier, RecurrentRegressor

__version__ = "0.1.0.dev0"

__all__ = [
    "BaggedNetEnsemble",
    "ConvNetClassifier",
    "ConvNetRegressor",
    "DeepFFNClassifier",
    "DeepFFNRegressor",
    "FeedForwardClassifier",
    "FeedForwardRegressor",
    "PPRRegressor",
    "RecurrentClassifier",
    "RecurrentRegressor",
    "RidgeFunctionDisplay",
    "TrainingHistoryDisplay",
    "__version__",
]
