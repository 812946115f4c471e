"""What a training run tells the outside world while it runs.

A run calls its monitor's hooks: ``run_started`` once, ``epoch_started`` and
``epoch_ended`` around every epoch (``epoch_ended`` returns True to ask the
run to stop), and ``run_ended`` with the stopping reason.  :class:`Monitor`
does nothing; :class:`ProgressPrinter` is the ``verbose`` output, a line per
epoch with its time, the time so far and an estimate of the time left, and a
closing line that says why the run stopped and which epoch's weights it kept.
Anything else (scikit-learn's callbacks) plugs in as another monitor.
"""

import time


class Monitor:
    """The hooks a training run calls; this one does nothing."""

    def run_started(self, trainer, last_epoch):
        """Called before the first epoch; ``last_epoch`` is the number of the
        last epoch the run may reach (None when it has no budget of its own:
        one ``partial_fit`` epoch)."""

    def epoch_started(self, trainer):
        """Called before every epoch."""

    def epoch_ended(self, trainer, record):
        """Called with every epoch's record; return True to stop the run."""
        return False

    def run_ended(self, trainer, reason):
        """Called once the run has settled its state (``trainer.kept_epoch``)."""


class Monitors(Monitor):
    """Several monitors called in turn; the run stops if any of them asks."""

    def __init__(self, monitors):
        self.monitors = list(monitors)

    def run_started(self, trainer, last_epoch):
        for monitor in self.monitors:
            monitor.run_started(trainer, last_epoch)

    def epoch_started(self, trainer):
        for monitor in self.monitors:
            monitor.epoch_started(trainer)

    def epoch_ended(self, trainer, record):
        # every monitor sees every record, even after one asked to stop
        return any([monitor.epoch_ended(trainer, record) for monitor in self.monitors])

    def run_ended(self, trainer, reason):
        for monitor in self.monitors:
            monitor.run_ended(trainer, reason)


def combine(*monitors):
    """One monitor calling every one of ``monitors`` that is not None."""
    present = [monitor for monitor in monitors if monitor is not None]
    if not present:
        return Monitor()
    return present[0] if len(present) == 1 else Monitors(present)


def format_duration(seconds):
    """``seconds`` for a person: "850 us", "12 ms", "3.4 s", "2 min 05 s"."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class ProgressPrinter(Monitor):
    """The ``verbose`` output of a run (see the module docstring)."""

    def __init__(self):
        self.last_epoch = self.first_epoch = self.started = None

    def run_started(self, trainer, last_epoch):
        self.last_epoch, self.first_epoch = last_epoch, trainer.first_epoch
        self.started = time.perf_counter()

    def epoch_ended(self, trainer, record):
        print(self.epoch_line(trainer, record), flush=True)
        return False

    def run_ended(self, trainer, reason):
        if self.last_epoch is not None or reason == "diverged":
            print(stop_line(trainer, reason), flush=True)

    def epoch_line(self, trainer, record):
        """``Epoch 17/200  loss ...  val_loss ...  1.2 s (elapsed 20 s, ...)``."""
        epoch = record["epoch"]
        parts = [f"Epoch {epoch:4d}"]
        if self.last_epoch is not None:
            parts[0] += f"/{self.last_epoch}"
        if record["stage"] is not None:
            parts.insert(0, f"[{record['stage']}]")
        parts.append(f"loss {record['loss']:.6f}")
        if record["val_loss"] is not None:
            parts.append(f"val_loss {record['val_loss']:.6f}")
            parts.append(f"val_score {record['val_score']:.4f}")
        if trainer.config.param_change_tol is not None:
            parts.append(f"param_change {record['param_change']:.2e}")
        parts.append(f"{format_duration(record['seconds'])}{self._timing(epoch)}")
        return "  ".join(parts)

    def _timing(self, epoch):
        if self.last_epoch is None:
            return ""
        elapsed = time.perf_counter() - self.started
        done = epoch - self.first_epoch + 1
        left = elapsed / max(done, 1) * (self.last_epoch - epoch)
        timing = f" (elapsed {format_duration(elapsed)}"
        if epoch < self.last_epoch:
            timing += f", about {format_duration(left)} left"
        return timing + ")"


def stop_line(trainer, reason):
    """Why ``trainer``'s run stopped and which epoch's weights it kept."""
    why = _why(trainer.config, reason, trainer.stage in (None, "fine-tune"))
    line = f"Stopped after epoch {trainer.last_epoch}: {why}."
    kept = trainer.kept_epoch
    if kept is None or kept == trainer.last_epoch:
        return line
    record = next((r for r in trainer.history if r["epoch"] == kept), None)
    if record is None:
        return line + " Kept the weights the run started from."
    loss = "val_loss" if record["val_loss"] is not None else "loss"
    return line + f" Kept the weights of epoch {kept} ({loss} {record[loss]:.6f})."


def _why(config, reason, whole_run):
    if reason == "max_iter" and not whole_run:
        return f"the stage's {config.max_iter} epochs ran out"
    if reason == "max_iter":
        return f"max_iter={config.max_iter} epochs reached before convergence"
    if reason == "no_improvement":
        monitored = "validation loss" if config.early_stopping else "training loss"
        return (
            f"the {monitored} did not improve by more than tol={config.tol:g} "
            f"for {config.n_iter_no_change} consecutive epochs"
        )
    if reason == "param_change":
        tol = config.param_change_tol
        return f"the parameters changed by less than param_change_tol={tol:g}"
    return {
        "diverged": "training diverged",
        "converged": "L-BFGS converged (the gradient fell below tol)",
        "line_search_failed": "L-BFGS's line search could not lower the loss",
        "requested": "a callback asked to stop",
    }.get(reason, reason)
