"""The NumPy back-propagation engine shared by every skdeep estimator.

It knows nothing of scikit-learn: estimators validate their input, translate
their parameters into the objects below and keep the trained network.
"""

from skdeep._engine.activations import ACTIVATIONS
from skdeep._engine.conv import Conv1D, Conv2D, Flatten
from skdeep._engine.data import Dataset, Standardizer
from skdeep._engine.history import History
from skdeep._engine.initializers import INITIALIZERS
from skdeep._engine.layers import (
    Activation,
    Dense,
    Dropout,
    Layer,
    RidgeFunctions,
    SkipDense,
)
from skdeep._engine.losses import LOSSES
from skdeep._engine.network import Network
from skdeep._engine.optimizers import OPTIMIZERS
from skdeep._engine.penalties import Penalty
from skdeep._engine.pooling import (
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePool,
    MaxPool1D,
    MaxPool2D,
)
from skdeep._engine.progress import Monitor, format_duration
from skdeep._engine.recurrent import GRU, LSTM, Bidirectional, SimpleRNN
from skdeep._engine.solvers import (
    LBFGSTrainer,
    MinibatchTrainer,
    TrainingConfig,
    Validation,
    evaluate,
    make_trainer,
)

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "AvgPool1D",
    "AvgPool2D",
    "Bidirectional",
    "Conv1D",
    "Conv2D",
    "Dataset",
    "Dense",
    "Dropout",
    "Flatten",
    "GRU",
    "GlobalAveragePool",
    "History",
    "INITIALIZERS",
    "LBFGSTrainer",
    "Monitor",
    "LOSSES",
    "LSTM",
    "Layer",
    "MaxPool1D",
    "MaxPool2D",
    "MinibatchTrainer",
    "Network",
    "OPTIMIZERS",
    "Penalty",
    "RidgeFunctions",
    "SimpleRNN",
    "SkipDense",
    "Standardizer",
    "TrainingConfig",
    "Validation",
    "evaluate",
    "format_duration",
    "make_trainer",
]
