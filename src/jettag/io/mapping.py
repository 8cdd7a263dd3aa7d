"""Canonical field names and the default branch mapping of each input layout, as data.

A mapping sends each canonical name to a *definition*: a branch name (string) or an operation of
``jettag.io.operations`` (e.g. ``{branch: JetPFCands_d0, unit: cm}``). A sample's ``input`` section
overrides single canonical names of its layout's default mapping.
"""

from __future__ import annotations

import copy

import numpy as np

from jettag.errors import JettagError
from jettag.features import HIT_FIELDS

LAYOUTS: tuple[str, ...] = ("jetwise", "eventwise_nested", "eventwise_indexed")

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

#: The jet-wise branch names written by ``jettag generate`` (docs/branches.md).
GENERATOR_MAPPING: dict = {
    "jets": {
        "pt": "jet_pt",
        "eta": "jet_eta",
        "phi": "jet_phi",
        "label": "HadronConeExclTruthLabelID",
        "eventNumber": "eventNumber",
    },
    "tracks": {
        "pt": "track_pt",
        "eta": "track_eta",
        "phi": "track_phi",
        "charge": "track_charge",
        "d0": "track_d0",
        "z0SinTheta": "track_z0SinTheta",
        "sigma_d0": "track_sigma_d0",
        "sigma_z0SinTheta": "track_sigma_z0SinTheta",
        **{h: f"track_{h}" for h in HIT_FIELDS},
        "truthOrigin": "track_truthOrigin",
    },
}

#: CMS NanoAOD / PFNano: ``Jet_*`` per event, constituents ``JetPFCands_*`` linked by
#: ``JetPFCands_jetIdx``; lengths in cm; no hit counts (constants: see docs/inputs.md).
NANOAOD_MAPPING: dict = {
    "jets": {
        "pt": "Jet_pt",
        "eta": "Jet_eta",
        "phi": "Jet_phi",
        "label": "Jet_hadronFlavour",
        "eventNumber": "event",
    },
    "tracks": {
        "pt": "JetPFCands_pt",
        "eta": "JetPFCands_eta",
        "phi": "JetPFCands_phi",
        "charge": "JetPFCands_charge",
        "d0": {"branch": "JetPFCands_d0", "unit": "cm"},
        "z0SinTheta": {"divide": ["JetPFCands_dz", {"cosh": "JetPFCands_eta"}], "unit": "cm"},
        "sigma_d0": {"branch": "JetPFCands_d0Err", "unit": "cm"},
        "sigma_z0SinTheta": {
            "divide": ["JetPFCands_dzErr", {"cosh": "JetPFCands_eta"}],
            "unit": "cm",
        },
        # NanoAOD stores no hit counts: a nominal good track (passes the default selection).
        "numberOfInnermostPixelLayerHits": {"constant": 1},
        "numberOfNextToInnermostPixelLayerHits": {"constant": 1},
        "numberOfPixelHits": {"constant": 4},
        "numberOfSCTHits": {"constant": 8},
        "numberOfPixelHoles": {"constant": 0},
        "numberOfSCTHoles": {"constant": 0},
        "numberOfPixelSharedHits": {"constant": 0},
        "numberOfSCTSharedHits": {"constant": 0},
        "truthOrigin": {"constant": -1},
    },
    "link": {"index": "JetPFCands_jetIdx"},
    # tracks: charged candidates with stored track details (d0Err = -1 when absent, e.g. the
    # charged candidates below 0.5 GeV in PFNano)
    "constituent_filter": {
        "all": [
            {"charge_nonzero": "JetPFCands_charge"},
            {"branch": "JetPFCands_d0Err", "op": ">", "value": 0},
        ]
    },
}

#: Per layout: default tree name and default mapping.
DEFAULTS: dict[str, dict] = {
    "jetwise": {"tree": "jets", **GENERATOR_MAPPING, "link": {}, "constituent_filter": {}},
    "eventwise_nested": {"tree": "jets", **GENERATOR_MAPPING, "link": {}, "constituent_filter": {}},
    "eventwise_indexed": {"tree": "Events", **NANOAOD_MAPPING},
}


def resolve_input(input_spec: dict | None) -> dict:
    """Full mapping for ``input_spec``: layout, tree, jets, tracks, link, constituent_filter.

    Also records in ``explicit`` which canonical names the user set (``"jets.pt"``, ...), so
    error messages can say whether a branch came from the config or from the default mapping.
    """
    spec = dict(input_spec or {})
    unknown = set(spec) - {"layout", "tree", "jets", "tracks", "link", "constituent_filter"}
    if unknown:
        raise JettagError(
            f"input: unknown key(s) {sorted(unknown)}; known: layout, tree, jets, tracks, link, "
            "constituent_filter"
        )
    layout = spec.get("layout") or "jetwise"
    if layout not in LAYOUTS:
        raise JettagError(f"input.layout: '{layout}' is not one of {list(LAYOUTS)}")
    base = copy.deepcopy(DEFAULTS[layout])
    out = {"layout": layout, "tree": spec.get("tree") or base["tree"], "explicit": set()}
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
        out[section] = copy.deepcopy(user) if user else base[section]
    return out
