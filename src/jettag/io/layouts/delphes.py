"""``delphes``: Delphes fast-simulation output (tree ``Delphes``), one entry per event.

Jets are the ``Jet`` collection; the jet label is derived from ``Jet.Flavor`` (the PDG id of the
matched parton: 5 -> 5 b, 4 -> 4 c, 15 -> 15 tau, anything else (light quarks, gluons, 0
unmatched) -> 0 light), named ``Jet.FlavorLabel`` in the mapping. Tracks come from the event's
``Track`` collection (``D0``, ``DZ``, ``ErrorD0``, ``ErrorDZ`` in mm) and are associated to jets by
a Delta R cone, since ``Jet.Constituents`` holds TRefs that cannot be read as plain arrays: each
track goes to the closest jet (in Delta R) whose cone contains it, with the ATLAS pT-dependent
cone ``Delta R < 0.239 + exp(-1.22 - 1.64e-5 pT[MeV])`` (:class:`Cone`). Delphes' ``D0`` has the
opposite sign of the ATLAS convention (``D0 = x sin(phi) - y cos(phi)`` at the point of closest
approach), so d0 = -D0; z0 sin(theta) = DZ / cosh(eta). No hit counts: the default mapping gives
the constants of a nominal good track (as for NanoAOD).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import awkward as ak
import numpy as np

from jettag.errors import JettagError
from jettag.io.layouts.base import NOMINAL_TRACK_QUALITY, Layout, RawChunk, group_by_jet_index

FLAVOR = "Jet.Flavor"
LABEL = "Jet.FlavorLabel"
#: ``Event`` is a collection of one entry per event: its first element.
EVENT_NUMBER = "Event.Number[0]"
#: Delphes parton flavour (|PDG id|) -> HadronConeExclTruthLabelID; anything else -> 0.
FLAVOUR_MAP = {5: 5, 4: 4, 15: 15}

_COSH_ETA = {"cosh": "Track.Eta"}
DELPHES_MAPPING: dict = {
    "jets": {
        "pt": "Jet.PT",
        "eta": "Jet.Eta",
        "phi": "Jet.Phi",
        "label": LABEL,
        "eventNumber": EVENT_NUMBER,
    },
    "tracks": {
        "pt": "Track.PT",
        "eta": "Track.Eta",
        "phi": "Track.Phi",
        "charge": "Track.Charge",
        "d0": {"neg": "Track.D0"},
        "z0SinTheta": {"divide": ["Track.DZ", _COSH_ETA]},
        "sigma_d0": "Track.ErrorD0",
        "sigma_z0SinTheta": {"divide": ["Track.ErrorDZ", _COSH_ETA]},
        **NOMINAL_TRACK_QUALITY,  # no hit counts stored: a nominal good track
    },
    "link": {
        "jet_pt": "Jet.PT",
        "jet_eta": "Jet.Eta",
        "jet_phi": "Jet.Phi",
        "track_eta": "Track.Eta",
        "track_phi": "Track.Phi",
    },
    "constituent_filter": {},
}


@dataclass(frozen=True)
class Cone:
    """Delta R < ``r0 + exp(a + b pT[MeV])`` (ATLAS default), or a fixed ``radius``."""

    r0: float = 0.239
    a: float = -1.22
    b: float = -1.64e-5
    radius_fixed: float | None = None

    @classmethod
    def from_config(cls, section: Mapping | None) -> Cone:
        """From ``input.cone``: ``{radius: R}`` or any of ``r0, a, b`` (the rest ATLAS defaults)."""
        section = dict(section or {})
        unknown = set(section) - {"radius", "r0", "a", "b"}
        if unknown:
            raise JettagError(f"input.cone: unknown key(s) {sorted(unknown)}; use radius, or r0, a, b")
        if "radius" in section:
            if len(section) > 1 or not float(section["radius"]) > 0:
                raise JettagError("input.cone: give either radius (> 0) alone or r0, a, b")
            return cls(radius_fixed=float(section["radius"]))
        return cls(**{k: float(v) for k, v in section.items()})

    def radius(self, pt_gev: np.ndarray) -> np.ndarray:
        pt_gev = np.asarray(pt_gev, dtype=np.float64)
        if self.radius_fixed is not None:
            return np.full_like(pt_gev, self.radius_fixed)
        return self.r0 + np.exp(self.a + self.b * 1e3 * pt_gev)


def associate(jet_pt, jet_eta, jet_phi, trk_eta, trk_phi, cone: Cone = Cone()):
    """Per event: for each track the index of the closest jet whose cone contains it, -1 if
    none (awkward arrays with one list per event)."""
    # (event, track, jet) by broadcasting the track lists against the jet lists
    t_eta = trk_eta[:, :, np.newaxis]
    t_phi = trk_phi[:, :, np.newaxis]
    j_eta = jet_eta[:, np.newaxis, :]
    j_phi = jet_phi[:, np.newaxis, :]
    j_r = ak.Array(cone.radius(ak.flatten(jet_pt)).astype(np.float64))
    j_r = ak.unflatten(j_r, ak.num(jet_pt))[:, np.newaxis, :]
    dphi = (t_phi - j_phi + np.pi) % (2 * np.pi) - np.pi
    dr = np.sqrt((t_eta - j_eta) ** 2 + dphi**2)
    inside = dr < j_r
    closest = ak.argmin(ak.where(inside, dr, np.inf), axis=2)
    found = ak.any(inside, axis=2)
    return ak.values_astype(ak.where(found, ak.fill_none(closest, -1), -1), np.int64)


class Delphes(Layout):
    name = "delphes"
    depth = {"event": 0, "jets": 1, "tracks": 1}
    tree = "Delphes"
    defaults = DELPHES_MAPPING
    link = {
        "jet_pt": "jets",
        "jet_eta": "jets",
        "jet_phi": "jets",
        "track_eta": "tracks",
        "track_phi": "tracks",
    }
    link_help = "the jet pT (GeV), eta, phi and track eta, phi branches of the Delta R association"
    cone = Cone()
    inspect_notes = (
        "Delphes: tracks associated to jets by the ATLAS pT-dependent Delta R cone; label from "
        "Jet.Flavor (5 b, 4 c, 15 tau, else light); d0 = -Track.D0 (ATLAS sign convention)",
        "Delphes has no hit counts: constants of a nominal good track are used",
    )

    def derived(self, have: set[str]) -> Mapping[str, tuple[str, ...]]:
        return {LABEL: (FLAVOR,), EVENT_NUMBER: ("Event.Number",)}

    def derive(self, names: list[str], arrays) -> dict:
        out = {}
        if EVENT_NUMBER in names:
            out[EVENT_NUMBER] = ak.fill_none(ak.firsts(arrays["Event.Number"]), -1)
        if LABEL not in names:
            return out
        flavor = arrays[FLAVOR]
        label = ak.zeros_like(ak.values_astype(flavor, np.int32))
        for pdg, lab in FLAVOUR_MAP.items():
            label = ak.where(flavor == pdg, lab, label)
        return {**out, LABEL: label}

    def track_lists(self, chunk: RawChunk):
        """Tracks grouped per jet by the Delta R association (file order within a jet)."""
        get = lambda key: chunk.raw[chunk.link[key]]  # noqa: E731
        link = associate(
            get("jet_pt"), get("jet_eta"), get("jet_phi"), get("track_eta"), get("track_phi"),
            Cone.from_config(chunk.cone) if chunk.cone else self.cone,
        )
        return group_by_jet_index(chunk, link, self.n_jets(chunk))

    def detect(self, types) -> float:
        names = {n.rsplit("/", 1)[-1] for n in types}
        return 6.0 if {"Jet.PT", "Track.D0", FLAVOR} <= names else 0.0
