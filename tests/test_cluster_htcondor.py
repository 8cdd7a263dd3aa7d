"""The HTCondor profile without a pool: snakemake-executor-plugin-htcondor runs for real, against a
stand-in for the ``htcondor2`` bindings (tests/cluster/fake_htcondor) that records every submit
description and runs the job at once. Checks that jettag's per-rule resources reach the submit
description under HTCondor's names (request_cpus, request_memory, request_disk, request_gpus).

Not checked (needs a real pool): matchmaking on those requests, file transfer without a shared
file system, held/evicted jobs, the event-log status path (the fake writes no event log, so the
plugin uses its schedd-query fallback).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "workflow" / "profiles" / "htcondor"
FAKE = REPO / "tests" / "cluster" / "fake_htcondor"
VENV_BIN = Path(sys.executable).parent

# The resource helper the rules use (workflow/rules/common.smk): scheduler-neutral keys plus the
# HTCondor plugin's names for the same numbers (docs/clusters.md, "HTCondor").
SNAKEFILE = textwrap.dedent("""
    def cluster_resources(mem_mb, runtime, gpu=0, disk_mb=None):
        out = {"mem_mb": mem_mb, "runtime": runtime, "gpu": gpu,
               "htcondor_request_mem_mb": mem_mb, "request_gpus": gpu}
        if disk_mb:
            out |= {"disk_mb": disk_mb, "htcondor_request_disk_mb": disk_mb}
        return out

    rule all:
        input: "preprocess.txt", "train.txt", "bad.txt"

    rule preprocess:
        output: "preprocess.txt"
        threads: 2
        resources: **cluster_resources(3000, 60, disk_mb=5000)
        shell: "echo cpu > {output}"

    rule train:
        output: "train.txt"
        threads: 4
        resources: **cluster_resources(16000, 600, gpu=1)
        shell: "echo gpu=$(printenv _CONDOR_CLUSTER_ID) > {output}"

    rule bad:
        output: "bad.txt"
        resources: **cluster_resources(1000, 5)
        shell: "echo partial > {output}; exit 1"
""")


@pytest.mark.slow
def test_htcondor_profile_submit_descriptions(tmp_path):
    pytest.importorskip("snakemake_executor_plugin_htcondor")
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    record = tmp_path / "submits.jsonl"
    env = dict(os.environ)
    env.update(PATH=f"{VENV_BIN}:{env.get('PATH', '')}", PYTHONPATH=str(FAKE),
               FAKE_CONDOR_RECORD=str(record))
    env.pop("SNAKEMAKE_PROFILE", None)
    proc = subprocess.run(
        ["timeout", "-s", "INT", "240", str(VENV_BIN / "snakemake"), "--profile", str(PROFILE)],
        cwd=tmp_path, env=env, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode not in (0, 124), log[-3000:]  # `bad` fails; keep-going runs the rest
    subs = {d["batch_name"].split("-")[0]: d
            for d in map(json.loads, record.read_text().splitlines())}
    assert set(subs) == {"preprocess", "train", "bad"}

    assert subs["preprocess"]["request_cpus"] == "2"
    assert subs["preprocess"]["request_memory"] == "3000MB"
    assert subs["preprocess"]["request_disk"] == str(5000 * 1024)  # KiB
    assert subs["preprocess"]["request_gpus"] == "0"
    assert subs["train"]["request_cpus"] == "4"
    assert subs["train"]["request_memory"] == "16000MB"
    assert subs["train"]["request_gpus"] == "1"
    assert subs["train"]["getenv"] == "True"
    # Jobs ran through the pool stand-in, the failing one is reported and its output removed.
    assert (tmp_path / "train.txt").read_text().strip() == f"gpu={subs['train']['cluster']}"
    assert (tmp_path / "preprocess.txt").exists()
    assert not (tmp_path / "bad.txt").exists()
    assert "Error in rule bad" in log
