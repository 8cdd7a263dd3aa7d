import csv
import json

import numpy as np
import pytest
import torch

from jettag.errors import JettagError
from jettag.training.history import read_history
from jettag.training.loop import train
from jettag.training.toydata import TinyTagger, tiny_factory, write_toy_dataset


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_toy_dataset(tmp_path_factory.mktemp("toy"), n_train=300, n_val=200, max_tracks=8)


def spec(**training):
    base = {"epochs": 3, "batch_size": 30, "reference_batch_size": 30, "learning_rate": 1e-2,
            "block_size": 90, "seed": 5, "early_stopping": {"enabled": False}}
    return {"name": "tiny", "hidden": 8, "training": {**base, **training}}


def weights(path):
    return torch.load(path, weights_only=True)["state_dict"]


def test_training_reduces_loss_and_writes_outputs(data, tmp_path):
    h = train(spec(epochs=4), data, tmp_path, model_factory=tiny_factory, progress=False)
    assert h["val_loss"][-1] < h["val_loss"][0] - 0.1
    assert h["val_acc"][-1] > 0.7
    for name in ("best.pt", "last.pt", "history.csv", "batch_losses.csv", "diagnostics.json", "diagnostics.txt"):
        assert (tmp_path / name).is_file(), name
    hist = read_history(tmp_path / "history.csv")
    assert list(hist["epoch"]) == [1, 2, 3, 4]
    for col in ("train_loss", "val_loss", "train_acc", "val_acc", "lr", "seconds", "jets_per_s"):
        assert np.all(np.isfinite(hist[col])), col
    with open(tmp_path / "batch_losses.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * 10 and rows[-1]["epoch"] == "4" and rows[-1]["batch"] == "9"
    diag = json.loads((tmp_path / "diagnostics.json").read_text())
    assert diag["summary"]["best_epoch"] == int(np.argmin(h["val_loss"])) + 1
    assert not any(f["kind"] in ("not_falling", "periodic", "nonfinite") for f in diag["findings"])
    assert not [k for k in weights(tmp_path / "best.pt") if k.startswith(("_orig_mod.", "module."))]


def test_cpu_rerun_is_bit_identical(data, tmp_path):
    s = spec(epochs=2, schedule={"name": "onecycle"})
    s["dropout"] = 0.2
    train(s, data, tmp_path / "a", model_factory=tiny_factory, progress=False)
    train(s, data, tmp_path / "b", model_factory=tiny_factory, progress=False)
    wa, wb = weights(tmp_path / "a" / "last.pt"), weights(tmp_path / "b" / "last.pt")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    s["training"]["seed"] = 6
    train(s, data, tmp_path / "c", model_factory=tiny_factory, progress=False)
    wc = weights(tmp_path / "c" / "last.pt")
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)


def test_lr_scaling_in_history(data, tmp_path):
    h = train(spec(epochs=1, learning_rate=1e-3, reference_batch_size=60, lr_scaling="linear"),
              data, tmp_path / "lin", model_factory=tiny_factory, progress=False)
    assert h["lr"][0] == pytest.approx(5e-4)
    h = train(spec(epochs=1, learning_rate=1e-3, reference_batch_size=120, lr_scaling="sqrt"),
              data, tmp_path / "sqrt", model_factory=tiny_factory, progress=False)
    assert h["lr"][0] == pytest.approx(5e-4)


def test_l1_reduces_weight_norm(data, tmp_path):
    norms = {}
    for l1 in (0.0, 0.05):
        train(spec(epochs=2, l1=l1), data, tmp_path / str(l1), model_factory=tiny_factory,
              progress=False)
        w = weights(tmp_path / str(l1) / "last.pt")
        norms[l1] = sum(v.abs().sum().item() for k, v in w.items() if k.endswith("weight") and v.ndim >= 2)
    assert norms[0.05] < 0.7 * norms[0.0]


def test_early_stopping_ends_training(data, tmp_path):
    # a huge learning rate makes validation stop improving early
    h = train(spec(epochs=10, learning_rate=2.0, early_stopping={"enabled": True, "patience": 1}),
              data, tmp_path, model_factory=tiny_factory, progress=False)
    assert len(h["epoch"]) < 10
    summary = json.loads((tmp_path / "diagnostics.json").read_text())["summary"]
    assert summary["stopped_early_at"] == len(h["epoch"])


def test_missing_inputs(tmp_path):
    with pytest.raises(JettagError, match=r"val\.h5.*preprocess"):
        write_toy_dataset(tmp_path, 10, 10)
        (tmp_path / "val.h5").unlink()
        train(spec(), tmp_path, tmp_path / "out", model_factory=tiny_factory)


class NanAfter(TinyTagger):
    """Outputs NaN from the ``n``-th training forward on."""

    def __init__(self, n, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.n, self.calls = n, 0

    def forward(self, tracks, valid, jets):
        out = super().forward(tracks, valid, jets)
        if self.training:
            self.calls += 1
            if self.calls > self.n:
                out["logits"] = out["logits"] * float("nan")
        return out


def test_nan_stops_training_and_keeps_last_good_checkpoint(data, tmp_path):
    factory = lambda s, n, f, j: NanAfter(13, n, f, j, hidden=8)  # noqa: E731
    h = train(spec(epochs=3), data, tmp_path, model_factory=factory, progress=False)
    assert h["epoch"] == [1]
    last = torch.load(tmp_path / "last.pt", weights_only=True)
    assert last["extra"]["training_state"]["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in last["state_dict"].values() if v.is_floating_point())
    findings = json.loads((tmp_path / "diagnostics.json").read_text())["findings"]
    nan = next(f for f in findings if f["kind"] == "nonfinite")
    assert (nan["epoch"], nan["batch"]) == (2, 3)
    factory = lambda s, n, f, j: NanAfter(3, n, f, j, hidden=8)  # noqa: E731
    with pytest.raises(JettagError, match="epoch 1, batch 3"):
        train(spec(epochs=2), data, tmp_path / "first", model_factory=factory, progress=False)


def test_zero_learning_rate_is_caught(data, tmp_path):
    train(spec(epochs=3, learning_rate=0.0), data, tmp_path, model_factory=tiny_factory, progress=False)
    kinds = {f["kind"] for f in json.loads((tmp_path / "diagnostics.json").read_text())["findings"]}
    assert "not_falling" in kinds


def test_unshuffled_sorted_data_is_caught(tmp_path):
    data = write_toy_dataset(tmp_path / "sorted", n_train=600, n_val=100, max_tracks=6, sort_by_label=True)
    train(spec(epochs=4, shuffle=False, learning_rate=1e-2), data, tmp_path / "out", model_factory=tiny_factory,
          progress=False)
    kinds = {f["kind"] for f in json.loads((tmp_path / "out" / "diagnostics.json").read_text())["findings"]}
    assert "periodic" in kinds


def test_real_deepsets_and_ip3d(data, tmp_path):
    s = {"name": "dips", "type": "deepsets", "training": spec(epochs=1)["training"]}
    h = train(s, data, tmp_path / "dips", progress=False)
    from jettag.models import load_checkpoint

    model, info = load_checkpoint(tmp_path / "dips" / "best.pt")
    assert info["spec"]["name"] == "dips" and np.isfinite(h["val_loss"][0])
    h = train({"name": "ip3d", "type": "ip3d"}, data, tmp_path / "ip3d")
    assert h["val_acc"][0] > 0.5
    for name in ("best.pt", "last.pt", "history.csv", "diagnostics.json"):
        assert (tmp_path / "ip3d" / name).is_file()
    load_checkpoint(tmp_path / "ip3d" / "last.pt")


def test_warm_start_from_init_checkpoint(data, tmp_path):
    """Fine-tuning starts from the trained weights: its first epoch is already as good as them."""
    s = {"name": "dips", "type": "deepsets", "training": spec(epochs=4)["training"]}
    pre = train(s, data, tmp_path / "pre", progress=False)
    scratch = train(s | {"training": spec(epochs=1)["training"]}, data, tmp_path / "scratch", progress=False)
    tuned = train(
        s | {"init_checkpoint": str(tmp_path / "pre" / "best.pt"), "training": spec(epochs=1, learning_rate=1e-4)["training"]},
        data, tmp_path / "tuned", progress=False,
    )
    assert tuned["val_loss"][0] < scratch["val_loss"][0]
    assert tuned["val_loss"][0] == pytest.approx(min(pre["val_loss"]), abs=0.05)
    with pytest.raises(JettagError, match="does not fit this model"):
        train({**s, "phi_layers": [8], "init_checkpoint": str(tmp_path / "pre" / "best.pt")},
              data, tmp_path / "bad", progress=False)


def test_compile_on_cpu_warns(data, tmp_path, monkeypatch, capsys):
    """training.compile on a CPU: compiled anyway, with a message that it is slower there."""
    compiled = []
    monkeypatch.setattr(torch, "compile", lambda m: compiled.append(m) or m)
    train(spec(epochs=1, compile=True, device="cpu"), data, tmp_path, model_factory=tiny_factory,
          progress=False)
    assert len(compiled) == 2  # the training and the evaluation model
    assert "training.compile on CPU" in capsys.readouterr().err
