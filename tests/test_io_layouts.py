"""jettag.io.layouts: the registry, each layout's data, detection, and a new layout added in a
test (registered here only) read end to end through the reader."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from jettag.errors import JettagError
from jettag.io import read_all, toy, write_root_atomic
from jettag.io.inspect import guess_layout
from jettag.io.layouts import GENERATOR_MAPPING, LAYOUTS, Layout, RawChunk, register
from jettag.io.layouts.base import broadcast
from jettag.io.mapping import JET_FIELDS, TRACK_FIELDS


def test_registry_and_layout_data():
    assert list(LAYOUTS)[:3] == ["jetwise", "eventwise_nested", "eventwise_indexed"]
    assert {"physlite", "physlite_rntuple", "delphes"} <= set(LAYOUTS)
    for name, layout in LAYOUTS.items():
        assert layout.name == name
        assert set(layout.depth) == {"event", "jets", "tracks"}
        assert set(layout.defaults["jets"]) == set(JET_FIELDS)
        assert set(layout.defaults["tracks"]) == set(TRACK_FIELDS)
    assert not LAYOUTS["jetwise"].per_event and LAYOUTS["eventwise_nested"].per_event
    assert LAYOUTS["eventwise_indexed"].link == {"index": "tracks"}


@pytest.mark.parametrize(
    ("types", "layout"),
    [
        ({"jet_pt": "float", "track_pt": "std::vector<float>"}, "jetwise"),
        ({"jet_pt": "std::vector<float>", "trk_pt": "std::vector<std::vector<float>>"}, "eventwise_nested"),
        ({"Jet_pt": "float[]", "JetPFCands_jetIdx": "int32_t[]"}, "eventwise_indexed"),
    ],
)
def test_detect_picks_the_best_score(types, layout):
    assert guess_layout(types) == layout


class CountedTracks(Layout):
    """One entry per event; jets ``vector<T>``; the tracks of all jets of an event in one flat
    ``vector<T>``, jet after jet, with each jet's track count in a jet branch."""

    name = "toy_counted"
    depth = {"event": 0, "jets": 1, "tracks": 1}
    tree = "events"
    defaults = {**GENERATOR_MAPPING, "link": {"counts": "jet_nTrk"}, "constituent_filter": {}}
    link = {"counts": "jets"}
    link_help = "the jet branch giving each jet's number of tracks"

    def check(self, chunk: RawChunk) -> None:
        per_event = np.asarray(ak.sum(chunk.raw[chunk.link["counts"]], axis=1))
        if not np.array_equal(per_event, np.asarray(ak.num(chunk.ref("tracks"), axis=1))):
            raise JettagError("the jets' track counts do not add up to the tracks of the event")

    def track_lists(self, chunk: RawChunk):
        counts = np.asarray(ak.flatten(chunk.raw[chunk.link["counts"]]), dtype=np.int64)
        ref, keep = chunk.ref("tracks"), chunk.keep

        def lists(value):
            per_jet = ak.unflatten(ak.flatten(broadcast(value, ref)), counts)
            return per_jet if keep is None else per_jet[ak.unflatten(ak.flatten(keep), counts)]

        return lists

    def detect(self, types):
        return 10.0 if any(n.endswith("_nTrk") for n in types) else 0.0


def _counted_file(path, nested):
    """The events of ``nested`` (toy.nested_branches) in the toy_counted layout."""
    fields = [k[len("track_"):] for k in nested if k.startswith("track_")]
    jets = {k[len("jet_"):]: nested[k] for k in nested if k.startswith("jet_")}
    jets["nTrk"] = ak.values_astype(ak.num(nested["track_pt"], axis=2), np.int32)
    branches = {
        "eventNumber": nested["eventNumber"],
        "HadronConeExclTruthLabelID": nested["HadronConeExclTruthLabelID"],
        "jet": ak.zip(jets),
        "track": ak.zip({f: ak.flatten(nested[f"track_{f}"], axis=2) for f in fields}),
    }
    write_root_atomic(path, "events", branches)


def test_a_new_layout_registered_in_a_test_reads_a_file(tmp_path, monkeypatch):
    monkeypatch.setitem(LAYOUTS, "toy_counted", None)  # removed from the registry after the test
    register(CountedTracks())
    nested = toy.nested_branches(n_events=20, seed=5)
    _counted_file(tmp_path / "counted.root", nested)
    write_root_atomic(tmp_path / "nested.root", "jets", nested, rntuple=True)

    got = read_all([tmp_path / "counted.root"], {"layout": "toy_counted"}, step_size=6)
    want = read_all([tmp_path / "nested.root"], {"layout": "eventwise_nested"}, step_size=6)
    assert ak.to_list(got) == ak.to_list(want)

    # the constituent filter and the link checks work for it like for any layout
    spec = {"layout": "toy_counted", "constituent_filter": {"branch": "track_d0", "op": ">", "value": 0}}
    got = read_all([tmp_path / "counted.root"], spec)
    assert ak.all(got.tracks.d0 > 0) and len(got) == len(want)
    assert ak.sum(ak.num(got.tracks)) == ak.sum(want.tracks.d0 > 0)
    with pytest.raises(JettagError, match=r"needs link: \{counts: BRANCH\}, the jet branch"):
        read_all([tmp_path / "counted.root"], {"layout": "toy_counted", "link": {"index": "x"}})
    with pytest.raises(JettagError, match="only used by layout"):
        read_all([tmp_path / "nested.root"], {"layout": "eventwise_nested", "link": {"counts": "x"}})


def test_register_needs_a_name():
    with pytest.raises(ValueError, match="needs a name"):
        register(Layout())
