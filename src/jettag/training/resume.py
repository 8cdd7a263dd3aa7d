"""Checkpoints and resuming: model checkpoints (``best.pt``), full training state (``last.pt``).

``last.pt`` is a model checkpoint (``docs/architecture.md``) plus ``training_state``: optimiser,
scheduler, RNG states (torch, CUDA, numpy, python, as tensors and plain types), epoch,
early-stopping state, history and per-batch losses, and the ``train_hash`` of the spec and data it
came from. Resuming happens at epoch boundaries; the data order of an epoch depends only on
``(seed, epoch)``, so a resumed run continues bit for bit where the interrupted one stopped.
Everything loads with ``torch.load(..., weights_only=True)``; files are written atomically.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import h5py
import numpy as np
import torch

from jettag.config import config_hash
from jettag.errors import JettagError

#: Spec keys that change how fast a training runs, not what it computes.
RUNTIME_KEYS = ("num_threads", "gpus", "nproc_per_node", "compile", "prefetch", "lr_range")


def train_hash(spec: dict, data_hashes: dict | None = None) -> str:
    """Hash of everything that determines the trained weights (spec and input data)."""
    spec = json.loads(json.dumps(spec, default=str))
    training = {k: v for k, v in spec.get("training", {}).items() if k not in RUNTIME_KEYS}
    return config_hash({"spec": {**spec, "training": training}, "data": data_hashes or {}})


def data_hashes(data_dir: Path) -> dict:
    """What identifies the input data of a training: split hashes and shapes, normalisation hash."""
    out = {}
    for split in ("train", "val"):
        with h5py.File(Path(data_dir) / f"{split}.h5", "r") as f:
            out[split] = {k: str(f.attrs.get(k, "")) for k in ("config_hash", "n_jets")}
            out[split]["shape"] = list(f["label"].shape)
    out["norm"] = config_hash((Path(data_dir) / "norm.json").read_text())
    return out


def rng_state() -> dict:
    np_state = np.random.get_state()  # noqa: NPY002 - the legacy global RNG, restored on resume
    py_state = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy_keys": torch.from_numpy(np_state[1].astype(np.int64)),
        "numpy_pos": int(np_state[2]),
        "numpy_has_gauss": int(np_state[3]),
        "numpy_cached_gaussian": float(np_state[4]),
        "python_version": int(py_state[0]),
        "python_state": torch.tensor(py_state[1], dtype=torch.int64),
        "python_gauss": None if py_state[2] is None else float(py_state[2]),
    }
    if torch.cuda.is_available():
        state["cuda"] = list(torch.cuda.get_rng_state_all())
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np_state = ("MT19937", state["numpy_keys"].numpy().astype(np.uint32), state["numpy_pos"],
                state["numpy_has_gauss"], state["numpy_cached_gaussian"])
    np.random.set_state(np_state)  # noqa: NPY002
    random.setstate((state["python_version"], tuple(int(x) for x in state["python_state"].tolist()),
                     state["python_gauss"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002
    torch.manual_seed(seed)


def clean_state_dict(state_dict: dict) -> dict:
    """Drop ``_orig_mod.`` (torch.compile) and ``module.`` (DDP) prefixes."""
    out = {}
    for key, value in state_dict.items():
        for prefix in ("_orig_mod.", "module."):
            while key.startswith(prefix):
                key = key[len(prefix):]
        out[key] = value
    return out


def save_model_checkpoint(path: Path, model, spec, norm, feature_names, jet_feature_names,
                          training_state: dict | None = None) -> None:
    """Write a model checkpoint (atomic) with ``jettag.models.save_checkpoint``; the training
    state, when given, goes to ``extra["training_state"]``."""
    from jettag.models import save_checkpoint

    extra = {"training_state": training_state} if training_state is not None else None
    save_checkpoint(path, model, spec, norm, list(feature_names), list(jet_feature_names), extra=extra)


def load_training_state(path: Path, expected_hash: str) -> dict | None:
    """The checkpoint dict of ``last.pt`` if it is a resumable state of the same spec, else None."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - a broken file means: start again
        return None
    extra = ckpt.get("extra") if isinstance(ckpt, dict) else None
    state = extra.get("training_state") if isinstance(extra, dict) else None
    if not state or state.get("train_hash") != expected_hash:
        return None
    return ckpt


def warm_start(model, checkpoint: Path, device: torch.device) -> None:
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
