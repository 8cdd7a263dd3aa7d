"""The feature-choice study: optimiser steps to a validation-loss target over seeds, paired rejections."""

import csv
import math

import numpy as np

from jettag.studies import common, features
from tests.test_studies_aggregation import fake_history, fake_scores


def test_steps_comparison_needs_the_seed_spread():
    # the same mean speed-up of 20 %: significant when the seeds agree, a null with its MDE when they scatter
    tight = features.steps_comparison([80, 81, 79], [100, 101, 99])
    loose = features.steps_comparison([60, 100, 80], [70, 130, 100])
    assert tight["steps_verdict"] == "faster" and math.isclose(tight["steps_ratio"], 0.8)
    assert loose["steps_verdict"].startswith("no significant difference (MDE")
    assert loose["steps_ratio_err"] > tight["steps_ratio_err"]
    assert features.steps_comparison([80], [100])["steps_verdict"] == "no seed spread (one seed)"
    assert features.steps_comparison([math.nan], [100, 90])["steps_verdict"] == "not reached"


def test_crossing_is_interpolated_between_epochs():
    h = common.History("m", np.arange(1.0, 4.0), np.zeros(3), np.array([1.0, 0.7, 0.4]), np.array([2.0, 4.0, 6.0]))
    steps, secs, epoch = features.Run(h, np.array([10.0, 20.0, 30.0])).to_reach(0.55)
    assert steps == 25 and secs == 5 and epoch == 3
    assert features.Run(h, np.array([10.0, 20.0, 30.0])).to_reach(1.0) == (10, 2, 1)


def _write(tmp_path, tagger, val, steps_per_epoch, quality, seed):
    h = fake_history(tmp_path / "models" / tagger / "history.csv", val, val)
    (h.parent / "batch_losses.csv").write_text("epoch,batch,loss\n" + "".join(
        f"{e},{b},0.5\n" for e in range(1, len(val) + 1) for b in range(steps_per_epoch)))
    return [h, fake_scores(tmp_path / "scores" / f"{tagger}.h5", tagger, quality, n=4000, seed=seed)]


def test_summary_over_three_seeds(tmp_path):
    variants = {"m": {"baseline": ["m--seed1", "m--seed2", "m--seed3"],
                      "nolog": ["m--nolog", "m--nolog--seed2", "m--nolog--seed3"]}}
    inputs = []
    for k in range(3):
        # 10 steps per epoch; the baseline crosses 0.6 at 80 % of epoch 2 (interpolated: 18 steps),
        # nolog exactly at the end of epoch 3 (30 steps)
        inputs += _write(tmp_path, variants["m"]["baseline"][k], [1.0, 0.5, 0.45], 10, 2.0, k)
        inputs += _write(tmp_path, variants["m"]["nolog"][k], [1.0, 0.8, 0.6, 0.55], 10, 2.0, 10 + k)
    spec = {"variants": variants, "plots": {"formats": ["png"]}, "label": "", "label_extra": "", "sample": "s",
            "target_val_loss": 0.6}
    out = tmp_path / "f" / "features.csv"
    features.step_summary(spec, inputs, out)
    rows = {r["variant"]: r for r in common.read_csv(out)}
    assert rows["baseline"]["steps_to_target"] == 18 and rows["nolog"]["steps_to_target"] == 30
    assert rows["nolog"]["seeds"] == 3 and rows["nolog"]["steps_to_target_spread"] == 0
    assert math.isclose(rows["nolog"]["steps_ratio"], 30 / 18, rel_tol=1e-5) and rows["nolog"]["steps_verdict"] == "slower"
    # equal quality: the paired light-rejection comparison with seed spread finds no difference
    assert rows["nolog"]["verdict"].startswith("no significant difference")
    assert rows["nolog"]["reference"] == "m--seed1"
    assert (tmp_path / "f" / "features_val_loss_m.png").is_file()
    text = features.headline(list(csv.DictReader(out.open())))
    assert "slower" in text and "3 seeds" in text


def test_plan_trains_every_variant_with_each_seed():
    from jettag import config
    from tests.conftest import planning_config

    raw = planning_config()
    raw["studies"]["features"] = {"enabled": True, "variants": ["nolog"], "seeds": 3}
    spec = features.plan_spec(config.resolve(raw))
    assert spec["variants"]["dips"]["nolog"] == ["dips--nolog", "dips--nolog--seed2", "dips--nolog--seed3"]
    assert len(set(spec["variants"]["dips"]["baseline"])) == 3
    assert np.all([t.startswith("dips") for t in spec["variants"]["dips"]["baseline"]])
