"""Canonical field names, and a sample's ``input`` section resolved against its layout's defaults.

A mapping sends each canonical name to a *definition*: a branch name (string) or an operation of
``jettag.io.operations`` (e.g. ``{branch: JetPFCands_d0, unit: cm}``). A sample's ``input`` section
overrides single canonical names of its layout's default mapping (``jettag.io.layouts``).
The ``constituent_filter`` is turned into cuts of :mod:`jettag.cuts` on branches.
"""

from __future__ import annotations

import copy

import numpy as np

from jettag.cuts import OPERATORS, Cut, Cuts
from jettag.errors import JettagError
from jettag.features import HIT_FIELDS
from jettag.io import operations as ops
from jettag.io.layouts import GENERATOR_MAPPING, LAYOUTS, NANOAOD_MAPPING

__all__ = ["GENERATOR_MAPPING", "JET_FIELDS", "LAYOUTS", "NANOAOD_MAPPING", "TRACK_FIELDS"]

#: Canonical per-jet fields and their dtypes (in this order in every chunk).
JET_FIELDS: dict[str, np.dtype] = {
    "pt": np.dtype(np.float32),
    "eta": np.dtype(np.float32),
    "phi": np.dtype(np.float32),
    "label": np.dtype(np.int32),
    "eventNumber": np.dtype(np.int64),
}

#: Canonical per-track fields and their dtypes (``tracks`` holds one record per track).
TRACK_FIELDS: dict[str, np.dtype] = {
    "pt": np.dtype(np.float32),
    "eta": np.dtype(np.float32),
    "phi": np.dtype(np.float32),
    "charge": np.dtype(np.float32),
    "d0": np.dtype(np.float32),
    "z0SinTheta": np.dtype(np.float32),
    "sigma_d0": np.dtype(np.float32),
    "sigma_z0SinTheta": np.dtype(np.float32),
    **{h: np.dtype(np.int32) for h in HIT_FIELDS},
    "truthOrigin": np.dtype(np.int32),
}

#: Track fields that may be missing from a file: filled with this value when their *default*
#: branch is absent (an explicitly configured branch must exist).
OPTIONAL_TRACK_FIELDS: dict[str, int] = {"truthOrigin": -1}

def resolve_input(input_spec: dict | None) -> dict:
    """Full mapping for ``input_spec``: layout, tree, jets, tracks, link, constituent_filter.

    Also records in ``explicit`` which canonical names the user set (``"jets.pt"``, ...), so
    error messages can say whether a branch came from the config or from the default mapping.
    """
    spec = dict(input_spec or {})
    unknown = set(spec) - {"layout", "tree", "jets", "tracks", "link", "constituent_filter", "cone"}
    if unknown:
        raise JettagError(
            f"input: unknown key(s) {sorted(unknown)}; known: layout, tree, jets, tracks, link, "
            "constituent_filter, cone"
        )
    layout = spec.get("layout") or "jetwise"
    if layout not in LAYOUTS:
        raise JettagError(f"input.layout: '{layout}' is not one of {list(LAYOUTS)}")
    base = copy.deepcopy(dict(LAYOUTS[layout].defaults))
    out = {"layout": layout, "tree": spec.get("tree") or LAYOUTS[layout].tree, "explicit": set()}
    for section, fields in (("jets", JET_FIELDS), ("tracks", TRACK_FIELDS)):
        user = spec.get(section) or {}
        if not isinstance(user, dict):
            raise JettagError(f"input.{section}: must be a mapping of canonical name -> definition")
        bad = sorted(set(user) - set(fields))
        if bad:
            raise JettagError(
                f"input.{section}: unknown canonical name(s) {bad}; known: {list(fields)}"
            )
        merged = dict(base[section])
        merged.update(user)
        out[section] = merged
        out["explicit"] |= {f"{section}.{k}" for k in user}
    for section in ("link", "constituent_filter"):
        user = spec.get(section)
        out[section] = copy.deepcopy(user) if user else base.get(section, {})
    cone = spec.get("cone") or {}
    if not isinstance(cone, dict):
        raise JettagError("input.cone: must be a mapping, e.g. {radius: 0.4} or {r0: 0.239, a: -1.22, b: -1.64e-5}")
    out["cone"] = dict(cone)
    return out


def constituent_cuts(spec) -> Cuts:
    """The cuts of an ``input.constituent_filter`` section, on branches (docs/inputs.md):
    ``{charge_nonzero: B}``, ``{branch: B, op: OP, value: V}`` or ``{all: [filter, ...]}``."""
    return Cuts(tuple(_filter_cuts(spec)), "input.constituent_filter")


def _filter_cuts(spec) -> list[Cut]:
    if not spec:
        return []
    if not isinstance(spec, dict):
        raise JettagError("input.constituent_filter: must be a mapping (see docs/inputs.md)")
    if "all" in spec:
        if set(spec) != {"all"} or not isinstance(spec["all"], list):
            raise JettagError("input.constituent_filter: write all: [filter, filter, ...]")
        return [c for s in spec["all"] for c in _filter_cuts(s)]
    if set(spec) == {"charge_nonzero"}:
        b = spec["charge_nonzero"]
        if not isinstance(b, str):
            raise JettagError(
                "input.constituent_filter.charge_nonzero: give the charge branch name"
            )
        return [Cut(b, "!=", 0)]
    if set(spec) == {"branch", "op", "value"}:
        if spec["op"] not in OPERATORS or spec["op"] == "in":
            known = ", ".join(op for op in OPERATORS if op != "in")
            raise JettagError(
                f"input.constituent_filter.op: unknown comparison {spec['op']!r}; known: {known}"
            )
        if not isinstance(spec["branch"], str) or not ops._is_number(spec["value"]):
            raise JettagError("input.constituent_filter: branch must be a name, value a number")
        return [Cut(spec["branch"], spec["op"], spec["value"])]
    raise JettagError(
        f"input.constituent_filter: unknown form {spec!r}; use {{charge_nonzero: BRANCH}}, "
        "{branch: B, op: '!=', value: 0} or {all: [...]}"
    )
