"""The Snakemake profiles in workflow/profiles: they parse, name the right executor, hard-code no
per-rule resources, and dry-run the workflow (no scheduler needed for a dry run)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PROFILES = REPO / "workflow" / "profiles"
VENV_BIN = Path(sys.executable).parent
# Resources that belong to the config's `resources` section (docs/clusters.md), never a profile.
RULE_RESOURCE_KEYS = {"threads", "mem_mb", "mem", "runtime", "gpu", "disk_mb",
                      "request_gpus", "request_memory", "htcondor_request_mem_mb",
                      "htcondor_request_disk_mb", "cpus_per_task"}


def load(name: str) -> dict:
    return yaml.safe_load((PROFILES / name / "config.v8+.yaml").read_text())


@pytest.mark.parametrize("name,executor", [("default", None), ("slurm", "slurm"),
                                           ("htcondor", "htcondor")])
def test_profile_parses_and_names_executor(name, executor):
    profile = load(name)
    assert profile.get("executor") == executor
    # Snakemake's own profile parser accepts it.
    from snakemake.profiles import ProfileConfigFileParser

    path = PROFILES / name / "config.v8+.yaml"
    with path.open() as f:
        parsed = ProfileConfigFileParser().parse(f)
    assert parsed


@pytest.mark.parametrize("name", ["default", "slurm", "htcondor"])
def test_profile_hard_codes_no_rule_resources(name):
    profile = load(name)
    assert "set-resources" not in profile, "per-rule resources belong in config `resources`"
    assert "set-threads" not in profile
    assert not RULE_RESOURCE_KEYS & set(profile.get("default-resources") or {})


def test_slurm_profile_uses_accounting_status_by_default():
    profile = load("slurm")
    # sacct is right on production clusters; the test cluster overrides it to squeue.
    assert profile["slurm-status-command"] == "sacct"
    assert profile["slurm-logdir"] == ".snakemake/slurm_logs"


TRIVIAL = """
rule all:
    input: "a.txt"
rule a:
    output: "a.txt"
    threads: 2
    resources: mem_mb=1000, runtime=10, gpu=0, request_gpus=0, htcondor_request_mem_mb=1000
    shell: "echo > {output}"
"""


def _dry_run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}")
    env.pop("SNAKEMAKE_PROFILE", None)
    return subprocess.run([str(VENV_BIN / "snakemake"), "-n", *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", ["default", "slurm", "htcondor"])
def test_profile_dry_runs_a_trivial_workflow(name, tmp_path):
    (tmp_path / "Snakefile").write_text(TRIVIAL)
    proc = _dry_run(tmp_path, "--profile", str(PROFILES / name))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "This was a dry-run" in proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", ["slurm", "htcondor"])
def test_profile_dry_runs_the_smoke_workflow(name):
    if not (REPO / "config" / "smoke.yaml").exists():
        pytest.skip("config/smoke.yaml not there yet")
    proc = _dry_run(REPO, "--profile", str(PROFILES / name), "--configfile", "config/smoke.yaml",
                    "--forceall")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    # Every cluster job states its memory and runtime (from config `resources`); without them
    # SLURM gives a job the partition default (often all of a node's memory, or very little).
    missing = set()
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", out):
        head = re.match(r"(local)?rule (\w+):", block)
        if not head or head.group(1) or head.group(2) == "all":
            continue
        res = re.search(r"resources: (.*)", block)
        if not (res and "mem_mb=" in res.group(1) and "runtime=" in res.group(1)):
            missing.add(head.group(2))
    assert not missing, f"rules without mem_mb/runtime resources: {sorted(missing)}"


@pytest.mark.slow
def test_full_config_dry_runs():
    if not (REPO / "config" / "full.yaml").exists():
        pytest.skip("config/full.yaml missing")
    proc = _dry_run(REPO, "--configfile", "config/full.yaml", "--forceall", "--quiet", "rules")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
