"""End to end: the smoke workflow from nothing, then the HTML report."""

from __future__ import annotations

import csv

import h5py
import numpy as np
import pytest

from tests.conftest import run_snakemake

pytestmark = pytest.mark.slow

COLUMNS = ["tagger", "wp", "b_eff", "light_rej", "light_rej_err", "c_rej", "c_rej_err", "auc", "n_test"]
TAGGERS = ["ip3d", "dips", "rnnip", "gn2"]


def _rows(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames[: len(COLUMNS)] == COLUMNS
        return list(reader)


def test_performance_table_has_every_tagger_and_working_point(smoke_run):
    rows = _rows(smoke_run / "results/metrics/performance.csv")
    got = {(r["tagger"], int(float(r["wp"]))) for r in rows}
    for tagger in TAGGERS:
        for wp in (60, 70, 77, 85):
            assert (tagger, wp) in got
    for r in rows:
        if r["tagger"] in TAGGERS:
            assert abs(float(r["b_eff"]) - float(r["wp"]) / 100) < 0.05


def test_taggers_beat_random_guessing(smoke_run):
    auc = {r["tagger"]: float(r["auc"]) for r in _rows(smoke_run / "results/metrics/performance.csv")}
    assert auc["ip3d"] > 0.75
    assert auc["dips"] > 0.75, auc


def test_scores_are_probabilities_for_every_test_jet(smoke_run):
    with h5py.File(smoke_run / "results/data/ttbar/test.h5") as f:
        n_test = len(f["label"])
    for tagger in TAGGERS:
        with h5py.File(smoke_run / f"results/scores/ttbar/{tagger}.h5") as f:
            p = np.stack([f["p_b"][:], f["p_c"][:], f["p_u"][:]], axis=1)
        assert len(p) == n_test
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-4)


def test_every_plot_and_export_exists(smoke_run):
    plots = smoke_run / "results/plots"
    for stem in ["roc", "discriminant", "vs_pt", "inputs", "loss_dips", "loss_rnnip", "loss_gn2"]:
        for ext in ("png", "pdf"):
            assert (plots / f"{stem}.{ext}").stat().st_size > 1000
    for tagger in TAGGERS:
        assert (smoke_run / f"results/models/{tagger}/model.onnx").is_file()
    for tagger in TAGGERS[1:]:
        assert (smoke_run / f"results/lr_find/{tagger}.png").stat().st_size > 1000


def test_nothing_left_to_do_and_report_builds(smoke_run):
    dry = run_snakemake(smoke_run, "-n")
    assert dry.returncode == 0
    assert "Nothing to be done" in dry.stdout + dry.stderr
    report = smoke_run / "results/report.html"
    proc = run_snakemake(smoke_run, "--report", str(report))
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = report.read_text(errors="replace")
    assert "performance.csv" in text and "roc.png" in text


def test_ddp_switch_launches_torchrun(tmp_path):
    """training.ddp: true runs the training job under torchrun (one process per device)."""
    import yaml

    from tests.conftest import REPO, copy_repo

    work = copy_repo(tmp_path / "repo")
    cfg = yaml.safe_load((REPO / "config/smoke.yaml").read_text())
    cfg["training"] |= {"ddp": True, "nproc_per_node": 2}
    cfg.pop("studies")
    (work / "config/ddp.yaml").write_text(yaml.safe_dump(cfg))
    proc = run_snakemake(work, "results/models/dips/best.pt", "-n", "-p", "--configfile", "config/ddp.yaml")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "torchrun --standalone --nproc_per_node 2 --no-python jettag train" in proc.stdout, proc.stdout[-3000:]
