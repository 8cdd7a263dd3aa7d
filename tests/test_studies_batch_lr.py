"""Batch size x learning rate: the scaling rule on the optimiser, grid planning, summary numbers."""

import csv
import json
import math

import numpy as np
import pytest
import torch

from jettag import config
from jettag.errors import JettagError
from jettag.studies import batch_lr, common, plan, sharpness
from jettag.taggers import plan_tagger
from jettag.training.callbacks import Callback
from jettag.training.loop import train
from jettag.training.toydata import tiny_factory, write_toy_dataset
from tests.conftest import planning_config
from tests.test_studies_aggregation import fake_scores


def _cfg(**section):
    return config.merge(planning_config(), {"studies": {"batch_lr": {"enabled": True, **section}}})


class _OptimiserRate(Callback):
    def on_train_start(self, state):
        self.lr = [g["lr"] for g in state.optimizer.param_groups]


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return write_toy_dataset(tmp_path_factory.mktemp("toy"), n_train=120, n_val=60, max_tracks=6)


@pytest.mark.parametrize(("tagger", "scaling", "expected"), [
    ("dips--bs1024--lr0.001--lrscaled", "linear", 0.001 * 1024 / 256),
    ("dips--bs1024--lr0.001--lrscaled", "sqrt", 0.001 * math.sqrt(1024 / 256)),
    ("dips--bs64--lr0.001--lrscaled", "linear", 0.001 * 64 / 256),
    ("dips--bs1024--lr0.001", "linear", 0.001),  # without the token: the rate as given
])
def test_scaling_rule_on_the_optimiser(toy, tmp_path, tagger, scaling, expected):
    spec = plan_tagger(_cfg(scaling=scaling, reference_batch_size=256), tagger).spec
    spec["training"].update(epochs=1, max_train_jets=None, device="cpu")
    probe = _OptimiserRate()
    h = train(spec, toy, tmp_path, model_factory=tiny_factory, callbacks=[probe], progress=False)
    assert probe.lr == pytest.approx([expected, expected], rel=1e-12)
    assert h["lr"][0] == pytest.approx(expected, rel=1e-12)  # constant schedule: the rate of the epoch


def test_tokens_set_the_cell_and_check_the_spelling():
    cfg = _cfg(epochs=4, max_train_jets=5000)
    t = plan_tagger(cfg, "dips--bs128--lr0.0003")
    assert (t.spec["training"]["batch_size"], t.spec["training"]["learning_rate"]) == (128, 0.0003)
    assert t.spec["training"]["lr_scaling"] == "none"
    assert (t.spec["training"]["epochs"], t.spec["training"]["max_train_jets"]) == (4, 5000)
    scaled = plan_tagger(cfg, "dips--lrscaled--bs128--lr0.0003").spec["training"]  # token order is free
    assert (scaled["lr_scaling"], scaled["reference_batch_size"]) == ("linear", 512)
    with pytest.raises(JettagError, match="lr0.001"):
        plan_tagger(cfg, "dips--bs128--lr1e-3")
    with pytest.raises(JettagError, match="bs64"):
        plan_tagger(cfg, "dips--bs064")


def test_grid_shares_the_reference_batch_cells():
    cfg = _cfg()
    spec = plan.step_spec(cfg, "batch_lr")
    cells = spec["cells"]
    assert len(cells) == 12 and len(batch_lr.taggers(spec)) == 10
    by = {(c["mode"], c["batch_size"], c["learning_rate"]): c for c in cells}
    assert by[("scaled", 512, 0.003)]["tagger"] == by[("as given", 512, 0.003)]["tagger"] == "dips--bs512--lr0.003"
    assert by[("scaled", 2048, 0.0003)]["tagger"] == "dips--bs2048--lr0.0003--lrscaled"
    assert by[("scaled", 2048, 0.0003)]["effective_lr"] == pytest.approx(0.0012)
    assert by[("scaled", 128, 0.003)]["effective_lr"] == pytest.approx(0.00075)
    assert by[("as given", 2048, 0.003)]["effective_lr"] == 0.003
    # the model's rate 0.001 is nearest (log) to 0.003
    assert spec["references"] == {"dips": "dips--bs512--lr0.003"}
    inputs = plan.summary_inputs(cfg, "batch_lr")
    assert "results/studies/batch_lr/sharpness_dips--bs128--lr0.003--lrscaled.json" in inputs
    assert len(inputs) == 30
    assert len(plan.plot_stems(cfg, "batch_lr")) == 6
    assert batch_lr.sharpness_inputs(cfg, "dips--bs128--lr0.003")[1].endswith("data/ttbar/val.h5")


def test_a_cell_equal_to_another_studies_training_is_shared():
    # dips trains at batch 256 with 0.001 (reference 256): the cell (256, 0.001) is dips--seed1
    spec = plan.step_spec(_cfg(batch_sizes=[64, 256], learning_rates=[0.001], reference_batch_size=256), "batch_lr")
    assert {c["tagger"] for c in spec["cells"] if c["batch_size"] == 256} == {"dips--seed1"}
    assert spec["references"] == {"dips": "dips--seed1"}


@pytest.mark.parametrize(("section", "message"), [
    ({"batch_sizes": [100, 512]}, "powers of two"),
    ({"batch_sizes": [128, 256], "reference_batch_size": 512}, "reference_batch_size"),
    ({"reference_learning_rate": 0.01}, "reference_learning_rate"),
])
def test_grid_errors(section, message):
    with pytest.raises(JettagError, match=message):
        plan.step_spec(_cfg(**section), "batch_lr")


def _history(directory, val, seconds, steps):
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["epoch,train_loss,val_loss,seconds,val_loss_err"]
    lines += [f"{i + 1},{v + 0.02},{v},{seconds},0.01" for i, v in enumerate(val)]
    (directory / "history.csv").write_text("\n".join(lines) + "\n")
    batches = ["epoch,batch,loss"] + [f"{e + 1},{b},0.5" for e in range(len(val)) for b in range(steps)]
    (directory / "batch_losses.csv").write_text("\n".join(batches) + "\n")
    return directory / "history.csv"


def test_summary_numbers_pick_and_paired_verdicts(tmp_path):
    cells = [
        {"model": "m", "mode": mode, "batch_size": b, "learning_rate": 0.01,
         "effective_lr": 0.01 * (b / 64 if mode == "scaled" else 1.0),
         "tagger": f"m--bs{b}--lr0.01" + ("--lrscaled" if mode == "scaled" and b != 64 else "")}
        for mode in batch_lr.MODES for b in (16, 64)
    ]
    # tagger: (validation losses, seconds per epoch, steps per epoch, quality of the scores, sharpness)
    runs = {"m--bs16--lr0.01": ([0.7, 0.5, 0.55], 4.0, 40, 2.5, 0.02),
            "m--bs64--lr0.01": ([0.8, 0.6, 0.58], 2.0, 10, 2.5, 0.05),
            "m--bs16--lr0.01--lrscaled": ([0.9, 0.85, 0.8], 4.0, 40, 1.0, 0.01)}
    inputs = []
    for tagger, (val, sec, steps, quality, s) in runs.items():
        inputs.append(_history(tmp_path / "models" / tagger, val, sec, steps))
        inputs.append(fake_scores(tmp_path / "scores" / f"{tagger}.h5", tagger, quality, n=4000, seed=3))
        path = tmp_path / f"sharpness_{tagger}.json"
        path.write_text(json.dumps({"sharpness": s, "sharpness_err": 0.001}))
        inputs.append(path)
    spec = {"cells": cells, "references": {"m": "m--bs64--lr0.01"}, "reference_batch_size": 64,
            "plots": {"formats": ["png"]}, "label": "Simulation", "label_extra": "", "sample": "s"}
    out = tmp_path / "study" / "batch_lr.csv"
    batch_lr.step_summary(spec, inputs, out)
    rows = {(r["mode"], r["batch_size"]): r for r in common.read_csv(out)}
    small = rows[("as given", 16)]
    assert small["best_val_loss"] == 0.5 and small["best_epoch"] == 2 and small["epochs"] == 3
    assert small["seconds_per_epoch"] == pytest.approx(4.0) and small["steps_per_epoch"] == pytest.approx(40)
    assert small["sharpness"] == 0.02
    assert small["picked"] == "yes" and rows[("scaled", 16)]["picked"] == "no"
    # the reference cell appears in both modes, uncompared; equal scores are no significant difference
    assert rows[("as given", 64)]["verdict"] == "" and rows[("scaled", 64)]["tagger"] == "m--bs64--lr0.01"
    assert small["reference"] == "m--bs64--lr0.01" and small["verdict"].startswith("no significant")
    assert rows[("scaled", 16)]["verdict"] == "worse" and rows[("scaled", 16)]["ratio"] < 1
    for name in batch_lr.plot_names(spec):
        assert (tmp_path / "study" / f"batch_lr_{name}.png").is_file(), name
    text = batch_lr.headline(list(csv.DictReader(out.open())))
    assert "pick batch 16, lr 0.01 (as given" in text and "1 worse" in text
    assert "flatter for small batches" in text  # 0.02 at batch 16 < 0.05 at batch 64


def test_sharpness_noise_is_relative_and_the_weights_come_back():
    torch.manual_seed(0)
    model = torch.nn.Linear(400, 300)
    before = model.weight.detach().clone()
    sharpness.perturb(model, 0.1, seed=3)
    rms = before.pow(2).mean().sqrt()
    assert float((model.weight.detach() - before).std() / rms) == pytest.approx(0.1, rel=0.02)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 3)

        def forward(self, tracks, valid, jets):
            return {"logits": self.lin(jets)}

    rng = np.random.default_rng(1)
    label = rng.integers(0, 3, 500)
    x = np.eye(3)[label][:, :2] * 3.0 + rng.normal(size=(500, 2)) * 0.3
    jets = {"tracks": np.zeros((500, 1, 1), np.float32), "valid": np.ones((500, 1), bool),
            "jets": x.astype(np.float32), "label": label.astype(np.int8)}
    net = Net()
    with torch.no_grad():
        net.lin.weight.copy_(torch.tensor([[3.0, 0], [0, 3.0], [-3.0, -3.0]]))
        net.lin.bias.zero_()
    state = {k: v.clone() for k, v in net.state_dict().items()}
    r = sharpness.measure(net, jets, sigma=0.5, draws=4, seed=2)
    assert all(torch.equal(state[k], v) for k, v in net.state_dict().items())
    assert r["sharpness"] > 0 and len(r["rises"]) == 4 and r["n_jets"] == 500  # a trained minimum: noise hurts
    assert r["sharpness"] == pytest.approx(np.mean(r["rises"]))
    again = sharpness.measure(net, jets, sigma=0.5, draws=4, seed=2)
    assert again["rises"] == r["rises"]  # seeded draws


def test_flatness_verdict_at_three_sigma():
    rows = [{"batch_size": "16", "sharpness": "0.02", "sharpness_err": "0.003"},
            {"batch_size": "16", "sharpness": "0.04", "sharpness_err": "0.004"},
            {"batch_size": "64", "sharpness": "0.05", "sharpness_err": "0.001"},
            {"batch_size": "64", "sharpness": "", "sharpness_err": ""}]
    (b0, s0, e0), (b1, s1, e1) = batch_lr.sharpness_by_batch(rows)
    assert (b0, b1) == (16.0, 64.0) and s0 == pytest.approx(0.03) and e0 == pytest.approx(0.0025)
    assert (s1, e1) == (pytest.approx(0.05), pytest.approx(0.001))
    assert batch_lr.flatness_verdict(s0, e0, s1, e1) == "flatter for small batches"  # 0.02 > 3 x 0.0027
    assert batch_lr.flatness_verdict(0.05, 0.01, 0.04, 0.01).startswith("no significant difference (MDE 0.042")
