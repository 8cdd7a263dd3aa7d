import h5py
import numpy as np
import pytest
import torch

import jettag.models
from jettag.errors import JettagError
from jettag.evaluation import scores as sc

N, L, F = 53, 6, 4


def _make_split(path, n=N):
    rng = np.random.default_rng(1)
    with h5py.File(path, "w") as f:
        valid = rng.random((n, L)) < 0.7
        tracks = rng.normal(size=(n, L, F)).astype(np.float32) * valid[..., None]
        f.create_dataset("tracks", data=tracks).attrs["features"] = ["a", "b", "c", "d"]
        f.create_dataset("valid", data=valid)
        jets = np.c_[rng.uniform(20, 200, n), rng.uniform(-2.5, 2.5, n)]
        jets = np.c_[jets, np.abs(jets[:, 1]), np.log(jets[:, 0])].astype(np.float32)
        f.create_dataset("jets", data=jets).attrs["features"] = ["pt", "eta", "abs_eta", "log_pt"]
        f.create_dataset("label", data=rng.integers(0, 3, n).astype(np.int8))
        f.create_dataset("flavour", data=np.array([5, 4, 0])[f["label"][...]].astype(np.int32))
        f.create_dataset("eventNumber", data=np.arange(n, dtype=np.int64) * 10 + 9)
    return path


class FakeModel(torch.nn.Module):
    def __init__(self, nan=False):
        super().__init__()
        self.w = torch.nn.Linear(F + 1, 3)
        self.nan = nan
        self.batches = []

    def forward(self, tracks, valid, jets):
        self.batches.append(tracks.shape[0])
        pooled = (tracks * valid[..., None]).sum(1)
        logits = self.w(torch.cat([pooled, jets[:, :1] / 100], dim=1))
        if self.nan:
            logits = logits * float("nan")
        return {"logits": logits}


@pytest.fixture
def fake_checkpoint(tmp_path, monkeypatch):
    holder = {}

    def load_checkpoint(path, spec=None):
        holder["model"] = FakeModel(nan=holder.get("nan", False))
        return holder["model"], {"spec": holder.get("spec", {"type": "deepsets", "name": "dips"})}

    monkeypatch.setattr(jettag.models, "load_checkpoint", load_checkpoint, raising=False)
    ckpt = tmp_path / "best.pt"
    ckpt.write_bytes(b"fake")
    return ckpt, holder


def test_evaluate_writes_scores(tmp_path, fake_checkpoint):
    ckpt, holder = fake_checkpoint
    data = _make_split(tmp_path / "test.h5")
    out = tmp_path / "scores" / "dips.h5"
    sc.evaluate_checkpoint(ckpt, data, out, "dips", batch_size=16, device="cpu")
    assert holder["model"].batches == [16, 16, 16, 5]
    s = sc.read_scores(out)
    assert s.tagger == "dips" and s.fc == pytest.approx(0.05) and len(s) == N
    np.testing.assert_allclose(s.p_b + s.p_c + s.p_u, 1.0, rtol=1e-5)
    with h5py.File(data) as f:
        np.testing.assert_array_equal(s.flavour, f["flavour"][...])
        np.testing.assert_array_equal(s.eventNumber, f["eventNumber"][...])
        np.testing.assert_allclose(s.pt, f["jets"][:, 0])
        np.testing.assert_allclose(s.eta, f["jets"][:, 1])
    with h5py.File(out) as f:
        assert f["p_b"].dtype == np.float32 and f["flavour"].dtype == np.int32
        assert f["eventNumber"].dtype == np.int64
    assert [p.name for p in out.parent.iterdir()] == ["dips.h5"]  # no temporary left


def test_fc_precedence(tmp_path, fake_checkpoint):
    ckpt, holder = fake_checkpoint
    data = _make_split(tmp_path / "test.h5", n=8)
    out = tmp_path / "s.h5"
    sc.evaluate_checkpoint(ckpt, data, out, "t", fc=0.2)
    assert sc.read_scores(out).fc == pytest.approx(0.2)
    holder["spec"] = {"type": "deepsets", "fc": 0.11}
    sc.evaluate_checkpoint(ckpt, data, out, "t")
    assert sc.read_scores(out).fc == pytest.approx(0.11)
    holder["spec"] = {"type": "ip3d"}
    sc.evaluate_checkpoint(ckpt, data, out, "t")
    assert sc.read_scores(out).fc == pytest.approx(0.07)


def test_nan_outputs_raise_and_leave_nothing(tmp_path, fake_checkpoint):
    ckpt, holder = fake_checkpoint
    holder["nan"] = True
    data = _make_split(tmp_path / "test.h5", n=8)
    out = tmp_path / "out" / "s.h5"
    with pytest.raises(JettagError, match="non-finite"):
        sc.evaluate_checkpoint(ckpt, data, out, "t")
    assert list(out.parent.iterdir()) == []


def test_missing_inputs(tmp_path, fake_checkpoint):
    ckpt, _ = fake_checkpoint
    with pytest.raises(JettagError, match="does not exist"):
        sc.evaluate_checkpoint(tmp_path / "nope.pt", tmp_path / "x.h5", tmp_path / "o.h5", "t")
    with pytest.raises(JettagError, match="preprocess"):
        sc.evaluate_checkpoint(ckpt, tmp_path / "x.h5", tmp_path / "o.h5", "t")


def test_read_scores_errors(tmp_path):
    with pytest.raises(JettagError, match="does not exist"):
        sc.read_scores(tmp_path / "missing.h5")
    bad = tmp_path / "bad.h5"
    sc.write_scores(bad, "x", 0.05, [np.nan, 0.5], [0.5, 0.25], [0.5, 0.25], [30, 40], [0, 1], [5, 0], [1, 2])
    with pytest.raises(JettagError, match="NaN"):
        sc.read_scores(bad)
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["p_b"] = [1.0]
    with pytest.raises(JettagError, match="missing"):
        sc.read_scores(tmp_path / "other.h5")


def test_read_scores_list_orders_reference_first(tmp_path):
    for name in ("dips", "ip3d"):
        sc.write_scores(tmp_path / f"{name}.h5", name, 0.05, [0.5], [0.25], [0.25], [30], [0], [5], [1])
    loaded = sc.read_scores_list([tmp_path / "dips.h5", tmp_path / "ip3d.h5"], reference="ip3d")
    assert [s.tagger for s in loaded] == ["ip3d", "dips"]
    with pytest.raises(JettagError, match="twice"):
        sc.read_scores_list([tmp_path / "dips.h5", tmp_path / "dips.h5"])


def test_evaluate_real_deepsets_checkpoint(tmp_path):
    """End to end with an (untrained) jettag model and every track feature in the file."""
    from jettag.features import JET_FEATURES, TRACK_FEATURES
    from jettag.models import build_model, save_checkpoint

    names, jet_names = list(TRACK_FEATURES), list(JET_FEATURES)
    rng = np.random.default_rng(2)
    n, length = 40, 8
    valid = np.arange(length)[None, :] < rng.integers(0, length + 1, n)[:, None]
    tracks = (rng.normal(size=(n, length, len(names))) * valid[..., None]).astype(np.float32)
    pt, eta = rng.uniform(20, 200, n), rng.uniform(-2.5, 2.5, n)
    jets = np.c_[pt, eta, np.abs(eta), np.log(pt)].astype(np.float32)
    data = tmp_path / "test.h5"
    with h5py.File(data, "w") as f:
        f.create_dataset("tracks", data=tracks).attrs["features"] = names
        f["valid"] = valid
        f.create_dataset("jets", data=jets).attrs["features"] = jet_names
        f["flavour"] = rng.choice([5, 4, 0], n).astype(np.int32)
        f["eventNumber"] = np.arange(n, dtype=np.int64)
    norm = {"track": {k: {"mean": 0.0, "std": 1.0} for k in names},
            "jet": {k: {"mean": 0.0, "std": 1.0} for k in jet_names}}
    spec = {"type": "deepsets", "name": "dips"}
    torch.manual_seed(0)
    model = build_model(spec, norm, names, jet_names)
    save_checkpoint(tmp_path / "best.pt", model, spec, norm, names, jet_names)
    out = tmp_path / "dips.h5"
    sc.evaluate_checkpoint(tmp_path / "best.pt", data, out, "dips", batch_size=16)
    s = sc.read_scores(out)
    assert len(s) == n and s.fc == pytest.approx(0.05)
    np.testing.assert_allclose(s.p_b + s.p_c + s.p_u, 1.0, rtol=1e-5)
    model.eval()
    with torch.no_grad():
        ref = torch.softmax(model(torch.from_numpy(tracks), torch.from_numpy(valid), torch.from_numpy(jets))["logits"], -1)
    np.testing.assert_allclose(s.p_b, ref[:, 0].numpy(), rtol=1e-4, atol=1e-6)
