import os
import subprocess
import sys
import textwrap

import pytest
import torch

from jettag.training.distributed import DistInfo, all_reduce_sum, setup
from jettag.training.loop import train
from jettag.training.toydata import tiny_factory, write_toy_dataset

SPEC = {"name": "tiny", "hidden": 8,
        "training": {"epochs": 2, "batch_size": 40, "reference_batch_size": 40, "learning_rate": 1e-2,
                     "block_size": 80, "seed": 4, "ddp": True, "num_threads": 1,
                     "early_stopping": {"enabled": False}}}

SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from jettag.training.loop import train
    from jettag.training.toydata import tiny_factory
    train(json.loads(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), model_factory=tiny_factory,
          progress=False)
""")


def test_single_process_without_torchrun(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    info = setup(True, torch.device("cpu"))
    assert info == DistInfo() and info.is_main
    assert all_reduce_sum([1.0, 2.0], info, torch.device("cpu")) == [1.0, 2.0]


def test_ddp_two_processes_match_one(tmp_path):
    import json

    data = write_toy_dataset(tmp_path / "data", n_train=240, n_val=80, max_tracks=6)
    (tmp_path / "run.py").write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env["OMP_NUM_THREADS"] = "1"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(tmp_path / "run.py"), json.dumps(SPEC), str(data), str(tmp_path / "ddp")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    if proc.returncode != 0 and "gloo" in proc.stderr.lower() and "not available" in proc.stderr.lower():
        pytest.skip("gloo backend unavailable")
    assert proc.returncode == 0, proc.stderr[-3000:]
    single = train(SPEC, data, tmp_path / "one", model_factory=tiny_factory, progress=False)
    ddp = torch.load(tmp_path / "ddp" / "last.pt", weights_only=True)
    one = torch.load(tmp_path / "one" / "last.pt", weights_only=True)
    for k, v in one["state_dict"].items():
        assert torch.allclose(v, ddp["state_dict"][k], atol=1e-5), k
    hist = ddp["extra"]["training_state"]["history"]
    assert hist["val_loss"] == pytest.approx(single["val_loss"], abs=1e-5)
    assert hist["train_loss"] == pytest.approx(single["train_loss"], abs=1e-5)
    assert hist["train_acc"] == pytest.approx(single["train_acc"])
    assert not list((tmp_path / "ddp").glob(".*.tmp"))
