"""Study planning: specs, summary inputs, plots and targets from a resolved config."""

import pytest

from jettag import config, taggers
from jettag.errors import JettagError
from jettag.studies import plan
from tests.conftest import planning_config


@pytest.fixture(scope="module")
def cfg():
    return planning_config()


def test_plan_lists_jobs(cfg):
    cfg = config.merge(cfg, {"studies": {"kfold": {"enabled": True, "folds": 2}}})
    inputs = plan.summary_inputs(cfg, "kfold")
    assert inputs == ["results/scores/ttbar/dips--fold1of2.h5", "results/scores/ttbar/dips--fold2of2.h5"]
    assert plan.enabled(cfg) == ["kfold"]
    for tagger in [p.split("/")[-1][:-3] for p in inputs]:
        taggers.plan_tagger(cfg, tagger)


def test_step_spec_has_section_plot_settings_and_jobs(cfg):
    spec = plan.step_spec(cfg, "ensembles")
    assert spec["sample"] == "ttbar" and spec["plots"] == cfg["plots"]
    assert spec["members"] == {"dips": ["dips--seed1", "dips--seed2", "dips--seed3"]}
    assert spec["snapshots"] == {"dips": ["dips--snap1", "dips--snap2", "dips--snap3"]}


def test_summary_inputs_of_each_study(cfg):
    s = "results/scores/ttbar"
    assert plan.summary_inputs(cfg, "saliency") == ["results/studies/saliency/maps_dips.h5"]
    search = plan.summary_inputs(cfg, "search")
    assert search == [f"{s}/dips--trial00.h5", f"{s}/dips--trial01.h5", "results/models/dips--trial00/history.csv",
                      "results/models/dips--trial01/history.csv", f"{s}/dips--seed1.h5",
                      "results/studies/search/overfit_dips.json"]
    ablation = plan.summary_inputs(cfg, "ablation")
    assert ablation[0] == f"{s}/dips--seed1.h5" and f"{s}/dips--no-hits.h5" in ablation
    assert ablation[-1] == "results/studies/ablation/permutation_dips--seed1.csv"
    transfer = plan.summary_inputs(cfg, "transfer")
    assert "results/scores/zprime/dips--finetune-zprime.h5" not in transfer  # finetune of the seed run
    assert "results/scores/zprime/dips--seed1--finetune-zprime.h5" in transfer
    features = plan.summary_inputs(cfg, "features")
    assert features[:6] == [f"{s}/dips--seed1.h5", f"{s}/dips--seed2.h5", f"{s}/dips--seed3.h5",
                            f"{s}/dips--nolog.h5", f"{s}/dips--nolog--seed2.h5", f"{s}/dips--nolog--seed3.h5"]
    assert "results/studies/bias_variance/losses_dips--frac0.1.json" in plan.summary_inputs(cfg, "bias_variance")
    bv = plan.step_spec(cfg, "bias_variance")["points"]["dips"]
    assert bv["fraction"] == {"0.1": "dips--frac0.1", "0.3": "dips--frac0.3", "1": "dips--seed1"}


def test_plots_targets_and_extra_scores(cfg):
    assert plan.plot_stems(cfg, "kfold") == ["results/studies/kfold/kfold_roc_dips"]
    assert plan.targets(cfg, "search") == ["results/studies/search/search.csv"]
    assert plan.extra_scores(cfg) == []
    on = config.merge(cfg, {"studies": {"ensembles": {"enabled": True}}})
    assert plan.extra_scores(on) == ["results/scores/ttbar/dips_ensemble.h5", "results/scores/ttbar/dips_snapshot.h5"]


def test_unknown_study(cfg):
    with pytest.raises(JettagError, match="unknown study 'nope'"):
        plan.step_spec(cfg, "nope")


def test_transfer_needs_its_target_sample(cfg):
    one = dict(cfg, samples={"ttbar": cfg["samples"]["ttbar"]})
    with pytest.raises(JettagError, match="studies.transfer.target"):
        plan.step_spec(one, "transfer")
