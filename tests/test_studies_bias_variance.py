"""The bias/variance summary: losses from the losses step, paired comparison with the scan's largest point."""

import csv
import json

from jettag.studies import bias_variance, common
from tests.test_studies_aggregation import fake_history, fake_scores


def test_summary_reads_equal_losses_and_compares_paired(tmp_path):
    points = {"m": {"fraction": {"0.1": "m--frac0.1", "1": "m--seed1"}}}
    quality = {"m--frac0.1": 1.0, "m--seed1": 2.5}
    inputs = []
    for tagger, q in quality.items():
        inputs.append(fake_scores(tmp_path / f"{tagger}.h5", tagger, q, n=4000, seed=3))
        inputs.append(fake_history(tmp_path / tagger / "history.csv", [0.9, 0.5], [1.0, 0.7]))
        loss = tmp_path / f"losses_{tagger}.json"
        loss.write_text(json.dumps({"train_loss": 0.6, "train_loss_err": 0.01, "val_loss": 0.61,
                                    "val_loss_err": 0.01, "n_jets": 500}))
        inputs.append(loss)
    spec = {"points": points, "plots": {"formats": ["png"]}, "label": "", "label_extra": "", "sample": "s"}
    out = tmp_path / "bv" / "bias_variance.csv"
    bias_variance.step_summary(spec, inputs, out)
    rows = {r["tagger"]: r for r in common.read_csv(out)}
    small = rows["m--frac0.1"]
    assert small["train_loss"] == 0.6 and small["val_loss"] == 0.61  # from the losses step, not the history
    assert small["reference"] == "m--seed1" and small["verdict"] == "worse" and small["ratio"] < 1
    assert rows["m--seed1"]["verdict"] == ""
    text = bias_variance.headline(list(csv.DictReader(out.open())))
    assert "worse" in text


def test_losses_inputs_are_the_points_own_splits():
    from jettag import config
    from tests.conftest import planning_config

    cfg = config.resolve(planning_config())
    inputs = bias_variance.losses_inputs(cfg, "dips--frac0.5")
    assert inputs[0].endswith("models/dips--frac0.5/best.pt")
    assert inputs[1].endswith("bias_variance/data/frac0.5/train.h5") and inputs[2].endswith("frac0.5/val.h5")
    assert bias_variance.losses_file(cfg, "dips--frac0.5").endswith("bias_variance/losses_dips--frac0.5.json")
