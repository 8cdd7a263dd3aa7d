"""The K-fold summary: best vs worst fold, paired on the same test jets."""

from jettag.studies import common, kfold
from tests.test_studies_aggregation import fake_scores


def _run(tmp_path, qualities):
    taggers = kfold.fold_taggers("m", len(qualities))
    inputs = [fake_scores(tmp_path / f"{t}.h5", t, q, n=4000, seed=i)
              for i, (t, q) in enumerate(zip(taggers, qualities, strict=True))]
    spec = {"folds": {"m": taggers}, "working_points": [70, 77], "plots": {"formats": ["png"]}}
    out = tmp_path / "k" / "kfold.csv"
    kfold.step_summary(spec, inputs, out)
    return [r for r in common.read_csv(out) if r["metric"] == "light_rej"]


def test_folds_that_differ_are_told_apart(tmp_path):
    rows = _run(tmp_path, [1.0, 2.5, 1.8])
    assert all(r["tagger"] == "m--fold2of3" and r["reference"] == "m--fold1of3" for r in rows)
    assert all(r["verdict"] == "better" and r["ratio"] > 1 for r in rows)


def test_equal_folds_are_a_null_with_its_mde(tmp_path):
    rows = _run(tmp_path, [2.0, 2.0])
    assert all(r["verdict"].startswith("no significant difference (MDE") for r in rows)
    assert all(r["ratio_lo"] < 1 < r["ratio_hi"] for r in rows)
