"""The pieces of a training step: device, optimiser, objective, mixed precision, evaluation."""

from __future__ import annotations

import contextlib
import math

import torch
import torch.nn.functional as F
from torch import nn

from jettag.errors import JettagError
from jettag.models.blocks import mean_rows_per_jet
from jettag.training import distributed as dist_utils
from jettag.training.data import Batch

# fused: one kernel per step for all parameters (CPU and CUDA), the same update to float rounding;
# on CPU it takes ~0.2 ms where the per-parameter loop of the default takes ~0.9 ms (GN2-like model)
OPTIMIZERS = {
    "adamw": lambda groups, lr: torch.optim.AdamW(groups, lr=lr, fused=True),
    "sgd": lambda groups, lr: torch.optim.SGD(groups, lr=lr, momentum=0.9, nesterov=True, fused=True),
}


def resolve_device(name: str) -> torch.device:
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise JettagError("training.device is 'cuda' but no CUDA device is available; use 'auto' or 'cpu'")
        return torch.device("cuda")
    return torch.device("cpu")


def build_optimizer(model: nn.Module, opts: dict, lr: float) -> torch.optim.Optimizer:
    """AdamW (decoupled L2) or SGD with momentum; weight decay on weight matrices only."""
    if opts["optimizer"] not in OPTIMIZERS:
        raise JettagError(f"training.optimizer: unknown optimizer '{opts['optimizer']}'; use adamw or sgd")
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": float(opts["weight_decay"])},
              {"params": no_decay, "weight_decay": 0.0}]
    return OPTIMIZERS[opts["optimizer"]](groups, lr)


def l1_penalty(model: nn.Module) -> torch.Tensor:
    """Sum of |w| over weight matrices (biases and norms excluded)."""
    terms = [p.abs().sum() for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    return torch.stack(terms).sum() if terms else torch.zeros(())


def per_jet_loss(out: dict, batch: Batch, aux_weight: float) -> torch.Tensor:
    """Per-jet objective: weight * cross-entropy, plus aux_weight * mean track-origin CE of the jet."""
    logits = out["logits"].float()
    loss = batch.weight * F.cross_entropy(logits, batch.label, reduction="none")
    if aux_weight > 0 and "track_logits" in out:
        loss = loss + aux_weight * track_origin_loss(out["track_logits"], batch)
    return loss


def track_origin_loss(track_logits: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Per jet: mean cross-entropy of the track-origin head over its valid tracks of known origin
    (0 for a jet without any). Only those tracks are gathered, so padded slots cost nothing."""
    B, L, C = track_logits.shape
    keep = (batch.valid & (batch.track_origin >= 0)).reshape(-1).nonzero().squeeze(1)
    ce = F.cross_entropy(track_logits.reshape(-1, C).index_select(0, keep).float(),
                         batch.track_origin.reshape(-1).index_select(0, keep), reduction="none")
    return mean_rows_per_jet(ce, keep, B, L)


def forward_loss(net: nn.Module, batch: Batch, device: torch.device, aux_weight: float, l1: float = 0.0,
                 model: nn.Module | None = None) -> tuple[dict, torch.Tensor, torch.Tensor]:
    """One training forward: ``(outputs, data loss, loss)``, the loss adding ``l1`` times the L1
    penalty of ``model`` (default ``net``; the bare model when ``net`` wraps it for DDP)."""
    with autocast(device):
        out = net(batch.tracks, batch.valid, batch.jets)
    data_loss = per_jet_loss(out, batch, aux_weight).mean()
    loss = data_loss + l1 * l1_penalty(model if model is not None else net) if l1 > 0 else data_loss
    return out, data_loss, loss


def apply_gradients(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """Zero the gradients, backpropagate ``loss`` and take one optimiser step."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def autocast(device: torch.device):
    """bfloat16 autocast on CUDA, nothing on CPU."""
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
        with autocast(device):
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
