import h5py
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from jettag.errors import JettagError
from jettag.models import build_model, load_checkpoint, save_checkpoint
from jettag.models.export import export_onnx, parity_inputs
from tests.model_inputs import FEAT, JETF, NORM

SPECS = {
    "deepsets": {"type": "deepsets", "phi_layers": [8, 8], "f_layers": [8], "norm": "batchnorm"},
    "rnn": {
        "type": "rnn",
        "hidden": 8,
        "head_layers": [8],
        "num_layers": 2,
        "condition_on_jet": True,
    },
    "gru": {"type": "rnn", "cell": "gru", "hidden": 8, "head_layers": [8]},
    "transformer": {
        "type": "transformer",
        "embed_dim": 8,
        "init_layers": [8],
        "num_layers": 2,
        "num_heads": 2,
        "ff_dim": 8,
        "head_layers": [8],
        "aux_layers": [8],
        "pool_heads": 2,
    },
    "ip3d": {"type": "ip3d"},
}


def make_h5(path, n=40, length=6, seed=0):
    rng = np.random.default_rng(seed)
    ntrk = rng.integers(0, length + 1, n)
    ntrk[:3] = [0, length, 1]
    valid = np.arange(length)[None] < ntrk[:, None]
    tracks = (3 * rng.normal(size=(n, length, len(FEAT)))).astype(np.float32)
    tracks[~valid] = 0
    with h5py.File(path, "w") as f:
        f["tracks"] = tracks
        f["tracks"].attrs["features"] = FEAT
        f["valid"] = valid
        f["jets"] = rng.normal(size=(n, len(JETF))).astype(np.float32)
        f["jets"].attrs["features"] = JETF
        f["label"] = (np.arange(n) % 3).astype(np.int8)
    return tracks, valid


@pytest.mark.parametrize("kind", list(SPECS))
def test_onnx_export_parity(tmp_path, kind):
    tracks, valid = make_h5(tmp_path / "test.h5")
    torch.manual_seed(0)
    m = build_model(SPECS[kind], NORM, FEAT, JETF)
    if kind == "ip3d":
        m.log_templates.normal_()
    m.train()
    m(torch.from_numpy(tracks), torch.from_numpy(valid), torch.zeros(40, len(JETF)))
    save_checkpoint(tmp_path / "best.pt", m, SPECS[kind], NORM, FEAT, JETF)
    out = tmp_path / "model.onnx"
    export_onnx(tmp_path / "best.pt", tmp_path / "test.h5", out)
    onnx.checker.check_model(str(out))
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["tracks", "valid", "jets"]
    assert [o.name for o in sess.get_outputs()] == ["p"]
    # independent check on new shapes: batch 3, 11 slots with holes-free valid tracks
    model, _ = load_checkpoint(tmp_path / "best.pt")
    g = np.random.default_rng(5)
    t = g.normal(size=(3, 11, len(FEAT))).astype(np.float32)
    v = np.arange(11)[None] < np.array([[0], [11], [4]])
    t[~v] = 0
    j = g.normal(size=(3, len(JETF))).astype(np.float32)
    p = sess.run(["p"], {"tracks": t, "valid": v, "jets": j})[0]
    with torch.no_grad():
        ref = torch.softmax(
            model(torch.from_numpy(t), torch.from_numpy(v), torch.from_numpy(j))["logits"], -1
        )
    assert np.abs(p - ref.numpy()).max() < 1e-5
    assert np.allclose(p.sum(1), 1.0, atol=1e-5)


def test_parity_inputs_cover_empty_and_longer_jets():
    rng = np.random.default_rng(0)
    valid = np.arange(4)[None] < np.array([[2], [4]])
    tracks = rng.normal(size=(2, 4, 3)).astype(np.float32) * valid[..., None]
    sets = parity_inputs(tracks, valid, np.zeros((2, 2), np.float32))
    assert not sets["zero_tracks"][1].any()
    t, v, _ = sets["longer"]
    assert t.shape[1] == 11 and v.sum(1).tolist() == [4, 8]
    assert v[0, :4].all() and not v[0, 4:].any()  # valid first
    assert np.array_equal(t[0, 2:4], tracks[0, :2])


def test_export_errors(tmp_path):
    make_h5(tmp_path / "test.h5")
    spec = SPECS["deepsets"]
    save_checkpoint(
        tmp_path / "best.pt", build_model(spec, NORM, FEAT, JETF), spec, NORM, FEAT, JETF
    )
    with pytest.raises(JettagError, match="does not exist"):
        export_onnx(tmp_path / "best.pt", tmp_path / "nope.h5", tmp_path / "m.onnx")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["tracks"] = np.zeros((2, 3, len(FEAT)), np.float32)
        f["tracks"].attrs["features"] = FEAT[::-1]
        f["valid"] = np.zeros((2, 3), bool)
        f["jets"] = np.zeros((2, len(JETF)), np.float32)
    with pytest.raises(JettagError, match="differ"):
        export_onnx(tmp_path / "best.pt", tmp_path / "other.h5", tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_parity_failure_raises_and_leaves_no_file(tmp_path, monkeypatch):
    import jettag.models.export as ex

    make_h5(tmp_path / "test.h5")
    spec = SPECS["deepsets"]
    save_checkpoint(
        tmp_path / "best.pt", build_model(spec, NORM, FEAT, JETF), spec, NORM, FEAT, JETF
    )
    monkeypatch.setattr(ex, "ATOL", -1.0)
    monkeypatch.setattr(ex.check_parity, "__defaults__", (-1.0,))
    with pytest.raises(JettagError, match="differ from torch"):
        export_onnx(tmp_path / "best.pt", tmp_path / "test.h5", tmp_path / "m.onnx")
    assert not list(tmp_path.glob("*.onnx")) and not list(tmp_path.glob(".*tmp"))
