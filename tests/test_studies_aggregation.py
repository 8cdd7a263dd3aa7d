"""Study aggregation on fabricated scores files and histories (tiny)."""

import math

import h5py
import numpy as np
import pytest

from jettag.studies import (
    ablation,
    bias_variance,
    common,
    datasets,
    ensembles,
    features,
    kfold,
    search,
)


def fake_scores(path, tagger, quality, n=3000, seed=0):
    """Scores whose separation grows with ``quality`` (same jets for every seed)."""
    rng = np.random.default_rng(0)
    flavour = rng.choice([5, 4, 0], size=n, p=[0.3, 0.2, 0.5]).astype(np.int32)
    noise = np.random.default_rng(seed + 1).normal(size=(n, 3))
    logits = noise.copy()
    for i, lab in enumerate((5, 4, 0)):
        logits[:, i] += quality * (flavour == lab)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        for i, name in enumerate(("p_b", "p_c", "p_u")):
            f[name] = p[:, i].astype(np.float32)
        f["pt"] = rng.uniform(20, 500, n).astype(np.float32)
        f["eta"] = rng.uniform(-2.5, 2.5, n).astype(np.float32)
        f["flavour"] = flavour
        f["eventNumber"] = np.arange(n, dtype=np.int64)
        f.attrs["tagger"] = tagger
        f.attrs["fc"] = 0.05
    return path


def fake_history(path, train, val):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["epoch,train_loss,val_loss,seconds"] + [f"{i + 1},{t},{v},2.0" for i, (t, v) in enumerate(zip(train, val, strict=True))]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_ensemble_of_identical_members_is_the_member(tmp_path):
    a = fake_scores(tmp_path / "s/ttbar/m--seed1.h5", "m--seed1", 2.0)
    b = fake_scores(tmp_path / "s/ttbar/m--seed2.h5", "m--seed2", 2.0)
    out = tmp_path / "s/ttbar/m_ensemble.h5"
    ensembles.step_combine({"tagger": "m_ensemble"}, [a, b], out)
    e, m = common.read_scores(out), common.read_scores(a)
    assert e.tagger == "m_ensemble" and e.fc == m.fc
    np.testing.assert_allclose(e.p_b, m.p_b, rtol=1e-6)
    assert common.scores_metrics(e)[0].light_rej == pytest.approx(common.scores_metrics(m)[0].light_rej)


def test_ensemble_rows_gain_and_correlation():
    ms = [common.Metrics(f"m--seed{i}", 77, 0.77, r, 1.0, 5.0, 0.2, 0.9, 100) for i, r in enumerate((10.0, 20.0))]
    ens = common.Metrics("m_ensemble", 77, 0.77, 18.0, 1.0, 5.0, 0.2, 0.9, 100)
    rows = ensembles.summarise("m", ms, ens, "deep ensemble", 10, 0.9)
    assert [r["kind"] for r in rows] == ["member", "member", "mean member", "deep ensemble"]
    assert rows[-1]["gain_vs_mean_member"] == pytest.approx(18 / 15 - 1)
    assert rows[2]["light_rej_spread"] == pytest.approx(np.std([10, 20], ddof=1))
    corr = ensembles.discriminant_correlation([np.arange(5.0), 2 * np.arange(5.0)])
    np.testing.assert_allclose(corr, 1.0)


def test_ensembles_summary_writes_table_and_plots(tmp_path):
    names = ["m", "m--seed2"]
    inputs = [fake_scores(tmp_path / f"s/ttbar/{n}.h5", n, 2.0, seed=i) for i, n in enumerate(names)]
    ens = tmp_path / "s/ttbar/m_ensemble.h5"
    ensembles.step_combine({}, inputs, ens)
    inputs += [ens, fake_history(tmp_path / "models/m/history.csv", [1, 0.5], [1, 0.6])]
    spec = {"members": {"m": names}, "snapshots": {"m": []}, "plots": {"formats": ["png"]}}
    out = tmp_path / "st/ensembles.csv"
    ensembles.step_summary(spec, inputs, out)
    rows = common.read_csv(out)
    assert rows[-1]["tagger"] == "m_ensemble" and rows[-1]["n_members"] == 2
    assert out.with_suffix(".md").is_file() and out.with_suffix(".html").is_file()
    for name in ensembles.plot_names(spec):
        assert (tmp_path / f"st/ensembles_{name}.png").is_file()


def test_ablation_ranks_the_needed_component_first():
    def m(tagger, rej):
        return common.Metrics(tagger, 77, 0.77, rej, 0.05 * rej, 3.0, 0.1, 0.9, 1000)

    rows = ablation.rank_components(
        "m", [m("full", 50.0)],
        {"hits": [m("a", 49.5)], "ip": [m("b", 5.0)], "kinematics": [m("c", 40.0)]},
    )
    assert rows[0]["component"] == "full model"
    assert [r["component"] for r in rows[1:]] == ["without ip", "without kinematics", "without hits"]
    assert rows[1]["flag"] == "significant" and rows[3]["flag"] == "within noise"
    assert rows[1]["delta_light_rej_err"] == pytest.approx(math.hypot(2.5, 0.25))


def test_kfold_mean_and_std():
    folds = [[common.Metrics(f"m--fold{i}of3", 77, 0.77, r, 1.0, 4.0, 0.1, a, 10)]
             for i, (r, a) in enumerate([(10.0, 0.9), (12.0, 0.92), (14.0, 0.94)], 1)]
    rows = kfold.summarise("m", folds)
    light = next(r for r in rows if r["metric"] == "light_rej")
    assert light["mean"] == pytest.approx(12.0) and light["std"] == pytest.approx(2.0)
    assert light["fold3"] == 14.0
    assert sum(r["metric"] == "auc" for r in rows) == 1


def test_search_same_seed_same_trials_and_log_uniform():
    sec = {"seed": 3}
    assert [search.sample_trial(sec, i) for i in range(5)] == [search.sample_trial(sec, i) for i in range(5)]
    assert search.sample_trial(sec, 1) != search.sample_trial({"seed": 4}, 1)
    lr = np.array([search.sample_trial({"seed": 1, "space": {"learning_rate": {"low": 1e-5, "high": 1e-1, "log": True}}}, i)
                   ["learning_rate"] for i in range(800)])
    per_decade = np.histogram(np.log10(lr), bins=[-5, -4, -3, -2, -1])[0]
    assert per_decade.min() > 0.75 * per_decade.max()  # ~200 each
    assert ((lr >= 1e-5) & (lr <= 1e-1)).all()


def test_search_ranking_and_overfit_check(tmp_path):
    trials = [{"model": "m", "trial": i, "best_val_loss": v} for i, v in enumerate([0.9, 0.5, float("nan"), 0.7])]
    ranked = search.summarise(trials)
    assert [t["trial"] for t in ranked] == [1, 3, 0, 2]
    h = common.read_history(fake_history(tmp_path / "models/m--overfit/history.csv", [1.1, 0.3, 0.02], [1, 1, 1]))
    assert search.overfit_verdict(h, 0.1)["passed"]
    assert not search.overfit_verdict(h, 0.01)["passed"]
    assert h.wall_time[-1] == pytest.approx(6.0)  # per-epoch seconds accumulated


def test_bias_variance_regimes():
    pts = [
        {"model": "m", "scan": "width", "value": 8, "train_loss": 0.9, "val_loss": 0.92},
        {"model": "m", "scan": "width", "value": 64, "train_loss": 0.5, "val_loss": 0.52},
        {"model": "m", "scan": "width", "value": 512, "train_loss": 0.2, "val_loss": 0.6},
    ]
    assert [r["regime"] for r in bias_variance.summarise(pts)] == ["high bias", "balanced", "high variance"]


def test_features_steps_to_target():
    def run(tagger, val):
        h = common.History(tagger, np.arange(1.0, len(val) + 1), np.array(val), np.array(val),
                           np.cumsum(np.ones(len(val))))
        return features.Run(h, 10.0 * h.epoch)

    m = common.Metrics("x", 77, 0.77, 10.0, 1.0, 3.0, 0.1, 0.9, 100)
    rows = features.summarise("m", {"baseline": [run("m", [1.0, 0.6, 0.5])],
                                    "nolog": [run("m--nolog", [1.0, 0.9, 0.7, 0.6])]},
                              {"baseline": m, "nolog": m})
    assert rows[0]["target_val_loss"] == 0.6
    assert rows[0]["steps_to_target"] == 20 and rows[1]["steps_to_target"] == 40
    assert rows[0]["epochs_to_target"] == 2 and rows[1]["epochs_to_target"] == 4


def test_fold_and_subset_copy(tmp_path):
    n = 200
    for split in ("train", "val"):
        with h5py.File(tmp_path / f"{split}.h5", "w") as f:
            f["tracks"] = np.random.default_rng(0).normal(size=(n, 4, 2)).astype(np.float32)
            f["tracks"].attrs["features"] = ["a", "b"]
            f["eventNumber"] = np.arange(n, dtype=np.int64) + (0 if split == "train" else 10_000)
            f.attrs["split"] = split
    (tmp_path / "norm.json").write_text("{}")
    inputs = [tmp_path / "train.h5", tmp_path / "val.h5", tmp_path / "norm.json"]
    datasets.make_fold(inputs, tmp_path / "f1/train.h5", 1, 2, chunk_size=37)
    with h5py.File(tmp_path / "f1/train.h5") as a, h5py.File(tmp_path / "f1/val.h5") as b:
        assert a["eventNumber"].shape[0] + b["eventNumber"].shape[0] == 2 * n
        assert (datasets.fold_of(b["eventNumber"][:], 2) == 0).all()
        assert list(a["tracks"].attrs["features"]) == ["a", "b"]
    datasets.make_subset(inputs, tmp_path / "sub/train.h5", 0.3)
    datasets.make_subset(inputs, tmp_path / "sub6/train.h5", 0.6)
    with h5py.File(tmp_path / "sub/train.h5") as a, h5py.File(tmp_path / "sub6/train.h5") as b:
        assert set(a["eventNumber"][:]) <= set(b["eventNumber"][:])  # nested
        assert 30 < a.attrs["n_jets"] < 90
