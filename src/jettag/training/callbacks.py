"""Training side work as callbacks: resuming, the non-finite guard, console output, checkpoints,
history, diagnostics and publishing the outputs.

The loop (``jettag.training.loop``) calls every callback's hooks in list order with the
``TrainState`` (``jettag.training.state``); ``default_callbacks`` gives the list of a run. A hook
reads the state and may write files, print, or set ``state.stop`` to end the run. Hooks:

* ``on_train_start``: after the model, optimiser and loaders exist, before the first epoch;
* ``on_epoch_start``: before the epoch's first batch;
* ``on_batch_end``: after a batch's forward pass, before its optimiser step (``BatchResult``);
  setting ``state.stop`` skips that step and ends the run;
* ``on_validation_end``: ``state.row`` holds the epoch's metrics, not yet recorded;
* ``on_epoch_end``: the epoch is recorded (``state.epoch``, ``state.history``, ``state.improved``);
* ``on_train_end``: after the last epoch (or the stop), on every way out but an exception.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import torch
from tqdm import tqdm

from jettag.errors import JettagError
from jettag.training import diagnostics as diag
from jettag.training import distributed as dist_utils
from jettag.training.history import HISTORY_COLUMNS, write_history
from jettag.training.resume import load_training_state, rng_state, set_rng_state, warm_start
from jettag.training.state import BatchResult, TrainState


class Callback:
    """Base class: every hook does nothing."""

    def on_train_start(self, state: TrainState) -> None:
        pass

    def on_epoch_start(self, state: TrainState) -> None:
        pass

    def on_batch_end(self, state: TrainState, batch: BatchResult) -> None:
        pass

    def on_validation_end(self, state: TrainState) -> None:
        pass

    def on_epoch_end(self, state: TrainState) -> None:
        pass

    def on_train_end(self, state: TrainState) -> None:
        pass


def training_state(state: TrainState) -> dict:
    """What ``last.pt`` holds beyond the weights, to resume bit for bit (``jettag.training.resume``)."""
    return {
        "train_hash": state.train_hash, "epoch": state.epoch, "optimizer": state.optimizer.state_dict(),
        "scheduler": state.scheduler.state_dict(), "early_stopping": state.early.state_dict(),
        "history": state.history,
        "batch_losses": [torch.tensor(b, dtype=torch.float64) for b in state.batch_losses],
        "rng": rng_state(),
    }


class Resume(Callback):
    """Continue from ``last.pt`` of the same spec and data (work folder first, then the outputs);
    otherwise start from ``init_checkpoint`` when the spec names one."""

    def on_train_start(self, state: TrainState) -> None:
        run = state.run
        for candidate in (run.work / "last.pt", run.output_dir / "last.pt"):
            resumed = load_training_state(candidate, state.train_hash)
            if resumed is not None:
                break
        if resumed is None:
            if run.spec.get("init_checkpoint"):
                warm_start(state.model, Path(run.spec["init_checkpoint"]), run.device)
            return
        saved = resumed["extra"]["training_state"]
        state.model.load_state_dict(resumed["state_dict"])
        state.optimizer.load_state_dict(saved["optimizer"])
        state.scheduler.load_state_dict(saved["scheduler"])
        state.early.load_state_dict(saved["early_stopping"])
        state.history = {c: list(saved["history"][c]) for c in HISTORY_COLUMNS}
        state.batch_losses = [t.tolist() for t in saved["batch_losses"]]
        state.epoch = int(saved["epoch"])
        set_rng_state(saved["rng"])
        if run.info.is_main:
            print(f"jettag train: resuming {run.spec.get('name', '')} after epoch {state.epoch} from "
                  f"{candidate}", file=sys.stderr)


class NonFiniteGuard(Callback):
    """Record the batch losses (averaged over ranks) and stop at the first non-finite loss.

    Losses are checked every ``check_every`` batches and at the end of an epoch, with one
    collective per check; a non-finite validation loss stops the run too.
    """

    def __init__(self, check_every: int):
        self.check_every = check_every
        self.pending: list[torch.Tensor] = []

    def on_epoch_start(self, state: TrainState) -> None:
        self.pending = []

    def on_batch_end(self, state: TrainState, batch: BatchResult) -> None:
        self.pending.append(torch.stack([batch.data_loss, batch.loss]))
        if (batch.index + 1) % self.check_every != 0 and not batch.last:
            return
        vals = torch.stack(self.pending).cpu()
        self.pending = []
        bad = (~torch.isfinite(vals)).any(1)
        info = state.run.info
        reduced = dist_utils.all_reduce_sum([float(bad.any()), *vals[:, 0].tolist()], info, state.run.device)
        batch_means = [v / info.world_size for v in reduced[1:]]
        if reduced[0] > 0:
            first = int(torch.nonzero(bad)[0]) if bad.any() else len(vals) - 1
            state.epoch_losses.extend(batch_means[:first + 1])
            state.stop = {"epoch": state.epoch + 1, "batch": len(state.epoch_losses) - 1}
        else:
            state.epoch_losses.extend(batch_means)

    def on_validation_end(self, state: TrainState) -> None:
        if not math.isfinite(state.row["val_loss"]):
            state.stop = {"epoch": state.epoch + 1, "batch": -1}


class ProgressBar(Callback):
    """A progress bar per epoch on stderr (``disable=None``: only on a terminal)."""

    def __init__(self, disable: bool | None):
        self.disable = disable
        self.bar: tqdm | None = None

    def on_epoch_start(self, state: TrainState) -> None:
        self.bar = tqdm(total=len(state.train_loader), desc=f"epoch {state.epoch + 1}/{state.epochs}",
                        disable=self.disable, leave=False, file=sys.stderr)

    def on_batch_end(self, state: TrainState, batch: BatchResult) -> None:
        self.bar.update(1)
        if not self.bar.disable and batch.index % 20 == 0 and state.epoch_losses:
            self.bar.set_postfix(loss=f"{state.epoch_losses[-1]:.4f}", refresh=False)
        if batch.last or state.stop is not None:
            self.bar.close()

    def on_train_end(self, state: TrainState) -> None:
        if self.bar is not None:
            self.bar.close()


class EpochLog(Callback):
    """One line per epoch on stderr."""

    def on_epoch_end(self, state: TrainState) -> None:
        row = state.row
        print(f"jettag train: epoch {state.epoch}/{state.epochs} train_loss {row['train_loss']:.4f} "
              f"val_loss {row['val_loss']:.4f} ± {row['val_loss_err']:.4f} val_acc {row['val_acc']:.3f} "
              f"lr {row['lr']:.3g} {row['jets_per_s']:.0f} jets/s", file=sys.stderr)


class CheckpointWriter(Callback):
    """``best.pt`` when the validation loss improved; ``last.pt`` (with the training state) every epoch."""

    def on_epoch_end(self, state: TrainState) -> None:
        if state.improved:
            state.save_model(state.work / "best.pt")
        state.save_model(state.work / "last.pt", training_state(state))


class HistoryWriter(Callback):
    """``history.csv`` and ``batch_losses.csv`` after every epoch and at the end."""

    def on_epoch_end(self, state: TrainState) -> None:
        write_history(state.work, state.history, state.batch_losses)

    on_train_end = on_epoch_end


class Diagnostics(Callback):
    """``diagnostics.json``/``.txt``: findings on the loss curves and a summary of the run."""

    def on_train_end(self, state: TrainState) -> None:
        run, early = state.run, state.early
        n_val = state.val_loader.n
        state.findings = diag.diagnose(state.history, state.batch_losses, stop=state.stop, n_val=n_val)
        summary = {
            "name": run.spec.get("name"), "epochs_run": len(state.history["epoch"]), "epochs": state.epochs,
            "best_epoch": early.best_epoch, "best_val_loss": early.best if early.best_epoch else None,
            "stopped_early_at": early.stopped_epoch or None, "stopped_nonfinite": state.stop,
            "device": str(run.device), "world_size": run.info.world_size, "learning_rate": state.lr,
            "n_train_jets_per_epoch": state.train_loader.n_jets_per_epoch, "n_val_jets": n_val,
        }
        diag.write_diagnostics(state.findings, state.work, summary)
        for f in state.findings:
            print(f"jettag train: [{f.severity}] {f.message}", file=sys.stderr)


class Publish(Callback):
    """Move the finished outputs from the work folder into place (checkpoints last), so a killed
    job leaves no declared output behind; a run without any good checkpoint is an error."""

    def on_train_end(self, state: TrainState) -> None:
        work, output_dir = state.work, state.run.output_dir
        if state.stop is not None and not (work / "best.pt").is_file() and not (output_dir / "best.pt").is_file():
            raise JettagError(next(f.message for f in state.findings if f.kind == "nonfinite"))
        for f in sorted(work.iterdir(), key=lambda p: p.suffix == ".pt"):
            if not f.name.startswith("."):
                os.replace(f, output_dir / f.name)
        shutil.rmtree(work, ignore_errors=True)


class SyncRanks(Callback):
    """Wait for every rank at the end of each epoch (after the main rank's writes)."""

    def on_epoch_end(self, state: TrainState) -> None:
        dist_utils.barrier(state.run.info)


class EpochFunction(Callback):
    """Call ``fn(epoch (1-based), history)`` after each epoch's checkpoints; raising stops the run."""

    def __init__(self, fn: Callable[[int, dict], None]):
        self.fn = fn

    def on_epoch_end(self, state: TrainState) -> None:
        self.fn(state.epoch, state.history)


def default_callbacks(state: TrainState) -> list[Callback]:
    """The callbacks of a run, in order, followed by the ones passed to ``train``."""
    run = state.run
    main = run.info.is_main
    disable = True if not main else (None if run.progress is None else not run.progress)
    check_every = 1 if run.device.type == "cpu" else 50
    writers = [CheckpointWriter(), HistoryWriter(), EpochLog(), Diagnostics(), Publish()] if main else []
    extra = [cb if isinstance(cb, Callback) else EpochFunction(cb) for cb in run.callbacks]
    return [Resume(), NonFiniteGuard(check_every), ProgressBar(disable), *writers, SyncRanks(), *extra]
