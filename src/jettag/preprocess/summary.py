"""The preprocessing summary (``summary.json``): cut flows, jets per split and flavour, tracks
per jet; and the check that every split and kept flavour got jets."""

from __future__ import annotations

import numpy as np

from jettag.errors import JettagError
from jettag.flavours import FLAVOURS, flavour_by_label
from jettag.preprocess import selection, splits
from jettag.preprocess.chunk import ChunkResult


class Summary:
    """Sums of the per-chunk results of a preprocessing run."""

    def __init__(self, spec: dict):
        self.max_tracks = max_tracks = spec["max_tracks"]
        self.jet_flow = selection.CutFlow(("all", *selection.JET_CUTS))
        self.track_flow = selection.CutFlow(("all", *selection.track_cuts(spec["tracks"]).names))
        self.n_unknown = 0
        self.per_split = {s: {} for s in splits.SPLITS}
        self.n_tracks_hist = np.zeros(max_tracks + 2, dtype=np.int64)  # last bin: > max_tracks
        self.n_tracks_sum = 0

    def add(self, out: ChunkResult) -> None:
        self.jet_flow.update(out.jet_flow)
        self.track_flow.update(out.track_flow)
        self.n_unknown += out.n_unknown
        nt = out.n_tracks
        self.n_tracks_sum += int(nt.sum())
        self.n_tracks_hist += np.bincount(np.minimum(nt, self.max_tracks + 1),
                                          minlength=self.max_tracks + 2)
        split_index = np.repeat(np.arange(len(splits.SPLITS)), np.diff(out.bounds))
        self.count(out.arrays["flavour"], split_index)

    def count(self, flavour: np.ndarray, split_index: np.ndarray, reset: str | None = None) -> None:
        if reset:
            self.per_split[reset] = {}
        for s, name in enumerate(splits.SPLITS):
            labs, n = np.unique(flavour[split_index == s], return_counts=True)
            for lab, k in zip(labs, n, strict=True):
                fname = flavour_by_label(int(lab)).name
                self.per_split[name][fname] = self.per_split[name].get(fname, 0) + int(k)

    def state(self) -> dict:
        """The sums as plain JSON types (a per-file part's share; see ``merge``)."""
        return {
            "jet_flow": self.jet_flow.to_dict(), "track_flow": self.track_flow.to_dict(),
            "n_unknown": self.n_unknown, "per_split": self.per_split,
            "n_tracks_hist": self.n_tracks_hist.tolist(), "n_tracks_sum": self.n_tracks_sum,
        }

    def merge(self, state: dict) -> None:
        """Add the ``state()`` of another run, e.g. of one input file. Merging the files' states
        in input order gives what adding their chunks in that order gives (key order included)."""
        self.jet_flow.update(selection.CutFlow.from_dict(state["jet_flow"]))
        self.track_flow.update(selection.CutFlow.from_dict(state["track_flow"]))
        self.n_unknown += int(state["n_unknown"])
        for name, counts in state["per_split"].items():
            mine = self.per_split[name]
            for fname, k in counts.items():
                mine[fname] = mine.get(fname, 0) + int(k)
        self.n_tracks_hist += np.asarray(state["n_tracks_hist"], dtype=np.int64)
        self.n_tracks_sum += int(state["n_tracks_sum"])

    def n_jets(self) -> int:
        return int(self.n_tracks_hist.sum())

    def to_dict(self, **extra) -> dict:
        n = self.n_jets()
        return {
            "jets_per_split": {s: sum(d.values()) for s, d in self.per_split.items()},
            "jets_per_split_and_flavour": self.per_split,
            "tracks_per_jet": {
                "mean": self.n_tracks_sum / n if n else 0.0,
                "histogram": self.n_tracks_hist[: self.max_tracks + 1].tolist(),
                "n_jets_truncated": int(self.n_tracks_hist[self.max_tracks + 1]),
                "max_tracks": self.max_tracks,
                "note": "selected tracks per jet before truncation; histogram[k] = jets with k tracks",
            },
            "cutflow": {
                "jets": self.jet_flow.to_dict(),
                "jets_unknown_label": self.n_unknown,
                "tracks": self.track_flow.to_dict(),
            },
            **extra,
        }


def check_not_empty(summary: Summary, spec: dict, inputs) -> None:
    """Raise a JettagError when no jet, no train jet of a kept flavour or an empty split."""
    where = f"{len(inputs)} input file(s) ({', '.join(map(str, inputs[:3]))}{', ...' if len(inputs) > 3 else ''})"
    flow = summary.jet_flow.to_dict()
    if summary.n_jets() == 0:
        raise JettagError(
            f"preprocess: no jets passed the selection in {where}; jet cut flow {flow}; "
            "loosen preprocess.jets or check the input mapping"
        )
    train = summary.per_split["train"]
    for name in spec["jets"]["flavours"]:
        if train.get(name, 0) == 0:
            raise JettagError(
                f"preprocess: no {FLAVOURS[name].name}-jets in the train split from {where} "
                f"(train has {train}); add more events, or remove '{name}' from preprocess.jets.flavours"
            )
    for name in splits.SPLITS:
        if not summary.per_split[name]:
            raise JettagError(
                f"preprocess: the {name} split is empty ({where}); add more events or change "
                "preprocess.splits"
            )
