"""benchmarks/gpu_check.py in CPU mode: the checks that need no GPU run and pass."""

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"


def load():
    spec = importlib.util.spec_from_file_location("gpu_check", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gpu_check", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(torch.cuda.is_available(), reason="CPU mode only; on a GPU run the script itself")
def test_cpu_mode_runs_the_cpu_checks(tmp_path, capsys):
    gpu_check = load()
    rows = gpu_check.main(["--steps", "2", "--warmup", "1", "--batch-size", "64", "--n-jets", "200",
                           "--models", "dips", "gn2", "--device", "cpu", "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert [r.model for r in rows] == ["dips", "gn2"] and all(not r.compile for r in rows)
    assert [r.forward for r in rows] == ["packed", "packed"]
    assert gpu_check.variants(True, gpu=True) == [(False, True), (False, False), (True, True)]
    assert gpu_check.variants(False, gpu=True) == [(False, True), (True, True)]
    for r in rows:
        assert r.ok, r.note
        assert r.jets_per_s > 0 and r.gpu_util is None
        assert r.ckpt_cpu_max_dp == 0.0  # same device: the checkpoint scores bitwise identically
        assert r.onnx_max_dp is not None and r.onnx_max_dp < 1e-4
    assert "GPU columns" in out and "skipped" in out
    assert (tmp_path / "r.json").read_text().count('"model"') == 2
