"""Train and validation loss measured the same way: no gap when both come from one distribution."""

import h5py
import numpy as np
import torch

from jettag.studies import fit_losses


class Toy(torch.nn.Module):
    """Logits from the first jet feature: a fixed, imperfect classifier (with dropout, off in eval)."""

    def __init__(self):
        super().__init__()
        self.drop = torch.nn.Dropout(0.5)
        self.w = torch.nn.Parameter(torch.tensor([1.5, 0.0, -1.5]))

    def forward(self, tracks, valid, jets):
        return {"logits": self.drop(jets[:, :1] * self.w[None, :])}


def _split(path, n, seed, offset, shift=0.0):
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 3, n).astype(np.int8)
    x = rng.normal(size=n) + (1.0 - label) + shift
    with h5py.File(path, "w") as f:
        f["tracks"] = np.zeros((n, 2, 3), np.float32)
        f["valid"] = np.ones((n, 2), bool)
        f["jets"] = np.stack([x, np.zeros(n)], 1).astype(np.float32)
        f["label"] = label
        f["weight"] = rng.uniform(0.1, 5.0, n).astype(np.float32)  # ignored: unweighted loss
        f["eventNumber"] = np.arange(n, dtype=np.int64) + offset
    return path


def test_same_distribution_gives_no_gap(tmp_path):
    train = _split(tmp_path / "train.h5", 30000, 1, 0)
    val = _split(tmp_path / "val.h5", 8000, 2, 10**6)
    r = fit_losses.measure(Toy(), train, val, max_jets=20000, chunk_size=3000)
    assert r["n_jets"] == 8000  # equal-size subsets: the smaller split
    assert abs(r["gap"]) < 3 * r["gap_err"] and r["gap_err"] < 0.02
    # deterministic (eval mode: dropout off) and reproducible (seeded subsets)
    assert fit_losses.measure(Toy(), train, val, 20000, chunk_size=3000) == r


def test_a_shifted_validation_split_shows_a_gap(tmp_path):
    train = _split(tmp_path / "train.h5", 6000, 1, 0)
    val = _split(tmp_path / "val.h5", 6000, 2, 10**6, shift=1.0)
    r = fit_losses.measure(Toy(), train, val)
    assert r["gap"] > 5 * r["gap_err"]


def test_random_jets_are_whole_events_and_exact_in_number(tmp_path):
    path = tmp_path / "t.h5"
    n = 1000
    with h5py.File(path, "w") as f:
        for k, shape, dtype in (("tracks", (n, 1, 1), np.float32), ("valid", (n, 1), bool),
                                ("jets", (n, 1), np.float32)):
            f[k] = np.zeros(shape, dtype)
        f["label"] = np.zeros(n, np.int8)
        f["eventNumber"] = np.arange(n, dtype=np.int64) // 2
    jets = fit_losses.random_jets(path, 300, seed=3, chunk_size=128)
    assert jets["label"].shape == (300,)
