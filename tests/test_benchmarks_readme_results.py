"""The README's results block is written from a run's tables, never by hand."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from tests.conftest import REPO

PERF = (
    "tagger,wp,b_eff,light_rej,light_rej_err,c_rej,c_rej_err,auc,n_test,light_rej_lo,light_rej_hi,"
    "c_rej_lo,c_rej_hi,auc_lo,auc_hi,note\n"
    "ip3d,77,0.77,20.5,1.2,3.1,0.1,0.90,45000,19.4,21.7,3.0,3.2,0.899,0.901,\n"
    "dips,77,0.77,150.2,20.1,5.2,0.2,0.97,45000,131.0,171.5,5.0,5.4,0.969,0.971,\n"
)
COMP = (
    "tagger,reference,wp,metric,value,reference_value,ratio,ratio_lo,ratio_hi,significance,verdict\n"
    "dips,ip3d,77,light_rej,150.2,20.5,7.33,6.5,8.2,17.1,better\n"
    "dips,ip3d,77,c_rej,5.2,3.1,1.68,1.6,1.75,9.0,better\n"
    "ip3d,dips,77,light_rej,20.5,150.2,0.136,0.12,0.15,-17.1,worse\n"
)


def _load():
    spec = importlib.util.spec_from_file_location("readme_results", REPO / "benchmarks/readme_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_block_comes_from_the_tables(tmp_path: Path):
    results = tmp_path / "results"
    (results / "metrics").mkdir(parents=True)
    (results / "metrics/performance.csv").write_text(PERF)
    (results / "metrics/comparisons.csv").write_text(COMP)
    cfg = {"models": {"ip3d": {"type": "ip3d"}, "dips": {"type": "deepsets"}},
           "evaluation": {"reference": "ip3d"}, "config_hash": "abc123"}
    (results / "config.yaml").write_text(yaml.safe_dump(cfg))
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- readme-results:begin -->\nold 866\n<!-- readme-results:end -->\nrest\n")
    _load().main(["--results", str(results), "--readme", str(readme)])
    text = readme.read_text()
    assert "old 866" not in text and text.startswith("intro\n") and text.endswith("rest\n")
    assert "config hash abc123" in text and "45000 test jets" in text
    dips = next(line for line in text.splitlines() if line.startswith("| Deep Sets (dips)"))
    assert "150 ± 20" in dips and "[131, 172]" in dips and "7.33 [6.5, 8.2]: better" in dips
    ip3d = next(line for line in text.splitlines() if line.startswith("| IP3D-like (ip3d)"))
    assert ip3d.endswith("| reference |")
    assert "ip3d / dips 0.136 [0.12, 0.15]: worse" in text


def test_wall_times_come_from_the_snakemake_logs(tmp_path: Path):
    logs = tmp_path / ".snakemake" / "log"
    logs.mkdir(parents=True)
    (logs / "2026-01-02T100000.000000.snakemake.log").write_text(
        "Building DAG of jobs...\n[Fri Jan  2 10:00:05 2026]\nrule generate:\n"
        "[Fri Jan  2 10:20:07 2026]\n215 of 215 steps (100%) done\n")
    (logs / "2026-01-02T110000.000000.snakemake.log").write_text(
        "[Fri Jan  2 11:00:00 2026]\n[Fri Jan  2 11:00:45 2026]\n9 of 9 steps (100%) done\n")
    (logs / "2026-01-02T120000.000000.snakemake.log").write_text(  # killed: not a completed run
        "[Fri Jan  2 12:00:00 2026]\n[Fri Jan  2 12:05:00 2026]\n3 of 9 steps (33%) done\n")
    module = _load()
    assert module.runs(tmp_path) == [(215, 1202.0), (9, 45.0)]
    assert "215 jobs in 20 min 2 s; then, after changes, 9 jobs in 45 s" in module.timing(tmp_path)
