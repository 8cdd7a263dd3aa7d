"""``eventwise_nested``: one tree entry per event; jet branches ``vector<T>``, track branches
``vector<vector<T>>`` (per jet, per track): ATLAS/CMS analysis ntuples."""

from __future__ import annotations

import awkward as ak
import numpy as np

from jettag.errors import JettagError
from jettag.io.layouts.base import Layout, RawChunk, broadcast
from jettag.io.layouts.jetwise import GENERATOR_MAPPING
from jettag.io.layouts.names import JETTY, TRACKY, list_depth, name_ends


class EventwiseNested(Layout):
    name = "eventwise_nested"
    depth = {"event": 0, "jets": 1, "tracks": 2}
    tree = "jets"
    defaults = {**GENERATOR_MAPPING, "link": {}, "constituent_filter": {}}
    jets_from_tracks = True

    def check(self, chunk: RawChunk) -> None:
        tracks = chunk.ref("tracks")
        if "jets" not in chunk.refs:  # the jets are the outer lists of the track branches
            chunk.refs["jets"] = "#jets"
            chunk.raw["#jets"] = ak.num(tracks, axis=2)
            return
        jn = np.asarray(ak.num(chunk.ref("jets"), axis=1))
        tn = np.asarray(ak.num(tracks, axis=1))
        if not np.array_equal(jn, tn):
            raise JettagError(
                f"jet branch '{chunk.refs['jets']}' and track branch '{chunk.refs['tracks']}' "
                "have different numbers of jets per event"
            )

    def track_lists(self, chunk: RawChunk):
        ref, keep = chunk.ref("tracks"), chunk.keep

        def lists(value):
            value = broadcast(value, ref)
            if keep is not None:
                value = value[keep]
            return ak.flatten(value, axis=1)

        return lists

    def detect(self, types):
        if any(list_depth(t) >= 2 and JETTY.search(n) for n, t in types.items()):
            return 2.0
        jet_pts = [n for n in types if name_ends(n, "pt") and JETTY.search(n) and not TRACKY.search(n)]
        if (
            jet_pts
            and all(list_depth(types[n]) == 1 for n in jet_pts)
            and any(list_depth(types[n]) == 2 for n in types if TRACKY.search(n))
        ):
            return 2.0
        return 0.0
