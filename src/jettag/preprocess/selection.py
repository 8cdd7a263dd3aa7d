"""Jet and track selection, with a cut flow, in the cut language of :mod:`jettag.cuts`.

Jets: known label, kept flavours (``preprocess.jets.flavours``), ``pt_min <= pt < pt_max``,
``|eta| < abs_eta_max``. Tracks: ``preprocess.tracks.cuts`` (default: the preset ``r22default``,
the ATLAS r22default selection with thresholds from the ``preprocess.tracks`` keys: pT, |eta|,
|d0|, |z0 sin(theta)|, silicon hits, silicon holes, pixel holes, shared modules).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from jettag.cuts import PRESETS, Cut, Cuts
from jettag.flavours import FLAVOURS

#: Jet cuts in cut-flow order (each applied on top of the previous ones).
JET_CUTS: tuple[str, ...] = ("known_label", "flavour", "pt", "abs_eta")
#: Default track selection (preset name) and its cut-flow steps.
DEFAULT_TRACK_CUTS = "r22default"
TRACK_CUTS: tuple[str, ...] = tuple(text.split()[0] for text in PRESETS[DEFAULT_TRACK_CUTS])


class CutFlow:
    """Ordered counts ``name -> n`` passing each successive cut; summed over chunks."""

    def __init__(self, names: tuple[str, ...] = ()):
        self.counts: dict[str, int] = {n: 0 for n in names}

    def add(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + int(n)

    def update(self, other: CutFlow) -> None:
        for name, n in other.counts.items():
            self.add(name, n)

    def to_dict(self) -> dict[str, int]:
        return dict(self.counts)

    @classmethod
    def from_dict(cls, counts: dict[str, int]) -> CutFlow:
        flow = cls()
        flow.counts = {k: int(v) for k, v in counts.items()}
        return flow


def jet_cuts(spec: dict) -> Cuts:
    """The jet selection of ``spec`` (the ``preprocess.jets`` section)."""
    known = tuple(f.label for f in FLAVOURS.values())
    kept = tuple(FLAVOURS[name].label for name in spec["flavours"])
    return Cuts(
        (
            Cut("label", "in", known, name="known_label"),
            Cut("label", "in", kept, name="flavour"),
            Cut("pt", ">=", spec["pt_min"]),
            Cut("pt", "<", spec["pt_max"]),
            Cut("abs_eta", "<", spec["abs_eta_max"]),
        ),
        key="preprocess.jets",
    )


def track_cuts(spec: dict) -> Cuts:
    """The track selection of ``spec`` (the ``preprocess.tracks`` section): its ``cuts`` (cut
    strings and preset names; default the preset ``r22default``), presets filled from its keys."""
    return Cuts.from_list(spec.get("cuts", DEFAULT_TRACK_CUTS), "preprocess.tracks.cuts", spec)


def _run(cuts: Cuts, data, n_all: int, keep=None):
    """Apply ``cuts`` (from ``keep``); return ``(mask, cutflow)`` with ``all`` = ``n_all``."""
    flow = CutFlow(("all", *cuts.names))
    flow.add("all", n_all)
    keep, counts = cuts.cutflow(data, keep)
    for name, n in counts.items():
        flow.add(name, n)
    return keep, flow


def jet_mask(jets: ak.Array, spec: dict) -> tuple[np.ndarray, CutFlow, int]:
    """Boolean mask of jets passing ``spec`` (the ``preprocess.jets`` section).

    Returns ``(mask, cutflow, n_unknown_label)``; labels outside the known flavours are dropped
    and counted.
    """
    data = {
        "label": ak.to_numpy(jets["label"]).astype(np.int64),
        "pt": ak.to_numpy(jets["pt"]),
        "eta": ak.to_numpy(jets["eta"]),
    }
    cuts = jet_cuts(spec)
    keep, flow = _run(cuts, data, len(data["label"]))
    n_unknown = int(np.count_nonzero(~cuts.cuts[0](data)))
    return keep, flow, n_unknown


def track_mask(tracks, spec: dict, within: np.ndarray | None = None):
    """Boolean mask of tracks passing ``spec`` (the ``preprocess.tracks`` section).

    ``tracks`` maps canonical track names to flat numpy arrays (mask: numpy) or is a jagged
    awkward record (mask: jagged). ``within`` (flat numpy only): tracks outside this mask fail
    and are not counted anywhere in the cut flow, as if they had been removed beforehand (e.g.
    the tracks of rejected jets). Returns ``(mask, cutflow)``.
    """
    pt = tracks["pt"]
    if within is not None:
        n_all = int(np.count_nonzero(within))
    else:
        n_all = len(pt) if isinstance(pt, np.ndarray) else int(ak.count(pt, axis=None))
    return _run(track_cuts(spec), tracks, n_all, within)


def select(jets: ak.Array, spec: dict) -> tuple[ak.Array, CutFlow, CutFlow, int]:
    """Apply the jet and the track selection of ``spec`` (the ``preprocess`` section).

    Returns ``(selected_jets, jet_cutflow, track_cutflow, n_unknown_label)``; the track cut flow
    counts tracks of the selected jets only.
    """
    keep, jet_flow, n_unknown = jet_mask(jets, spec["jets"])
    jets = jets[keep]
    tmask, track_flow = track_mask(jets["tracks"], spec["tracks"])
    jets = ak.with_field(jets, jets["tracks"][tmask], "tracks")
    return jets, jet_flow, track_flow, n_unknown
