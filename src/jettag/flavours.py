"""Jet flavours and track truth origins, as data.

Flavour labels follow ATLAS HadronConeExclTruthLabelID (5 b, 4 c, 15 tau, 0 light).
The class index of a flavour is its position in the tuple of classes a tagger is trained on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flavour:
    name: str
    label: int  # HadronConeExclTruthLabelID
    prob: str  # name of the tagger output for this class
    text: str  # legend text
    colour: str


FLAVOURS: dict[str, Flavour] = {
    f.name: f
    for f in (
        Flavour("b", 5, "p_b", "$b$-jets", "#1f77b4"),
        Flavour("c", 4, "p_c", "$c$-jets", "#ff7f0e"),
        Flavour("light", 0, "p_u", "light-flavour jets", "#2ca02c"),
        Flavour("tau", 15, "p_tau", r"$\tau$-jets", "#7c5295"),
    )
}

#: The classes every tagger in jettag predicts, in output order.
CLASSES: tuple[Flavour, ...] = (FLAVOURS["b"], FLAVOURS["c"], FLAVOURS["light"])
CLASS_INDEX: dict[int, int] = {f.label: i for i, f in enumerate(CLASSES)}


def flavour_by_label(label: int) -> Flavour:
    for f in FLAVOURS.values():
        if f.label == label:
            return f
    raise KeyError(f"unknown flavour label {label}")


@dataclass(frozen=True)
class TrackOrigin:
    name: str
    index: int
    text: str


#: Per-track truth origin, as written by the generator in ``track_truthOrigin``: the FTAG truth-origin
#: classes with FTAG's indices (``ftagTruthOriginLabel``), so files written by ATLAS FTAG software
#: and by jettag use the same numbers.
TRACK_ORIGINS: tuple[TrackOrigin, ...] = (
    TrackOrigin("pileup", 0, "pile-up"),
    TrackOrigin("fake", 1, "fake"),
    TrackOrigin("primary", 2, "primary"),
    TrackOrigin("fromB", 3, "from $b$"),
    TrackOrigin("fromBC", 4, r"from $b\to c$"),
    TrackOrigin("fromC", 5, "from $c$"),
    TrackOrigin("fromTau", 6, r"from $\tau$"),
    TrackOrigin("otherSecondary", 7, "other secondary"),
)
ORIGIN_INDEX: dict[str, int] = {o.name: o.index for o in TRACK_ORIGINS}
ORIGIN_PADDING = -1
