"""Result paths: the layout under results_dir / resources_dir (the workflow's output contract)."""

import dataclasses

import pytest

from jettag.paths import ResultPaths


@pytest.fixture
def P():
    return ResultPaths.of({"results_dir": "out", "resources_dir": "res"})


def test_layout(P):
    assert P.shard("ttbar", 3) == "res/samples/ttbar/shard3.root"
    assert P.data_dir("ttbar") == "out/data/ttbar"
    assert P.split_files("ttbar") == {
        "train": "out/data/ttbar/train.h5", "val": "out/data/ttbar/val.h5",
        "test": "out/data/ttbar/test.h5", "norm": "out/data/ttbar/norm.json",
    }
    assert list(P.preprocess_outputs("ttbar")) == ["train", "val", "test", "norm", "summary"]
    assert P.preprocess_outputs("ttbar")["summary"] == "out/data/ttbar/summary.json"
    assert P.model_outputs("dips") == {
        "best": "out/models/dips/best.pt", "last": "out/models/dips/last.pt",
        "history": "out/models/dips/history.csv", "diagnostics": "out/models/dips/diagnostics.json",
    }
    assert P.checkpoint("dips--snap1", "last") == "out/models/dips--snap1/last.pt"
    assert P.onnx("dips") == "out/models/dips/model.onnx"
    assert P.lr_find("dips", "png") == "out/lr_find/dips.png"
    assert P.scores("zprime", "dips") == "out/scores/zprime/dips.h5"
    assert P.performance() == "out/metrics/performance.csv"
    assert P.plot("roc") == "out/plots/roc" and P.plot("roc", "pdf") == "out/plots/roc.pdf"
    assert P.resolved_config() == "out/config.yaml"


def test_study_layout(P):
    assert P.study_stem("kfold") == "out/studies/kfold/kfold"
    assert P.fold_dir(2, 5) == "out/studies/kfold/data/fold2of5"
    assert P.subset_dir("0.1") == "out/studies/bias_variance/data/frac0.1"
    assert P.double_descent_dir(1000, 0.2) == P.double_descent_dir("1000", "0.2") == (
        "out/studies/double_descent/data/n1000_noise0.2")
    assert P.training_files(P.subset_dir("0.1")) == {
        "train": "out/studies/bias_variance/data/frac0.1/train.h5",
        "val": "out/studies/bias_variance/data/frac0.1/val.h5",
        "norm": "out/studies/bias_variance/data/frac0.1/norm.json",
    }
    assert P.saliency_maps("dips") == "out/studies/saliency/maps_dips.h5"
    assert P.permutation("dips", "md") == "out/studies/ablation/permutation_dips.md"
    assert P.overfit_check("dips") == "out/studies/search/overfit_dips.json"


def test_wildcards_give_rule_patterns(P):
    assert P.scores("{sample}", "{tagger}") == "out/scores/{sample}/{tagger}.h5"
    assert P.fold_dir("{index}", "{folds}") == "out/studies/kfold/data/fold{index}of{folds}"
    assert P.history("{model}--overfit") == "out/models/{model}--overfit/history.csv"


def test_frozen_and_defaults():
    P = ResultPaths.of({"results_dir": "results"})
    assert P.resources == "resources"
    with pytest.raises(dataclasses.FrozenInstanceError):
        P.results = "x"
