"""jettag.preprocess.chunk: one chunk -> a ChunkResult (selection, sort, pad, split)."""

from __future__ import annotations

import dataclasses

import awkward as ak
import numpy as np
import pytest

from jettag.config import resolve
from jettag.preprocess import selection, synthetic
from jettag.preprocess.chunk import ChunkResult, pad_chunk, process_chunk
from jettag.preprocess.splits import SPLITS

SPEC = resolve({"preprocess": {"max_tracks": 12}})["preprocess"]


@pytest.fixture(scope="module")
def jets():
    return synthetic.make_jets(300, seed=4)


def test_result_is_a_frozen_dataclass_split_by_bounds(jets):
    res = process_chunk(jets, SPEC)
    assert isinstance(res, ChunkResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.n_unknown = 3  # type: ignore[misc]
    assert res.bounds[0] == 0 and res.bounds[-1] == len(res.arrays["label"])
    assert res.n_train == res.bounds[1]
    parts = [res.split(s) for s in range(len(SPLITS))]
    assert sum(len(p["label"]) for p in parts) == len(res.arrays["label"])
    for s, part in enumerate(parts):
        assert ((part["eventNumber"] % 10 < 8) == (s == 0)).all()
    assert res.n_train_tracks == int(parts[0]["valid"].sum())
    assert len(res.kept) == int(res.arrays["valid"].sum())


def test_valid_tracks_follow_the_selection(jets):
    res = process_chunk(jets[:50], SPEC)
    assert (res.arrays["valid"].sum(axis=1) == np.minimum(res.n_tracks, 12)).all()
    keep, flow, _ = selection.jet_mask(jets[:50], SPEC["jets"])
    assert len(res.arrays["label"]) == keep.sum() and res.jet_flow.to_dict() == flow.to_dict()


def test_pad_chunk_keeps_every_jet_in_read_order(jets):
    res = pad_chunk(jets, SPEC)
    assert res.n_train == len(res.arrays["label"])
    keep, _, _ = selection.jet_mask(jets, SPEC["jets"])
    assert np.array_equal(res.arrays["eventNumber"], ak.to_numpy(jets["eventNumber"])[keep])


def test_track_cuts_on_fields_that_are_no_feature_inputs(jets):
    spec = resolve({"preprocess": {"max_tracks": 12, "tracks": {"cuts": ["charge > 0"]}}})["preprocess"]
    res = process_chunk(jets, spec)
    keep, _, _ = selection.jet_mask(jets, spec["jets"])
    charge = ak.to_numpy(ak.flatten(jets[keep]["tracks"]["charge"]))
    assert res.track_flow.to_dict()["charge"] == int(np.count_nonzero(charge > 0))
    assert int(res.n_tracks.sum()) == int(np.count_nonzero(charge > 0))


def test_zero_track_jet_is_fine():
    jets = synthetic.make_jets(20, seed=7)
    spec = resolve({"preprocess": {"tracks": {"pt_min": 1e6}}})["preprocess"]
    a = process_chunk(jets, spec).arrays
    assert len(a["label"]) > 0 and not a["valid"].any() and not a["tracks"].any()


def test_compact_result_densifies_to_the_dense_one():
    from jettag.preprocess.chunk import densify

    jets = synthetic.make_jets(400, seed=8, mean_tracks=10.0)
    dense = process_chunk(jets, SPEC)
    compact = process_chunk(jets, SPEC, dense=False)
    assert "tracks" not in compact.arrays and compact.kept.tobytes() == dense.kept.tobytes()
    assert np.array_equal(compact.arrays["n_kept"], dense.arrays["valid"].sum(1))
    padded = densify(compact.arrays, compact.kept, compact.kept_origin, SPEC["max_tracks"])
    assert sorted(padded) == sorted(dense.arrays)
    for key, ref in dense.arrays.items():
        assert padded[key].dtype == ref.dtype and padded[key].tobytes() == ref.tobytes(), key
