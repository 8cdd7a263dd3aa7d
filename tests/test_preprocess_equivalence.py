"""process_chunk (features computed after sorting/truncation, blocked scatter) must give exactly
the arrays of the straightforward reference: features of every selected track, then
``padding.pad_tracks``."""

import awkward as ak
import numpy as np
import pytest

from jettag.config import resolve
from jettag.features import JET_FEATURES
from jettag.preprocess import derived, padding, selection, splits, synthetic
from jettag.preprocess.chunk import TRACK_INPUTS, class_index, process_chunk


def reference(chunk, spec):
    table = splits.residue_table(spec["splits"])
    L = spec["max_tracks"]
    counts_all = ak.to_numpy(ak.num(chunk["tracks"], axis=1)).astype(np.int64)
    flat = ak.flatten(chunk["tracks"], axis=1)
    trk = {k: ak.to_numpy(flat[k]) for k in TRACK_INPUTS}
    keep, jet_flow, _ = selection.jet_mask(chunk, spec["jets"])
    tkeep = np.repeat(keep, counts_all)
    trk = {k: v[tkeep] for k, v in trk.items()}
    origin = ak.to_numpy(flat["truthOrigin"])[tkeep]
    n = int(keep.sum())
    tmask, track_flow = selection.track_mask(trk, spec["tracks"])
    jet_of_track = np.repeat(np.arange(n), counts_all[keep])[tmask]
    counts = np.bincount(jet_of_track, minlength=n).astype(np.int64)
    trk = {k: v[tmask].astype(np.float32) for k, v in trk.items()}
    jpt, jeta, jphi = (ak.to_numpy(chunk[k])[keep].astype(np.float32) for k in ("pt", "eta", "phi"))
    with np.errstate(divide="ignore", invalid="ignore"):
        feats = derived.track_features(trk, jpt[jet_of_track], jeta[jet_of_track], jphi[jet_of_track])
        jfeats = derived.jet_features(jpt, jeta)
    event = ak.to_numpy(chunk["eventNumber"])[keep].astype(np.int64)
    split_index = splits.assign(event, table)
    perm = np.argsort(split_index, kind="stable")
    tracks, valid, orig, kept = padding.pad_tracks(counts, list(feats.values()), feats["sd0"], L,
                                                   origin[tmask], perm=perm)
    label = ak.to_numpy(chunk["label"])[keep].astype(np.int64)[perm]
    arrays = {"tracks": tracks, "valid": valid, "track_origin": orig, "label": class_index(label),
              "jets": np.stack([jfeats[k] for k in JET_FEATURES], axis=1).astype(np.float32)[perm],
              "eventNumber": event[perm], "flavour": label.astype(np.int32)}
    return arrays, kept, jet_flow.to_dict(), track_flow.to_dict(), counts[perm]


@pytest.mark.parametrize("max_tracks", [1, 5, 12, 40])
def test_process_chunk_is_bit_identical_to_reference(max_tracks):
    jets = synthetic.make_jets(3000, seed=11, mean_tracks=9.0)
    spec = resolve({"preprocess": {"max_tracks": max_tracks}})["preprocess"]
    res = process_chunk(jets, spec)
    arrays, kept, jet_flow, track_flow, n_tracks = reference(jets, spec)
    for k, ref in arrays.items():
        got = res.arrays[k]
        assert got.dtype == ref.dtype and got.shape == ref.shape, k
        assert got.tobytes() == ref.tobytes(), k  # bitwise, signed zeros included
    assert res.kept.tobytes() == kept.tobytes()
    assert res.jet_flow.to_dict() == jet_flow and res.track_flow.to_dict() == track_flow
    assert np.array_equal(res.n_tracks, n_tracks)


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_nonfinite_derived_feature_of_a_truncated_track_is_still_an_error():
    from jettag.errors import JettagError

    jets = synthetic.make_jets(50, seed=3, mean_tracks=20.0)
    spec = resolve({"preprocess": {"max_tracks": 1, "jets": {"pt_min": 0.0}}})["preprocess"]
    keep, _, _ = selection.jet_mask(jets, spec["jets"])
    counts = ak.to_numpy(ak.num(jets["tracks"]))
    flat = ak.flatten(jets["tracks"])
    tmask, _ = selection.track_mask({k: ak.to_numpy(flat[k]) for k in flat.fields}, spec["tracks"])
    tmask &= np.repeat(keep, counts)
    jet = int(np.flatnonzero(np.bincount(np.repeat(np.arange(50), counts)[tmask], minlength=50) >= 2)[0])
    track = int(np.flatnonzero(tmask & (np.repeat(np.arange(50), counts) == jet))[-1])
    pt = ak.to_numpy(flat["pt"]).copy()
    d0 = ak.to_numpy(flat["d0"]).copy()
    others = tmask & (np.repeat(np.arange(50), counts) == jet)
    jet_phi = ak.to_numpy(jets["phi"])[jet]
    d0[others] = np.where(np.sin(jet_phi - ak.to_numpy(flat["phi"])[others]) >= 0, 1.0, -1.0)  # sd0 > 0
    d0[track] = 0.0  # ... and 0 here: sorted last, dropped with max_tracks 1
    pt[track] = 3.0e38  # pt / jet pt overflows float32: pt_frac and log_pt_frac are inf
    flat = ak.with_field(ak.with_field(flat, pt, "pt"), d0, "d0")
    jet_pt = ak.to_numpy(jets["pt"]).copy()
    jet_pt[jet] = 0.5
    jets = ak.with_field(jets, ak.unflatten(flat, counts), "tracks")
    jets = ak.with_field(jets, jet_pt, "pt")
    with pytest.raises(JettagError, match=r"derived track feature log_pt_frac .* in 1 jet\(s\)"):
        process_chunk(jets, spec)
