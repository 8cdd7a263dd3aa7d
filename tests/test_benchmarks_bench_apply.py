"""benchmarks/bench_apply.py on a small synthetic file: every measurement runs and is positive."""

import importlib.util
import sys
from pathlib import Path

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_apply.py"


def test_bench_apply_small(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("bench_apply", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_apply", module)
    spec.loader.exec_module(module)
    from jettag.preprocess import synthetic

    shard = tmp_path / "shard.root"
    synthetic.write_jetwise(shard, synthetic.make_jets(1500, seed=2))
    rates = module.main(["--file", str(shard), "--models", "dips", "--repeat", "1", "--threads", "1"])
    assert set(rates) == {"uproot", "apply dips (torch)", "apply dips (onnx)", "evaluate dips"}
    assert all(r > 0 for r in rates.values())
    assert "jets/s" in capsys.readouterr().out
