"""jettag.io.reader: every layout, every error, and the real files of ../shared/realdata."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from jettag.errors import JettagError
from jettag.features import HIT_FIELDS
from jettag.io import JET_FIELDS, TRACK_FIELDS, read_all, read_jets, toy, write_root_atomic

REALDATA = Path(__file__).parents[2] / "shared" / "realdata"
NANO = REALDATA / "nano106X_on_mini106X_2017_mc_NANO.root"
ATLAS = REALDATA / "uproot-issue-816.root"
ISSUE519 = REALDATA / "uproot-issue519.root"
VVDOUBLE = REALDATA / "uproot-vectorVectorDouble.root"


def needs(path: Path):
    return pytest.mark.skipif(
        not path.is_file(), reason=f"real data file {path} is absent (../shared/realdata not here)"
    )


def check_canonical(jets: ak.Array) -> None:
    assert ak.fields(jets) == [*JET_FIELDS, "tracks"]
    assert ak.fields(jets.tracks) == list(TRACK_FIELDS)
    for name, dtype in JET_FIELDS.items():
        assert ak.to_numpy(jets[name]).dtype == dtype, name
    for name, dtype in TRACK_FIELDS.items():
        assert ak.to_numpy(ak.flatten(jets.tracks[name])).dtype == dtype, name


@pytest.fixture
def jetwise_file(tmp_path):
    branches = toy.jetwise_branches(n_jets=25, seed=3)
    path = tmp_path / "shard0.root"
    write_root_atomic(path, "jets", branches)
    return path, branches


# ---------------------------------------------------------------- jet-wise


def test_jetwise_default_mapping_round_trip(jetwise_file):
    path, b = jetwise_file
    jets = read_all([str(path)])
    check_canonical(jets)
    assert len(jets) == 25
    np.testing.assert_allclose(ak.to_numpy(jets.pt), b["jet_pt"])
    np.testing.assert_array_equal(ak.to_numpy(jets.label), b["HadronConeExclTruthLabelID"])
    np.testing.assert_array_equal(ak.to_numpy(jets.eventNumber), b["eventNumber"])
    assert ak.all(ak.num(jets.tracks) == ak.num(b["track"]))
    for f in ("d0", "sigma_z0SinTheta", "truthOrigin", *HIT_FIELDS):
        assert ak.all(jets.tracks[f] == b["track"][f]), f


def test_chunks_and_globs(tmp_path):
    for k in range(3):
        write_root_atomic(tmp_path / f"s{k}.root", "jets", toy.jetwise_branches(10, seed=k))
    chunks = list(read_jets([str(tmp_path / "s*.root")], None, step_size=4))
    assert [len(c) for c in chunks] == [4, 4, 2] * 3
    assert sum(len(c) for c in chunks) == 30


def test_truth_origin_optional(tmp_path):
    path = tmp_path / "a.root"
    write_root_atomic(path, "jets", toy.jetwise_branches(8, truth_origin=False))
    jets = read_all([path])
    assert ak.all(ak.flatten(jets.tracks.truthOrigin) == -1)
    # but an explicitly mapped branch must exist
    with pytest.raises(
        JettagError, match=r"no branch 'track_truthOrigin'.*input\.tracks\.truthOrigin"
    ):
        read_all([path], {"tracks": {"truthOrigin": "track_truthOrigin"}})


def test_overrides_with_operations(jetwise_file):
    path, b = jetwise_file
    spec = {
        "jets": {"pt": {"branch": "jet_pt", "unit": "MeV"}, "label": {"constant": 5}},
        "tracks": {"d0": {"abs": "track_d0"}, "numberOfPixelHits": {"constant": 3}},
    }
    jets = read_all([path], spec)
    check_canonical(jets)
    np.testing.assert_allclose(ak.to_numpy(jets.pt), b["jet_pt"] * 1e-3, rtol=1e-6)
    assert np.all(ak.to_numpy(jets.label) == 5)
    assert ak.all(jets.tracks.d0 == abs(b["track"].d0))
    assert ak.all(ak.flatten(jets.tracks.numberOfPixelHits) == 3)
    assert ak.all(ak.num(jets.tracks.numberOfPixelHits) == ak.num(b["track"]))


def test_only_needed_branches_are_read(tmp_path):
    b = toy.jetwise_branches(6)
    # an unrelated branch whose values would fail the type checks if it were read
    b["unused_mess"] = ak.Array([[1.0]] * 3 + [[]] * 3)
    b["jet_name_like"] = np.zeros(6, dtype=np.float64)
    write_root_atomic(tmp_path / "a.root", "jets", b)
    assert len(read_all([tmp_path / "a.root"])) == 6


def test_zero_track_jets_and_filter(tmp_path):
    b = toy.jetwise_branches(12, seed=1)
    write_root_atomic(tmp_path / "a.root", "jets", b)
    spec = {"constituent_filter": {"branch": "track_pt", "op": ">", "value": 5.0}}
    jets = read_all([tmp_path / "a.root"], spec)
    assert ak.all(jets.tracks.pt > 5.0)
    assert ak.sum(ak.num(jets.tracks)) == ak.sum(b["track"].pt > 5.0)
    assert ak.any(ak.num(jets.tracks) == 0)


# ---------------------------------------------------------------- errors


def test_missing_file(tmp_path):
    with pytest.raises(JettagError, match="nope.root: input file does not exist"):
        list(read_jets([str(tmp_path / "nope.root")], None))
    with pytest.raises(JettagError, match="matches no file"):
        list(read_jets([str(tmp_path / "*.root")], None))


def test_not_root(tmp_path):
    p = tmp_path / "text.root"
    p.write_text("hello, I am not ROOT\n" * 10)
    with pytest.raises(JettagError, match=r"text\.root: not a ROOT file"):
        list(read_jets([p], None))


def test_truncated(jetwise_file, tmp_path):
    path, _ = jetwise_file
    data = path.read_bytes()
    for cut in (len(data) // 2, 300, len(data) - 200):
        bad = tmp_path / f"cut{cut}.root"
        bad.write_bytes(data[:cut])
        with pytest.raises(JettagError, match=rf"cut{cut}\.root: .*(truncated|corrupt|not a ROOT)"):
            list(read_jets([bad], None))


def test_missing_tree_lists_trees(jetwise_file):
    path, _ = jetwise_file
    with pytest.raises(JettagError, match=r"no tree named 'Events' \(trees in the file: jets\)"):
        list(read_jets([path], {"tree": "Events"}))


def test_missing_branch_names_key_and_close_matches(tmp_path):
    b = toy.jetwise_branches(5)
    b["jet_Pt"] = b.pop("jet_pt")
    write_root_atomic(tmp_path / "a.root", "jets", b)
    with pytest.raises(JettagError) as err:
        list(read_jets([tmp_path / "a.root"], None))
    text = str(err.value)
    assert "a.root" in text and "no branch 'jet_pt'" in text
    assert "input.jets.pt (default for layout jetwise)" in text and "jet_Pt" in text


def test_empty_tree(tmp_path):
    b = {k: v[:0] for k, v in toy.jetwise_branches(4).items()}
    write_root_atomic(tmp_path / "e.root", "jets", b)
    with pytest.raises(JettagError, match=r"e\.root: no jets found"), pytest.warns(UserWarning):
        list(read_jets([tmp_path / "e.root"], None))
    # an empty file among others is skipped with a warning
    write_root_atomic(tmp_path / "f.root", "jets", toy.jetwise_branches(4))
    with pytest.warns(UserWarning, match="empty"):
        assert len(read_all([tmp_path / "e.root", tmp_path / "f.root"])) == 4


def test_wrong_depth(jetwise_file):
    path, _ = jetwise_file
    with pytest.raises(JettagError, match=r"branch 'track_pt' is nested 1 deep.*input\.jets\.pt"):
        list(read_jets([path], {"jets": {"pt": "track_pt"}}))


def test_unequal_track_lengths(tmp_path):
    b = toy.jetwise_branches(6, seed=2)
    other = toy.jetwise_branches(6, seed=5)["track"]
    assert not ak.all(ak.num(other) == ak.num(b["track"]))
    b["other_d0"] = other.d0  # its own counter: different numbers of tracks per jet
    write_root_atomic(tmp_path / "a.root", "jets", b)
    with pytest.raises(JettagError, match="different lengths"):
        list(read_jets([tmp_path / "a.root"], {"tracks": {"d0": "other_d0"}}))


def test_unknown_operation_and_canonical_name(jetwise_file):
    path, _ = jetwise_file
    with pytest.raises(JettagError, match=r"input\.tracks\.d0: unknown operation 'tanh'"):
        list(read_jets([path], {"tracks": {"d0": {"tanh": "track_d0"}}}))
    with pytest.raises(JettagError, match=r"unknown canonical name\(s\) \['d1'\]"):
        list(read_jets([path], {"tracks": {"d1": "track_d0"}}))


# ---------------------------------------------------------------- event-wise nested


def test_nested_toy_matches_flattening(tmp_path):
    b = toy.nested_branches(n_events=12, seed=4)
    write_root_atomic(tmp_path / "n.root", "jets", b, rntuple=True)
    jets = read_all([tmp_path / "n.root"], {"layout": "eventwise_nested"}, step_size=5)
    check_canonical(jets)
    njet = ak.to_numpy(ak.num(b["jet_pt"]))
    assert len(jets) == njet.sum()
    np.testing.assert_array_equal(ak.to_numpy(jets.eventNumber), np.repeat(b["eventNumber"], njet))
    assert ak.all(jets.tracks.d0 == ak.flatten(b["track_d0"], axis=1))
    # no eventNumber branch: the entry number
    del b["eventNumber"]
    write_root_atomic(tmp_path / "m.root", "jets", b, rntuple=True)
    jets = read_all([tmp_path / "m.root"], {"layout": "eventwise_nested"}, step_size=5)
    np.testing.assert_array_equal(ak.to_numpy(jets.eventNumber), np.repeat(np.arange(12), njet))


def test_nested_jets_tracks_mismatch(tmp_path):
    b = toy.nested_branches(n_events=8, seed=1)
    b2 = toy.nested_branches(n_events=8, seed=2)
    b["track_d0"] = b2["track_d0"]
    write_root_atomic(tmp_path / "n.root", "jets", b, rntuple=True)
    with pytest.raises(JettagError, match="n.root: entries 0-7: .*different"):
        read_all([tmp_path / "n.root"], {"layout": "eventwise_nested"})


def _atlas_spec(track_branch="offline_akt4_pf_NOSYS_SumPtTrkPt500"):
    tracks = {k: track_branch for k in ("pt", "eta", "phi", "d0", "z0SinTheta")}
    tracks |= {"charge": {"constant": 1}, "sigma_d0": {"constant": 0.01}}
    tracks |= {"sigma_z0SinTheta": {"constant": 0.01}}
    tracks |= {h: {"constant": 0} for h in HIT_FIELDS}
    return {
        "layout": "eventwise_nested",
        "tree": "AnalysisMiniTree",
        "jets": {
            "pt": {"branch": "offline_akt4_pf_NOSYS_pt", "unit": "MeV"},
            "eta": "offline_akt4_pf_NOSYS_eta",
            "phi": "offline_akt4_pf_NOSYS_phi",
            "label": "offline_akt4_pf_NOSYS_JetOrigin",
        },
        "tracks": tracks,
    }


@pytest.mark.realdata
@needs(ATLAS)
def test_atlas_analysis_ntuple_doubly_jagged():
    import uproot

    jets = read_all([ATLAS], _atlas_spec(), step_size=30)
    check_canonical(jets)
    tree = uproot.open(ATLAS)["AnalysisMiniTree"]
    raw = tree.arrays(
        ["offline_akt4_pf_NOSYS_pt", "offline_akt4_pf_NOSYS_SumPtTrkPt500", "eventNumber"]
    )
    assert len(jets) == ak.sum(ak.num(raw.offline_akt4_pf_NOSYS_pt)) == 768
    flat = ak.flatten(raw.offline_akt4_pf_NOSYS_SumPtTrkPt500, axis=1)
    assert ak.all(ak.num(jets.tracks) == ak.num(flat))
    assert ak.all(jets.tracks.pt == ak.values_astype(flat, np.float32))
    np.testing.assert_allclose(
        ak.to_numpy(jets.pt),
        ak.to_numpy(ak.flatten(raw.offline_akt4_pf_NOSYS_pt)) / 1000,
        rtol=1e-6,
    )
    assert set(np.unique(ak.to_numpy(jets.eventNumber))) <= set(ak.to_numpy(raw.eventNumber))
    # int32 doubly-jagged branch as a hit count
    spec = _atlas_spec()
    spec["tracks"]["numberOfPixelHits"] = "offline_akt4_pf_NOSYS_NumTrkPt1000"
    assert len(read_all([ATLAS], spec)) == 768


@pytest.mark.realdata
@needs(ATLAS)
def test_atlas_wrong_depth_is_clear():
    spec = _atlas_spec()
    spec["jets"]["eta"] = "offline_akt4_pf_NOSYS_SumPtTrkPt500"
    with pytest.raises(
        JettagError, match=r"uproot-issue-816\.root.*nested 2 deep.*input\.jets\.eta"
    ):
        read_all([ATLAS], spec)


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("path", "tree", "branch"), [(ISSUE519, "testtree", "testbranch"), (VVDOUBLE, "t", "x")]
)
def test_minimal_vector_vector_files(path, tree, branch):
    if not path.is_file():
        pytest.skip(f"real data file {path} is absent (../shared/realdata not here)")
    import uproot

    raw = uproot.open(path)[tree][branch].array()
    spec = {
        "layout": "eventwise_nested",
        "tree": tree,
        # no jet-level branch: the jet kinematics are the number of tracks, tracks the values
        "jets": {
            "pt": {"constant": 50},
            "eta": {"constant": 0},
            "phi": {"constant": 0},
            "label": {"constant": 0},
        },
        "tracks": {
            **{
                k: branch
                for k in (
                    "pt",
                    "eta",
                    "phi",
                    "charge",
                    "d0",
                    "z0SinTheta",
                    "sigma_d0",
                    "sigma_z0SinTheta",
                )
            },
            **{h: {"constant": 0} for h in HIT_FIELDS},
        },
    }
    jets = read_all([path], spec)
    check_canonical(jets)
    flat = ak.flatten(raw, axis=1)
    assert len(jets) == len(flat)
    assert ak.all(ak.num(jets.tracks) == ak.num(flat))
    assert ak.all(jets.tracks.d0 == ak.values_astype(flat, np.float32))
    np.testing.assert_array_equal(
        ak.to_numpy(jets.eventNumber), np.repeat(np.arange(len(raw)), ak.to_numpy(ak.num(raw)))
    )


# ---------------------------------------------------------------- event-wise index-linked


def _indexed_reference(b):
    """Per-jet Python loop: the charged constituents of each jet, in file order."""
    out = []
    c = b["JetPFCands"]
    for e in range(len(c)):
        for j in range(len(b["Jet"].pt[e])):
            sel = (c.jetIdx[e] == j) & (c.charge[e] != 0)
            out.append(ak.to_list(c.d0[e][sel]))
    return out


def test_indexed_toy_matches_loop(tmp_path):
    b = toy.indexed_branches(n_events=15, seed=7)
    write_root_atomic(tmp_path / "nano.root", "Events", b)
    jets = read_all([tmp_path / "nano.root"], {"layout": "eventwise_indexed"}, step_size=6)
    check_canonical(jets)
    ref = _indexed_reference(b)
    assert len(jets) == len(ref)
    got = ak.to_list(jets.tracks.d0)
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_allclose(g, np.asarray(r, dtype=np.float32) * 10, rtol=1e-6)
    assert ak.all(jets.tracks.charge != 0)
    njet = ak.to_numpy(ak.num(b["Jet"].pt))
    np.testing.assert_array_equal(ak.to_numpy(jets.eventNumber), np.repeat(b["event"], njet))


def test_indexed_out_of_range_index_dropped(tmp_path):
    b = toy.indexed_branches(n_events=6, seed=2)
    c = b["JetPFCands"]
    b["JetPFCands"] = ak.zip({**{f: c[f] for f in ak.fields(c)}, "jetIdx": c.jetIdx * 0 - 1})
    write_root_atomic(tmp_path / "nano.root", "Events", b)
    jets = read_all([tmp_path / "nano.root"], {"layout": "eventwise_indexed"})
    assert ak.sum(ak.num(jets.tracks)) == 0


def test_indexed_needs_link(tmp_path):
    write_root_atomic(tmp_path / "nano.root", "Events", toy.indexed_branches(4))
    with pytest.raises(JettagError, match=r"no branch 'PF_jetIdx'.*input\.link\.index"):
        read_all(
            [tmp_path / "nano.root"],
            {"layout": "eventwise_indexed", "link": {"index": "PF_jetIdx"}},
        )
    with pytest.raises(JettagError, match="needs link"):
        read_all([tmp_path / "nano.root"], {"layout": "eventwise_indexed", "link": {"idx": "x"}})


@pytest.mark.realdata
@needs(NANO)
def test_cms_nanoaod_file():
    import yaml

    example = Path(__file__).parents[1] / "config" / "examples" / "cms_nanoaod.yaml"
    spec = {"layout": "eventwise_indexed"}
    if example.is_file():
        cfg = yaml.safe_load(example.read_text())
        spec = next(iter(cfg["samples"].values()))["input"]
    jets = read_all([NANO], spec, step_size=40)
    check_canonical(jets)
    assert len(jets) == 884
    labels, counts = np.unique(ak.to_numpy(jets.label), return_counts=True)
    assert dict(zip(labels.tolist(), counts.tolist(), strict=True)) == {0: 830, 4: 43, 5: 11}
    assert ak.all(jets.tracks.charge != 0)
    d0 = ak.to_numpy(ak.flatten(jets.tracks.d0))
    sig = ak.to_numpy(ak.flatten(jets.tracks.sigma_d0))
    assert np.all(sig > 0) and np.all(np.isfinite(d0))
    assert np.median(np.abs(d0)) < 1.0  # mm, after cm -> mm
    # physics: b-jets have larger impact-parameter significances than light jets
    s = abs(jets.tracks.d0) / jets.tracks.sigma_d0
    b = np.median(ak.to_numpy(ak.flatten(s[jets.label == 5])))
    light = np.median(ak.to_numpy(ak.flatten(s[jets.label == 0])))
    assert b > 1.5 * light
