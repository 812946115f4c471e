"""Supervised layer-wise pre-training of deep networks.

Each strategy trains stages of ``config.max_iter`` epochs on the target and
returns the network of the full architecture built from them, with the stage
runs (their records and counters):

- "grow": a one-hidden-layer network, then a two-layer network whose first
  layer starts from that fit, and so on until every layer is in;
- "greedy": each hidden layer trained as a one-hidden-layer network on the
  outputs of the (frozen) layers below it;
- "greedy_with_inputs": as "greedy", but every hidden layer also reads the
  original inputs; the skip connections stay in the final network.
"""

import numpy as np
import scipy.sparse as sp

from skdeep._engine import Dataset, SkipDense, Validation, make_trainer
from skdeep._engine.progress import combine

STRATEGIES = ("grow", "greedy", "greedy_with_inputs")


def pretrain(strategy, architecture, new_network, config, data, validation, rng,
             task, monitor=None):  # fmt: skip
    """Pre-train ``architecture`` by ``strategy``.

    Parameters
    ----------
    strategy : {"grow", "greedy", "greedy_with_inputs"}
    architecture : DenseArchitecture
        The final network's.
    new_network : callable
        ``new_network(architecture)`` builds and initialises a network.
    config : TrainingConfig
        Settings of every stage (``max_iter`` is the stage budget).
    data : Dataset
    validation : Validation or None
    rng : numpy.random.Generator
    task : skdeep.utils._callbacks.Task
        Each stage is a subtask of it, each epoch a subtask of its stage.
    monitor : Monitor or None
        Told of every stage's epochs too (the BLAS thread tuner).

    Returns
    -------
    network : Network
        Of ``architecture``, holding the pre-trained weights.
    runs : list of Trainer
        The stage runs, in order.
    """
    stage = _Stages(config, rng, task, monitor)
    if strategy == "grow":
        return _grow(architecture, new_network, data, validation, stage)
    return _greedy(architecture, new_network, data, validation, stage)


class _Stages:
    """Trains the stages one after the other, numbering their epochs on."""

    def __init__(self, config, rng, task, monitor):
        self.config, self.rng, self.task, self.monitor = config, rng, task, monitor
        self.runs = []

    def __call__(self, network, label, data, validation):
        first_epoch = 1 + sum(run.epochs for run in self.runs)
        task = self.task.subtask(label, max_subtasks=self.config.max_iter)
        run = make_trainer(
            network, self.config, self.rng, stage=label, first_epoch=first_epoch,
            monitor=combine(task.epoch_monitor(), self.monitor),
        )  # fmt: skip
        self.runs.append(run)
        run.train(data, validation)
        task.end()


def _grow(architecture, new_network, data, validation, stage):
    sizes, previous = architecture.hidden_layer_sizes, None
    for depth in range(1, len(sizes) + 1):
        network = new_network(
            architecture.replace(
                hidden_layer_sizes=sizes[:depth], dropout=architecture.dropout[:depth]
            )
        )
        if previous is not None:
            _copy_hidden_layers(previous, network, depth - 1)
        label = f"grow {depth}/{len(sizes)}"
        stage(network, label, data, validation)
        previous = network
    return network, stage.runs


def _greedy(architecture, new_network, data, validation, stage):
    """The frozen layers run once per stage, without dropout, to give the
    stage its inputs (with the original inputs appended for
    "greedy_with_inputs"); the last stage's output layer becomes the final
    network's."""
    sizes, stages = architecture.hidden_layer_sizes, []
    with_inputs = architecture.skip_inputs
    stage_data, stage_validation = data, validation
    for depth, width in enumerate(sizes):
        network = new_network(
            architecture.replace(
                n_features=stage_data.n_features,
                hidden_layer_sizes=(width,),
                dropout=architecture.dropout[depth : depth + 1],
                skip_inputs=False,
            )
        )
        label = f"{'greedy_with_inputs' if with_inputs else 'greedy'} "
        label += f"{depth + 1}/{len(sizes)}"
        stage(network, label, stage_data, stage_validation)
        stages.append(network)
        stage_data = _next_inputs(network, stage_data, data, with_inputs)
        if validation is not None:
            held_out = _next_inputs(
                network, stage_validation.data, validation.data, with_inputs
            )
            stage_validation = Validation(held_out, validation.score)
    final = new_network(architecture)
    _assemble(stages, final)
    return final, stage.runs


def _copy_hidden_layers(source, target, n_hidden):
    """Copy the first ``n_hidden`` hidden layers' weights from ``source``."""
    pairs = zip(source.param_layers[:n_hidden], target.param_layers, strict=False)
    for from_layer, to_layer in pairs:
        for a, b in zip(from_layer.params, to_layer.params, strict=True):
            b[...] = a


def _next_inputs(network, stage_data, original, with_inputs):
    """The stage network's hidden activations: the next stage's inputs."""
    hidden = network.predict(stage_data.inputs, n_layers=2)
    if with_inputs:
        inputs = original.rows(0, original.n_samples)[0]  # standardised
        if sp.issparse(inputs):
            hidden = sp.hstack([sp.csr_matrix(hidden), inputs], format="csr")
        else:
            hidden = np.hstack([hidden, inputs])
    return Dataset(hidden, stage_data.Y, stage_data.sample_weight)


def _assemble(stages, final):
    """Put each stage's hidden layer, and the last stage's output, into ``final``."""
    hidden = final.param_layers[:-1]
    for stage, layer in zip(stages, hidden, strict=True):
        coef, intercept = stage.param_layers[0].params
        if isinstance(layer, SkipDense):
            layer.params[0][...] = coef[: layer.n_in]
            layer.params[1][...] = coef[layer.n_in :]
        else:
            layer.params[0][...] = coef
        layer.params[-1][...] = intercept
    output = final.param_layers[-1]
    for a, b in zip(stages[-1].param_layers[-1].params, output.params, strict=True):
        b[...] = a
