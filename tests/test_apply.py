"""`jettag apply`: a tagger trained on generated jets, applied to mapped files (CMS NanoAOD)."""

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from jettag.cli import main
from jettag.evaluation.scores import SCORE_DATASETS, read_scores
from jettag.evaluation.working_points import auc

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
CMS_FILE = REALDATA / "nano106X_on_mini106X_2017_mc_NANO.root"
PREPROCESS = {"max_tracks": 20}
# NanoAOD has no hit counts (the mapping sets constants): the CMS-appropriate model drops them.
DIPS = {"type": "deepsets", "name": "dips", "drop_features": ["hits"],
        "training": {"epochs": 15, "batch_size": 128, "learning_rate": 0.002, "seed": 1,
                     "num_threads": 1, "device": "cpu"}}


def cms_spec() -> dict:
    cfg = yaml.safe_load((ROOT / "config" / "examples" / "cms_nanoaod.yaml").read_text())
    return {"input": cfg["samples"]["cms_qcd"]["input"], "preprocess": PREPROCESS}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Generate ~1500 ttbar jets, preprocess, train a small DIPS (about 30 s on one core)."""
    d = tmp_path_factory.mktemp("apply")
    gen = json.dumps({"process": "ttbar", "n_events": 300, "seed": 3})
    assert main(["generate", "--spec", gen, "--output", str(d / "s0.root"), "--no-progress"]) == 0
    assert main(["preprocess", "--spec", json.dumps(PREPROCESS), "--inputs", str(d / "s0.root"),
                 "--output-dir", str(d / "data")]) == 0
    assert main(["train", "--spec", json.dumps(DIPS), "--data-dir", str(d / "data"),
                 "--output-dir", str(d / "dips")]) == 0
    return d


def test_cms_nanoaod_b_vs_light(trained, tmp_path, capsys):
    if not CMS_FILE.is_file():
        pytest.skip(f"real CMS NanoAOD file not found at {CMS_FILE} (../shared/realdata)")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(cms_spec()))
    out = tmp_path / "cms.h5"
    rc = main(["apply", "--model", str(trained / "dips" / "best.pt"), "--spec", f"@{spec}",
               "--inputs", str(CMS_FILE), "--output", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    s = read_scores(out)
    assert s.tagger == "dips" and s.fc == pytest.approx(0.05)
    disc = s.discriminant()
    b, light = disc[s.flavour == 5], disc[s.flavour == 0]
    assert len(b) >= 5 and len(light) > 100
    value = auc(b, light)
    assert value > 0.6, f"AUC b vs light on CMS NanoAOD {value:.3f}"
    assert np.median(b) > np.median(light)
    assert f"AUC b vs light: {value:.4f}" in printed and f"{len(s)} jets scored" in printed
    with h5py.File(out) as f:
        assert sorted(f) == sorted(SCORE_DATASETS)
        assert f.attrs["config_hash"] and f.attrs["torch_version"] and f.attrs["jettag_version"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_all_jets_kept_and_onnx_equals_checkpoint(trained, tmp_path):
    """On the training file itself every selected jet is scored (train + val + test), and the
    ONNX export gives the checkpoint's probabilities."""
    onnx = tmp_path / "dips.onnx"
    assert main(["export", "--checkpoint", str(trained / "dips" / "best.pt"),
                 "--data", str(trained / "data" / "test.h5"), "--output", str(onnx)]) == 0
    spec = json.dumps({"preprocess": PREPROCESS, "tagger": "dips"})
    for model, out in ((trained / "dips" / "best.pt", tmp_path / "pt.h5"), (onnx, tmp_path / "onnx.h5")):
        assert main(["apply", "--model", str(model), "--spec", spec, "--inputs", str(trained / "s0.root"),
                     "--output", str(out)]) == 0
    a, b = read_scores(tmp_path / "pt.h5"), read_scores(tmp_path / "onnx.h5")
    summary = json.loads((trained / "data" / "summary.json").read_text())
    assert len(a) == sum(summary["jets_per_split"].values())
    np.testing.assert_array_equal(a.eventNumber, b.eventNumber)
    np.testing.assert_array_equal(a.flavour, b.flavour)
    for name in ("p_b", "p_c", "p_u"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), atol=1e-5)
    # same jets, same model: the test split's scores equal `jettag evaluate`'s
    ev = tmp_path / "eval.h5"
    assert main(["evaluate", "--checkpoint", str(trained / "dips" / "best.pt"),
                 "--data", str(trained / "data" / "test.h5"), "--output", str(ev), "--tagger", "dips"]) == 0
    e = read_scores(ev)
    mask = np.isin(a.eventNumber, e.eventNumber)
    np.testing.assert_array_equal(np.sort(a.eventNumber[mask]), np.sort(e.eventNumber))
    np.testing.assert_allclose(np.sort(a.p_b[mask]), np.sort(e.p_b), atol=1e-6)


@pytest.mark.parametrize("case", ["missing_model", "bad_spec_key", "not_root", "model_not_checkpoint"])
def test_apply_errors_are_one_line(trained, tmp_path, capsys, case):
    model, spec, inputs = trained / "dips" / "best.pt", {"preprocess": PREPROCESS}, trained / "s0.root"
    if case == "missing_model":
        model = tmp_path / "nope.pt"
    elif case == "bad_spec_key":
        spec = {"preprocss": {}}
    elif case == "not_root":
        inputs = tmp_path / "notes.root"
        inputs.write_text("not a ROOT file\n")
    else:
        model = tmp_path / "junk.pt"
        model.write_bytes(b"\0" * 100)
    out = tmp_path / "out" / "scores.h5"
    rc = main(["apply", "--model", str(model), "--spec", json.dumps(spec), "--inputs", str(inputs),
               "--output", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert {"missing_model": "nope.pt", "bad_spec_key": "preprocss", "not_root": "notes.root",
            "model_not_checkpoint": "junk.pt"}[case] in err
    assert not out.exists() and (not out.parent.exists() or list(out.parent.iterdir()) == [])
