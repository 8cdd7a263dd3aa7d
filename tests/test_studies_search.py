"""Random search: selection on the validation split only, the chosen trial paired to the default."""

from __future__ import annotations

import csv

import pytest

from jettag.errors import JettagError
from jettag.studies import search
from tests.test_studies_aggregation import fake_history, fake_scores


def test_ranking_refuses_test_metrics():
    with pytest.raises(JettagError, match="validation"):
        search.summarise([{"model": "m", "trial": 0, "light_rej": 5.0}], rank_by="light_rej")


def test_the_search_ranks_on_validation_even_when_the_test_split_disagrees(tmp_path):
    # validation losses say trial 0 < 1 < 2; the test scores say the opposite (2 best, 0 worst)
    trials = [search.trial_name("m", i) for i in range(3)]
    inputs = []
    for i, (name, val, quality) in enumerate(zip(trials, (0.4, 0.6, 0.8), (1.0, 2.0, 3.0), strict=True)):
        inputs.append(fake_scores(tmp_path / f"s/ttbar/{name}.h5", name, quality, n=4000, seed=i))
        inputs.append(fake_history(tmp_path / f"models/{name}/history.csv", [1.0, val], [1.0, val]))
    inputs.append(fake_scores(tmp_path / "s/ttbar/m--seed1.h5", "m--seed1", 1.0, n=4000, seed=7))
    spec = {"trials_of": {"m": trials}, "default_of": {"m": "m--seed1"}, "seed": 1, "plots": {"formats": ["png"]}}
    out = tmp_path / "st/search.csv"
    search.step_summary(spec, inputs, out)
    rows = list(csv.DictReader(out.open()))
    ranked = {r["rank"]: r for r in rows}
    assert ranked["1"]["tagger"] == trials[0] and ranked["3"]["tagger"] == trials[2]
    # the test metrics are still reported: the worst-validation trial has the best test rejection
    assert float(ranked["3"]["light_rej"]) > float(ranked["1"]["light_rej"])
    # the chosen trial's test metrics are paired against the default hyperparameters
    assert ranked["default"]["tagger"] == "m--seed1"
    assert ranked["1"]["verdict"] and float(ranked["1"]["ratio"]) == pytest.approx(
        float(ranked["1"]["light_rej"]) / float(ranked["default"]["light_rej"]), rel=1e-3)
    assert "validation loss" in search.headline(rows) and ranked["1"]["verdict"] in search.headline(rows)
