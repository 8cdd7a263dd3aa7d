"""The training loop: epochs of batches, validation, early stopping; side work in callbacks.

``train_model(spec, data_dir, output_dir)`` is the ``jettag train`` verb. It writes into
``output_dir``: ``best.pt`` (lowest validation loss), ``last.pt`` (latest epoch plus the full
training state, for resuming), ``history.csv``, ``batch_losses.csv``, ``diagnostics.json`` and
``diagnostics.txt``. The files are written by the callbacks of ``jettag.training.callbacks``.
On CPU a rerun with the same seed gives identical weights, bit for bit.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from jettag.training import diagnostics as diag
from jettag.training import distributed as dist_utils
from jettag.training.augment import Augmentation
from jettag.training.callbacks import Callback, default_callbacks
from jettag.training.data import H5Batches, check_inputs, feature_names, n_jets, read_norm
from jettag.training.early_stopping import EarlyStopping
from jettag.training.history import HISTORY_COLUMNS, empty_history, write_history
from jettag.training.options import training_options
from jettag.training.resume import data_hashes, save_model_checkpoint, seed_everything, train_hash
from jettag.training.schedules import StepScheduler, scaled_learning_rate
from jettag.training.state import BatchResult, ModelFactory, RunConfig, TrainState
from jettag.training.step import (
    apply_gradients,
    build_optimizer,
    evaluate,
    forward_loss,
    resolve_device,
)


def train_model(spec: dict, data_dir: Path, output_dir: Path) -> None:
    """The ``jettag train`` verb (see the module docstring)."""
    train(spec, Path(data_dir), Path(output_dir))


def train(spec: dict, data_dir: Path, output_dir: Path, *, model_factory: ModelFactory | None = None,
          callbacks: Sequence[Callback | Callable[[int, dict], None]] = (),
          progress: bool | None = None) -> dict:
    """Train (or resume) and return the history (dict of per-epoch lists).

    ``callbacks`` run after the built-in ones: ``Callback`` objects, or functions
    ``fn(epoch (1-based), history)`` called after each epoch's checkpoints (raising stops the run).
    """
    data_dir, output_dir = Path(data_dir), Path(output_dir)
    check_inputs(data_dir)
    if spec.get("type") == "ip3d":
        return _train_ip3d(spec, data_dir, output_dir)
    opts = training_options(spec)
    if opts["num_threads"]:
        torch.set_num_threads(int(opts["num_threads"]))
    device = resolve_device(opts["device"])
    info = dist_utils.setup(bool(opts["ddp"]), device)
    device = dist_utils.device_for(info, device)
    try:
        return _run(RunConfig(spec, opts, data_dir, output_dir, device, info, model_factory,
                              tuple(callbacks), progress))
    finally:
        dist_utils.cleanup(info)


def _setup(run: RunConfig) -> TrainState:
    """Model, loaders, optimiser, schedule and early stopping of a fresh run (seeded)."""
    opts, info, device = run.opts, run.info, run.device
    norm = read_norm(run.data_dir)
    names, jet_names = feature_names(run.data_dir / "train.h5")
    seed = int(opts["seed"])
    seed_everything(seed)
    model_factory = run.model_factory
    if model_factory is None:
        from jettag.models import build_model as model_factory
    model = model_factory(run.spec, norm, names, jet_names).to(device)
    if info.enabled:
        dist_utils.broadcast_parameters(model, info)

    batch_size, block_size, prefetch = int(opts["batch_size"]), int(opts["block_size"]), int(opts["prefetch"])
    train_loader = H5Batches(
        run.data_dir / "train.h5", batch_size, shuffle=bool(opts["shuffle"]), seed=seed,
        block_size=block_size, max_jets=opts["max_train_jets"], rank=info.rank,
        world_size=info.world_size, prefetch=prefetch, pin_memory=device.type == "cuda",
        augment=Augmentation.build(opts.get("augment"), names, jet_names),
    )
    val_loader = H5Batches(run.data_dir / "val.h5", max(batch_size, 1024), shuffle=False,
                           block_size=block_size, rank=info.rank, world_size=info.world_size,
                           prefetch=prefetch, shard="stride", pin_memory=device.type == "cuda")
    steps_per_epoch = len(train_loader)
    epochs = int(opts["epochs"])
    lr = scaled_learning_rate(float(opts["learning_rate"]), batch_size, int(opts["reference_batch_size"]),
                              opts["lr_scaling"])
    optimizer = build_optimizer(model, opts, lr)
    scheduler = StepScheduler(optimizer, lr, epochs * steps_per_epoch, steps_per_epoch, opts["schedule"])
    early = EarlyStopping.from_options(opts["early_stopping"])
    thash = train_hash(run.spec, data_hashes(run.data_dir))
    run.work.mkdir(parents=True, exist_ok=True)
    return TrainState(run, model, optimizer, scheduler, early, train_loader, val_loader, norm, names,
                      jet_names, thash, lr)


def _emit(callbacks: Sequence[Callback], hook: str, *args) -> None:
    for cb in callbacks:
        getattr(cb, hook)(*args)


def _run(run: RunConfig) -> dict:
    state = _setup(run)
    callbacks = default_callbacks(state)
    _emit(callbacks, "on_train_start", state)
    state.net = dist_utils.wrap(state.model, run.info, run.device)
    state.eval_net = state.model  # no DDP wrapper: ranks see different numbers of validation batches
    if run.opts["compile"]:
        if run.device.type == "cpu" and run.info.is_main:
            print("jettag train: training.compile on CPU: the taggers train several times slower "
                  "compiled than eagerly there (config/full.resources.md); set it for GPUs only",
                  file=sys.stderr)
        state.net, state.eval_net = torch.compile(state.net), torch.compile(state.model)
    while state.epoch < state.epochs and not state.early.should_stop:
        state.epoch_losses = []
        _emit(callbacks, "on_epoch_start", state)
        t0, seen, correct = _train_epoch(state, callbacks)
        if state.stop is None:
            state.row = _validate(state, t0, seen, correct)
            _emit(callbacks, "on_validation_end", state)
        state.batch_losses.append(state.epoch_losses)
        if state.stop is not None:
            break
        for c in HISTORY_COLUMNS:
            state.history[c].append(state.row[c])
        state.improved = state.early.update(state.epoch + 1, state.row["val_loss"])
        state.epoch += 1
        _emit(callbacks, "on_epoch_end", state)
    _emit(callbacks, "on_train_end", state)
    return state.history


def _train_epoch(state: TrainState, callbacks: Sequence[Callback]) -> tuple[float, int, torch.Tensor]:
    """One pass over the training batches; returns (start time, jets seen, correct predictions)."""
    run, model, net = state.run, state.model, state.net
    device = run.device
    aux_weight, l1 = float(run.opts["aux_origin_weight"]), float(run.opts["l1"])
    state.train_loader.set_epoch(state.epoch)
    net.train()
    t0 = time.perf_counter()
    correct = torch.zeros((), dtype=torch.int64, device=device)
    seen = 0
    steps = len(state.train_loader)
    for i, batch in enumerate(state.train_loader):
        batch = batch.to(device)
        out, data_loss, loss = forward_loss(net, batch, device, aux_weight, l1, model)
        _emit(callbacks, "on_batch_end", state, BatchResult(i, i + 1 == steps, data_loss.detach(), loss.detach()))
        if state.stop is not None:
            break
        apply_gradients(state.optimizer, loss)
        state.scheduler.step()
        correct += (out["logits"].detach().argmax(1) == batch.label).sum()
        seen += len(batch)
    return t0, seen, correct


def _validate(state: TrainState, t0: float, seen: int, correct: torch.Tensor) -> dict:
    """The epoch's history row: validation metrics and the training metrics summed over ranks."""
    run = state.run
    train_seconds = time.perf_counter() - t0
    val = evaluate(state.eval_net, state.val_loader, run.device, float(run.opts["aux_origin_weight"]), run.info)
    seen_all, correct_all = dist_utils.all_reduce_sum([float(seen), float(correct.item())], run.info, run.device)
    return {
        "epoch": state.epoch + 1, "train_loss": float(np.mean(state.epoch_losses)), "val_loss": val["loss"],
        "train_acc": correct_all / max(seen_all, 1), "val_acc": val["acc"],
        "lr": state.optimizer.param_groups[0]["lr"], "seconds": time.perf_counter() - t0,
        "jets_per_s": seen_all / max(train_seconds, 1e-9), "val_loss_err": val["loss_err"],
    }


def _train_ip3d(spec: dict, data_dir: Path, output_dir: Path) -> dict:
    from jettag.models.ip3d import fit_ip3d

    t0 = time.perf_counter()
    model = fit_ip3d(spec, data_dir / "train.h5")
    seconds = time.perf_counter() - t0
    norm = read_norm(data_dir)
    names, jet_names = feature_names(data_dir / "train.h5")
    n_train = n_jets(data_dir / "train.h5")
    history = empty_history()
    try:
        metrics = {}
        for split in ("train", "val"):
            loader = H5Batches(data_dir / f"{split}.h5", 4096, shuffle=False, prefetch=0)
            metrics[split] = evaluate(model, loader, torch.device("cpu"), 0.0)
    except Exception:  # noqa: BLE001 - templates without a usable forward: no losses
        metrics = {s: {"loss": float("nan"), "acc": float("nan"), "loss_err": float("nan")} for s in ("train", "val")}
    row = {"epoch": 1, "train_loss": metrics["train"]["loss"], "val_loss": metrics["val"]["loss"],
           "train_acc": metrics["train"]["acc"], "val_acc": metrics["val"]["acc"], "lr": 0.0,
           "seconds": seconds, "jets_per_s": n_train / max(seconds, 1e-9),
           "val_loss_err": metrics["val"]["loss_err"]}
    for c in HISTORY_COLUMNS:
        history[c].append(row[c])
    for name in ("best.pt", "last.pt"):
        save_model_checkpoint(output_dir / name, model, spec, norm, names, jet_names)
    write_history(output_dir, history, [])
    diag.write_diagnostics([], output_dir, {"type": "ip3d", "n_train": n_train,
                                            "note": "templates are filled, not trained: no loss curve"})
    return history
