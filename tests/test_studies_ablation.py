"""The ablation summary: each retrained component paired with the full model, seed spread included."""

import csv

from jettag.studies import ablation, common
from tests.test_studies_aggregation import fake_scores


def test_summary_pairs_components_with_the_full_model(tmp_path):
    comp = {"full": ["m--seed1", "m--seed2"], "removed": {"ip": ["m--no-ip", "m--no-ip--seed2"],
                                                          "hits": ["m--no-hits", "m--no-hits--seed2"]}}
    quality = {"m--seed1": 2.5, "m--seed2": 2.5, "m--no-ip": 0.8, "m--no-ip--seed2": 0.8,
               "m--no-hits": 2.5, "m--no-hits--seed2": 2.5}
    inputs = [fake_scores(tmp_path / f"{t}.h5", t, q, n=4000, seed=i) for i, (t, q) in enumerate(quality.items())]
    spec = {"components": {"m": comp}, "plots": {"formats": ["png"]}, "label": "", "label_extra": "", "sample": "s",
            "permutation": {"enabled": False}}
    out = tmp_path / "a" / "ablation.csv"
    ablation.step_summary(spec, inputs, out)
    rows = {r["component"]: r for r in common.read_csv(out)}
    assert rows["without ip"]["verdict"] == "worse" and rows["without ip"]["ratio"] < 0.5
    assert rows["without ip"]["reference"] == "full model"
    assert rows["without hits"]["verdict"].startswith("no significant difference (MDE")
    assert rows["without hits"]["ratio_lo"] < 1 < rows["without hits"]["ratio_hi"]
    assert rows["full model"]["verdict"] == ""
    text = ablation.headline(list(csv.DictReader(out.open())))
    assert "'without ip' light rejection" in text and "worse" in text
