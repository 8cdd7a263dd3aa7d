"""The training loop: optimiser, schedule, early stopping, checkpoints, metrics, diagnostics.

``train_model(spec, data_dir, output_dir)`` is the ``jettag train`` verb. It writes into
``output_dir``: ``best.pt`` (lowest validation loss), ``last.pt`` (latest epoch plus the full
training state, for resuming), ``history.csv``, ``batch_losses.csv``, ``diagnostics.json`` and
``diagnostics.txt``. On CPU a rerun with the same seed gives identical weights, bit for bit.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from jettag.atomic import write_text_atomic
from jettag.config import config_hash
from jettag.errors import JettagError
from jettag.training import diagnostics as diag
from jettag.training import distributed as dist_utils
from jettag.training.data import Batch, H5Batches, check_inputs, feature_names, n_jets, read_norm
from jettag.training.resume import (
    load_training_state,
    rng_state,
    save_model_checkpoint,
    seed_everything,
    set_rng_state,
    train_hash,
)
from jettag.training.schedules import StepScheduler, scaled_learning_rate

HISTORY_COLUMNS = ("epoch", "train_loss", "val_loss", "train_acc", "val_acc", "lr", "seconds",
                   "jets_per_s", "val_loss_err")

#: Defaults for keys a spec may lack (the schema fills them for configs).
DEFAULTS = {
    "epochs": 20, "batch_size": 256, "learning_rate": 1e-3, "reference_batch_size": 256,
    "lr_scaling": "linear", "optimizer": "adamw", "weight_decay": 1e-5, "l1": 0.0,
    "schedule": {"name": "constant"}, "early_stopping": {"enabled": True, "patience": 5, "min_delta": 0.0},
    "seed": 1, "device": "auto", "compile": False, "max_train_jets": None, "num_threads": 0,
    "ddp": False, "aux_origin_weight": 0.5, "shuffle": True, "block_size": 32768, "prefetch": 1,
}

ModelFactory = Callable[[dict, dict, list, list], nn.Module]
#: ``callback(epoch (1-based), history)`` after each epoch's checkpoints; raising stops the run
#: (tests use it to simulate a killed job).
Callback = Callable[[int, dict], None]


def training_options(spec: dict) -> dict:
    opts = {**DEFAULTS, **spec.get("training", {})}
    opts["schedule"] = {**DEFAULTS["schedule"], **opts.get("schedule", {})}
    opts["early_stopping"] = {**DEFAULTS["early_stopping"], **opts.get("early_stopping", {})}
    return opts


@dataclass
class EarlyStopping:
    """Stop when the validation loss has not improved by ``min_delta`` for ``patience`` epochs."""

    patience: int = 5
    min_delta: float = 0.0
    enabled: bool = True
    best: float = math.inf
    best_epoch: int = 0
    bad_epochs: int = 0
    stopped_epoch: int = 0

    def update(self, epoch: int, val_loss: float) -> bool:
        """Record ``val_loss`` of ``epoch`` (1-based); True if it is a new best."""
        improved = math.isfinite(val_loss) and val_loss < self.best - self.min_delta
        if improved:
            self.best, self.best_epoch, self.bad_epochs = float(val_loss), int(epoch), 0
        else:
            self.bad_epochs += 1
            if self.enabled and self.bad_epochs >= self.patience:
                self.stopped_epoch = int(epoch)
        return improved

    @property
    def should_stop(self) -> bool:
        return self.stopped_epoch > 0

    def state_dict(self) -> dict:
        return asdict(self)

    def load_state_dict(self, state: dict) -> None:
        for key, value in state.items():
            setattr(self, key, value)


def resolve_device(name: str) -> torch.device:
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise JettagError("training.device is 'cuda' but no CUDA device is available; use 'auto' or 'cpu'")
        return torch.device("cuda")
    return torch.device("cpu")


def build_optimizer(model: nn.Module, opts: dict, lr: float) -> torch.optim.Optimizer:
    """AdamW (decoupled L2) or SGD with momentum; weight decay on weight matrices only."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": float(opts["weight_decay"])},
              {"params": no_decay, "weight_decay": 0.0}]
    if opts["optimizer"] == "adamw":
        return torch.optim.AdamW(groups, lr=lr)
    if opts["optimizer"] == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=0.9, nesterov=True)
    raise JettagError(f"training.optimizer: unknown optimizer '{opts['optimizer']}'; use adamw or sgd")


def l1_penalty(model: nn.Module) -> torch.Tensor:
    """Sum of |w| over weight matrices (biases and norms excluded)."""
    terms = [p.abs().sum() for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    return torch.stack(terms).sum() if terms else torch.zeros(())


def per_jet_loss(out: dict, batch: Batch, aux_weight: float) -> torch.Tensor:
    """Per-jet objective: weight * cross-entropy, plus aux_weight * mean track-origin CE of the jet."""
    logits = out["logits"].float()
    loss = batch.weight * F.cross_entropy(logits, batch.label, reduction="none")
    if aux_weight > 0 and "track_logits" in out:
        tl = out["track_logits"].float()
        target = torch.where(batch.valid, batch.track_origin, torch.full_like(batch.track_origin, -1))
        ce = F.cross_entropy(tl.reshape(-1, tl.shape[-1]), target.reshape(-1), ignore_index=-1,
                             reduction="none").view(target.shape)
        n = (target >= 0).sum(1).clamp(min=1)
        loss = loss + aux_weight * ce.sum(1) / n
    return loss


def _autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.no_grad()
def evaluate(net: nn.Module, loader, device: torch.device, aux_weight: float,
             info: dist_utils.DistInfo | None = None) -> dict:
    """Weighted loss (mean of per-jet objective), its statistical error, accuracy, jet count."""
    net.eval()
    sums = torch.zeros(4, dtype=torch.float64, device=device)  # loss, loss^2, correct, n
    for batch in loader:
        batch = batch.to(device)
        with _autocast(device):
            out = net(batch.tracks, batch.valid, batch.jets)
        loss = per_jet_loss(out, batch, aux_weight).double()
        correct = (out["logits"].argmax(1) == batch.label).sum()
        sums += torch.stack([loss.sum(), (loss * loss).sum(), correct.double(),
                             torch.tensor(float(len(batch)), dtype=torch.float64, device=device)])
    s, s2, correct, n = dist_utils.all_reduce_sum(sums.tolist(), info or dist_utils.DistInfo(), device)
    n = max(n, 1.0)
    mean = s / n
    var = max(s2 / n - mean * mean, 0.0)
    return {"loss": mean, "loss_err": math.sqrt(var / n), "acc": correct / n, "n": int(n)}


def _data_hashes(data_dir: Path) -> dict:
    out = {}
    for split in ("train", "val"):
        with h5py.File(data_dir / f"{split}.h5", "r") as f:
            out[split] = {k: str(f.attrs.get(k, "")) for k in ("config_hash", "n_jets")}
            out[split]["shape"] = list(f["label"].shape)
    out["norm"] = config_hash((data_dir / "norm.json").read_text())
    return out


def _csv(rows: Sequence[Sequence], header: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write_history(output_dir: Path, history: dict, batch_losses: list[list[float]]) -> None:
    n = len(history["epoch"])
    rows = [[history[c][i] for c in HISTORY_COLUMNS] for i in range(n)]
    write_text_atomic(output_dir / "history.csv", _csv(rows, HISTORY_COLUMNS))
    brows = [[e + 1, i, v] for e, losses in enumerate(batch_losses) for i, v in enumerate(losses)]
    write_text_atomic(output_dir / "batch_losses.csv", _csv(brows, ("epoch", "batch", "loss")))


def read_history(path: Path) -> dict[str, np.ndarray]:
    """history.csv as a dict of float arrays."""
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in (rows[0] if rows else HISTORY_COLUMNS)}


PARTIAL_DIR = ".partial"


def train_model(spec: dict, data_dir: Path, output_dir: Path) -> None:
    """The ``jettag train`` verb (see the module docstring)."""
    train(spec, Path(data_dir), Path(output_dir))


def train(spec: dict, data_dir: Path, output_dir: Path, *, model_factory: ModelFactory | None = None,
          callbacks: Sequence[Callback] = (), progress: bool | None = None) -> dict:
    """Train (or resume) and return the history (dict of per-epoch lists)."""
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
        return _run(spec, opts, data_dir, output_dir, device, info, model_factory, callbacks, progress)
    finally:
        dist_utils.cleanup(info)


def _train_ip3d(spec: dict, data_dir: Path, output_dir: Path) -> dict:
    from jettag.models.ip3d import fit_ip3d

    t0 = time.perf_counter()
    model = fit_ip3d(spec, data_dir / "train.h5")
    seconds = time.perf_counter() - t0
    norm = read_norm(data_dir)
    names, jet_names = feature_names(data_dir / "train.h5")
    n_train = n_jets(data_dir / "train.h5")
    history = {c: [] for c in HISTORY_COLUMNS}
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


def _run(spec, opts, data_dir, output_dir, device, info, model_factory, callbacks, progress) -> dict:
    norm = read_norm(data_dir)
    names, jet_names = feature_names(data_dir / "train.h5")
    seed = int(opts["seed"])
    seed_everything(seed)
    if model_factory is None:
        from jettag.models import build_model as model_factory
    model = model_factory(spec, norm, names, jet_names).to(device)
    if info.enabled:
        dist_utils.broadcast_parameters(model, info)

    batch_size = int(opts["batch_size"])
    train_loader = H5Batches(
        data_dir / "train.h5", batch_size, shuffle=bool(opts["shuffle"]), seed=seed,
        block_size=int(opts["block_size"]), max_jets=opts["max_train_jets"], rank=info.rank,
        world_size=info.world_size, prefetch=int(opts["prefetch"]), pin_memory=device.type == "cuda",
    )
    val_loader = H5Batches(data_dir / "val.h5", max(batch_size, 1024), shuffle=False,
                           block_size=int(opts["block_size"]), rank=info.rank,
                           world_size=info.world_size, prefetch=int(opts["prefetch"]), shard="stride",
                           pin_memory=device.type == "cuda")
    steps_per_epoch = len(train_loader)
    epochs = int(opts["epochs"])
    lr = scaled_learning_rate(float(opts["learning_rate"]), batch_size, int(opts["reference_batch_size"]),
                              opts["lr_scaling"])
    optimizer = build_optimizer(model, opts, lr)
    scheduler = StepScheduler(optimizer, lr, epochs * steps_per_epoch, steps_per_epoch, opts["schedule"])
    es = opts["early_stopping"]
    early = EarlyStopping(int(es["patience"]), float(es["min_delta"]), bool(es["enabled"]))
    history = {c: [] for c in HISTORY_COLUMNS}
    batch_losses: list[list[float]] = []
    thash = train_hash(spec, _data_hashes(data_dir))

    # Work happens in output_dir/.partial; finished outputs are moved into place at the end, so a
    # killed job leaves no declared output behind (Snakemake would delete it) but keeps the state.
    work = output_dir / PARTIAL_DIR
    work.mkdir(parents=True, exist_ok=True)
    start_epoch = 0
    resumed = None
    for candidate in (work / "last.pt", output_dir / "last.pt"):
        resumed = load_training_state(candidate, thash)
        if resumed is not None:
            break
    if resumed is None and spec.get("init_checkpoint"):
        _warm_start(model, Path(spec["init_checkpoint"]), device)
    if resumed is not None:
        state = resumed["extra"]["training_state"]
        model.load_state_dict(resumed["state_dict"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        early.load_state_dict(state["early_stopping"])
        history = {c: list(state["history"][c]) for c in HISTORY_COLUMNS}
        batch_losses = [t.tolist() for t in state["batch_losses"]]
        start_epoch = int(state["epoch"])
        set_rng_state(state["rng"])
        if info.is_main:
            print(f"jettag train: resuming {spec.get('name', '')} after epoch {start_epoch} from "
                  f"{candidate}", file=sys.stderr)

    net: nn.Module = dist_utils.wrap(model, info, device)
    eval_net: nn.Module = model  # no DDP wrapper: ranks see different numbers of validation batches
    if opts["compile"]:
        net, eval_net = torch.compile(net), torch.compile(model)
    aux_weight = float(opts["aux_origin_weight"])
    l1 = float(opts["l1"])
    check_every = 1 if device.type == "cpu" else 50
    disable = True if not info.is_main else (None if progress is None else not progress)
    stop: dict | None = None

    for epoch in range(start_epoch, epochs):
        if early.should_stop:
            break
        train_loader.set_epoch(epoch)
        net.train()
        t0 = time.perf_counter()
        pending: list[torch.Tensor] = []
        losses: list[float] = []
        correct = torch.zeros((), dtype=torch.int64, device=device)
        seen = 0
        bar = tqdm(train_loader, total=steps_per_epoch, desc=f"epoch {epoch + 1}/{epochs}",
                   disable=disable,
                   leave=False, file=sys.stderr)
        for i, batch in enumerate(bar):
            batch = batch.to(device)
            with _autocast(device):
                out = net(batch.tracks, batch.valid, batch.jets)
            data_loss = per_jet_loss(out, batch, aux_weight).mean()
            loss = data_loss + l1 * l1_penalty(model) if l1 > 0 else data_loss
            pending.append(torch.stack([data_loss.detach(), loss.detach()]))
            if (i + 1) % check_every == 0 or i + 1 == steps_per_epoch:
                vals = torch.stack(pending).cpu()
                pending = []
                bad = (~torch.isfinite(vals)).any(1)
                # one collective per check: the NaN flag and the batch losses averaged over ranks
                reduced = dist_utils.all_reduce_sum([float(bad.any()), *vals[:, 0].tolist()], info, device)
                batch_means = [v / info.world_size for v in reduced[1:]]
                if reduced[0] > 0:
                    first = int(torch.nonzero(bad)[0]) if bad.any() else len(vals) - 1
                    losses.extend(batch_means[:first + 1])
                    stop = {"epoch": epoch + 1, "batch": len(losses) - 1}
                    break
                losses.extend(batch_means)
                if not bar.disable and i % 20 == 0:
                    bar.set_postfix(loss=f"{losses[-1]:.4f}", refresh=False)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            correct += (out["logits"].detach().argmax(1) == batch.label).sum()
            seen += len(batch)
        bar.close()
        if stop is not None:
            batch_losses.append(losses)
            break
        train_seconds = time.perf_counter() - t0
        val = evaluate(eval_net, val_loader, device, aux_weight, info)
        seen_all, correct_all = dist_utils.all_reduce_sum([float(seen), float(correct.item())], info, device)
        row = {
            "epoch": epoch + 1, "train_loss": float(np.mean(losses)), "val_loss": val["loss"],
            "train_acc": correct_all / max(seen_all, 1), "val_acc": val["acc"],
            "lr": optimizer.param_groups[0]["lr"], "seconds": time.perf_counter() - t0,
            "jets_per_s": seen_all / max(train_seconds, 1e-9), "val_loss_err": val["loss_err"],
        }
        if not math.isfinite(val["loss"]):
            stop = {"epoch": epoch + 1, "batch": -1}
            batch_losses.append(losses)
            break
        for c in HISTORY_COLUMNS:
            history[c].append(row[c])
        batch_losses.append(losses)
        improved = early.update(epoch + 1, val["loss"])
        if info.is_main:
            if improved:
                save_model_checkpoint(work / "best.pt", model, spec, norm, names, jet_names)
            state = {
                "train_hash": thash, "epoch": epoch + 1, "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "early_stopping": early.state_dict(),
                "history": history, "batch_losses": [torch.tensor(b, dtype=torch.float64) for b in batch_losses],
                "rng": rng_state(),
            }
            save_model_checkpoint(work / "last.pt", model, spec, norm, names, jet_names, state)
            write_history(work, history, batch_losses)
            print(f"jettag train: epoch {epoch + 1}/{epochs} train_loss {row['train_loss']:.4f} "
                  f"val_loss {row['val_loss']:.4f} ± {row['val_loss_err']:.4f} val_acc {row['val_acc']:.3f} "
                  f"lr {row['lr']:.3g} {row['jets_per_s']:.0f} jets/s", file=sys.stderr)
        dist_utils.barrier(info)
        for cb in callbacks:
            cb(epoch + 1, history)

    if info.is_main:
        write_history(work, history, batch_losses)
        n_val = val_loader.n
        findings = diag.diagnose(history, batch_losses, stop=stop, n_val=n_val)
        summary = {
            "name": spec.get("name"), "epochs_run": len(history["epoch"]), "epochs": epochs,
            "best_epoch": early.best_epoch, "best_val_loss": early.best if early.best_epoch else None,
            "stopped_early_at": early.stopped_epoch or None, "stopped_nonfinite": stop,
            "device": str(device), "world_size": info.world_size, "learning_rate": lr,
            "n_train_jets_per_epoch": train_loader.n_jets_per_epoch, "n_val_jets": n_val,
        }
        diag.write_diagnostics(findings, work, summary)
        for f in findings:
            print(f"jettag train: [{f.severity}] {f.message}", file=sys.stderr)
        if stop is not None and not (work / "best.pt").is_file() and not (output_dir / "best.pt").is_file():
            raise JettagError(next(f.message for f in findings if f.kind == "nonfinite"))
        _publish(work, output_dir)
    return history


def _publish(work: Path, output_dir: Path) -> None:
    """Move the finished outputs from the work folder into place (checkpoints last)."""
    files = sorted(work.iterdir(), key=lambda p: p.suffix == ".pt")
    for f in files:
        if not f.name.startswith("."):
            os.replace(f, output_dir / f.name)
    shutil.rmtree(work, ignore_errors=True)


def _warm_start(model: nn.Module, checkpoint: Path, device: torch.device) -> None:
    """Initialise ``model`` with the weights (and normalisation) of another trained tagger."""
    from jettag.models import load_checkpoint

    source, _ = load_checkpoint(checkpoint, map_location=device)
    try:
        model.load_state_dict(source.state_dict())
    except RuntimeError as exc:
        raise JettagError(
            f"init_checkpoint {checkpoint} does not fit this model ({str(exc).splitlines()[0]}): "
            "fine-tune with the same architecture and input features"
        ) from None
    print(f"jettag train: starting from the weights of {checkpoint}", file=sys.stderr)
