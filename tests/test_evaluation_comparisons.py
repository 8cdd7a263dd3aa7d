"""comparisons.csv: paired verdicts on shared test jets, seed spread, the reference and the file."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from jettag.errors import JettagError
from jettag.evaluation.comparisons import COLUMNS, compare_discs, nominal, write_comparisons
from jettag.evaluation.scores import write_scores
from jettag.evaluation.statistics import Bootstrap

BOOT = Bootstrap(replicas=80)


def _toy(seed=0, n_b=2000, n_c=500, n_l=10000):
    rng = np.random.default_rng(seed)
    flavour = np.r_[np.full(n_b, 5), np.full(n_c, 4), np.full(n_l, 0)]
    disc = np.r_[rng.normal(2.5, 1, n_b), rng.normal(1.0, 1, n_c), rng.normal(0, 1, n_l)]
    return flavour, disc


def test_a_known_improvement_is_better_and_identical_taggers_are_a_null_with_mde():
    flavour, ref = _toy()
    better = ref.copy()
    light = np.flatnonzero(flavour == 0)
    better[light[: light.size // 3]] -= 1.0  # a third of the light jets scored lower
    rows = compare_discs({"ref": ref, "new": better, "same": ref.copy()}, flavour,
                         [("new", "ref"), ("same", "ref")], wps=[77], boot=BOOT)
    by = {(r["tagger"], r["metric"]): r for r in rows}
    new = by["new", "light_rej"]
    assert new["verdict"] == "better" and new["significance"] > 3
    assert new["ratio_lo"] < new["ratio"] < new["ratio_hi"]
    assert new["ratio"] == pytest.approx(new["value"] / new["reference_value"])
    same = by["same", "light_rej"]
    assert same["ratio"] == pytest.approx(1.0) and same["significance"] == 0.0
    assert same["verdict"].startswith("no significant difference (MDE")
    # c jets are untouched: the c rejection of "new" is the reference's
    assert by["new", "c_rej"]["ratio"] == pytest.approx(1.0)
    assert by["new", "auc"]["wp"] == "" and by["new", "light_rej"]["wp"] == 77


def test_seed_spread_enters_the_comparison():
    flavour, ref = _toy(1)
    rng = np.random.default_rng(2)
    # three "seeds" of very different quality: the spread between them dominates
    seeds = {f"t{k}": ref + rng.normal(0, scale, ref.size) for k, scale in enumerate((0.1, 0.6, 1.2))}
    discs = {"ref": ref, **seeds}
    one = compare_discs(discs, flavour, [("t0", "ref")], wps=[77], metrics=["light_rej"], boot=BOOT)[0]
    three = compare_discs(discs, flavour, [("t", "ref")], wps=[77], metrics=["light_rej"], boot=BOOT,
                          members={"t": list(seeds)})[0]
    assert three["value"] == pytest.approx(np.mean([nominal(d, flavour, [77])["light_rej"][0]
                                                   for d in seeds.values()]))
    assert three["ratio_hi"] / three["ratio_lo"] > one["ratio_hi"] / one["ratio_lo"]


def _write(path, tagger, disc, flavour):
    p_b = 1 / (1 + np.exp(-disc))
    write_scores(path, tagger, 0.0, p_b, np.zeros_like(p_b), 1 - p_b, np.full(disc.size, 50.0),
                 np.zeros(disc.size), flavour, np.arange(disc.size))
    return path


def test_file_has_one_row_per_tagger_wp_metric_and_collapses_seeds(tmp_path):
    flavour, ref = _toy(3, n_l=5000)
    rng = np.random.default_rng(4)
    files = [_write(tmp_path / f"{t}.h5", t, ref + rng.normal(0, s, ref.size), flavour)
             for t, s in (("ip3d", 0.0), ("dips", 0.2), ("dips--seed2", 0.2), ("rnnip", 0.2))]
    out = tmp_path / "comparisons.csv"
    spec = {"working_points": [70, 77], "reference": "ip3d", "bootstrap": {"replicas": 50},
            "members": {"dips": ["dips", "dips--seed2"], "ip3d": ["ip3d"], "rnnip": ["rnnip"]}}
    write_comparisons(spec, files, out)
    with out.open() as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert tuple(reader.fieldnames) == COLUMNS
    assert {r["tagger"] for r in rows} == {"dips", "rnnip"}  # seeds folded in, reference not compared
    assert len(rows) == 2 * (2 * 2 + 1)  # taggers x (wps x rejections + AUC)
    assert "inf" not in out.read_text() and "nan" not in out.read_text()
    with pytest.raises(JettagError, match="evaluation.reference"):
        write_comparisons({**spec, "reference": "gn2"}, files, out)


def test_compare_to_adds_further_references_with_their_seeds(tmp_path):
    flavour, ref = _toy(5, n_l=5000)
    rng = np.random.default_rng(6)
    files = [_write(tmp_path / f"{t}.h5", t, ref + rng.normal(0, s, ref.size), flavour)
             for t, s in (("ip3d", 0.8), ("dips", 0.3), ("dips--mainseed2", 0.3), ("gn2", 0.1))]
    out = tmp_path / "comparisons.csv"
    spec = {"working_points": [77], "reference": "ip3d", "compare_to": ["dips"], "bootstrap": {"replicas": 50},
            "members": {"dips": ["dips", "dips--mainseed2"], "ip3d": ["ip3d"], "gn2": ["gn2"]}}
    write_comparisons(spec, files, out)
    with out.open() as f:
        rows = list(csv.DictReader(f))
    pairs = {(r["tagger"], r["reference"]) for r in rows}
    assert pairs == {("dips", "ip3d"), ("gn2", "ip3d"), ("ip3d", "dips"), ("gn2", "dips")}
    gn2_vs_dips = next(r for r in rows if (r["tagger"], r["reference"], r["metric"]) == ("gn2", "dips", "light_rej"))
    assert float(gn2_vs_dips["ratio"]) > 1 and gn2_vs_dips["verdict"] == "better"
    dips_vs_ip3d = next(r for r in rows if (r["tagger"], r["reference"], r["metric"]) == ("dips", "ip3d", "light_rej"))
    # the reference dips of the second comparison is the same seed mean as the tagger dips of the first
    assert float(gn2_vs_dips["reference_value"]) == pytest.approx(float(dips_vs_ip3d["value"]))
