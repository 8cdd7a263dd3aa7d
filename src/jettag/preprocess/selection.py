"""Jet and track selection, with a cut flow.

Every cut reads its threshold from the resolved ``preprocess.jets`` / ``preprocess.tracks`` config.
The track selection follows ATLAS r22default: pT, |eta|, |d0|, |z0 sin(theta)|, silicon hits
(pixel + SCT), silicon holes, pixel holes and shared modules (pixel shared + SCT shared / 2).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from jettag.flavours import FLAVOURS

#: Jet cuts in cut-flow order (each applied on top of the previous ones).
JET_CUTS: tuple[str, ...] = ("known_label", "flavour", "pt", "abs_eta")
#: Track cuts in cut-flow order.
TRACK_CUTS: tuple[str, ...] = (
    "pt", "abs_eta", "abs_d0", "abs_z0SinTheta", "silicon_hits", "silicon_holes", "pixel_holes",
    "shared_modules",
)


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


def _count(mask) -> int:
    if isinstance(mask, np.ndarray):
        return int(np.count_nonzero(mask))
    return int(ak.count_nonzero(mask, axis=None))


def _cumulative(masks: list[tuple[str, object]], n_all: int, flow: CutFlow, keep=None):
    """AND the masks in order (starting from ``keep`` if given), recording how many pass after
    each; return the final mask."""
    flow.add("all", n_all)
    for name, mask in masks:
        keep = mask if keep is None else keep & mask
        flow.add(name, _count(keep))
    return keep


def jet_mask(jets: ak.Array, spec: dict) -> tuple[np.ndarray, CutFlow, int]:
    """Boolean mask of jets passing ``spec`` (the ``preprocess.jets`` section).

    Returns ``(mask, cutflow, n_unknown_label)``; labels outside the known flavours are dropped
    and counted.
    """
    label = ak.to_numpy(jets["label"]).astype(np.int64)
    pt = ak.to_numpy(jets["pt"])
    abs_eta = np.abs(ak.to_numpy(jets["eta"]))
    known = np.isin(label, [f.label for f in FLAVOURS.values()])
    kept_labels = [FLAVOURS[name].label for name in spec["flavours"]]
    masks = [
        ("known_label", known),
        ("flavour", np.isin(label, kept_labels)),
        ("pt", (pt >= spec["pt_min"]) & (pt < spec["pt_max"])),
        ("abs_eta", abs_eta < spec["abs_eta_max"]),
    ]
    flow = CutFlow(("all", *JET_CUTS))
    keep = _cumulative(masks, len(label), flow)
    return keep, flow, int(np.count_nonzero(~known))


def track_mask(tracks, spec: dict, within: np.ndarray | None = None):
    """Boolean mask of tracks passing ``spec`` (the ``preprocess.tracks`` section).

    ``tracks`` maps canonical track names to flat numpy arrays (mask: numpy) or is a jagged
    awkward record (mask: jagged). ``within`` (flat numpy only): tracks outside this mask fail
    and are not counted anywhere in the cut flow, as if they had been removed beforehand (e.g.
    the tracks of rejected jets). Returns ``(mask, cutflow)``.
    """
    si_hits = tracks["numberOfPixelHits"] + tracks["numberOfSCTHits"]
    si_holes = tracks["numberOfPixelHoles"] + tracks["numberOfSCTHoles"]
    shared = tracks["numberOfPixelSharedHits"] + tracks["numberOfSCTSharedHits"] / 2.0
    masks = [
        ("pt", tracks["pt"] > spec["pt_min"]),
        ("abs_eta", np.abs(tracks["eta"]) < spec["abs_eta_max"]),
        ("abs_d0", np.abs(tracks["d0"]) < spec["abs_d0_max"]),
        ("abs_z0SinTheta", np.abs(tracks["z0SinTheta"]) < spec["abs_z0SinTheta_max"]),
        ("silicon_hits", si_hits >= spec["min_silicon_hits"]),
        ("silicon_holes", si_holes <= spec["max_silicon_holes"]),
        ("pixel_holes", tracks["numberOfPixelHoles"] <= spec["max_pixel_holes"]),
        ("shared_modules", shared <= spec["max_shared_modules"]),
    ]
    flow = CutFlow(("all", *TRACK_CUTS))
    pt = tracks["pt"]
    if within is not None:
        n_all = int(np.count_nonzero(within))
    else:
        n_all = len(pt) if isinstance(pt, np.ndarray) else int(ak.count(pt, axis=None))
    keep = _cumulative(masks, n_all, flow, within)
    return keep, flow


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
