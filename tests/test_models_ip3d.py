import h5py
import numpy as np
import pytest
import torch

from jettag.errors import JettagError
from jettag.features import JET_FEATURES, TRACK_FEATURES
from jettag.models.ip3d import IP3D, fit_ip3d

FEAT = list(TRACK_FEATURES)
JETF = list(JET_FEATURES)


def make_h5(path, n=600, length=6, seed=0):
    """Labels 0 b, 1 c, 2 light; b tracks have large positive sd0, c medium, light ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    label = np.arange(n) % 3
    ntrk = rng.integers(0, length + 1, n)
    valid = np.arange(length)[None] < ntrk[:, None]
    tracks = np.zeros((n, length, len(FEAT)), np.float32)
    shift = np.array([4.0, 1.5, 0.0])[label][:, None]
    tracks[..., 0] = rng.normal(size=(n, length)) + shift * (rng.random((n, length)) < 0.7)
    tracks[..., 1] = rng.normal(size=(n, length)) + 0.5 * shift
    tracks[~valid] = 0
    with h5py.File(path, "w") as f:
        f["tracks"] = tracks
        f["tracks"].attrs["features"] = FEAT
        f["valid"] = valid
        f["jets"] = rng.normal(size=(n, len(JETF))).astype(np.float32)
        f["jets"].attrs["features"] = JETF
        f["label"] = label.astype(np.int8)
        f["weight"] = rng.uniform(0.5, 2.0, n).astype(np.float32)
    return tracks, valid, label


def d_b(logits, fc=0.1):
    p = torch.softmax(logits, -1)
    return torch.log(p[:, 0] / (fc * p[:, 1] + (1 - fc) * p[:, 2]))


def test_b_jets_have_higher_db(tmp_path):
    tracks, valid, label = make_h5(tmp_path / "train.h5")
    m = fit_ip3d({"type": "ip3d", "chunk_size": 64}, tmp_path / "train.h5")
    assert isinstance(m, IP3D) and m.track_feature_names == ("sd0", "sz0")
    test_t, test_v, test_l = make_h5(tmp_path / "test.h5", seed=1)
    out = m(
        torch.from_numpy(test_t), torch.from_numpy(test_v), torch.zeros(len(test_t), len(JETF))
    )["logits"]
    assert torch.isfinite(out).all()
    db = d_b(out)
    has = torch.from_numpy(test_v.any(1))
    lab = torch.from_numpy(test_l)
    b, light = db[(lab == 0) & has], db[(lab == 2) & has]
    assert b.mean() > light.mean() + 2.0
    # AUC of b vs light > 0.9
    auc = (b[:, None] > light[None, :]).float().mean()
    assert auc > 0.9
    # empty jets: zero log-likelihoods (p = 1/3)
    assert (out[~has] == 0).all()


def test_chunked_fill_equals_one_shot_and_templates_normalised(tmp_path):
    make_h5(tmp_path / "train.h5", n=300)
    a = fit_ip3d({"type": "ip3d", "chunk_size": 7}, tmp_path / "train.h5")
    b = fit_ip3d({"type": "ip3d", "chunk_size": 10_000}, tmp_path / "train.h5")
    assert torch.equal(a.counts, b.counts)
    assert a.counts.sum() == float(np.asarray(h5py.File(tmp_path / "train.h5")["valid"]).sum())
    probs = a.log_templates.exp().flatten(1).sum(1)
    assert torch.allclose(probs, torch.ones(3), atol=1e-3)
    assert torch.isfinite(a.log_templates).all()
    w = fit_ip3d({"type": "ip3d", "weighted": True}, tmp_path / "train.h5")
    assert not torch.allclose(w.counts, a.counts)


def test_unseen_bins_and_out_of_range_values_are_finite(tmp_path):
    make_h5(tmp_path / "train.h5", n=60)
    m = fit_ip3d({"type": "ip3d", "pseudocount": 0.0, "floor": 1e-9}, tmp_path / "train.h5")
    t = torch.zeros(2, 3, len(FEAT))
    t[0, :, 0] = torch.tensor([-1e6, 45.0, float("inf")])
    t[0, :, 1] = torch.tensor([1e6, -29.0, -float("inf")])
    t[1, :, 0] = float("nan")
    v = torch.tensor([[True, True, True], [False, False, False]])
    out = m(t, v, torch.zeros(2, 4))["logits"]
    assert torch.isfinite(out).all()
    assert out.min() >= 3 * np.log(1e-9) - 1e-3


def test_ip3d_errors(tmp_path):
    with pytest.raises(JettagError, match="does not exist"):
        fit_ip3d({"type": "ip3d"}, tmp_path / "nope.h5")
    (tmp_path / "bad.h5").write_text("not hdf5")
    with pytest.raises(JettagError, match="bad.h5"):
        fit_ip3d({"type": "ip3d"}, tmp_path / "bad.h5")
    with pytest.raises(JettagError, match="sd0_edges"):
        fit_ip3d({"type": "ip3d", "sd0_edges": [1, 0]}, tmp_path / "bad.h5")
    tracks, valid, label = make_h5(tmp_path / "onlyb.h5", n=30)
    with h5py.File(tmp_path / "onlyb.h5", "a") as f:
        f["label"][...] = 0
    with pytest.raises(JettagError, match="'c'"):
        fit_ip3d({"type": "ip3d"}, tmp_path / "onlyb.h5")
