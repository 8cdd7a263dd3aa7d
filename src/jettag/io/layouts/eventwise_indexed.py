"""``eventwise_indexed``: one tree entry per event; flat per-event collections of jets and of
constituents, each constituent naming its jet by index (CMS NanoAOD / PFNano)."""

from __future__ import annotations

from jettag.io.layouts.base import NOMINAL_TRACK_QUALITY, Layout, RawChunk, group_by_jet_index

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
        **NOMINAL_TRACK_QUALITY,  # no hit counts stored: a nominal good track
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


class EventwiseIndexed(Layout):
    name = "eventwise_indexed"
    depth = {"event": 0, "jets": 1, "tracks": 1}
    tree = "Events"
    defaults = NANOAOD_MAPPING
    link = {"index": "tracks"}
    link_help = "the branch giving each constituent's jet index (e.g. JetPFCands_jetIdx)"

    def track_lists(self, chunk: RawChunk):
        """Constituents grouped per jet by a stable sort on their global jet index (file order
        within a jet); an index outside ``[0, nJet)`` drops the constituent."""
        return group_by_jet_index(chunk, chunk.raw[chunk.link["index"]], self.n_jets(chunk))

    def detect(self, types):
        return 3.0 if any(n.lower().endswith("_jetidx") for n in types) else 0.0
