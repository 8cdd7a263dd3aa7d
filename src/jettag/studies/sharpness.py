"""Flatness of a trained minimum: how much the validation loss rises under random weight noise.

Each trainable tensor ``w`` of the model is perturbed by ``sigma * rms(w) * z`` with ``z`` standard
normal (a seeded generator per draw), so the noise is relative to the scale of each layer and the
measure does not depend on how a layer is parametrised in absolute terms. The sharpness is the
mean over ``draws`` of the increase of the unweighted validation cross-entropy (eval mode, the
same random validation jets for every draw and every model, :mod:`jettag.studies.fit_losses`),
with the spread of the draws as its error. A flat minimum (small increase) is what the "small
batches generalise better" argument predicts for small batches.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from jettag.atomic import write_json_atomic
from jettag.errors import JettagError
from jettag.studies import fit_losses


def perturb(model, sigma: float, seed: int) -> None:
    """Add ``sigma * rms(w) * N(0, 1)`` to every trainable tensor ``w`` of ``model`` (in place)."""
    import torch

    gen = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for p in model.parameters():
            if not p.requires_grad or p.numel() == 0:
                continue
            rms = p.detach().float().pow(2).mean().sqrt()
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32)
            p.add_((sigma * rms * noise).to(p.dtype))


def measure(model, jets: dict[str, np.ndarray], sigma: float, draws: int, seed: int = 1) -> dict:
    """Validation loss of ``model`` and its mean increase over ``draws`` perturbations."""
    if sigma <= 0 or draws < 1:
        raise JettagError(f"sharpness: sigma ({sigma}) must be > 0 and draws ({draws}) >= 1")
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    base, base_err = fit_losses.mean_loss(model, jets)
    rises = []
    for k in range(int(draws)):
        perturb(model, float(sigma), int(seed) * 1000 + k)
        rises.append(fit_losses.mean_loss(model, jets)[0] - base)
        model.load_state_dict(state)
    r = np.asarray(rises, dtype=np.float64)
    err = float(r.std(ddof=1) / math.sqrt(r.size)) if r.size > 1 else math.nan
    return {"val_loss": base, "val_loss_err": base_err, "sharpness": float(r.mean()), "sharpness_err": err,
            "rises": [float(x) for x in r], "sigma": float(sigma), "draws": int(draws),
            "n_jets": int(jets["label"].shape[0])}


def step(spec: dict, inputs, output: Path, data_dir=None) -> None:
    """``--inputs best.pt val.h5``: the sharpness of one trained cell (``spec["sharpness"]`` settings)."""
    from jettag.models import load_checkpoint

    files = {Path(p).name: Path(p) for p in inputs}
    missing = [n for n in ("best.pt", "val.h5") if n not in files]
    if missing:
        raise JettagError(f"sharpness: pass best.pt and val.h5 as --inputs (missing {missing})")
    settings = spec.get("sharpness") or {}
    val = files["val.h5"]
    n = min(int(settings.get("max_jets", 5000)), fit_losses.n_jets(val))
    if n < 2:
        raise JettagError(f"{val}: {n} jets; the sharpness needs at least 2 validation jets")
    seed = int(settings.get("seed", 1))
    jets = fit_losses.random_jets(val, n, seed, int(spec.get("chunk_size", 20000)))
    model, _ = load_checkpoint(files["best.pt"])
    write_json_atomic(output, measure(model, jets, float(settings.get("sigma", 0.2)), int(settings.get("draws", 8)), seed))

