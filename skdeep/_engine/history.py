"""The per-epoch history of training.

Every epoch of every run appends one record, a dict with the fields below::

    {"stage", "epoch", "loss", "val_loss", "val_score", "param_change",
     "grad_norms", "learning_rate", "seconds"}

``loss`` is the training objective (weighted mean loss plus penalty),
``param_change`` the course's second stopping signal
``||theta_t - theta_{t-1}|| / ||theta_{t-1}||``, and ``grad_norms`` the mean
over the epoch's minibatches of each parameterised layer's weight-gradient
norm.  The diagnostics (``param_change``, ``grad_norms``, ``seconds``) are
kept to single precision; losses and scores to double.

A :class:`History` is a plain list of those dicts that pickles column by
column: a fitted model carries its history without carrying a dict per
epoch.
"""

import numpy as np

FIELDS = (
    "stage",
    "epoch",
    "loss",
    "val_loss",
    "val_score",
    "param_change",
    "grad_norms",
    "learning_rate",
    "seconds",
)
_DOUBLE = ("loss", "val_loss", "val_score")
_SINGLE = ("param_change", "seconds")
_REPEATED = ("stage", "learning_rate")


def single(value):
    """``value`` rounded to single precision, as a Python float."""
    return float(np.float32(value))


class History(list):
    """Epoch records, oldest first (a list of dicts; see the module docstring)."""

    def __reduce__(self):
        return (_from_columns, (_to_columns(self),))


def _to_columns(records):
    columns = {"n": len(records)}
    for name in _DOUBLE + _SINGLE:
        values = [record[name] for record in records]
        present = np.array([value is not None for value in values])
        dtype = np.float64 if name in _DOUBLE else np.float32
        columns[name] = (
            np.array([np.nan if v is None else v for v in values], dtype=dtype),
            None if present.all() else present,
        )
    for name in _REPEATED:
        columns[name] = _runs([record[name] for record in records])
    columns["epoch"] = _runs(np.diff([0] + [r["epoch"] for r in records]).tolist())
    norms = [record["grad_norms"] for record in records]
    columns["grad_norms"] = (
        np.array([x for row in norms for x in row], dtype=np.float32),
        np.array([len(row) for row in norms], dtype=np.int32),
    )
    return columns


def _from_columns(columns):
    n = columns["n"]
    fields = {}
    for name in _DOUBLE + _SINGLE:
        values, present = columns[name]
        fields[name] = [
            float(v) if present is None or present[i] else None
            for i, v in enumerate(values)
        ]
    for name in _REPEATED:
        fields[name] = _expand(columns[name])
    fields["epoch"] = np.cumsum(_expand(columns["epoch"])).tolist()
    flat, lengths = columns["grad_norms"]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    fields["grad_norms"] = [
        [float(x) for x in flat[a:b]]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    return History({name: fields[name][i] for name in FIELDS} for i in range(n))


def _runs(values):
    """Run-length encoding: ``[value, count]`` pairs."""
    runs = []
    for value in values:
        if runs and runs[-1][0] == value:
            runs[-1][1] += 1
        else:
            runs.append([value, 1])
    return runs


def _expand(runs):
    return [value for value, count in runs for _ in range(count)]
