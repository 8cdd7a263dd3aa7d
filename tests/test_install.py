"""tools/install_torch.sh: which torch build `make` installs, checked with a fake ``nvidia-smi``
and a fake pip that records its arguments (nothing is downloaded)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "tools" / "install_torch.sh"
UNREACHABLE = "http://127.0.0.1:9/whl/cpu"  # the discard port: refused at once


def _fake_bin(tmp_path: Path, gpu: bool | None) -> Path:
    """A folder with a recording pip and, unless gpu is None, an nvidia-smi that finds a GPU or fails."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    pip = bindir / "pip"
    pip.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/pip_args"\n')
    pip.chmod(0o755)
    if gpu is not None:
        smi = bindir / "nvidia-smi"
        body = 'echo "GPU 0: NVIDIA H100 (UUID: GPU-0)"' if gpu else 'echo "NVIDIA-SMI has failed" >&2; exit 9'
        smi.write_text(f"#!/bin/sh\n{body}\n")
        smi.chmod(0o755)
    return bindir


def _install(tmp_path: Path, gpu: bool | None, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    bindir = _fake_bin(tmp_path, gpu)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TORCH_")}
    full_env.update(env, PATH=f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    proc = subprocess.run(["bash", str(SCRIPT), str(bindir / "pip")], env=full_env,
                          capture_output=True, text=True, timeout=60)
    args_file = tmp_path / "pip_args"
    return proc, (args_file.read_text().split("\n")[:-1] if args_file.exists() else [])


def test_without_gpu_installs_the_cpu_build_from_the_cpu_index(tmp_path):
    index = tmp_path / "cpu_index"
    (index / "torch").mkdir(parents=True)
    proc, args = _install(tmp_path, gpu=False, TORCH_INDEX=index.as_uri())
    assert proc.returncode == 0, proc.stderr
    assert args[0] == "install"
    assert args[args.index("--index-url") + 1] == index.as_uri()
    assert args[-1] == "torch==2.13.0"
    assert "no NVIDIA GPU" in proc.stderr


def test_unreachable_cpu_index_falls_back_quickly_to_the_configured_index(tmp_path):
    proc, args = _install(tmp_path, gpu=False, TORCH_INDEX=UNREACHABLE)
    assert proc.returncode == 0, proc.stderr
    assert f"cannot reach {UNREACHABLE}" in proc.stderr
    assert "--index-url" not in args
    assert args[args.index("--retries") + 1] == "0"
    assert args[args.index("--timeout") + 1] == "10"
    assert args[-1] == "torch==2.13.0"


def test_without_nvidia_smi_installs_the_cpu_build(tmp_path):
    index = tmp_path / "cpu_index"
    (index / "torch").mkdir(parents=True)
    if Path("/usr/bin/nvidia-smi").exists():
        pytest.skip("/usr/bin/nvidia-smi exists: cannot hide it from PATH")
    proc, args = _install(tmp_path, gpu=None, TORCH_INDEX=index.as_uri())
    assert proc.returncode == 0, proc.stderr
    assert "--index-url" in args and "no NVIDIA GPU" in proc.stderr


def test_with_gpu_installs_the_cuda_build_from_the_configured_index(tmp_path):
    proc, args = _install(tmp_path, gpu=True, TORCH_INDEX=UNREACHABLE)
    assert proc.returncode == 0, proc.stderr
    assert "NVIDIA GPU found (GPU 0: NVIDIA H100" in proc.stderr
    assert "--index-url" not in args
    assert args[-1] == "torch==2.13.0"


def test_cuda_index_and_version_are_chosen_by_variables(tmp_path):
    cuda = "https://download.pytorch.org/whl/cu126"
    proc, args = _install(tmp_path, gpu=True, TORCH_CUDA_INDEX=cuda, TORCH_VERSION="2.12.1")
    assert proc.returncode == 0, proc.stderr
    assert args[args.index("--index-url") + 1] == cuda
    assert args[-1] == "torch==2.12.1"


def test_variant_overrides_the_detection(tmp_path):
    proc, args = _install(tmp_path, gpu=True, TORCH_VARIANT="cpu", TORCH_INDEX=UNREACHABLE)
    assert proc.returncode == 0 and "cannot reach" in proc.stderr
    (tmp_path / "rocm").mkdir()
    proc, _ = _install(tmp_path / "rocm", gpu=False, TORCH_VARIANT="rocm")
    assert proc.returncode == 2 and "use auto, cpu or cuda" in proc.stderr


def test_makefile_installs_torch_with_the_script():
    makefile = (REPO / "Makefile").read_text()
    assert "tools/install_torch.sh $(BIN)/pip" in makefile
    assert "TORCH_INDEX      ?= https://download.pytorch.org/whl/cpu" in makefile
    assert 'pip install --quiet "torch' not in makefile


def _local_cpu_wheel() -> bool:
    out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True,
                         text=True).stdout + os.environ.get("PIP_FIND_LINKS", "")
    folders = {w.strip("'\"") for line in out.splitlines() if "find-links" in line
               for w in line.split("=", 1)[1].split()} | set(os.environ.get("PIP_FIND_LINKS", "").split())
    return any(Path(f).is_dir() and list(Path(f).glob("torch-2.13.0+cpu-*.whl")) for f in folders if f)


def test_fallback_resolves_the_local_cpu_wheel_with_the_real_pip(tmp_path):
    """pip --dry-run with the default pip configuration (a find-links folder of CPU wheels)."""
    if not _local_cpu_wheel():
        pytest.skip("no torch-2.13.0+cpu wheel in a find-links folder of the pip configuration")
    report = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TORCH_")}
    env.update(TORCH_INDEX=UNREACHABLE, TORCH_VARIANT="cpu", TORCH_PIP_OPTS=(
        f"--timeout 10 --retries 0 --dry-run --no-deps --ignore-installed --quiet --report {report}"))
    pip = Path(sys.executable).parent / "pip"
    proc = subprocess.run(["bash", str(SCRIPT), str(pip)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    installed = json.loads(report.read_text())["install"]
    assert [i["metadata"]["version"] for i in installed] == ["2.13.0+cpu"]
