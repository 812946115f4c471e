"""Initial values of a dense layer's weights and biases.

Each initializer takes ``(fan_in, fan_out, activation, rng, init_scale)`` and
returns ``(coef, intercept)`` in float64; the network casts them to its dtype.

- ``uniform``: the course's rule for standardized inputs, every weight and
  bias drawn from ``U[-init_scale, init_scale]`` (``init_scale=0.7``).
- ``glorot``: Glorot and Bengio (2010), ``U[-b, b]`` with
  ``b = sqrt(6 / (fan_in + fan_out))`` (``sqrt(2 / ...)`` when the layer's
  own activation is the logistic function), biases drawn the same way.
  scikit-learn's MLP uses the same bounds for hidden layers, but applies the
  hidden activation's factor to the output layer too, where skdeep uses 6.
- ``he``: He et al. (2015) for ReLU-like units, ``U[-b, b]`` with
  ``b = sqrt(6 / fan_in)``, biases zero.
"""

import numpy as np


def uniform(fan_in, fan_out, activation, rng, init_scale):
    """Weights and biases from ``U[-init_scale, init_scale]``."""
    coef = rng.uniform(-init_scale, init_scale, (fan_in, fan_out))
    intercept = rng.uniform(-init_scale, init_scale, fan_out)
    return coef, intercept


def glorot(fan_in, fan_out, activation, rng, init_scale):
    """Glorot-uniform weights and biases."""
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    coef = rng.uniform(-bound, bound, (fan_in, fan_out))
    intercept = rng.uniform(-bound, bound, fan_out)
    return coef, intercept


def he(fan_in, fan_out, activation, rng, init_scale):
    """He-uniform weights, zero biases."""
    bound = np.sqrt(6.0 / fan_in)
    coef = rng.uniform(-bound, bound, (fan_in, fan_out))
    return coef, np.zeros(fan_out)


INITIALIZERS = {fn.__name__: fn for fn in (uniform, glorot, he)}
