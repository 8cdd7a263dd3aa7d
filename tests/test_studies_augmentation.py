"""The augmentation study: invariance of absolute vs relative inputs, planning, summary numbers."""

import csv
import json
import math

import numpy as np
import pytest

from jettag import config
from jettag.features import JET_FEATURES, TRACK_FEATURES
from jettag.studies import augmentation, common, features
from jettag.taggers import plan_tagger
from jettag.training.toydata import make_toy_arrays, norm_from
from tests.conftest import planning_config
from tests.test_studies_aggregation import fake_history, fake_scores


@pytest.fixture(scope="module")
def cfg():
    raw = planning_config()
    raw["studies"]["augmentation"] = {"enabled": True, "seeds": 2}
    raw["studies"]["features"] = {"enabled": True, "variants": ["relative", "absolute"], "seeds": 2}
    return config.resolve(raw)


def _split(seed):
    a = make_toy_arrays(300, max_tracks=6, seed=seed)
    names = list(TRACK_FEATURES)
    rng = np.random.default_rng(seed)
    phi = rng.uniform(-math.pi, math.pi, a["tracks"].shape[:2]).astype(np.float32)
    a["tracks"][..., names.index("phi")] = np.where(a["valid"], phi, 0.0)
    return {**a, "track_names": names, "jet_names": list(JET_FEATURES)}


def test_rotated_jets_differ_for_absolute_inputs_only(cfg):
    from jettag.models import build_model

    test, val = _split(1), _split(2)
    norm = norm_from(test)
    deltas = {}
    for variant in ("absolute", "relative"):
        spec = plan_tagger(cfg, f"dips--{variant}").spec
        model = build_model(spec, norm, list(TRACK_FEATURES), list(JET_FEATURES)).eval()
        deltas[variant] = augmentation.invariance(lambda d, m=model: augmentation._discriminant(m, d, 0.05),
                                                  test, val, 77.0, seed=1)
        assert deltas[variant]["n_jets"] == 300 and 0 <= deltas[variant]["rotate"]["flip_fraction"] <= 1
    # relative coordinates do not see a rotation in phi (bit for bit), absolute ones do
    assert deltas["relative"]["rotate"]["mean_abs_delta"] == 0.0
    assert deltas["relative"]["rotate"]["flip_fraction"] == 0.0
    assert deltas["absolute"]["rotate"]["mean_abs_delta"] > 1e-5
    # and at the level of the inputs each model reads
    from jettag.training.augment import Augmentation, transform

    aug = Augmentation.build({"rotate_phi": True}, test["track_names"], test["jet_names"])
    angle = np.full(300, 0.5, np.float32)
    rotated = transform(test, angle, np.zeros(300, bool), aug)
    for variant, moves in (("absolute", True), ("relative", False)):
        cols = [test["track_names"].index(f) for f in
                build_model(plan_tagger(cfg, f"dips--{variant}").spec, norm, list(TRACK_FEATURES),
                            list(JET_FEATURES)).track_feature_names]
        assert (not np.array_equal(rotated["tracks"][..., cols], test["tracks"][..., cols])) == moves
    # a reflection in eta flips deta: relative inputs are not reflection symmetric by construction
    assert deltas["relative"]["reflect"]["mean_abs_delta"] > 1e-4


def test_plan_shares_names_with_the_features_study_and_the_token_sets_augment(cfg):
    spec = augmentation.plan_spec(cfg)["variants"]["dips"]
    assert spec == {"absolute": ["dips--absolute", "dips--absolute--seed2"],
                    "absolute--augment": ["dips--absolute--augment", "dips--absolute--augment--seed2"],
                    "relative": ["dips--relative", "dips--relative--seed2"]}
    feats = features.plan_spec(cfg)["variants"]["dips"]
    assert feats["absolute"] == spec["absolute"] and feats["relative"] == spec["relative"]
    aug = plan_tagger(cfg, "dips--absolute--augment--seed2").spec
    assert aug["training"]["augment"] == {"rotate_phi": True, "reflect_eta": True}
    assert aug["training"]["seed"] == 2 and "phi" in aug["track_features"]
    assert "augment" not in plan_tagger(cfg, "dips--absolute").spec["training"]
    only_phi = config.merge(cfg, {"studies": {"augmentation": {"reflect_eta": False}}})
    assert plan_tagger(only_phi, "dips--absolute--augment").spec["training"]["augment"]["reflect_eta"] is False


def _write(tmp_path, tagger, val, quality, seed, rotate):
    h = fake_history(tmp_path / "models" / tagger / "history.csv", val, val)
    (h.parent / "batch_losses.csv").write_text("epoch,batch,loss\n" + "".join(
        f"{e},{b},0.5\n" for e in range(1, len(val) + 1) for b in range(10)))
    inv = tmp_path / "inv" / f"invariance_{tagger}.json"
    inv.parent.mkdir(exist_ok=True)
    inv.write_text(json.dumps({"tagger": tagger, "n_jets": 100, "wp": 77, "cut": 1.0,
                               "rotate": {"mean_abs_delta": rotate, "std_abs_delta": 0, "flip_fraction": rotate / 10},
                               "reflect": {"mean_abs_delta": 0.5, "std_abs_delta": 0, "flip_fraction": 0.05}}))
    return [h, inv, fake_scores(tmp_path / "scores" / f"{tagger}.h5", tagger, quality, n=4000, seed=seed)]


def test_summary_numbers(tmp_path):
    variants = {"m": {"absolute": ["m--absolute", "m--absolute--seed2"],
                      "absolute--augment": ["m--absolute--augment", "m--absolute--augment--seed2"],
                      "relative": ["m--relative", "m--relative--seed2"]}}
    # 10 steps per epoch; target 0.6: relative crosses at 18 steps (80 % into epoch 2), absolute at
    # the end of epoch 3 (30), augmented at the end of epoch 4 (40)
    curves = {"absolute": [1.0, 0.8, 0.6, 0.55], "absolute--augment": [1.0, 0.9, 0.7, 0.6],
              "relative": [1.0, 0.5, 0.45]}
    rotate = {"absolute": (0.8, 1.2), "absolute--augment": (0.1, 0.3), "relative": (0.0, 0.0)}
    inputs = []
    for variant, taggers in variants["m"].items():
        for k, t in enumerate(taggers):
            inputs += _write(tmp_path, t, curves[variant], 2.0, 10 * k + len(variant), rotate[variant][k])
    spec = {"variants": variants, "plots": {"formats": ["png"]}, "label": "", "label_extra": "", "sample": "s",
            "target_val_loss": 0.6, "invariance_jets": 100}
    out = tmp_path / "a" / "augmentation.csv"
    augmentation.step_summary(spec, inputs, out)
    rows = {r["variant"]: r for r in common.read_csv(out)}
    assert rows["relative"]["steps_to_target"] == 18 and rows["absolute--augment"]["steps_to_target"] == 40
    assert math.isclose(rows["absolute--augment"]["steps_ratio"], 40 / 18, rel_tol=1e-5)
    assert rows["absolute--augment"]["steps_verdict"] == "slower" and rows["relative"]["steps_verdict"] == ""
    assert math.isclose(rows["absolute"]["rotate_delta_db"], 1.0)
    assert math.isclose(rows["absolute"]["rotate_delta_db_spread"], math.sqrt(0.08), rel_tol=1e-5)  # std of (0.8, 1.2)
    assert math.isclose(rows["absolute--augment"]["rotate_delta_db"], 0.2)
    assert math.isclose(rows["absolute--augment"]["rotate_flip_fraction"], 0.02)
    assert rows["relative"]["rotate_delta_db"] == 0 and rows["relative"]["reflect_delta_db"] == 0.5
    assert rows["absolute"]["reference"] == "m--relative"
    assert rows["absolute"]["verdict"].startswith("no significant difference")  # equal quality
    for name in ("val_loss_m", "invariance_m"):
        assert (tmp_path / "a" / f"augmentation_{name}.png").is_file()
    text = augmentation.headline(list(csv.DictReader(out.open())))
    assert "slower" in text and "2.22 x relative's" in text
    assert "absolute 1, augmented 0.2, relative 0" in text


def test_invariance_ratio_carries_the_seed_spread():
    from jettag.studies.augmentation import invariance_ratio

    aug = {"rotate_delta_db": "0.05", "rotate_delta_db_spread": "0.005", "seeds": "3"}
    ab = {"rotate_delta_db": "0.2", "rotate_delta_db_spread": "0.02", "seeds": "3"}
    assert invariance_ratio(aug, ab) == "0.25 x (smaller)"  # log(0.25) / 0.082 = -17 sigma
    noisy = {"rotate_delta_db": "0.18", "rotate_delta_db_spread": "0.05", "seeds": "2"}
    assert "no significant difference (MDE" in invariance_ratio(noisy, ab)
    assert invariance_ratio({**aug, "seeds": "1"}, ab).endswith("(no seed spread)")
