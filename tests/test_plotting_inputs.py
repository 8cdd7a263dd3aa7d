import json

import h5py
import numpy as np
import pytest

from jettag.errors import JettagError
from jettag.plotting import inputs as inputs_mod
from jettag.plotting import make_plot

NAMES = ["sd0", "sz0", "log_pt_frac", "numberOfPixelHits"]


def write_split(path, n=300, L=5):
    rng = np.random.default_rng(0)
    valid = np.arange(L)[None, :] < rng.integers(0, L + 1, n)[:, None]
    label = rng.integers(0, 3, n)
    tracks = rng.normal(size=(n, L, len(NAMES))) + (label == 0)[:, None, None]
    tracks[..., 3] = rng.poisson(3, (n, L))
    tracks = (tracks * valid[..., None]).astype(np.float32)
    with h5py.File(path, "w") as f:
        f.create_dataset("tracks", data=tracks).attrs["features"] = NAMES
        f["valid"] = valid
        f["label"] = label.astype(np.int8)
    return path, tracks, valid, label


def test_histograms_count_valid_tracks_in_bounded_chunks(tmp_path, monkeypatch):
    path, tracks, valid, label = write_split(tmp_path / "train.h5")
    monkeypatch.setattr(inputs_mod, "CHUNK_JETS", 64)
    names, bins, counts = inputs_mod.feature_histograms(path, ["ip"], n_jets=200)
    assert names == ["sd0", "sz0"]
    for k in range(3):
        assert counts["sd0"][k].sum() == valid[:200][label[:200] == k].sum()


def test_inputs_writes_pdf_and_png(tmp_path):
    path, *_ = write_split(tmp_path / "train.h5")
    norm = {"track": {n: {"mean": 0.5, "std": 2.0} for n in NAMES}, "jet": {}}
    (tmp_path / "norm.json").write_text(json.dumps(norm))
    spec = {"plots": {"n_jets_inputs": 100}, "sample": "ttbar"}
    make_plot("inputs", spec, [path, tmp_path / "norm.json"], tmp_path / "inputs.pdf")
    assert (tmp_path / "inputs.pdf").read_bytes()[:4] == b"%PDF"
    assert (tmp_path / "inputs.png").read_bytes()[:4] == b"\x89PNG"


def test_inputs_errors(tmp_path):
    path, *_ = write_split(tmp_path / "train.h5", n=10)
    with pytest.raises(JettagError, match="not in the file"):
        make_plot("inputs", {"features": ["d0"]}, [path], tmp_path / "i.pdf")
    with pytest.raises(JettagError, match="does not exist"):
        make_plot("inputs", {}, [tmp_path / "missing.h5"], tmp_path / "i.pdf")
