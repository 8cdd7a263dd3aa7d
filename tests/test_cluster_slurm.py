"""The SLURM profile against a real (single-node, loopback) SLURM cluster.

Starts slurmctld, slurmd and munged from Debian's packages (tests/cluster/start_slurm.sh), runs
workflows through ``workflow/profiles/slurm`` and checks that every job ran as a SLURM job (its
SLURM job id is in slurmctld's job-completion record), that outputs equal a local run's, and that
a failing job is reported failed with its output removed.

Skipped, with the reason, where it cannot run: not root, or no SLURM/munge binaries (install them
with ``tests/cluster/ci_setup.sh``). Run it alone with ``pytest -m slurm tests/test_cluster_slurm.py``.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[1]
HARNESS = REPO / "tests" / "cluster"
PROFILE = REPO / "workflow" / "profiles" / "slurm"
VENV_BIN = Path(sys.executable).parent
# Settings for a cluster without an accounting database (see docs/clusters.md): squeue as the
# status command (MinJobAge=600 s keeps finished jobs visible to it) and a short first check.
TEST_FLAGS = [
    "--slurm-status-command", "squeue",
    "--slurm-init-seconds-before-status-checks", "2",
    "--slurm-keep-successful-logs",
    "--latency-wait", "5",
]
RUN_LIMIT_S = int(os.environ.get("JETTAG_SLURM_RUN_LIMIT", "300"))


def _cannot_run() -> str | None:
    if sys.platform != "linux":
        return "SLURM test needs Linux"
    if os.geteuid() != 0:
        return "SLURM test needs root (slurmd runs jobs as the submitting user)"
    missing = [b for b in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "sinfo")
               if not (shutil.which(b) or Path("/usr/sbin", b).exists())]
    if missing:
        return (f"SLURM binaries missing ({', '.join(missing)}); install with "
                "`sudo tests/cluster/ci_setup.sh` (Debian: slurmctld slurmd slurm-client munge)")
    return None


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A running cluster; yields the environment (SLURM_CONF, PATH) to run clients with."""
    reason = _cannot_run()
    if reason:
        pytest.skip(reason)
    state = tmp_path_factory.mktemp("slurm")
    proc = subprocess.run([str(HARNESS / "start_slurm.sh"), str(state)],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode == 3:
        pytest.skip(proc.stderr.strip())
    assert proc.returncode == 0, f"cluster did not start:\n{proc.stdout}\n{proc.stderr}"
    env = dict(os.environ)
    env["SLURM_CONF"] = str(state / "slurm.conf")
    env["PATH"] = f"{VENV_BIN}:/usr/sbin:{env.get('PATH', '/usr/bin:/bin')}"
    env.pop("SNAKEMAKE_PROFILE", None)
    try:
        yield {"env": env, "state": state}
    finally:
        subprocess.run([str(HARNESS / "stop_slurm.sh"), str(state)], timeout=60)


def run_snakemake(workdir: Path, env: dict, *args: str, profile: Path | None = PROFILE,
                  limit: int = RUN_LIMIT_S) -> subprocess.CompletedProcess:
    """Snakemake in ``workdir``; bounded with SIGINT (SIGTERM does not stop the SLURM loop)."""
    cmd = ["timeout", "-s", "INT", "-k", "30", str(limit), str(VENV_BIN / "snakemake")]
    if profile is not None:
        cmd += ["--profile", str(profile), *TEST_FLAGS]
    cmd += list(args)
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
    (workdir / "snakemake.out").write_text(proc.stdout + proc.stderr)
    assert proc.returncode != 124, f"snakemake timed out after {limit} s:\n{proc.stderr[-3000:]}"
    return proc


def submitted_ids(log: str) -> dict[str, str]:
    """Snakemake job id -> SLURM job id, from the plugin's 'submitted with SLURM jobid' lines."""
    return dict(re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", log))


def jobcomp(state: Path) -> dict[str, dict]:
    """slurmctld's job-completion records (JobCompType=jobcomp/filetxt) keyed by job id."""
    path = state / "log" / "jobcomp.txt"
    records = {}
    if path.exists():
        for line in path.read_text().splitlines():
            fields = dict(re.findall(r"(\w+)=(\S*)", line))
            if "JobId" in fields:
                records[fields["JobId"]] = fields
    return records


def scontrol_state(env: dict, job_id: str) -> str:
    out = subprocess.run(["scontrol", "show", "job", job_id], env=env, capture_output=True,
                         text=True, timeout=30).stdout
    match = re.search(r"JobState=(\w+)", out)
    return match.group(1) if match else "UNKNOWN"


TRIVIAL = textwrap.dedent("""
    rule all:
        input: expand("out/{i}.txt", i=range(3))

    rule host:
        output: "out/{i}.txt"
        threads: 1
        resources: mem_mb=100, runtime=5
        shell: "hostname > {output}; echo job=$SLURM_JOB_ID >> {output}"
""")

FAILING = textwrap.dedent("""
    rule all:
        input: "good.txt", "bad.txt"

    rule good:
        output: "good.txt"
        resources: mem_mb=100, runtime=5
        shell: "echo ok > {output}"

    rule bad:
        output: "bad.txt"
        resources: mem_mb=100, runtime=5
        shell: "echo partial > {output}; echo 'deliberate failure' >&2; exit 1"
""")


def test_trivial_workflow_runs_as_slurm_jobs(slurm, tmp_path):
    (tmp_path / "Snakefile").write_text(TRIVIAL)
    proc = run_snakemake(tmp_path, slurm["env"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    ids = submitted_ids(proc.stderr + proc.stdout)
    assert len(ids) == 3, f"expected 3 SLURM submissions, saw {ids}"
    records = jobcomp(slurm["state"])
    seen_in_outputs = set()
    for i in range(3):
        text = (tmp_path / "out" / f"{i}.txt").read_text()
        seen_in_outputs.update(re.findall(r"job=(\d+)", text))
    # Every job's own SLURM_JOB_ID is one the plugin submitted and slurmctld completed.
    assert seen_in_outputs == set(ids.values())
    for slurm_id in ids.values():
        assert records[slurm_id]["JobState"] == "COMPLETED", records.get(slurm_id)
        assert scontrol_state(slurm["env"], slurm_id) == "COMPLETED"
    # The plugin's per-job logs (kept with --slurm-keep-successful-logs) are named by job id.
    logs = {p.stem for p in (tmp_path / ".snakemake" / "slurm_logs").rglob("*.log")}
    assert set(ids.values()) <= logs


def test_failing_job_is_reported_and_its_output_removed(slurm, tmp_path):
    (tmp_path / "Snakefile").write_text(FAILING)
    proc = run_snakemake(tmp_path, slurm["env"])
    log = proc.stderr + proc.stdout
    assert proc.returncode != 0
    assert (tmp_path / "good.txt").read_text().strip() == "ok"  # keep-going: the rest ran
    assert not (tmp_path / "bad.txt").exists(), "failed job's output left behind"
    assert re.search(r"Error in rule bad", log), log[-3000:]
    ids = submitted_ids(log)
    records = jobcomp(slurm["state"])
    states = {records[s]["Name"] if s in records else s: records.get(s, {}).get("JobState")
              for s in ids.values()}
    failed = [s for s in ids.values() if records.get(s, {}).get("JobState") == "FAILED"]
    assert len(failed) == 1, states
    assert records[failed[0]]["ExitCode"].startswith("1:"), records[failed[0]]
    assert scontrol_state(slurm["env"], failed[0]) == "FAILED"
    # The failed job's SLURM log is kept, and holds the job's stderr.
    kept = list((tmp_path / ".snakemake" / "slurm_logs").rglob(f"{failed[0]}.log"))
    assert kept and "deliberate failure" in kept[0].read_text()


# --- the real smoke workflow ----------------------------------------------------------------

COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "results", "resources", "logs",
                                     ".snakemake", "__pycache__", "*.egg-info", ".pytest_cache")


def _smoke_ready() -> str | None:
    for path in ("Snakefile", "config/smoke.yaml", "workflow/rules/common.smk"):
        if not (REPO / path).exists():
            return f"smoke workflow not there yet ({path} missing)"
    return None


def _copy_repo(dest: Path) -> Path:
    shutil.copytree(REPO, dest, ignore=COPY_IGNORE, symlinks=True)
    return dest


def _read_rows(path: Path) -> list[dict]:
    with path.open() as f:
        return list(csv.DictReader(f))


def _outputs(root: Path) -> dict[str, Path]:
    results = root / "results"
    return {str(p.relative_to(root)): p for p in results.rglob("*")
            if p.is_file() and p.suffix in {".csv", ".h5", ".json"}}


@pytest.mark.slow
def test_smoke_workflow_through_slurm_matches_local(slurm, tmp_path):
    reason = _smoke_ready()
    if reason:
        pytest.skip(reason)
    local = _copy_repo(tmp_path / "local")
    remote = _copy_repo(tmp_path / "slurm")
    env = slurm["env"]
    # The default target adds plots and ONNX exports (25 jobs, ~4 min through SLURM on 2 cores);
    # the test stops at the performance table (12 jobs: generate, preprocess, train, evaluate,
    # metrics) unless JETTAG_SLURM_SMOKE_ALL=1.
    common = ["--configfile", "config/smoke.yaml"]
    if os.environ.get("JETTAG_SLURM_SMOKE_ALL") != "1":
        common = ["results/metrics/performance.csv", *common]  # before --configfile (nargs=+)

    t0 = time.perf_counter()
    proc = run_snakemake(local, env, "--cores", "2", *common,
                         profile=REPO / "workflow" / "profiles" / "default")
    assert proc.returncode == 0, f"local smoke run failed:\n{proc.stderr[-4000:]}"
    t1 = time.perf_counter()
    proc = run_snakemake(remote, env, *common)
    log = proc.stderr + proc.stdout
    assert proc.returncode == 0, f"SLURM smoke run failed:\n{log[-4000:]}"
    print(f"smoke workflow wall time: local {t1 - t0:.0f} s, through SLURM {time.perf_counter() - t1:.0f} s")

    # Every job Snakemake ran was a SLURM job that slurmctld recorded as completed (the
    # localrules `all` is the only one that may run in the main process).
    ids = submitted_ids(log)
    n_jobs = int(re.findall(r"(\d+) of \d+ steps \(100%\) done", log)[-1])
    records = jobcomp(slurm["state"])
    assert ids and len(ids) >= n_jobs - 1, (len(ids), n_jobs)
    assert all(records[s]["JobState"] == "COMPLETED" for s in ids.values())

    # Same outputs: performance tables equal, score files equal.
    perf_local = _read_rows(local / "results" / "metrics" / "performance.csv")
    perf_slurm = _read_rows(remote / "results" / "metrics" / "performance.csv")
    assert perf_local == perf_slurm
    import h5py
    import numpy as np

    scores = sorted((local / "results" / "scores").rglob("*.h5"))
    assert scores
    for path in scores:
        other = remote / path.relative_to(local)
        with h5py.File(path) as a, h5py.File(other) as b:
            assert set(a) == set(b)
            for key in a:
                np.testing.assert_array_equal(a[key][()], b[key][()], err_msg=f"{path}:{key}")
