import random

import numpy as np
import pytest
import torch

from jettag.training.loop import train
from jettag.training.resume import clean_state_dict, rng_state, set_rng_state, train_hash
from jettag.training.toydata import tiny_factory, write_toy_dataset


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_toy_dataset(tmp_path_factory.mktemp("toy"), n_train=240, n_val=100, max_tracks=6)


def spec(epochs=4):
    return {"name": "tiny", "hidden": 8, "dropout": 0.2,
            "training": {"epochs": epochs, "batch_size": 40, "reference_batch_size": 40, "learning_rate": 1e-2,
                         "block_size": 80, "seed": 2, "schedule": {"name": "onecycle", "warmup_fraction": 0.3},
                         "early_stopping": {"enabled": True, "patience": 10}}}


class Killed(Exception):
    pass


def kill_after(k):
    def cb(epoch, history):
        if epoch == k:
            raise Killed

    return cb


def test_resume_equals_uninterrupted(data, tmp_path):
    full = train(spec(), data, tmp_path / "full", model_factory=tiny_factory, progress=False)
    with pytest.raises(Killed):
        train(spec(), data, tmp_path / "cut", model_factory=tiny_factory, callbacks=[kill_after(2)], progress=False)
    # a killed training leaves no output that looks finished, only its state in .partial/
    assert not any((tmp_path / "cut" / name).exists() for name in ("best.pt", "last.pt", "history.csv"))
    state = torch.load(tmp_path / "cut" / ".partial" / "last.pt", weights_only=True)["extra"]["training_state"]
    assert state["epoch"] == 2
    resumed = train(spec(), data, tmp_path / "cut", model_factory=tiny_factory, progress=False)
    a = torch.load(tmp_path / "full" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "cut" / "last.pt", weights_only=True)
    assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])
    for col in ("train_loss", "val_loss", "train_acc", "val_acc", "lr"):
        assert full[col] == resumed[col], col
    best_a = torch.load(tmp_path / "full" / "best.pt", weights_only=True)["state_dict"]
    best_b = torch.load(tmp_path / "cut" / "best.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(best_a[k], best_b[k]) for k in best_a)
    assert not (tmp_path / "cut" / ".partial").exists()
    # a finished training is not retrained
    again = train(spec(), data, tmp_path / "cut", model_factory=tiny_factory, progress=False)
    assert again["val_loss"] == full["val_loss"]


def test_changed_spec_starts_again(data, tmp_path):
    with pytest.raises(Killed):
        train(spec(3), data, tmp_path, model_factory=tiny_factory, callbacks=[kill_after(1)], progress=False)
    s = spec(3)
    s["training"]["learning_rate"] = 5e-3
    h = train(s, data, tmp_path, model_factory=tiny_factory, progress=False)
    assert h["epoch"] == [1, 2, 3]
    assert h["lr"][0] != pytest.approx(1e-2)


def test_train_hash_ignores_runtime_keys():
    s = spec()
    t = {**s, "training": {**s["training"], "num_threads": 4, "compile": True}}
    assert train_hash(s) == train_hash(t)
    u = {**s, "training": {**s["training"], "seed": 3}}
    assert train_hash(s) != train_hash(u)
    assert train_hash(s, {"train": 1}) != train_hash(s, {"train": 2})


def test_rng_state_round_trip(tmp_path):
    torch.manual_seed(1)
    np.random.seed(1)  # noqa: NPY002
    random.seed(1)
    state = rng_state()
    torch.save(state, tmp_path / "rng.pt")
    expected = (torch.rand(3), np.random.rand(3), random.random())  # noqa: NPY002
    set_rng_state(torch.load(tmp_path / "rng.pt", weights_only=True))
    got = (torch.rand(3), np.random.rand(3), random.random())  # noqa: NPY002
    assert torch.equal(expected[0], got[0]) and np.array_equal(expected[1], got[1]) and expected[2] == got[2]


def test_clean_state_dict():
    assert list(clean_state_dict({"_orig_mod.module.a.weight": 1, "b": 2})) == ["a.weight", "b"]
