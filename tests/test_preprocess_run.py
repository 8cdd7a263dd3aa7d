import json

import awkward as ak
import h5py
import numpy as np
import pytest

from jettag.errors import JettagError
from jettag.features import JET_FEATURES, TRACK_FEATURES
from jettag.preprocess import run_preprocessing, synthetic

SPEC = {"chunk_size": 400, "max_tracks": 12}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    d = tmp_path_factory.mktemp("pp")
    jets = synthetic.make_jets(1500, seed=4)
    path = d / "s.root"
    synthetic.write_jetwise(path, jets)
    out = d / "out"
    run_preprocessing(SPEC, None, [str(path)], out, "toy", progress=False)
    return jets, path, out


def test_outputs_and_layout(sample):
    jets, _, out = sample
    assert sorted(p.name for p in out.iterdir()) == ["norm.json", "summary.json", "test.h5", "train.h5", "val.h5"]
    summary = json.loads((out / "summary.json").read_text())
    total = 0
    seen = set()
    for split in ("train", "val", "test"):
        with h5py.File(out / f"{split}.h5") as f:
            n = f.attrs["n_jets"]
            total += n
            assert f.attrs["split"] == split and f.attrs["sample"] == "toy"
            assert f.attrs["config_hash"] and f.attrs["jettag_version"]
            assert f["tracks"].shape == (n, 12, len(TRACK_FEATURES))
            assert list(f["tracks"].attrs["features"]) == list(TRACK_FEATURES)
            assert list(f["jets"].attrs["features"]) == list(JET_FEATURES)
            tracks, valid = f["tracks"][:], f["valid"][:]
            assert not tracks[~valid].any()  # padding is zero
            assert (f["track_origin"][:][~valid] == -1).all()
            sd0 = np.where(valid, tracks[..., 0], -1e30)
            assert (np.diff(sd0, axis=1) <= 0).all()  # sorted by sd0 descending
            assert set(np.unique(f["label"][:])) <= {0, 1, 2}
            ev = f["eventNumber"][:]
            res = set(np.mod(ev, 10))
            assert res <= ({8} if split == "val" else {9} if split == "test" else set(range(8)))
            assert not seen & set(ev)
            seen |= set(ev)
            w = f["weight"][:]
            if split == "train":
                assert (w[f["flavour"][:] == 5] == 1).all() and w.std() > 0
            else:
                assert (w == 1).all()
            assert summary["jets_per_split"][split] == n
    assert total == summary["cutflow"]["jets"]["abs_eta"]
    # jets passing selection, counted by hand
    lab, pt, eta = (ak.to_numpy(jets[k]) for k in ("label", "pt", "eta"))
    expected = np.isin(lab, [0, 4, 5]) & (pt >= 20) & (np.abs(eta) < 2.5)
    assert total == expected.sum()


def test_norm_from_train_valid_tracks_only(sample):
    _, _, out = sample
    norm = json.loads((out / "norm.json").read_text())
    with h5py.File(out / "train.h5") as f:
        t = f["tracks"][:][f["valid"][:]].astype(np.float64)
        j = f["jets"][:].astype(np.float64)
    for i, name in enumerate(TRACK_FEATURES):
        assert norm["track"][name]["mean"] == pytest.approx(t[:, i].mean(), rel=1e-5, abs=1e-6)
        std = t[:, i].std()
        assert norm["track"][name]["std"] == pytest.approx(std if std > 1e-6 else 1.0, rel=1e-4)
    for i, name in enumerate(JET_FEATURES):
        assert norm["jet"][name]["mean"] == pytest.approx(j[:, i].mean(), rel=1e-5)


def test_resample_mode(tmp_path, sample):
    _, path, _ = sample
    spec = dict(SPEC, reweight={"mode": "resample", "seed": 3})
    run_preprocessing(spec, None, [str(path)], tmp_path / "a", progress=False)
    run_preprocessing(spec, None, [str(path)], tmp_path / "b", progress=False)
    with h5py.File(tmp_path / "a" / "train.h5") as fa, h5py.File(tmp_path / "b" / "train.h5") as fb:
        assert np.array_equal(fa["eventNumber"][:], fb["eventNumber"][:])
        assert (fa["weight"][:] == 1).all()
        summary = json.loads((tmp_path / "a" / "summary.json").read_text())
        assert summary["jets_per_split"]["train"] == fa.attrs["n_jets"]
    assert not list((tmp_path / "a").glob(".*tmp"))


def _bad_file(tmp_path, field, value):
    jets = synthetic.make_jets(200, seed=1)
    tracks = jets["tracks"]
    flat = ak.flatten(tracks)
    x = ak.to_numpy(flat[field]).copy()
    x[[3, 4, 100]] = value
    tracks = ak.unflatten(ak.with_field(flat, x, field), ak.num(tracks))
    jets = ak.with_field(jets, tracks, "tracks")
    path = tmp_path / "bad.root"
    synthetic.write_jetwise(path, jets)
    return path


def test_nan_is_a_clear_error_and_leaves_no_outputs(tmp_path):
    path = _bad_file(tmp_path, "d0", np.nan)
    out = tmp_path / "out"
    with pytest.raises(JettagError, match=r"bad.root: track d0 .*NaN.* in [12] jet\(s\); drop or fix"):
        run_preprocessing(SPEC, None, [str(path)], out, progress=False)
    assert list(out.iterdir()) == []


def test_zero_sigma_is_a_clear_error(tmp_path):
    path = _bad_file(tmp_path, "sigma_d0", 0.0)
    with pytest.raises(JettagError, match="sigma_d0 must be positive"):
        run_preprocessing({**SPEC, "tracks": {"pt_min": 0.0}}, None, [str(path)], tmp_path / "o", progress=False)


def test_no_jets_pass_is_an_error(tmp_path, sample):
    _, path, _ = sample
    with pytest.raises(JettagError, match="no jets passed the selection"):
        run_preprocessing({**SPEC, "jets": {"pt_min": 1e7, "pt_max": 2e7}}, None, [str(path)], tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_missing_flavour_in_train_is_an_error(tmp_path):
    jets = synthetic.make_jets(300, seed=2)
    jets = jets[jets["label"] != 4]
    path = tmp_path / "noc.root"
    synthetic.write_jetwise(path, jets)
    with pytest.raises(JettagError, match="no c-jets in the train split"):
        run_preprocessing(SPEC, None, [str(path)], tmp_path / "o", progress=False)


def test_bad_track_cut_fails_before_reading(tmp_path, sample):
    _, path, _ = sample
    spec = {**SPEC, "tracks": {"cuts": ["pt > 1", "d0 <"]}}
    with pytest.raises(JettagError, match=r"preprocess\.tracks\.cuts\[1\]: cannot read the cut"):
        run_preprocessing(spec, None, [str(path)], tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists() or list((tmp_path / "o").iterdir()) == []


def test_configured_track_cuts_reach_the_summary(tmp_path, sample):
    _, path, _ = sample
    spec = {**SPEC, "tracks": {"cuts": ["r22default", "charge > 0"]}}
    run_preprocessing(spec, None, [str(path)], tmp_path / "o", progress=False)
    flow = json.loads((tmp_path / "o" / "summary.json").read_text())["cutflow"]["tracks"]
    assert list(flow)[-2:] == ["shared_modules", "charge"]
    assert 0 < flow["charge"] < flow["shared_modules"]
