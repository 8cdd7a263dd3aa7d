"""What the training loop and its callbacks share: the run's settings, its state, one batch's losses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from jettag.training import distributed as dist_utils
from jettag.training.early_stopping import EarlyStopping
from jettag.training.history import empty_history
from jettag.training.resume import save_model_checkpoint
from jettag.training.schedules import StepScheduler

#: Work happens in ``output_dir/.partial``; finished outputs are moved into place at the end.
PARTIAL_DIR = ".partial"

ModelFactory = Callable[[dict, dict, list, list], nn.Module]


@dataclass(frozen=True)
class RunConfig:
    """What a training run was asked to do (the arguments of ``train``, options resolved)."""

    spec: dict
    opts: dict
    data_dir: Path
    output_dir: Path
    device: torch.device
    info: dist_utils.DistInfo
    model_factory: ModelFactory | None = None
    callbacks: Sequence = ()
    progress: bool | None = None

    @property
    def work(self) -> Path:
        return self.output_dir / PARTIAL_DIR


@dataclass(frozen=True)
class BatchResult:
    """One training batch after its forward pass, before its optimiser step (losses detached)."""

    index: int  # 0-based within the epoch
    last: bool  # the epoch's last batch
    data_loss: torch.Tensor  # mean per-jet objective
    loss: torch.Tensor  # data_loss plus the L1 penalty: what the optimiser minimises


@dataclass
class TrainState:
    """The objects of a run and its progress. The loop updates ``epoch`` (epochs finished),
    ``history``, ``batch_losses``, ``epoch_losses``, ``row`` and ``improved``; a callback ends the
    run by setting ``stop`` (``{"epoch": 1-based, "batch": index or -1 for validation}``)."""

    run: RunConfig
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: StepScheduler
    early: EarlyStopping
    train_loader: object
    val_loader: object
    norm: dict
    names: list
    jet_names: list
    train_hash: str
    lr: float
    net: nn.Module | None = None  # the model as trained (DDP wrapper, compiled)
    eval_net: nn.Module | None = None  # the model as evaluated
    epoch: int = 0
    history: dict = field(default_factory=empty_history)
    batch_losses: list[list[float]] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)
    row: dict | None = None  # metrics of the epoch just validated (a history row)
    improved: bool = False  # the epoch just recorded has the best validation loss so far
    stop: dict | None = None
    findings: list = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return int(self.run.opts["epochs"])

    @property
    def work(self) -> Path:
        return self.run.work

    def save_model(self, path: Path, training_state: dict | None = None) -> None:
        """Write a model checkpoint of the model at ``path`` (``training_state`` for ``last.pt``)."""
        save_model_checkpoint(path, self.model, self.run.spec, self.norm, self.names, self.jet_names,
                              training_state)
