"""The HTCondor profile on the real workflow, without a pool: the workflow's own Snakefile, rules
(``rule_resources()``, the training rule's GPU keys) and ``workflow/profiles/htcondor`` go through
the real snakemake-executor-plugin-htcondor, against a stand-in for the ``htcondor2`` bindings
(tests/cluster/fake_htcondor) that records every submit description and runs the job at once.

On a copy of the finished smoke run, a config asking for a GPU per training and more memory
(``training.gpus``, ``resources.train.mem_mb``) reruns DIPS's training and ONNX export as
HTCondor jobs; their submit descriptions must carry those numbers under HTCondor's names.

Not checked (needs a real pool): matchmaking on those requests, file transfer without a shared
file system, held/evicted jobs, the event-log status path (the fake writes no event log, so the
plugin uses its schedd-query fallback).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import workflow_env

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "workflow" / "profiles" / "htcondor"
FAKE = REPO / "tests" / "cluster" / "fake_htcondor"
VENV_BIN = Path(sys.executable).parent

GPU_CONFIG = """\
training: {gpus: 1}
resources:
  train: {mem_mb: 6000, runtime: 90}
  default: {mem_mb: 1500}
"""


@pytest.mark.slow
def test_htcondor_submit_descriptions_of_the_real_workflow(smoke_run, tmp_path):
    pytest.importorskip("snakemake_executor_plugin_htcondor")
    workdir = tmp_path / "repo"
    shutil.copytree(smoke_run, workdir, symlinks=True)
    (tmp_path / "gpu.yaml").write_text(GPU_CONFIG)
    record = tmp_path / "submits.jsonl"
    env = workflow_env()
    env.update(PYTHONPATH=str(FAKE), FAKE_CONDOR_RECORD=str(record))
    env.pop("SNAKEMAKE_PROFILE", None)
    proc = subprocess.run(
        ["timeout", "-s", "INT", "300", str(VENV_BIN / "snakemake"), "results/models/dips/model.onnx",
         "--profile", str(PROFILE), "--configfile", "config/smoke.yaml", str(tmp_path / "gpu.yaml")],
        cwd=workdir, env=env, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 124, log[-3000:]
    assert record.is_file(), f"nothing submitted:\n{log[-3000:]}"
    subs = {d["batch_name"].split("-")[0]: d
            for d in map(json.loads, record.read_text().splitlines())}

    train = subs["train"]
    assert train["request_gpus"] == "1"
    assert train["request_memory"] == "6000MB"
    assert train["request_cpus"] == "1"
    assert train["getenv"] == "True"
    assert "--allowed-rules" in train["arguments"] and "train" in train["arguments"]
    # The export follows once the training job has run (a CPU-only machine may fail a GPU
    # training; then keep-going reports it and the export is never submitted).
    if proc.returncode == 0:
        export = subs["export_onnx"]
        assert export.get("request_gpus") in (None, "0")  # the plugin omits zero
        assert export["request_memory"] == "1500MB"
        assert (workdir / "results/models/dips/model.onnx").is_file()
    else:
        assert "Error in rule train" in log, log[-3000:]
