"""Tagger variant names -> training plans (pure data)."""

import pytest

from jettag import config
from jettag.errors import JettagError
from jettag.studies import plan, variants


@pytest.fixture(scope="module")
def cfg():
    return config.resolve(
        {
            "samples": {"ttbar": {"generator": {"process": "ttbar"}}, "zprime": {"generator": {"process": "zprime"}}},
            "models": {"ip3d": {"type": "ip3d"}, "dips": {"type": "deepsets"}},
            "studies": {"training": {"epochs": 2}, "search": {"trials": 2}},
        }
    )


def test_plain_model_unchanged(cfg):
    p = variants.plan_tagger(cfg, "dips")
    assert p["data_dir"] == "results/data/ttbar" and p["init_checkpoint"] is None
    assert p["spec"]["training"]["epochs"] == 20 and p["spec"]["fc"] == 0.05


@pytest.mark.parametrize(
    "tagger, check",
    [
        ("dips--seed2", lambda p: p["spec"]["training"]["seed"] == 2),
        ("dips--no-hits", lambda p: p["spec"]["drop_features"] == ["hits"]),
        ("dips--no-sd0", lambda p: p["spec"]["drop_features"] == ["sd0"]),
        ("dips--frac0.1", lambda p: p["data_dir"].endswith("bias_variance/data/frac0.1")),
        ("dips--fold2of5", lambda p: p["data_dir"].endswith("kfold/data/fold2of5")),
        ("dips--width64", lambda p: set(p["spec"]["phi_layers"]) == {64}),
        ("dips--depth2", lambda p: len(p["spec"]["phi_layers"]) == 2),
        ("dips--nolog", lambda p: "pt_frac" in p["spec"]["track_features"]
         and "log_dr" not in p["spec"]["track_features"]),
        ("dips--absolute", lambda p: {"eta", "phi", "log_pt"} <= set(p["spec"]["track_features"])),
        ("dips--zprime", lambda p: p["data_dir"] == "results/data/zprime"),
        ("dips--finetune-zprime", lambda p: p["init_checkpoint"] == "results/models/dips/best.pt"
         and p["spec"]["training"]["max_train_jets"] == 2000),
        ("dips--scratch-zprime", lambda p: p["init_checkpoint"] is None),
        ("dips--snap2", lambda p: p["init_checkpoint"] == "results/models/dips--snap1/last.pt"
         and p["spec"]["training"]["schedule"]["name"] == "sgdr"),
        ("dips--no-hits--seed3", lambda p: p["spec"]["training"]["seed"] == 3 and p["spec"]["drop_features"] == ["hits"]),
    ],
)
def test_variants(cfg, tagger, check):
    p = variants.plan_tagger(cfg, tagger)
    assert check(p)
    assert p["spec"]["training"]["epochs"] == 2  # studies.training applies to every variant
    assert p["spec"]["name"] == tagger


def test_trial_reproducible(cfg):
    a = variants.plan_tagger(cfg, "dips--trial07")["spec"]
    b = variants.plan_tagger(cfg, "dips--trial07")["spec"]
    c = variants.plan_tagger(cfg, "dips--trial08")["spec"]
    assert a == b and a["training"] != c["training"]


@pytest.mark.parametrize(
    "tagger", ["dips--bogus", "dips--no-nonsense", "nomodel--seed1", "dips--frac1.5", "dips--fold6of5",
               "dips--", "ip3d--seed2", "dips--seed1--seed1", "dips--frac0.10"],
)
def test_unknown_variants(cfg, tagger):
    with pytest.raises(JettagError):
        variants.plan_tagger(cfg, tagger)


def test_plan_lists_jobs(cfg):
    cfg = config.merge(cfg, {"studies": {"kfold": {"enabled": True, "folds": 2}}})
    inputs = plan.summary_inputs(cfg, "kfold")
    assert inputs == ["results/scores/ttbar/dips--fold1of2.h5", "results/scores/ttbar/dips--fold2of2.h5"]
    assert plan.enabled(cfg) == ["kfold"]
    for tagger in [p.split("/")[-1][:-3] for p in inputs]:
        variants.plan_tagger(cfg, tagger)
