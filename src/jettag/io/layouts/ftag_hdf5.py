"""``ftag_hdf5``: the ATLAS flavour-tagging HDF5 files (training-dataset-dumper layout), read
through :class:`jettag.io.ftag_hdf5.FtagTree` (atlas-ftag-tools' ``H5Reader``).

Branch names are ``jets.<field>`` and ``tracks.<field>``; one entry per jet. Default mapping:
jet pT in MeV; the jet phi is not in every file (0 is used: only the tracks' phi relative to the
jet enters jettag's features), track phi = ``dphi``, eta = jet eta + ``deta``, pT = 1 / (|qOverP|
cosh(eta)) (qOverP in 1/MeV), charge = sign(qOverP), ``d0``, ``z0SinTheta`` and their
``...Uncertainty`` (mm), the hit counts, ``ftagTruthOriginLabel`` (same numbering as
``jettag.flavours.TRACK_ORIGINS``).
"""

from __future__ import annotations

from jettag.features import HIT_FIELDS
from jettag.io.layouts.jetwise import Jetwise

_ETA = {"add": ["tracks.deta", "jets.eta"]}
FTAG_MAPPING: dict = {
    "jets": {
        "pt": {"branch": "jets.pt", "unit": "MeV"},
        "eta": "jets.eta",
        "phi": {"constant": 0.0},
        "label": "jets.HadronConeExclTruthLabelID",
        "eventNumber": "jets.eventNumber",
    },
    "tracks": {
        "pt": {"divide": [{"divide": [1.0, {"abs": "tracks.qOverP"}]}, {"cosh": _ETA}], "unit": "MeV"},
        "eta": _ETA,
        "phi": "tracks.dphi",
        "charge": {"sign": "tracks.qOverP"},
        "d0": "tracks.d0",
        "z0SinTheta": "tracks.z0SinTheta",
        "sigma_d0": "tracks.d0Uncertainty",
        "sigma_z0SinTheta": "tracks.z0SinThetaUncertainty",
        **{h: f"tracks.{h}" for h in HIT_FIELDS},
        "truthOrigin": "tracks.ftagTruthOriginLabel",
    },
    "link": {},
    "constituent_filter": {},
}


class FtagHdf5(Jetwise):
    name = "ftag_hdf5"
    tree = "jets"
    defaults = FTAG_MAPPING
    inspect_notes = (
        "FTAG HDF5 (training-dataset-dumper): jets and padded tracks with a valid flag; MeV; "
        "the jet phi is taken as 0 (track phi = dphi)",
    )

    def open(self, path, tree: str):
        from jettag.io.ftag_hdf5 import FtagTree

        t = FtagTree(path, tree)
        return t, t

    def detect(self, types) -> float:
        return 6.0 if {"jets.pt", "tracks.d0"} <= set(types) else 0.0
