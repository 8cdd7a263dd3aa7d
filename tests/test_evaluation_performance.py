import csv
import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from jettag.errors import JettagError
from jettag.evaluation.discriminant import discriminant_b
from jettag.evaluation.performance import COLUMNS, performance_rows, write_performance_table
from jettag.evaluation.scores import write_scores
from jettag.evaluation.statistics import Bootstrap, rejection_lower_bound

WPS = [60, 70, 77, 85]


def fake_probs(n, separation, seed):
    rng = np.random.default_rng(seed)
    flavour = rng.choice([5, 4, 0], size=n, p=[0.3, 0.2, 0.5])
    cls = np.select([flavour == 5, flavour == 4], [0, 1], 2)
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), cls] += separation
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return p[:, 0], p[:, 1], p[:, 2], flavour


def fake_file(path, tagger, separation=2.0, seed=0, n=4000, fc=0.05):
    p_b, p_c, p_u, flavour = fake_probs(n, separation, seed)
    rng = np.random.default_rng(seed + 100)
    write_scores(path, tagger, fc, p_b, p_c, p_u, rng.uniform(20, 300, n), rng.uniform(-2.5, 2.5, n),
                 flavour, np.arange(n))
    return path


def test_rows_numbers():
    p_b, p_c, p_u, flavour = fake_probs(6000, 2.0, 1)
    rows = performance_rows("dips", p_b, p_c, p_u, flavour, 0.05, WPS)
    assert [r["wp"] for r in rows] == WPS
    assert all(set(r) == set(COLUMNS) for r in rows)
    disc = discriminant_b(p_b, p_c, p_u, 0.05)
    b, light, c = disc[flavour == 5], disc[flavour == 0], disc[flavour == 4]
    for r in rows:
        assert r["b_eff"] == pytest.approx(r["wp"] / 100, abs=1e-3)
        cut = np.quantile(b, 1 - r["wp"] / 100)
        eff_l = (light > cut).mean()
        assert r["light_rej"] == pytest.approx(1 / eff_l, rel=1e-9)
        assert r["light_rej_err"] == pytest.approx(math.sqrt(eff_l * (1 - eff_l) / light.size) / eff_l**2)
        assert r["c_rej"] == pytest.approx(1 / (c > cut).mean(), rel=1e-9)
        assert r["n_test"] == 6000
    y = np.r_[np.ones(b.size), np.zeros(light.size)]
    assert rows[0]["auc"] == pytest.approx(roc_auc_score(y, np.r_[b, light]))
    # rejection falls as the working point loosens
    assert rows[0]["light_rej"] > rows[-1]["light_rej"]


def test_perfect_separation_reports_the_lower_bound_and_says_so():
    flavour = np.array([5] * 50 + [0] * 50 + [4] * 10)
    p_b = np.where(flavour == 5, 0.98, 0.01)
    p_c = np.where(flavour == 4, 0.98, 0.01)
    p_u = 1 - p_b - p_c
    rows = performance_rows("perfect", p_b, p_c, p_u, flavour, 0.05, [77])
    # no light jet of 50 passes: (1 - e)^50 = 0.16 -> rejection > 1 / (1 - 0.16^(1/50)) = 27.8
    assert rows[0]["light_rej"] == pytest.approx(rejection_lower_bound(50))
    assert 27 < rows[0]["light_rej"] < 29 and rows[0]["light_rej_err"] == 0.0
    assert "no light jet of 50 passes" in rows[0]["note"] and "lower bound" in rows[0]["note"]
    assert all(math.isfinite(v) for v in rows[0].values() if isinstance(v, float))
    assert rows[0]["auc"] == 1.0


def test_bootstrap_intervals_bracket_the_values_with_about_binomial_width():
    p_b, p_c, p_u, flavour = fake_probs(20000, 2.0, 3)
    rows = performance_rows("dips", p_b, p_c, p_u, flavour, 0.05, [70, 85], boot=Bootstrap(replicas=300))
    for r in rows:
        for key in ("light_rej", "c_rej", "auc"):
            assert r[f"{key}_lo"] < r[key] < r[f"{key}_hi"], (key, r)
        # half-width of the 68 % interval ~ the binomial error (cut fluctuations add a little)
        half = 0.5 * (r["light_rej_hi"] - r["light_rej_lo"])
        assert 0.7 * r["light_rej_err"] < half < 2.0 * r["light_rej_err"], (half, r["light_rej_err"])
        assert r["note"] == ""


def test_write_table(tmp_path):
    files = [fake_file(tmp_path / "ip3d.h5", "ip3d", 0.8, 1, fc=0.07), fake_file(tmp_path / "dips.h5", "dips", 2.0, 2)]
    out = tmp_path / "metrics" / "performance.csv"
    write_performance_table({"working_points": WPS, "reference": "ip3d"}, files, out)
    with out.open() as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        assert tuple(reader.fieldnames) == COLUMNS
    assert len(rows) == 2 * len(WPS)
    assert {(r["tagger"], int(r["wp"])) for r in rows} == {(t, w) for t in ("ip3d", "dips") for w in WPS}
    by = {(r["tagger"], int(r["wp"])): r for r in rows}
    assert float(by["dips", 77]["light_rej"]) > float(by["ip3d", 77]["light_rej"])
    md = out.with_suffix(".md").read_text()
    assert md.splitlines()[2].startswith("| ip3d | 60 %") and "±" in md
    assert len([line for line in md.splitlines() if line.startswith("| ")]) == 1 + 2 * len(WPS)
    # the two taggers of the table are bootstrapped with the same weights: the intervals are
    # those of a joint bootstrap over the shared test jets
    for r in rows:
        assert float(r["light_rej_lo"]) <= float(r["light_rej"]) <= float(r["light_rej_hi"])


def test_taggers_on_the_same_jets_share_the_bootstrap(tmp_path):
    a = fake_file(tmp_path / "a.h5", "a", 2.0, 5)
    b = fake_file(tmp_path / "b.h5", "b", 2.0, 5)  # the same scores under another name
    out = tmp_path / "p.csv"
    write_performance_table({"working_points": [77]}, [a, b], out)
    ra, rb = list(csv.DictReader(out.open()))
    assert {k: v for k, v in ra.items() if k != "tagger"} == {k: v for k, v in rb.items() if k != "tagger"}


def test_inf_in_csv(tmp_path):
    n = 60
    flavour = np.array([5, 0, 4] * (n // 3))
    p_b = np.where(flavour == 5, 0.98, 0.01)
    write_scores(tmp_path / "p.h5", "perfect", 0.05, p_b, (1 - p_b) / 2, (1 - p_b) / 2, np.full(n, 50),
                 np.zeros(n), flavour, np.arange(n))
    out = tmp_path / "perf.csv"
    write_performance_table({"working_points": [77]}, [tmp_path / "p.h5"], out)
    text = out.read_text()
    row = next(csv.DictReader(out.open()))
    assert "inf" not in text and "nan" not in text
    assert float(row["light_rej"]) == pytest.approx(rejection_lower_bound(n // 3))
    assert "lower bound" in row["note"]
    assert "> " in out.with_suffix(".md").read_text()


def test_errors(tmp_path):
    with pytest.raises(JettagError, match="does not exist"):
        write_performance_table({}, [tmp_path / "missing.h5"], tmp_path / "p.csv")
    write_scores(tmp_path / "nob.h5", "nob", 0.05, [0.2, 0.3], [0.4, 0.3], [0.4, 0.4], [30, 40], [0, 0],
                 [0, 4], [1, 2])
    with pytest.raises(JettagError, match="no b-jets"):
        write_performance_table({}, [tmp_path / "nob.h5"], tmp_path / "p.csv")
    write_scores(tmp_path / "nan.h5", "nan", 0.05, [np.nan, 0.3], [0.4, 0.3], [0.4, 0.4], [30, 40], [0, 0],
                 [5, 4], [1, 2])
    with pytest.raises(JettagError, match="NaN"):
        write_performance_table({}, [tmp_path / "nan.h5"], tmp_path / "p.csv")
    with pytest.raises(JettagError, match="NaN"):
        performance_rows("x", [np.nan], [0.5], [0.5], [5], 0.05, [77])
    assert not (tmp_path / "p.csv").exists()
