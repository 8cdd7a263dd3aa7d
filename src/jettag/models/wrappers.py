"""The plain module inside ``torch.compile`` / DistributedDataParallel wrappers, and its size."""

from __future__ import annotations

from typing import Any

from torch import nn

#: What the wrappers put in front of the plain module's parameter names.
WRAPPER_PREFIXES = ("_orig_mod.", "module.")


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside ``torch.compile`` / DistributedDataParallel wrappers."""
    while True:
        if hasattr(model, "_orig_mod"):
            model = model._orig_mod
        elif isinstance(model, nn.parallel.DistributedDataParallel | nn.DataParallel):
            model = model.module
        else:
            return model


def strip_prefixes(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with the names the plain module has (wrapper prefixes removed, any number)."""
    out = {}
    for k, v in state.items():
        changed = True
        while changed:
            changed = False
            for prefix in WRAPPER_PREFIXES:
                if k.startswith(prefix):
                    k = k[len(prefix) :]
                    changed = True
        out[k] = v
    return out


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    return sum(
        p.numel() for p in unwrap(model).parameters() if p.requires_grad or not trainable_only
    )
