"""First-order optimizers that update the flat parameter vector in place.

Each optimizer keeps its state in flat vectors the size of ``theta`` and a
scratch vector, so a step allocates nothing.  ``step(theta, grad, penalty,
n_weights, add_l2=False, blocks=None)`` applies one update and then, if the
penalty has an L1 part, its proximal step to ``theta[:n_weights]`` with the
step size just used.  With ``add_l2=True`` it first adds the gradient of the
penalty's L2 part to ``grad[:n_weights]`` (in place, so ``grad`` ends up
holding the full gradient).  Given ``blocks``, ``(start, stop)`` pairs, it
returns the sum of ``grad[start:stop] ** 2`` of each (the trainer's layer
norms).  Adam does all of it in one pass where its compiled kernel exists.

The state (``STATE``: moments, velocity, step count, current rate) is what a
warm start continues; ``continue_from(previous)`` takes it over from an
optimizer of an earlier run, under this optimizer's hyper-parameters.
``snapshot()`` and ``restore()`` copy it out and back (the best epoch).  The
scratch vector is rebuilt on demand and never pickled.
"""

import math

import numpy as np

from skdeep._engine import kernels
from skdeep._engine.kernels import axpy, block_squares, empty


class _Optimizer:
    """State handling shared by the optimizers."""

    STATE = ()

    @property
    def _work(self):
        work = self.__dict__.get("_work_array")
        if work is None:
            work = self._work_array = empty(self._size, self._dtype)
        return work

    def add_l2_gradient(self, theta, grad, penalty, n_weights):
        """Add the gradient of ``penalty``'s L2 part to ``grad[:n_weights]``."""
        if penalty is not None:
            penalty.add_smooth_gradient(
                theta[:n_weights], grad[:n_weights], self._work[:n_weights]
            )

    def snapshot(self):
        """A copy of the state."""
        return {
            name: value.copy() if isinstance(value, np.ndarray) else value
            for name, value in ((name, getattr(self, name)) for name in self.STATE)
        }

    def restore(self, snapshot):
        """Put back a state taken by ``snapshot``."""
        for name, value in snapshot.items():
            current = getattr(self, name)
            if isinstance(current, np.ndarray):
                np.copyto(current, value)
            else:
                setattr(self, name, value)

    def __getstate__(self):
        state = self.__dict__.copy()
        for scratch in ("_work_array", "_step_sizes"):
            state.pop(scratch, None)
        return state


class SGD(_Optimizer):
    """Stochastic gradient descent with momentum or Nesterov momentum.

    ``v <- momentum v - lr g`` then ``theta <- theta + v`` (classical), or
    ``theta <- theta + momentum v - lr g`` (Nesterov), as scikit-learn's MLP.

    With an L1 penalty, the proximal step after each update thresholds by the
    effective step ``lr / (1 - momentum)``, so that the fixed point is that of
    the penalised objective.

    Learning-rate schedules: ``"constant"``; ``"invscaling"``,
    ``lr = lr_init / (t + 1) ** power_t`` with ``t`` the samples seen, updated
    at the end of each epoch; ``"adaptive"``, divide by 5 each time training
    stalls, stopping once ``lr <= 1e-6``.
    """

    STATE = ("velocity", "learning_rate")

    def __init__(
        self,
        n_params,
        dtype,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self._size, self._dtype = n_params, np.dtype(dtype)
        self.velocity = empty(n_params, dtype, fill=0)

    def continue_from(self, previous):
        """Take over the velocity and, if ``learning_rate_init`` is unchanged,
        the scheduled rate of ``previous``, an SGD of an earlier run."""
        np.copyto(self.velocity, previous.velocity)
        if previous.learning_rate_init == self.learning_rate_init:
            self.learning_rate = previous.learning_rate

    def step(self, theta, grad, penalty=None, n_weights=0, add_l2=False,
             blocks=None):  # fmt: skip
        """Update ``theta`` in place from ``grad``; return the sums of squares
        of ``grad`` over ``blocks`` (None without)."""
        if add_l2:
            self.add_l2_gradient(theta, grad, penalty, n_weights)
        self._update(theta, grad, self.velocity, self._work)
        if penalty is not None:
            penalty.prox(theta[:n_weights], self._prox_step(), self._work[:n_weights])
        return block_squares(grad, blocks)

    def _update(self, theta, grad, velocity, work):
        """The momentum update on the flat vectors."""
        np.multiply(grad, self.learning_rate, out=work)
        velocity *= self.momentum
        velocity -= work
        if self.nesterov:
            theta -= work
            axpy(self.momentum, velocity, theta, work)
        else:
            theta += velocity

    def _prox_step(self):
        """Step of the L1 proximal step: the effective step ``lr / (1 - momentum)``.

        With momentum, a steady gradient ``g`` moves the weights by
        ``lr g / (1 - momentum)`` per step, so thresholding by ``lr`` alone
        would give a fixed point with the penalty shrunk by ``1 - momentum``.
        """
        if self.momentum < 1:
            return self.learning_rate / (1 - self.momentum)
        return self.learning_rate

    def iteration_ends(self, n_samples_seen):
        """Apply the schedule at the end of an epoch."""
        if self.lr_schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (
                (n_samples_seen + 1) ** self.power_t
            )

    def trigger_stopping(self):
        """Training stalled: return True to stop, or shrink the rate and go on."""
        if self.lr_schedule != "adaptive" or self.learning_rate <= 1e-6:
            return True
        self.learning_rate /= 5.0
        return False


class Adam(_Optimizer):
    """Adam (Kingma and Ba, 2015) with the bias correction folded into the rate.

    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``,
    ``theta <- theta - lr_t m / (sqrt(v) + eps)`` with
    ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``, as scikit-learn's MLP.  With an
    L1 penalty, the proximal step uses each weight's own step size
    ``lr_t / (sqrt(v) + eps)``.

    The moments are stored as ``m / (1 - b1)`` and ``v / (1 - b2)``, whose
    updates ``b1 m' + g`` and ``b2 v' + g^2`` take one pass fewer each; the
    constants go into the step.
    """

    STATE = ("t", "_m_sum", "_v_sum")

    def __init__(
        self,
        n_params,
        dtype,
        learning_rate_init=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self._size, self._dtype = n_params, np.dtype(dtype)
        self._m_sum = empty(n_params, dtype, fill=0)
        self._v_sum = empty(n_params, dtype, fill=0)

    def continue_from(self, previous):
        """Take over the step count and moments of ``previous``, an Adam of an
        earlier run, converted to this optimizer's decay rates."""
        self.t = previous.t
        np.multiply(previous._m_sum, (1 - previous.beta_1) / (1 - self.beta_1),
                    out=self._m_sum)  # fmt: skip
        np.multiply(previous._v_sum, (1 - previous.beta_2) / (1 - self.beta_2),
                    out=self._v_sum)  # fmt: skip

    @property
    def m(self):
        """First-moment estimate (before bias correction)."""
        return (1 - self.beta_1) * self._m_sum

    @property
    def v(self):
        """Second-moment estimate (before bias correction)."""
        return (1 - self.beta_2) * self._v_sum

    def step(self, theta, grad, penalty=None, n_weights=0, add_l2=False,
             blocks=None):  # fmt: skip
        """Update ``theta`` in place from ``grad``; return the sums of squares
        of ``grad`` over ``blocks`` (None without)."""
        self.t += 1
        lr_t = (
            self.learning_rate
            * math.sqrt(1 - self.beta_2**self.t)
            / (1 - self.beta_1**self.t)
        )
        # lr_t m / (sqrt(v) + eps) = scale m' / (sqrt(v') + eps')
        root = math.sqrt(1 - self.beta_2)
        scale = lr_t * (1 - self.beta_1) / root
        l2 = penalty.l2 if add_l2 and penalty is not None else 0.0
        fused = kernels.fused_adam_step
        squares = None
        if fused is not None and theta.flags.c_contiguous and grad.flags.c_contiguous:
            # the same arithmetic as below, in one pass over memory (the
            # sums of squares in another order than np.dot's)
            extra = ()
            if blocks is not None:
                squares = np.empty(len(blocks))
                extra = (np.ascontiguousarray(blocks, dtype=np.int64).ravel(), squares)
            fused(
                theta, grad, self._m_sum, self._v_sum, n_weights if l2 else 0,
                l2, self.beta_1, self.beta_2, scale, self.epsilon / root, *extra,
            )  # fmt: skip
        else:
            if l2:
                self.add_l2_gradient(theta, grad, penalty, n_weights)
            self._update(theta, grad, self._work, scale, self.epsilon / root)
            squares = block_squares(grad, blocks)
        if penalty is not None and penalty.l1:
            # the proximal step of each weight uses its own Adam step size
            if getattr(self, "_step_sizes", None) is None:
                self._step_sizes = np.empty(n_weights, dtype=theta.dtype)
            steps = self._step_sizes
            np.sqrt(self._v_sum[:n_weights], out=steps)
            steps *= root
            steps += self.epsilon
            np.divide(lr_t, steps, out=steps)
            penalty.prox(theta[:n_weights], steps, self._work[:n_weights])
        return squares

    def _update(self, theta, grad, work, scale, epsilon):
        """The Adam update on the flat vectors: ten passes, no temporary.

        ``_fused.c`` does the same operations in the same order, element by
        element; change both or neither.
        """
        m_sum, v_sum = self._m_sum, self._v_sum
        m_sum *= self.beta_1
        m_sum += grad
        np.multiply(grad, grad, out=work)
        v_sum *= self.beta_2
        v_sum += work
        np.sqrt(v_sum, out=work)
        work += epsilon
        np.divide(m_sum, work, out=work)
        work *= scale
        theta -= work

    def iteration_ends(self, n_samples_seen):
        """Adam keeps its rate; nothing to do at the end of an epoch."""

    def trigger_stopping(self):
        """Training stalled: Adam always stops."""
        return True


OPTIMIZERS = {"sgd": SGD, "adam": Adam}
