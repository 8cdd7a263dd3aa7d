import json

import pytest
import torch

from jettag.errors import JettagError
from jettag.models.checkpoints import (
    CHECKPOINT_FORMAT,
    checkpoint_digest,
    load_checkpoint,
    plain,
    save_checkpoint,
)
from jettag.models.registry import build_model
from tests.model_inputs import FEAT, JETF, NORM

SPECS = {
    "deepsets": {"type": "deepsets", "phi_layers": [8], "f_layers": [8], "norm": "batchnorm"},
    "rnn": {"type": "rnn", "hidden": 8, "head_layers": [8]},
    "transformer": {
        "type": "transformer",
        "embed_dim": 8,
        "init_layers": [8],
        "num_layers": 1,
        "num_heads": 2,
        "ff_dim": 8,
        "head_layers": [8],
        "aux_layers": [8],
    },
    "ip3d": {"type": "ip3d"},
}


def batch():
    g = torch.Generator().manual_seed(0)
    valid = torch.arange(5)[None] < torch.tensor([0, 2, 5, 3])[:, None]
    return (
        torch.randn(4, 5, len(FEAT), generator=g) * valid[..., None],
        valid,
        torch.randn(4, len(JETF), generator=g),
    )


@pytest.mark.parametrize("kind", list(SPECS))
def test_checkpoint_round_trip(tmp_path, kind):
    torch.manual_seed(0)
    spec = {**SPECS[kind], "name": kind, "training": {"epochs": 2}}
    m = build_model(spec, NORM, FEAT, JETF)
    if kind == "ip3d":
        m.log_templates.normal_()
    m.train()
    m(*batch())  # batch-norm running stats move
    m.eval()
    ref = m(*batch())
    path = tmp_path / "best.pt"
    save_checkpoint(
        path, m, spec, NORM, FEAT, JETF, {"epoch": 3, "val_loss": 0.5, "history": [1.0, 2.0]}
    )
    raw = torch.load(path, weights_only=True)
    assert json.loads(raw["spec_json"]) == spec and json.loads(raw["feature_names_json"]) == FEAT
    m2, info = load_checkpoint(path)
    assert not m2.training
    assert info["extra"] == {"epoch": 3, "val_loss": 0.5, "history": [1.0, 2.0]}
    assert info["spec"] == spec and info["norm"] == NORM and info["jet_feature_names"] == JETF
    out = m2(*batch())
    for k in ref:
        assert torch.equal(ref[k], out[k])
    assert not list(tmp_path.glob(".*.tmp"))


def test_compiled_prefix_keys_load(tmp_path):
    spec = SPECS["deepsets"]
    m = build_model(spec, NORM, FEAT, JETF).eval()
    path = tmp_path / "c.pt"
    save_checkpoint(path, m, spec, NORM, FEAT, JETF, None)
    raw = torch.load(path, weights_only=True)
    raw["state_dict"] = {f"_orig_mod.{k}": v for k, v in raw["state_dict"].items()}
    torch.save(raw, path)
    m2, _ = load_checkpoint(path)
    assert torch.equal(m(*batch())["logits"], m2(*batch())["logits"])


def test_save_unwraps_compiled_module(tmp_path):
    class Wrapper(torch.nn.Module):  # what torch.compile returns: the model under _orig_mod
        def __init__(self, inner):
            super().__init__()
            self._orig_mod = inner

    spec = SPECS["rnn"]
    m = build_model(spec, NORM, FEAT, JETF).eval()
    save_checkpoint(tmp_path / "w.pt", Wrapper(m), spec, NORM, FEAT, JETF)
    keys = torch.load(tmp_path / "w.pt", weights_only=True)["state_dict"]
    assert not any(k.startswith("_orig_mod.") for k in keys)
    assert torch.equal(
        load_checkpoint(tmp_path / "w.pt")[0](*batch())["logits"], m(*batch())["logits"]
    )


def test_tampered_and_garbage_checkpoints_are_refused(tmp_path):
    spec = SPECS["deepsets"]
    m = build_model(spec, NORM, FEAT, JETF)
    path = tmp_path / "best.pt"
    save_checkpoint(path, m, spec, NORM, FEAT, JETF)
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\x00" * 64
    bad = tmp_path / "tampered.pt"
    bad.write_bytes(bytes(data))
    with pytest.raises(JettagError, match="tampered.pt"):
        load_checkpoint(bad)
    (tmp_path / "garbage.pt").write_bytes(b"garbage" * 100)
    with pytest.raises(JettagError, match="garbage.pt"):
        load_checkpoint(tmp_path / "garbage.pt")

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"spec_json": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(JettagError, match="evil.pt"):
        load_checkpoint(tmp_path / "evil.pt")
    torch.save({"hello": 1}, tmp_path / "other.pt")
    with pytest.raises(JettagError, match="other.pt.*not a jettag checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    raw = torch.load(path, weights_only=True)
    raw["state_dict"]["phi.linears.0.weight"] += 0.01  # a valid file whose weights were edited
    torch.save(raw, tmp_path / "edited.pt")
    with pytest.raises(JettagError, match="edited.pt failed its integrity check"):
        load_checkpoint(tmp_path / "edited.pt")
    raw["state_dict"]["phi.linears.0.weight"] = torch.zeros(3, 3)
    torch.save(raw, tmp_path / "shape.pt")
    with pytest.raises(JettagError, match="shape.pt"):
        load_checkpoint(tmp_path / "shape.pt")
    with pytest.raises(JettagError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_extra_must_be_plain(tmp_path):
    import numpy as np

    spec = SPECS["rnn"]
    m = build_model(spec, NORM, FEAT, JETF)
    save_checkpoint(
        tmp_path / "a.pt", m, spec, NORM, FEAT, JETF, {"x": np.float64(1.5), "n": np.int64(3)}
    )
    assert load_checkpoint(tmp_path / "a.pt")[1]["extra"] == {"x": 1.5, "n": 3}
    with pytest.raises(JettagError, match="extra"):
        save_checkpoint(tmp_path / "b.pt", m, spec, NORM, FEAT, JETF, {"bad": object()})
    assert not (tmp_path / "b.pt").exists()


def test_digest_ignores_wrapper_prefixes_and_sees_every_tensor(tmp_path):
    spec = SPECS["rnn"]
    save_checkpoint(tmp_path / "a.pt", build_model(spec, NORM, FEAT, JETF), spec, NORM, FEAT, JETF)
    raw = torch.load(tmp_path / "a.pt", weights_only=True)
    assert raw["format"] == CHECKPOINT_FORMAT and raw["sha256"] == checkpoint_digest(raw)
    prefixed = {
        **raw,
        "state_dict": {f"module._orig_mod.{k}": v for k, v in raw["state_dict"].items()},
    }
    assert checkpoint_digest(prefixed) == raw["sha256"]
    name = sorted(raw["state_dict"])[0]
    changed = {**raw, "state_dict": {**raw["state_dict"], name: raw["state_dict"][name] + 1}}
    assert checkpoint_digest(changed) != raw["sha256"]
    assert checkpoint_digest({**raw, "norm_json": "{}"}) != raw["sha256"]
    assert checkpoint_digest({**raw, "extra": {"other": 1}}) == raw["sha256"]  # not hashed


def test_plain_values():
    from pathlib import Path

    import numpy as np

    out = plain({"a": np.int32(2), 3: [np.float32(0.5), Path("x/y")], "t": (1, "s", None)}, "extra")
    assert out == {"a": 2, 3: [0.5, "x/y"], "t": (1, "s", None)}
    assert type(out["a"]) is int and type(out[3][0]) is float
    arr = plain(np.arange(3), "extra")
    assert isinstance(arr, torch.Tensor) and arr.tolist() == [0, 1, 2]
    with pytest.raises(JettagError, match=r"extra\.k has a set"):
        plain({"k": {1}}, "extra")
