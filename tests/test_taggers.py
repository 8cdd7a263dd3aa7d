"""Tagger names -> training plans (pure data)."""

import pytest

from jettag import config, taggers
from jettag.errors import JettagError
from jettag.taggers import TaggerPlan
from tests.conftest import planning_config


@pytest.fixture(scope="module")
def cfg():
    return planning_config()


def test_plain_model_unchanged(cfg):
    p = taggers.plan_tagger(cfg, "dips")
    assert isinstance(p, TaggerPlan)
    assert p.data_dir == "results/data/ttbar" and p.init_checkpoint is None and p.requires == ()
    assert p.spec["training"]["epochs"] == 20 and p.spec["fc"] == 0.05


@pytest.mark.parametrize(
    "tagger, check",
    [
        ("dips--seed2", lambda p: p.spec["training"]["seed"] == 2),
        ("dips--no-hits", lambda p: p.spec["drop_features"] == ["hits"]),
        ("dips--no-sd0", lambda p: p.spec["drop_features"] == ["sd0"]),
        ("dips--frac0.1", lambda p: p.data_dir.endswith("bias_variance/data/frac0.1")),
        ("dips--fold2of5", lambda p: p.data_dir.endswith("kfold/data/fold2of5")),
        ("dips--width64", lambda p: set(p.spec["phi_layers"]) == {64}),
        ("dips--depth2", lambda p: len(p.spec["phi_layers"]) == 2),
        ("dips--dd8", lambda p: set(p.spec["phi_layers"]) == set(p.spec["f_layers"]) == {8}
         and p.data_dir.endswith("double_descent/data/n1000_noise0.2")
         and not p.spec["training"]["early_stopping"]["enabled"] and p.spec["training"]["weight_decay"] == 0),
        ("dips--nolog", lambda p: "pt_frac" in p.spec["track_features"]
         and "log_dr" not in p.spec["track_features"]),
        ("dips--absolute", lambda p: {"eta", "phi", "log_pt"} <= set(p.spec["track_features"])),
        ("dips--zprime", lambda p: p.data_dir == "results/data/zprime"),
        ("dips--finetune-zprime", lambda p: p.init_checkpoint == "results/models/dips/best.pt"
         and p.spec["training"]["max_train_jets"] == 2000),
        ("dips--scratch-zprime", lambda p: p.init_checkpoint is None),
        ("dips--snap2", lambda p: p.init_checkpoint == "results/models/dips--snap1/last.pt"
         and p.spec["training"]["schedule"]["name"] == "sgdr"),
        ("dips--no-hits--seed3", lambda p: p.spec["training"]["seed"] == 3 and p.spec["drop_features"] == ["hits"]),
    ],
)
def test_variants(cfg, tagger, check):
    p = taggers.plan_tagger(cfg, tagger)
    assert check(p)
    # studies.training applies to every variant; the transfer small-sample runs have their own budget
    epochs = {"dips--dd8": 150}.get(tagger, 30 if "-zprime" in tagger and "--zprime" not in tagger else 2)
    assert p.spec["training"]["epochs"] == epochs
    assert p.spec["name"] == tagger


def test_trial_reproducible(cfg):
    a = taggers.plan_tagger(cfg, "dips--trial07").spec
    b = taggers.plan_tagger(cfg, "dips--trial07").spec
    c = taggers.plan_tagger(cfg, "dips--trial08").spec
    assert a == b and a["training"] != c["training"]


@pytest.mark.parametrize(
    "tagger", ["dips--bogus", "dips--no-nonsense", "nomodel--seed1", "dips--frac1.5", "dips--fold6of5",
               "dips--", "ip3d--seed2", "dips--seed1--seed1", "dips--frac0.10"],
)
def test_unknown_variants(cfg, tagger):
    with pytest.raises(JettagError):
        taggers.plan_tagger(cfg, tagger)


def test_training_inputs_and_spec(cfg):
    p = taggers.plan_tagger(cfg, "dips--snap2")
    assert p.training_inputs() == {
        "train": "results/data/ttbar/train.h5",
        "val": "results/data/ttbar/val.h5",
        "norm": "results/data/ttbar/norm.json",
        "init": "results/models/dips--snap1/last.pt",
    }
    assert p.training_spec()["init_checkpoint"] == "results/models/dips--snap1/last.pt"
    assert taggers.plan_tagger(cfg, "dips").training_spec().get("init_checkpoint") is None


def test_overfit_requirement_is_an_input():
    c = config.resolve(
        {
            "samples": {"ttbar": {"generator": {"process": "ttbar"}}},
            "models": {"ip3d": {"type": "ip3d"}, "dips": {"type": "deepsets"}},
            "studies": {"search": {"overfit": {"require": True}}},
        }
    )
    p = taggers.plan_tagger(c, "dips--trial01")
    assert p.requires == ("results/studies/search/overfit_dips.json",)
    assert p.training_inputs()["requires0"] == "results/studies/search/overfit_dips.json"


def test_names():
    assert taggers.split_tagger("dips--no-hits--seed3") == ("dips", ["no-hits", "seed3"])
    assert taggers.join_tagger("dips", ["frac0.5"]) == "dips--frac0.5"
    assert taggers.fraction_text(0.10) == "0.1" and taggers.fraction_text(1.0) == "1"


def test_extra_seeds_of_a_main_model_train_like_the_model():
    cfg = config.resolve({**planning_config(), "training": {"epochs": 15, "seeds": 3},
                          "studies": {"training": {"epochs": 6}}})
    model = next(m for m, s in cfg["models"].items() if s["type"] != "ip3d")
    names = taggers.main_seed_taggers(cfg, model)
    assert names == [model, f"{model}--mainseed2", f"{model}--mainseed3"]
    seed2 = taggers.plan_tagger(cfg, names[1]).spec["training"]
    assert seed2["seed"] == 2 and seed2["epochs"] == 15  # not the shorter study training
    # the studies' seeds of the same number are the shorter study trainings, a different tagger
    study_seed2 = taggers.plan_tagger(cfg, f"{model}--seed2").spec["training"]
    assert study_seed2["seed"] == 2 and study_seed2["epochs"] == 6


def test_relative_and_absolute_coordinates_differ_only_in_the_coordinates(cfg):
    rel = taggers.plan_tagger(cfg, "dips--relative").spec["track_features"]
    ab = taggers.plan_tagger(cfg, "dips--absolute").spec["track_features"]
    assert [f for f in rel if f not in ("deta", "dphi")] == [f for f in ab if f not in ("eta", "phi")]
    assert "log_pt" in rel and "log_pt" in ab  # the same pT input in both
