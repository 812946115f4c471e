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
"""

import time

import numpy as np

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


def _network(widths, dtype):
    """Linear layers of ``widths`` with ReLU between them."""
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(n_in, n_out, dtype=dtype), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _adam(model, alpha, batch_size):
    """Adam as scikit-learn's MLP runs it: L2 on the weights only."""
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
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
    torch.set_num_threads(THREADS)
    torch.manual_seed(seed)
    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    inputs = torch.from_numpy(np.ascontiguousarray(X))
    if task == "classification":
        targets = torch.from_numpy(np.asarray(y, dtype=np.int64))
        n_outputs, loss_fn = int(targets.max()) + 1, nn.CrossEntropyLoss()
    else:
        targets = torch.from_numpy(np.asarray(y, dtype=X.dtype).reshape(-1, 1))
        n_outputs, loss_fn = 1, nn.MSELoss()
    model = _network([X.shape[1], *hidden, n_outputs], dtype)
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
