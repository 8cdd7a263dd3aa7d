"""Model checkpoints: write, digest and read back (``torch.load(..., weights_only=True)``).

A checkpoint is a dict of tensors and plain Python values only::

    {"format": 1, "type": str, "spec_json": str, "norm_json": str, "feature_names_json": str,
     "jet_feature_names_json": str, "track_inputs_json": str, "state_dict": {name: tensor},
     "extra": plain values, "provenance": jettag.provenance, "sha256": checkpoint_digest}

``load_checkpoint`` rebuilds the model from the spec it holds (``jettag.models.registry``).
"""

from __future__ import annotations

import hashlib
import json
import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from jettag.atomic import atomic_path
from jettag.errors import JettagError
from jettag.models.registry import build_model
from jettag.models.wrappers import strip_prefixes, unwrap
from jettag.provenance import provenance

CHECKPOINT_FORMAT = 1


def plain(value: Any, where: str) -> Any:
    """Only tensors and plain Python types (what ``torch.load(weights_only=True)`` accepts):
    numpy scalars become numbers, arrays tensors, paths strings; anything else is refused."""
    if value is None or type(value) in (bool, str, int, float) or isinstance(value, torch.Tensor):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, dict):
        return {
            (plain(k, where) if not isinstance(k, str) else k): plain(v, f"{where}.{k}")
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        items = [plain(v, where) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, Path):
        return str(value)
    try:
        import numpy as np

        if isinstance(value, np.ndarray):
            return torch.from_numpy(np.ascontiguousarray(value))
    except ImportError:  # pragma: no cover
        pass
    raise JettagError(
        f"checkpoint: {where} has a {type(value).__name__}, which a checkpoint cannot hold; "
        "use tensors, numbers, strings, lists or dicts"
    )


_HASHED = ("spec_json", "norm_json", "feature_names_json", "jet_feature_names_json")


def checkpoint_digest(ckpt: dict) -> str:
    """sha256 over the JSON fields and every state-dict tensor (names without ``_orig_mod.`` /
    ``module.`` prefixes, dtypes, shapes, bytes)."""
    h = hashlib.sha256()
    for key in _HASHED:
        h.update(key.encode() + b"\0" + str(ckpt[key]).encode() + b"\0")
    state = strip_prefixes(ckpt["state_dict"])  # names as the plain model has them
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    spec: dict,
    norm: dict | None,
    feature_names: Sequence[str],
    jet_feature_names: Sequence[str],
    extra: dict | None = None,
) -> None:
    """Write ``model`` with everything needed to rebuild it (atomic; weights_only-loadable)."""
    inner = unwrap(model)
    state = {k: v.detach().cpu().clone() for k, v in strip_prefixes(inner.state_dict()).items()}
    ckpt = {
        "format": CHECKPOINT_FORMAT,
        "type": str(spec.get("type")),
        "spec_json": json.dumps(spec, sort_keys=True, default=str),
        "norm_json": json.dumps(norm or {}, sort_keys=True),
        "feature_names_json": json.dumps([str(n) for n in feature_names]),
        "jet_feature_names_json": json.dumps([str(n) for n in jet_feature_names]),
        "track_inputs_json": json.dumps(list(getattr(inner, "track_feature_names", ()))),
        "state_dict": state,
        "extra": plain(extra or {}, "extra"),
        "provenance": provenance(spec),
    }
    ckpt["sha256"] = checkpoint_digest(ckpt)
    with atomic_path(path) as tmp:
        torch.save(ckpt, tmp)


def _read(path: Path, map_location: str | torch.device) -> dict:
    """The checkpoint's dict, read without running any pickled code."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise JettagError(
            f"checkpoint {path} cannot be read safely ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
            "it is corrupt or was not written by jettag: retrain to recreate it"
        ) from None


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu"
) -> tuple[nn.Module, dict]:
    """Rebuild a model from a checkpoint; returns ``(model in eval mode, info)``.

    ``info`` has ``spec``, ``norm``, ``feature_names``, ``jet_feature_names``, ``extra``, ``path``,
    ``provenance`` (software versions and config hash at save time, ``jettag.provenance``).
    """
    path = Path(path)
    if not path.is_file():
        raise JettagError(f"checkpoint {path} does not exist: train the model first")
    ckpt = _read(path, map_location)
    try:
        if not isinstance(ckpt, dict):
            raise TypeError("not a dict")
        spec = json.loads(ckpt["spec_json"])
        norm = json.loads(ckpt["norm_json"])
        feature_names = json.loads(ckpt["feature_names_json"])
        jet_feature_names = json.loads(ckpt["jet_feature_names_json"])
        state = ckpt["state_dict"]
        if not isinstance(state, dict):
            raise TypeError("state_dict is not a dict")
        digest = checkpoint_digest(ckpt)
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as exc:
        raise JettagError(
            f"checkpoint {path} is not a jettag checkpoint ({exc}); retrain to recreate it"
        ) from None
    if "sha256" in ckpt and ckpt["sha256"] != digest:
        raise JettagError(
            f"checkpoint {path} failed its integrity check (sha256 of its contents differs from the one "
            "recorded when it was written): the file was modified or damaged; retrain to recreate it"
        )
    model = build_model(spec, norm, feature_names, jet_feature_names)
    state = strip_prefixes(state)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise JettagError(
            f"checkpoint {path} does not match the model its spec describes: {str(exc).splitlines()[0][:300]}"
        ) from None
    model.to(map_location)
    model.eval()
    info = {
        "spec": spec,
        "norm": norm,
        "feature_names": feature_names,
        "jet_feature_names": jet_feature_names,
        "extra": ckpt.get("extra", {}),
        "path": str(path),
        "format": ckpt.get("format"),
        "provenance": ckpt.get("provenance", {}),
    }
    return model, info
