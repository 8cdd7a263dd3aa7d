"""The study table: a new study is one module that registers itself (no other file changes)."""

import importlib
import sys
import textwrap

import pytest

from jettag import config
from jettag.errors import JettagError
from jettag.studies import plan, registry
from jettag.studies.cli import run_study_step

TOY = textwrap.dedent(
    '''
    """A toy study: one variant per seed in studies.toy.seeds, a CSV of the inputs it got."""
    from pathlib import Path

    from jettag.studies import base
    from jettag.studies.registry import Study, register


    def plan_spec(cfg):
        n = int(base.section(cfg, "toy").get("seeds", 2))
        return {"taggers": {m: base.seeds(cfg, m, n) for m in base.study_models(cfg, "toy")}}


    def summary_inputs(cfg, spec):
        return [base.scores(cfg, t) for ts in spec["taggers"].values() for t in ts]


    def plot_names(spec):
        return [f"spread_{m}" for m in spec["taggers"]]


    def step_summary(spec, inputs, output, data_dir=None):
        Path(output).write_text("input\\n" + "".join(f"{p.name}\\n" for p in inputs))


    register(Study(
        name="toy", order=999, steps={"summary": step_summary},
        spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names,
        extra_scores=lambda cfg: [base.scores(cfg, "toy_mean")],
    ))
    '''
)


@pytest.fixture
def toy(tmp_path, monkeypatch):
    (tmp_path / "toy_study_module.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("toy_study_module")
    yield
    registry.unregister("toy")
    sys.modules.pop("toy_study_module", None)


@pytest.fixture(scope="module")
def cfg():
    cfg = config.resolve(
        {
            "samples": {"ttbar": {"generator": {"process": "ttbar"}}},
            "models": {"ip3d": {"type": "ip3d"}, "dips": {"type": "deepsets"}},
        }
    )
    return cfg


def test_the_studies_in_order():
    assert registry.names() == (
        "ensembles", "saliency", "ablation", "kfold", "search", "bias_variance", "double_descent", "features", "augmentation", "transfer", "batch_lr",
    )
    for name, study in registry.studies().items():
        assert study.name == name and "summary" in study.steps


def test_a_new_study_is_planned(toy, cfg, tmp_path):
    cfg = config.merge(cfg, {"studies": {"toy": {"enabled": True, "seeds": 2}}})
    assert registry.names()[-1] == "toy"
    assert "toy" in plan.enabled(cfg)
    spec = plan.step_spec(cfg, "toy")
    assert spec["taggers"] == {"dips": ["dips", "dips--seed2"]} and spec["seeds"] == 2
    assert spec["sample"] == "ttbar"
    assert plan.summary_inputs(cfg, "toy") == [
        "results/scores/ttbar/dips.h5", "results/scores/ttbar/dips--seed2.h5",
    ]
    assert plan.plot_stems(cfg, "toy") == ["results/studies/toy/toy_spread_dips"]
    assert plan.targets(cfg, "toy") == ["results/studies/toy/toy.csv"]
    assert plan.extra_scores(cfg) == ["results/scores/ttbar/toy_mean.h5"]
    out = tmp_path / "toy.csv"
    run_study_step("toy", "summary", spec, plan.summary_inputs(cfg, "toy"), out)
    assert out.read_text() == "input\ndips.h5\ndips--seed2.h5\n"


def test_unknown_study_or_step():
    with pytest.raises(JettagError, match="unknown study 'nope'"):
        run_study_step("nope", "summary", {}, [], "x.csv")
    with pytest.raises(JettagError, match="has no step 'combine'"):
        run_study_step("kfold", "combine", {}, [], "x.csv")


def test_a_study_needs_a_summary():
    with pytest.raises(JettagError, match="no 'summary' step"):
        registry.Study(name="bad", order=1, steps={}, spec=dict, summary_inputs=list, plot_names=list)
