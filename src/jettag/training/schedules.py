"""Per-step learning-rate schedules: constant, one-cycle, cosine, cosine with warm restarts (SGDR).

A schedule is a pure function of the optimiser step, ``factor(step) -> float`` in (0, 1], times
the peak learning rate. ``StepScheduler`` applies it to an optimiser after every step; its state is
just the step counter (plain int), so it survives ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import math

import numpy as np

from jettag.errors import JettagError

NAMES = ("constant", "onecycle", "cosine", "sgdr")


def scaled_learning_rate(learning_rate: float, batch_size: int, reference_batch_size: int,
                         scaling: str = "linear") -> float:
    """Scale ``learning_rate`` (tuned at ``reference_batch_size``) to ``batch_size``."""
    ratio = batch_size / reference_batch_size
    if scaling == "linear":
        return learning_rate * ratio
    if scaling == "sqrt":
        return learning_rate * math.sqrt(ratio)
    if scaling == "none":
        return learning_rate
    raise JettagError(f"training.lr_scaling: unknown value '{scaling}'; use linear, sqrt or none")


def _cos(t: float, floor: float) -> float:
    """Half-cosine from 1 at t=0 to ``floor`` at t=1."""
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * min(max(t, 0.0), 1.0)))


def lr_factor(step: int, total_steps: int, steps_per_epoch: int, schedule: dict) -> float:
    """Multiplier of the peak learning rate at optimiser step ``step`` (0-based)."""
    name = schedule.get("name", "constant")
    floor = float(schedule.get("min_lr_fraction", 0.01))
    total = max(int(total_steps), 1)
    if name == "constant":
        return 1.0
    if name == "cosine":
        return _cos(step / total, floor)
    if name == "onecycle":
        warm = max(int(round(schedule.get("warmup_fraction", 0.1) * total)), 1)
        if step < warm:  # linear warm-up from floor to the peak, reached at the end of warm-up
            return floor + (1.0 - floor) * step / warm
        return _cos((step - warm) / max(total - warm, 1), floor)
    if name == "sgdr":
        length = max(int(schedule.get("restart_epochs", 5)) * max(steps_per_epoch, 1), 1)
        mult = int(schedule.get("restart_mult", 1))
        start = 0
        while step >= start + length:  # find the cycle that holds ``step``
            start += length
            length *= mult
        return _cos((step - start) / length, floor)
    raise JettagError(f"training.schedule.name: unknown schedule '{name}'; use one of {NAMES}")


def lr_curve(total_steps: int, steps_per_epoch: int, schedule: dict, peak_lr: float = 1.0) -> np.ndarray:
    """The learning rate at every step of a training, as an array (for plots and tests)."""
    return np.array([peak_lr * lr_factor(s, total_steps, steps_per_epoch, schedule) for s in range(total_steps)])


class StepScheduler:
    """Sets ``lr = peak_lr * factor(step)`` on every param group; call ``step()`` after each update."""

    def __init__(self, optimizer, peak_lr: float, total_steps: int, steps_per_epoch: int, schedule: dict):
        self.optimizer = optimizer
        self.peak_lr = float(peak_lr)
        self.total_steps = int(total_steps)
        self.steps_per_epoch = int(steps_per_epoch)
        self.schedule = dict(schedule)
        self.last_step = 0
        self._apply()

    def current_lr(self) -> float:
        return self.peak_lr * lr_factor(self.last_step, self.total_steps, self.steps_per_epoch, self.schedule)

    def _apply(self) -> None:
        lr = self.current_lr()
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def step(self) -> None:
        self.last_step += 1
        self._apply()

    def state_dict(self) -> dict:
        return {"last_step": int(self.last_step), "peak_lr": float(self.peak_lr),
                "total_steps": int(self.total_steps)}

    def load_state_dict(self, state: dict) -> None:
        self.last_step = int(state["last_step"])
        self._apply()
