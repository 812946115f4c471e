"""The PyTorch column of the speed benchmarks, when PyTorch is installed.

PyTorch is never a dependency of skdeep, of its tests or of CI: the scripts
import this module, and ``AVAILABLE`` tells them whether ``import torch``
succeeded; without it the column is simply absent.

``seconds_per_epoch`` trains the network the benchmarks give skdeep and
scikit-learn, written as ``nn.Sequential`` of ``Linear`` and ReLU layers:
Adam with scikit-learn's defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8),
the L2 penalty ``alpha`` on the weights as scikit-learn applies it (weight
decay ``alpha / batch_size``, biases free), shuffled minibatches of the same
size, the same epochs and dtype, on two threads.  Cross-entropy for
classification, squared error for regression.

``conv_seconds_per_epoch`` and ``recurrent_seconds_per_epoch`` do the same
for the networks of ``bench_conv.py`` (``Conv2d`` / ``Conv1d`` with
``padding="same"``, ReLU and max pooling per block, then ``Flatten`` and the
dense head) and ``bench_recurrent.py`` (``nn.LSTM``, ``nn.GRU`` or ``nn.RNN``
over the sequence, then a ``Linear`` on the last hidden state).  They take
the data as skdeep does, channels last, and hand PyTorch the transposed
copy its layers expect.  Every parameter named a weight (kernels, the
recurrent ``weight_ih`` and ``weight_hh``) carries the L2 penalty; PyTorch's
recurrent layers have two bias vectors where skdeep has one, which changes
nothing measurable.

``run_command_line`` gives the scripts that compare against PyTorch their
common options (``--quick``, ``--repeats``, ``--parts``, ``--threads``).
"""

import argparse
import math
import time

import numpy as np
from threadpoolctl import threadpool_limits

try:
    import torch
    from torch import nn
except ImportError:  # the column is optional
    torch = None

AVAILABLE = torch is not None
THREADS = 2


def version():
    """PyTorch's version, or None without it."""
    return torch.__version__ if AVAILABLE else None


def run_command_line(run, description, parts, argv=None):
    """Parse a benchmark's options and call ``run(args)`` on ``--threads``.

    The thread count holds for BLAS (skdeep's products) and for PyTorch
    (``THREADS``), so both libraries always get the same number.
    """
    global THREADS
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--parts", default=parts, help="which parts to run")
    parser.add_argument("--threads", type=int, default=THREADS,
                        help="BLAS and PyTorch threads; the targets are set for 2, "
                        "1 is steadier on a busy machine")  # fmt: skip
    args = parser.parse_args(argv)
    THREADS = args.threads
    with threadpool_limits(args.threads, user_api="blas"):
        run(args)


def _network(widths, dtype):
    """Linear layers of ``widths`` with ReLU between them."""
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(n_in, n_out, dtype=dtype), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _adam(model, alpha, batch_size):
    """Adam as scikit-learn's MLP runs it: L2 on the weights only."""
    named = [(name.rsplit(".", 1)[-1], p) for name, p in model.named_parameters()]
    weights = [p for name, p in named if name.startswith("weight")]
    biases = [p for name, p in named if name.startswith("bias")]
    groups = [
        {"params": weights, "weight_decay": alpha / batch_size},
        {"params": biases, "weight_decay": 0.0},
    ]
    return torch.optim.Adam(groups, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)


def seconds_per_epoch(X, y, task, hidden, batch_size, epochs, alpha=1e-4, seed=0):
    """Train PyTorch's version of the benchmark network; its seconds per epoch.

    ``X`` (float32 or float64, the dtype of the run) and ``y`` (class labels
    0..k-1 for ``task="classification"``, else targets) are NumPy arrays;
    ``hidden`` is the tuple of hidden-layer widths.  The time covers the
    epochs only (not building the model or converting the data).
    """
    dtype = _start(X, seed)
    targets, n_outputs, loss_fn = _targets(y, task, X.dtype)
    model = _network([X.shape[1], *hidden, n_outputs], dtype)
    inputs = torch.from_numpy(np.ascontiguousarray(X))
    return _train(model, inputs, targets, loss_fn, batch_size, epochs, alpha, seed)


def conv_network(input_shape, filters, kernel_size, pool_size, hidden, n_outputs,
                 dtype=np.float64):  # fmt: skip
    """The convolutional network of ``bench_conv.py`` in PyTorch.

    ``input_shape`` is channels last, as skdeep takes it: ``(height, width,
    channels)`` or ``(length, channels)``.  Each block is a convolution with
    ``padding="same"``, ReLU and max pooling; the dense head follows.
    """
    dtype = torch.float32 if np.dtype(dtype) == np.float32 else torch.float64
    *spatial, channels = input_shape
    conv, pool = (nn.Conv2d, nn.MaxPool2d) if len(spatial) == 2 else (
        nn.Conv1d, nn.MaxPool1d)  # fmt: skip
    layers = []
    for n_filters in filters:
        layers += [conv(channels, n_filters, kernel_size, padding="same", dtype=dtype),
                   nn.ReLU(), pool(pool_size)]  # fmt: skip
        channels, spatial = n_filters, [size // pool_size for size in spatial]
    head = _network([channels * math.prod(spatial), *hidden, n_outputs], dtype)
    return nn.Sequential(*layers, nn.Flatten(), *head)


def conv_seconds_per_epoch(X, y, task, filters, kernel_size, pool_size, hidden,
                           batch_size, epochs, alpha=1e-4, seed=0):  # fmt: skip
    """Seconds per epoch of :func:`conv_network` on ``X`` of shape
    ``(n_samples, *spatial, channels)``, as :func:`seconds_per_epoch`."""
    _start(X, seed)
    targets, n_outputs, loss_fn = _targets(y, task, X.dtype)
    model = conv_network(X.shape[1:], filters, kernel_size, pool_size, hidden,
                         n_outputs, X.dtype)  # fmt: skip
    channels_first = np.ascontiguousarray(np.moveaxis(X, -1, 1))
    inputs = torch.from_numpy(channels_first)
    return _train(model, inputs, targets, loss_fn, batch_size, epochs, alpha, seed)


class _LastState(nn.Module if AVAILABLE else object):
    """A recurrent layer over the sequence, then a Linear on its last state."""

    def __init__(self, cell, n_features, hidden_size, n_outputs, dtype):
        super().__init__()
        layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
        self.recurrent = layer(n_features, hidden_size, batch_first=True, dtype=dtype)
        self.head = nn.Linear(hidden_size, n_outputs, dtype=dtype)

    def forward(self, inputs):
        states, _ = self.recurrent(inputs)
        return self.head(states[:, -1])


def recurrent_network(cell, n_features, hidden_size, n_outputs, dtype=np.float64):
    """The network of ``bench_recurrent.py`` in PyTorch (``cell`` as skdeep's)."""
    dtype = torch.float32 if np.dtype(dtype) == np.float32 else torch.float64
    return _LastState(cell, n_features, hidden_size, n_outputs, dtype)


def recurrent_seconds_per_epoch(X, y, task, cell, hidden_size, batch_size, epochs,
                                alpha=1e-4, seed=0):  # fmt: skip
    """Seconds per epoch of :func:`recurrent_network` on ``X`` of shape
    ``(n_samples, n_timesteps, n_features)``, as :func:`seconds_per_epoch`."""
    _start(X, seed)
    targets, n_outputs, loss_fn = _targets(y, task, X.dtype)
    model = recurrent_network(cell, X.shape[2], hidden_size, n_outputs, X.dtype)
    inputs = torch.from_numpy(np.ascontiguousarray(X))
    return _train(model, inputs, targets, loss_fn, batch_size, epochs, alpha, seed)


def n_parameters(model):
    """Number of trainable values of a PyTorch model."""
    return sum(p.numel() for p in model.parameters())


def _start(X, seed):
    """Threads and seed of a run; the torch dtype of ``X``."""
    torch.set_num_threads(THREADS)
    torch.manual_seed(seed)
    return torch.float32 if X.dtype == np.float32 else torch.float64


def _targets(y, task, dtype):
    """PyTorch targets, number of outputs and loss of a task."""
    if task == "classification":
        targets = torch.from_numpy(np.asarray(y, dtype=np.int64))
        return targets, int(targets.max()) + 1, nn.CrossEntropyLoss()
    targets = torch.from_numpy(np.asarray(y, dtype=dtype).reshape(-1, 1))
    return targets, 1, nn.MSELoss()


def _train(model, inputs, targets, loss_fn, batch_size, epochs, alpha, seed):
    """Adam on shuffled minibatches; seconds per epoch."""
    optimizer = _adam(model, alpha, batch_size)
    generator = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(inputs), generator=generator)
        for batch in torch.split(order, batch_size):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(inputs[batch]), targets[batch])
            loss.backward()
            optimizer.step()
    return (time.perf_counter() - start) / epochs
