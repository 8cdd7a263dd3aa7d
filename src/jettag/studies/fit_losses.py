"""Training and validation loss measured the same way (the bias/variance study's gap).

The loss a training logs per epoch is the mean over the epoch in training mode (dropout on,
flavour-reweighted), while the validation loss is measured afterwards in eval mode, unweighted;
their difference is partly the measurement. Here both are measured with the trained model in eval
mode, with the same unweighted cross-entropy, on equal-size random subsets (whole events, seeded)
of the training and the validation split.
"""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np

from jettag.errors import JettagError
from jettag.studies.datasets import DEFAULT_CHUNK, seeded_uniform

DEFAULT_MAX_JETS = 10000
_FIELDS = ("tracks", "valid", "jets", "label")


def n_jets(path: Path) -> int:
    with h5py.File(path, "r") as f:
        return int(f["label"].shape[0])


def random_jets(path: Path, n: int, seed: int, chunk_size: int = DEFAULT_CHUNK) -> dict[str, np.ndarray]:
    """``n`` jets of ``path`` drawn at random by event (seeded), read chunk by chunk."""
    with h5py.File(path, "r") as f:
        missing = [k for k in (*_FIELDS, "eventNumber") if k not in f]
        if missing:
            raise JettagError(f"{path}: datasets {missing} missing; re-run the preprocessing")
        total = f["label"].shape[0]
        u = np.concatenate([seeded_uniform(f["eventNumber"][s : s + chunk_size], seed)
                            for s in range(0, total, chunk_size)] or [np.zeros(0)])
        keep = np.zeros(total, dtype=bool)
        keep[np.argsort(u, kind="stable")[:n]] = True
        parts: dict[str, list] = {k: [] for k in _FIELDS}
        for s in range(0, total, chunk_size):
            sel = keep[s : s + chunk_size]
            if sel.any():
                for k in _FIELDS:
                    parts[k].append(f[k][s : s + chunk_size][sel])
    return {k: np.concatenate(v) for k, v in parts.items()}


def per_jet(model, jets: dict[str, np.ndarray], batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Per-jet unweighted cross-entropy of ``model`` in eval mode and whether its top class is the label."""
    import torch
    import torch.nn.functional as F

    model.eval()
    losses, correct = [], []
    with torch.no_grad():
        for s in range(0, jets["label"].shape[0], batch_size):
            out = model(torch.from_numpy(np.ascontiguousarray(jets["tracks"][s : s + batch_size], np.float32)),
                        torch.from_numpy(np.ascontiguousarray(jets["valid"][s : s + batch_size], bool)),
                        torch.from_numpy(np.ascontiguousarray(jets["jets"][s : s + batch_size], np.float32)))
            label = torch.from_numpy(jets["label"][s : s + batch_size].astype(np.int64))
            logits = out["logits"].float()
            losses.append(F.cross_entropy(logits, label, reduction="none").double().numpy())
            correct.append((logits.argmax(dim=1) == label).numpy())
    if not losses:
        return np.zeros(0), np.zeros(0, dtype=bool)
    return np.concatenate(losses), np.concatenate(correct)


def _mean_err(values: np.ndarray) -> tuple[float, float]:
    if values.size == 0:
        return math.nan, math.nan
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else 0.0


def mean_loss(model, jets: dict[str, np.ndarray], batch_size: int = 1024) -> tuple[float, float]:
    """Unweighted cross-entropy of ``model`` in eval mode: mean over jets and its standard error."""
    return _mean_err(per_jet(model, jets, batch_size)[0])


def loss_and_error(model, jets: dict[str, np.ndarray], batch_size: int = 1024) -> dict:
    """Mean cross-entropy and misclassification rate (argmax over b, c, light) with standard errors."""
    losses, correct = per_jet(model, jets, batch_size)
    loss, loss_err = _mean_err(losses)
    error, error_err = _mean_err(1.0 - correct.astype(np.float64))
    return {"loss": loss, "loss_err": loss_err, "error": error, "error_err": error_err, "n_jets": int(losses.size)}


def measure(model, train: Path, val: Path, max_jets: int = DEFAULT_MAX_JETS, seed: int = 1,
            chunk_size: int = DEFAULT_CHUNK) -> dict:
    """Train and validation loss (and misclassification rate) of ``model`` on ``n = min(max_jets,
    n_train, n_val)`` jets each."""
    n = min(int(max_jets), n_jets(train), n_jets(val))
    if n < 2:
        raise JettagError(f"{train} / {val}: {n} jets; need at least 2 in each split")
    t = loss_and_error(model, random_jets(train, n, seed, chunk_size))
    v = loss_and_error(model, random_jets(val, n, seed, chunk_size))
    return {"train_loss": t["loss"], "train_loss_err": t["loss_err"], "val_loss": v["loss"],
            "val_loss_err": v["loss_err"], "gap": v["loss"] - t["loss"], "gap_err": math.hypot(t["loss_err"], v["loss_err"]),
            "n_jets": n, "train_error": t["error"], "train_error_err": t["error_err"], "val_error": v["error"],
            "val_error_err": v["error_err"]}

