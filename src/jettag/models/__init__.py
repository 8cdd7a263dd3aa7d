"""jettag.models: the taggers, their construction and their checkpoints.

Every model has ``forward(tracks (B, L, F_all), valid (B, L), jets (B, J_all)) -> dict`` with
``"logits" (B, 3)`` (classes b, c, light) and, for the transformer with the auxiliary head,
``"track_logits" (B, L, n_origins)``. See docs/architecture.md.
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
from jettag.models.spec import (
    DeepSetsSpec,
    IP3DSpec,
    RNNSpec,
    TransformerSpec,
    arch_from_spec,
    jet_inputs,
    track_inputs,
)
from jettag.provenance import provenance

__all__ = [
    "build_model",
    "save_checkpoint",
    "load_checkpoint",
    "count_parameters",
    "unwrap",
    "DeepSetsSpec",
    "RNNSpec",
    "TransformerSpec",
    "IP3DSpec",
    "CHECKPOINT_FORMAT",
]

CHECKPOINT_FORMAT = 1


def build_model(
    spec: dict,
    norm: dict | None,
    feature_names: Sequence[str],
    jet_feature_names: Sequence[str] = (),
) -> nn.Module:
    """Build an (untrained) model from its spec.

    ``feature_names`` / ``jet_feature_names`` are the column names of the HDF5 ``tracks`` / ``jets``
    datasets (their ``features`` attrs); ``norm`` is the content of norm.json. ``type: ip3d`` gives
    an unfitted IP3D (uniform templates); use ``jettag.models.ip3d.fit_ip3d`` to fit one.
    """
    if not isinstance(spec, dict):
        raise JettagError(f"model spec must be a mapping, got {type(spec).__name__}")
    arch = arch_from_spec(spec)
    feature_names = [str(n) for n in feature_names]
    jet_feature_names = [str(n) for n in jet_feature_names]
    if isinstance(arch, IP3DSpec):
        from jettag.models.ip3d import IP3D

        return IP3D(arch, feature_names, jet_feature_names)
    args = (track_inputs(spec), jet_inputs(spec), norm, feature_names, jet_feature_names)
    if isinstance(arch, DeepSetsSpec):
        from jettag.models.deepsets import DeepSets

        return DeepSets(arch, *args)
    if isinstance(arch, RNNSpec):
        from jettag.models.rnn import RNNTagger

        return RNNTagger(arch, *args)
    from jettag.models.transformer import TransformerTagger

    assert isinstance(arch, TransformerSpec)
    return TransformerTagger(arch, *args)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    return sum(
        p.numel() for p in unwrap(model).parameters() if p.requires_grad or not trainable_only
    )


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside ``torch.compile`` / DistributedDataParallel wrappers."""
    while True:
        if hasattr(model, "_orig_mod"):
            model = model._orig_mod
        elif isinstance(model, nn.parallel.DistributedDataParallel | nn.DataParallel):
            model = model.module
        else:
            return model


def _strip_prefixes(state: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in state.items():
        changed = True
        while changed:
            changed = False
            for prefix in ("_orig_mod.", "module."):
                if k.startswith(prefix):
                    k = k[len(prefix) :]
                    changed = True
        out[k] = v
    return out


def _plain(value: Any, where: str) -> Any:
    """Only tensors and plain Python types (what ``torch.load(weights_only=True)`` accepts)."""
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
            (_plain(k, where) if not isinstance(k, str) else k): _plain(v, f"{where}.{k}")
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        items = [_plain(v, where) for v in value]
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
    state = _strip_prefixes(ckpt["state_dict"])  # names as the plain model has them
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
    state = {k: v.detach().cpu().clone() for k, v in _strip_prefixes(inner.state_dict()).items()}
    ckpt = {
        "format": CHECKPOINT_FORMAT,
        "type": str(spec.get("type")),
        "spec_json": json.dumps(spec, sort_keys=True, default=str),
        "norm_json": json.dumps(norm or {}, sort_keys=True),
        "feature_names_json": json.dumps([str(n) for n in feature_names]),
        "jet_feature_names_json": json.dumps([str(n) for n in jet_feature_names]),
        "track_inputs_json": json.dumps(list(getattr(inner, "track_feature_names", ()))),
        "state_dict": state,
        "extra": _plain(extra or {}, "extra"),
        "provenance": provenance(spec),
    }
    ckpt["sha256"] = checkpoint_digest(ckpt)
    with atomic_path(path) as tmp:
        torch.save(ckpt, tmp)


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
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise JettagError(
            f"checkpoint {path} cannot be read safely ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
            "it is corrupt or was not written by jettag: retrain to recreate it"
        ) from None
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
    state = _strip_prefixes(state)
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
