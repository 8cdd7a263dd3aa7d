"""Training histories: ``history.csv`` (one row per epoch) and ``batch_losses.csv``.

``write_history`` writes both files (atomically) from the in-memory history of a training (a dict
of per-epoch lists keyed by ``HISTORY_COLUMNS``). ``read_history`` is the one reader of
``history.csv`` for the whole package (plots, studies, tests): it returns a ``History`` with the
loss curves as float arrays (unparsable cells are nan), the cumulative wall time, and every column
by name (``history["val_acc"]``).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from jettag.atomic import write_text_atomic
from jettag.errors import JettagError

HISTORY_COLUMNS = ("epoch", "train_loss", "val_loss", "train_acc", "val_acc", "lr", "seconds",
                   "jets_per_s", "val_loss_err")
#: Columns a history must have.
REQUIRED_COLUMNS = ("train_loss", "val_loss")
#: Time columns, in order of preference; per-epoch ones are accumulated into the wall time.
TIME_COLUMNS = ("wall_time", "time", "elapsed", "elapsed_s", "wall_s", "epoch_time", "time_s", "seconds")
PER_EPOCH_TIME_COLUMNS = ("epoch_time", "time_s", "seconds")


def empty_history() -> dict[str, list]:
    """The in-memory history of a training before its first epoch."""
    return {c: [] for c in HISTORY_COLUMNS}


def _csv(rows: Sequence[Sequence], header: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write_history(output_dir: Path, history: dict, batch_losses: list[list[float]]) -> None:
    """Write ``history.csv`` and ``batch_losses.csv`` (columns ``epoch, batch, loss``) into ``output_dir``."""
    n = len(history["epoch"])
    rows = [[history[c][i] for c in HISTORY_COLUMNS] for i in range(n)]
    write_text_atomic(Path(output_dir) / "history.csv", _csv(rows, HISTORY_COLUMNS))
    brows = [[e + 1, i, v] for e, losses in enumerate(batch_losses) for i, v in enumerate(losses)]
    write_text_atomic(Path(output_dir) / "batch_losses.csv", _csv(brows, ("epoch", "batch", "loss")))


def tagger_of_history(path: str | Path) -> str:
    """The tagger a ``results/models/{tagger}/history.csv`` belongs to (its directory name)."""
    return Path(path).parent.name


@dataclass(frozen=True)
class History:
    """A read ``history.csv``; ``history[column]`` gives any column as a float array."""

    tagger: str
    epoch: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    wall_time: np.ndarray  # cumulative seconds at the end of each epoch (nan if not recorded)
    columns: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __getitem__(self, column: str) -> np.ndarray:
        if column in self.columns:
            return self.columns[column]
        if column in ("epoch", "train_loss", "val_loss", "wall_time"):
            return getattr(self, column)
        raise KeyError(column)

    def __contains__(self, column: object) -> bool:
        return column in self.columns or column in ("epoch", "train_loss", "val_loss", "wall_time")

    @property
    def best(self) -> int:
        """Index of the epoch with the lowest validation loss."""
        v = np.where(np.isfinite(self.val_loss), self.val_loss, np.inf)
        return int(np.argmin(v))

    def epochs_to_reach(self, target: float) -> tuple[float, float]:
        """(epochs, wall seconds) until the validation loss first falls to ``target``; nan if never."""
        hit = np.nonzero(self.val_loss <= target)[0]
        if hit.size == 0:
            return math.nan, math.nan
        i = int(hit[0])
        return float(self.epoch[i]), float(self.wall_time[i])


def _number(text) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def _wall_time(columns: dict[str, np.ndarray], n: int) -> np.ndarray:
    name = next((c for c in TIME_COLUMNS if c in columns), None)
    if name is None:
        return np.full(n, np.nan)
    wall = columns[name]
    if name in PER_EPOCH_TIME_COLUMNS or not np.all(np.diff(wall) >= 0):
        wall = np.cumsum(wall)
    return wall


def read_history(path: str | Path) -> History:
    """Read a ``history.csv``: columns ``train_loss, val_loss`` and optionally ``epoch`` (default
    1, 2, ...), a time column and any others."""
    path = Path(path)
    if not path.is_file():
        raise JettagError(f"history file {path} does not exist: train the model first")
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise JettagError(f"{path}: no epochs recorded (empty history): the training wrote no epoch")
    missing = [c for c in REQUIRED_COLUMNS if c not in rows[0]]
    if missing:
        raise JettagError(f"{path}: columns {missing} are missing; expected epoch, train_loss, val_loss, ...")
    columns = {key: np.array([_number(r.get(key)) for r in rows]) for key in rows[0]}
    if "epoch" not in columns:
        columns["epoch"] = np.arange(1.0, len(rows) + 1)
    return History(tagger_of_history(path), columns["epoch"], columns["train_loss"], columns["val_loss"],
                   _wall_time(columns, len(rows)), columns)
