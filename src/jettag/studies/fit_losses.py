"""Training and validation loss measured the same way (the bias/variance study's gap).

The loss a training logs per epoch is the mean over the epoch in training mode (dropout on,
flavour-reweighted), while the validation loss is measured afterwards in eval mode, unweighted;
their difference is partly the measurement. Here both are measured with the trained model in eval
mode, with the same unweighted cross-entropy, on equal-size random subsets (whole events, seeded)
of the training and the validation split.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import h5py
import numpy as np

from jettag.atomic import write_text_atomic
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


def mean_loss(model, jets: dict[str, np.ndarray], batch_size: int = 1024) -> tuple[float, float]:
    """Unweighted cross-entropy of ``model`` in eval mode: mean over jets and its standard error."""
    import torch
    import torch.nn.functional as F

    model.eval()
    losses = []
    with torch.no_grad():
        for s in range(0, jets["label"].shape[0], batch_size):
            out = model(torch.from_numpy(np.ascontiguousarray(jets["tracks"][s : s + batch_size], np.float32)),
                        torch.from_numpy(np.ascontiguousarray(jets["valid"][s : s + batch_size], bool)),
                        torch.from_numpy(np.ascontiguousarray(jets["jets"][s : s + batch_size], np.float32)))
            label = torch.from_numpy(jets["label"][s : s + batch_size].astype(np.int64))
            losses.append(F.cross_entropy(out["logits"].float(), label, reduction="none").double().numpy())
    values = np.concatenate(losses) if losses else np.zeros(0)
    if values.size == 0:
        return math.nan, math.nan
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else 0.0


def measure(model, train: Path, val: Path, max_jets: int = DEFAULT_MAX_JETS, seed: int = 1,
            chunk_size: int = DEFAULT_CHUNK) -> dict:
    """Train and validation loss of ``model`` on ``n = min(max_jets, n_train, n_val)`` jets each."""
    n = min(int(max_jets), n_jets(train), n_jets(val))
    if n < 2:
        raise JettagError(f"{train} / {val}: {n} jets; need at least 2 in each split")
    t_loss, t_err = mean_loss(model, random_jets(train, n, seed, chunk_size))
    v_loss, v_err = mean_loss(model, random_jets(val, n, seed, chunk_size))
    return {"train_loss": t_loss, "train_loss_err": t_err, "val_loss": v_loss, "val_loss_err": v_err,
            "gap": v_loss - t_loss, "gap_err": math.hypot(t_err, v_err), "n_jets": n}


def write(output: Path, result: dict) -> None:
    write_text_atomic(Path(output), json.dumps(result, indent=1) + "\n")


def read(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise JettagError(f"{path} does not exist: run the bias_variance losses step first")
    return json.loads(path.read_text())
