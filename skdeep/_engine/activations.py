"""Hidden-layer activation functions, each with its derivative.

Every activation is a pair of small in-place functions:

- ``forward(Z, work, zeros)`` overwrites the pre-activation ``Z`` with ``g(Z)``;
- ``multiply_derivative(A, delta, work, zeros)`` multiplies ``delta`` in place
  by ``g'`` evaluated where the layer produced the output ``A``.

Each derivative is written in terms of the *output* ``A = g(Z)``, so a layer
never has to keep its pre-activation.  ``work`` is a scratch array of the same
shape and dtype that the caller owns and ``zeros`` a read-only array of zeros
like it, so no function here allocates.  (NumPy compares against an array of
zeros faster than against the scalar 0: see ``benchmarks/README.rst``.)
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from skdeep._engine import kernels

LEAKY_RELU_SLOPE = 0.01


def identity(Z, work, zeros):
    """g(z) = z."""


def identity_derivative(A, delta, work, zeros):
    """g'(z) = 1."""


def logistic(Z, work, zeros):
    """g(z) = 1 / (1 + exp(-z)), computed as (1 + tanh(z / 2)) / 2.

    The tanh form beats ``scipy.special.expit`` (``benchmarks/README.rst``).
    """
    Z *= 0.5
    np.tanh(Z, out=Z)
    Z *= 0.5
    Z += 0.5


def logistic_derivative(A, delta, work, zeros):
    """g'(z) = a (1 - a)."""
    np.subtract(1, A, out=work)
    work *= A
    delta *= work


def tanh(Z, work, zeros):
    """g(z) = tanh(z)."""
    np.tanh(Z, out=Z)


def tanh_derivative(A, delta, work, zeros):
    """g'(z) = 1 - a^2."""
    np.multiply(A, A, out=work)
    np.subtract(1, work, out=work)
    delta *= work


def relu(Z, work, zeros):
    """g(z) = max(z, 0)."""
    np.maximum(Z, zeros, out=Z)


def relu_derivative(A, delta, work, zeros):
    """g'(z) = 1 where a > 0, else 0 (one pass in ``_fused.c`` if built)."""
    fused = kernels.fused_relu_backward
    if fused is not None and A.flags.c_contiguous and delta.flags.c_contiguous:
        fused(A, delta)
        return
    np.greater(A, 0, out=work)
    delta *= work


def leaky_relu(Z, work, zeros):
    """g(z) = max(z, 0.01 z)."""
    np.multiply(Z, LEAKY_RELU_SLOPE, out=work)
    np.maximum(Z, work, out=Z)


def leaky_relu_derivative(A, delta, work, zeros):
    """g'(z) = 1 where a > 0, else 0.01."""
    np.greater(A, 0, out=work)
    work *= 1 - LEAKY_RELU_SLOPE
    work += LEAKY_RELU_SLOPE
    delta *= work


def elu(Z, work, zeros):
    """g(z) = z for z > 0, else exp(z) - 1."""
    np.minimum(Z, zeros, out=work)
    np.expm1(work, out=work)
    np.maximum(Z, zeros, out=Z)
    Z += work


def elu_derivative(A, delta, work, zeros):
    """g'(z) = 1 for z > 0, else exp(z) = a + 1."""
    np.minimum(A, zeros, out=work)
    work += 1
    delta *= work


def softplus(Z, work, zeros):
    """g(z) = log(1 + exp(z)), computed without overflow."""
    np.logaddexp(0, Z, out=Z)


def softplus_derivative(A, delta, work, zeros):
    """g'(z) = logistic(z) = 1 - exp(-a)."""
    np.negative(A, out=work)
    np.expm1(work, out=work)
    np.negative(work, out=work)
    delta *= work


@dataclass(frozen=True)
class Activation:
    """An activation function and its derivative, both in place."""

    name: str
    forward: Callable
    multiply_derivative: Callable


ACTIVATIONS = {
    fn.__name__: Activation(fn.__name__, fn, derivative)
    for fn, derivative in [
        (identity, identity_derivative),
        (logistic, logistic_derivative),
        (tanh, tanh_derivative),
        (relu, relu_derivative),
        (leaky_relu, leaky_relu_derivative),
        (elu, elu_derivative),
        (softplus, softplus_derivative),
    ]
}
