"""Scoring throughput: ``jettag apply`` on a ROOT shard and ``jettag evaluate`` on a split file.

    .venv/bin/python benchmarks/bench_apply.py [--file shard0.root] [--jets 20000]
        [--models dips rnnip gn2] [--repeat 3] [--threads 0]

Without ``--file`` a synthetic jet-wise file (generator branch names, ~15 tracks/jet) is written
to ``resources/bench/synthetic_{jets}.root`` once and reused (as ``bench_preprocess.py`` does).
The file is preprocessed once (its normalisation and test split); every tagger (default specs,
untrained weights: throughput does not depend on them) is saved as a checkpoint and exported to
ONNX. Printed, as medians of ``--repeat`` interleaved rounds, in jets/s of selected jets:

* ``uproot``           : reading the branches (the floor of ``apply``),
* ``apply (torch)``    : ``jettag apply --model best.pt`` over the ROOT file (read, select,
  derive, pad, score, write),
* ``apply (onnx)``     : the same with ``--model model.onnx``,
* ``evaluate``         : ``jettag evaluate`` of the checkpoint over ``test.h5`` (per test jet).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import torch
import uproot

MODELS = {
    "dips": {"type": "deepsets", "name": "dips", "track_features": ["ip", "kinematics", "hits"]},
    "rnnip": {"type": "rnn", "name": "rnnip", "track_features": ["ip", "kinematics", "hits"]},
    "gn2": {"type": "transformer", "name": "gn2", "track_features": ["ip", "kinematics", "hits"]},
}


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _read_uproot(path: Path) -> None:
    from jettag.io.mapping import GENERATOR_MAPPING

    branches = list(GENERATOR_MAPPING["jets"].values()) + list(GENERATOR_MAPPING["tracks"].values())
    with uproot.open(path) as f:
        tree = f["jets"]
        for _ in tree.iterate([b for b in branches if b in tree.keys()], step_size=50_000, library="ak"):
            pass


def prepare(path: Path, work: Path, models: list[str]) -> dict[str, tuple[Path, Path]]:
    """Preprocess ``path`` into ``work/data``; a checkpoint and an ONNX file per model."""
    from jettag.models import build_model, save_checkpoint
    from jettag.models.export import export_onnx
    from jettag.preprocess import run_preprocessing
    from jettag.training.data import feature_names

    data = work / "data"
    run_preprocessing({}, None, [str(path)], data, "bench", progress=False)
    norm = json.loads((data / "norm.json").read_text())
    names, jet_names = feature_names(data / "test.h5")
    out = {}
    for name in models:
        torch.manual_seed(0)
        model = build_model(MODELS[name], norm, names, jet_names)
        ckpt = work / f"{name}.pt"
        save_checkpoint(ckpt, model, MODELS[name], norm, names, jet_names)
        onnx = work / f"{name}.onnx"
        export_onnx(ckpt, data / "test.h5", onnx)
        out[name] = (ckpt, onnx)
    return out


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=None)
    ap.add_argument("--jets", type=int, default=20_000)
    ap.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from jettag.apply import apply_tagger
    from jettag.config import resolve
    from jettag.evaluation.scores import evaluate_checkpoint
    from jettag.preprocess import synthetic

    resolve({})  # one-time schema load outside the timings
    path = args.file
    if path is None:
        path = Path("resources/bench") / f"synthetic_{args.jets}.root"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            synthetic.write_jetwise(path, synthetic.make_jets(args.jets, seed=1))
    with uproot.open(path) as f:
        n_read = f["jets"].num_entries
    work = Path(tempfile.mkdtemp(prefix="jettag-bench-apply-"))
    try:
        files = prepare(path, work, args.models)
        with h5py.File(work / "data" / "test.h5", "r") as f:
            n_test = int(f.attrs["n_jets"])
        rounds: dict[str, list[float]] = {"uproot": []}
        n_selected = None
        for _ in range(args.repeat):
            rounds["uproot"].append(_timed(lambda: _read_uproot(path)))
            for name, (ckpt, onnx) in files.items():
                for kind, model in (("torch", ckpt), ("onnx", onnx)):
                    out = work / f"scores_{name}_{kind}.h5"
                    t0 = time.perf_counter()
                    apply_tagger(model, {}, [str(path)], out, progress=False)
                    rounds.setdefault(f"apply {name} ({kind})", []).append(time.perf_counter() - t0)
                    with h5py.File(out, "r") as f:
                        n_selected = len(f["p_b"])
                rounds.setdefault(f"evaluate {name}", []).append(_timed(
                    lambda ckpt=ckpt, name=name: evaluate_checkpoint(
                        ckpt, work / "data" / "test.h5", work / f"eval_{name}.h5", name, device="cpu")))
        med = {k: float(np.median(v)) for k, v in rounds.items()}
        print(f"input {path}: {n_read} jets read, {n_selected} selected (apply), {n_test} test jets "
              f"(evaluate); torch threads {torch.get_num_threads()}; medians of {args.repeat} round(s)")
        rates = {}
        for key, t in med.items():
            n = n_read if key == "uproot" else (n_test if key.startswith("evaluate") else n_selected)
            rates[key] = n / t
            print(f"{key:<22} {t:7.2f} s  {n / t:10.0f} jets/s   rounds: {', '.join(f'{x:.2f}' for x in rounds[key])}")
        return rates
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
