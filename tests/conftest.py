"""Shared fixtures: one finished smoke-workflow run per test session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "results", "resources", "logs", ".snakemake", "__pycache__", "*.egg-info",
    ".pytest_cache", ".ruff_cache",
)


def workflow_env() -> dict:
    """The environment a workflow run needs: this interpreter's bin directory on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def copy_repo(dest: Path) -> Path:
    shutil.copytree(REPO, dest, ignore=COPY_IGNORE, symlinks=True)
    return dest


def run_snakemake(workdir: Path, *args: str, targets: tuple[str, ...] = (), timeout: int = 900
                  ) -> subprocess.CompletedProcess:
    """The smoke workflow in ``workdir`` (``targets``: default all; they go before ``--configfile``,
    which takes every word after it)."""
    snakemake = Path(sys.executable).parent / "snakemake"
    cmd = [str(snakemake), *targets, "--cores", "2", "--configfile", "config/smoke.yaml", *args]
    return subprocess.run(
        cmd, cwd=workdir, env=workflow_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """A copy of the repository in which the smoke workflow has run to completion."""
    workdir = copy_repo(tmp_path_factory.mktemp("smoke") / "repo")
    start = time.perf_counter()
    proc = run_snakemake(workdir)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        pytest.fail(f"smoke workflow failed ({elapsed:.0f} s):\n{proc.stderr[-6000:]}")
    (workdir / "smoke_wall_time_s.txt").write_text(f"{elapsed:.1f}\n")
    return workdir


def realdata(name: str) -> Path:
    """Path of a real ROOT file; skips the test with a reason when the folder is absent."""
    path = REALDATA / name
    if not path.is_file():
        pytest.skip(f"{path} not found: real-data tests need ../shared/realdata beside the repository")
    return path


def planning_config() -> dict:
    """A resolved config with a tt and a Z' sample, IP3D and DIPS, for planning tests."""
    from jettag import config

    return config.resolve(
        {
            "samples": {"ttbar": {"generator": {"process": "ttbar"}}, "zprime": {"generator": {"process": "zprime"}}},
            "models": {"ip3d": {"type": "ip3d"}, "dips": {"type": "deepsets"}},
            "studies": {"training": {"epochs": 2}, "search": {"trials": 2}},
        }
    )
