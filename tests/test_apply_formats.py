"""`jettag apply --config FILE --sample NAME` on the example configs of the experiments' formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from jettag.cli import main
from jettag.evaluation.scores import read_scores
from jettag.features import JET_FEATURES, TRACK_FEATURES
from jettag.models import build_model
from jettag.models.checkpoints import save_checkpoint
from tests.conftest import realdata

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A small untrained DIPS (the format plumbing, not the physics, is under test)."""
    names, jet_names = list(TRACK_FEATURES), list(JET_FEATURES)
    norm = {"track": {k: {"mean": 0.0, "std": 1.0} for k in names},
            "jet": {k: {"mean": 0.0, "std": 1.0} for k in jet_names}}
    spec = {"type": "deepsets", "name": "dips"}
    torch.manual_seed(0)
    model = build_model(spec, norm, names, jet_names)
    path = tmp_path_factory.mktemp("ckpt") / "best.pt"
    save_checkpoint(path, model, spec, norm, names, jet_names)
    return path


@pytest.mark.parametrize(("example", "sample", "file", "n_b"), [
    ("atlas_physlite.yaml", "atlas_physlite", "uproot-issue-798.root", 72),
    ("delphes.yaml", "delphes", "uproot-issue513.root", 24),
])
def test_apply_with_config_and_sample(checkpoint, tmp_path, example, sample, file, n_b, monkeypatch):
    path = realdata(file)
    monkeypatch.chdir(ROOT)
    out = tmp_path / "scores.h5"
    rc = main(["apply", "--model", str(checkpoint), "--config", f"config/examples/{example}",
               "--sample", sample, "--inputs", str(path), "--output", str(out)])
    assert rc == 0
    s = read_scores(out)
    p = np.stack([s.p_b, s.p_c, s.p_u], axis=1)
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-5)
    # every b-jet passing the default jet selection is scored (pT > 20 GeV, |eta| < 2.5)
    assert 0 < int((s.flavour == 5).sum()) <= n_b
    assert set(np.unique(s.flavour).tolist()) <= {0, 4, 5}


def test_config_and_spec_are_exclusive(checkpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    rc = main(["apply", "--model", str(checkpoint), "--config", "config/examples/delphes.yaml",
               "--output", str(tmp_path / "s.h5")])
    assert rc != 0
    assert "--sample" in capsys.readouterr().err


@pytest.mark.parametrize(("example", "sample", "file"), [
    ("atlas_physlite.yaml", "atlas_physlite", "uproot-issue-798.root"),
    ("delphes.yaml", "delphes", "uproot-issue513.root"),
])
def test_smoke_run_tagger_applies_to_each_format(smoke_run, tmp_path, example, sample, file, monkeypatch, capsys):
    """The smoke run's DIPS (trained on the embedded generator) applied with the mapping that
    `jettag inspect` proposes (the example configs hold the layout defaults)."""
    path = realdata(file)
    monkeypatch.chdir(ROOT)
    out = tmp_path / "scores.h5"
    assert main(["apply", "--model", str(smoke_run / "results/models/dips/best.pt"), "--config",
                 f"config/examples/{example}", "--sample", sample, "--inputs", str(path),
                 "--output", str(out)]) == 0
    assert "AUC b vs light" in capsys.readouterr().out
    s = read_scores(out)
    assert np.isfinite(s.p_b).all() and (s.flavour == 5).any() and (s.flavour == 0).any()
