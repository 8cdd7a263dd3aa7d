import h5py
import numpy as np
import torch

from jettag.features import JET_FEATURES, TRACK_FEATURES
from jettag.training.toydata import TinyTagger, write_toy_dataset


def test_toy_dataset_layout(tmp_path):
    write_toy_dataset(tmp_path, n_train=50, n_val=20, max_tracks=6)
    with h5py.File(tmp_path / "train.h5") as f:
        assert f["tracks"].shape == (50, 6, len(TRACK_FEATURES))
        assert list(f["tracks"].attrs["features"]) == list(TRACK_FEATURES)
        assert list(f["jets"].attrs["features"]) == list(JET_FEATURES)
        valid, tracks, origin = f["valid"][:], f["tracks"][:], f["track_origin"][:]
        assert np.all(tracks[~valid] == 0) and np.all(origin[~valid] == -1)
        assert f["label"].dtype == np.int8 and set(np.unique(f["label"][:])) <= {0, 1, 2}
    assert (tmp_path / "norm.json").is_file()


def test_tiny_tagger_contract():
    norm = {"track": {k: {"mean": 0.0, "std": 1.0} for k in TRACK_FEATURES},
            "jet": {k: {"mean": 0.0, "std": 1.0} for k in JET_FEATURES}}
    m = TinyTagger(norm, TRACK_FEATURES, JET_FEATURES, aux=True)
    valid = torch.zeros(3, 5, dtype=torch.bool)
    out = m(torch.zeros(3, 5, len(TRACK_FEATURES)), valid, torch.ones(3, len(JET_FEATURES)))
    assert out["logits"].shape == (3, 3) and out["track_logits"].shape == (3, 5, 6)
    assert torch.isfinite(out["logits"]).all()
