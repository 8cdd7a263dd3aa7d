"""``jetwise``: one tree entry per jet; track branches are ``vector<T>`` per jet (the generator's
files, docs/branches.md)."""

from __future__ import annotations

from jettag.features import HIT_FIELDS
from jettag.io.layouts.base import Layout

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


class Jetwise(Layout):
    name = "jetwise"
    depth = {"event": 0, "jets": 0, "tracks": 1}
    tree = "jets"
    defaults = {**GENERATOR_MAPPING, "link": {}, "constituent_filter": {}}

    def detect(self, types):
        return 1.0  # the fallback: anything else fits better
