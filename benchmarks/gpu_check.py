"""GPU readiness check of the neural taggers: throughput, utilisation, checkpoint and ONNX parity.

    .venv/bin/python benchmarks/gpu_check.py [--steps 200] [--batch-size 1024] [--n-jets 60000]
        [--models dips rnnip gn2] [--device auto] [--json OUT.json]

For every neural tagger (DIPS-like Deep Sets, RNNIP-like, GN2-like transformer; default specs) on
a synthetic train.h5 (documented layout, ~7 tracks per jet):

* trains ``--steps`` optimiser steps (after ``--warmup`` untimed ones) with bf16 autocast
  (``jettag.training.step.autocast``), without and with ``torch.compile``; reports jets/s and
  the GPU utilisation sampled during the timed steps (``nvidia-smi`` query, else
  ``torch.cuda.utilization``); taggers with a packed forward (dips, gn2: per-track work on the
  valid tracks only) train eager with it and with their padded forward (column ``forward``),
  compiled with the padded one (the model takes it under ``torch.compile``), so the table says
  which is faster on that GPU;
* saves the GPU-trained model with ``save_checkpoint``, loads it on the CPU with
  ``load_checkpoint`` and scores the same jets on both (fp32, eval): max |Δp| (tolerance 1e-4);
* exports the loaded model to ONNX (``jettag.models.export.export_onnx``, which checks parity
  with torch itself) and reports the max |p_onnx - p_torch|.

Without CUDA it runs the CPU parts (training without compile, checkpoint round trip, ONNX
parity) and says that the GPU columns were skipped. Exit status 1 when a check failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from jettag.training.data import TensorBatches, feature_names, load_all
from jettag.training.options import training_options
from jettag.training.step import (
    apply_gradients,
    build_optimizer,
    forward_loss,
    resolve_device,
)
from jettag.training.toydata import make_toy_arrays, norm_from, write_toy_h5

MODELS = {
    "dips": {"type": "deepsets", "name": "dips", "track_features": ["ip", "kinematics", "hits"]},
    "rnnip": {"type": "rnn", "name": "rnnip", "track_features": ["ip", "kinematics", "hits"]},
    "gn2": {"type": "transformer", "name": "gn2", "track_features": ["ip", "kinematics", "hits"]},
}
CKPT_ATOL = 1e-4


def variants(packable: bool, gpu: bool) -> list[tuple[bool, bool]]:
    """(compiled, packed) runs of one tagger: eager only without a GPU; on a GPU also compiled,
    and eager with the padded forward where there is a packed one (``packable``)."""
    if not gpu:
        return [(False, True)]
    return [(False, True), *([(False, False)] if packable else []), (True, True)]


@dataclass(frozen=True)
class Row:
    model: str
    device: str
    compile: bool
    forward: str
    jets_per_s: float | None
    gpu_util: float | None
    ckpt_cpu_max_dp: float | None
    onnx_max_dp: float | None
    ok: bool
    note: str = ""


def synthetic(path: Path, n: int, max_tracks: int = 40, mean_tracks: float = 7.0) -> None:
    """A train.h5 with generated-sample-like multiplicities (1 + Poisson(mean - 1) tracks)."""
    arrays = make_toy_arrays(n, max_tracks, seed=0)
    k = np.minimum(1 + np.random.default_rng(1).poisson(mean_tracks - 1, n), max_tracks)
    valid = np.arange(max_tracks)[None, :] < k[:, None]
    arrays["valid"] = valid
    arrays["tracks"][~valid] = 0.0
    arrays["track_origin"][~valid] = -1
    write_toy_h5(path, arrays)
    (path.parent / "norm.json").write_text(json.dumps(norm_from(arrays)))


class UtilSampler:
    """GPU utilisation (%) sampled every 0.2 s in a thread while active; mean over samples."""

    def __init__(self, device: torch.device):
        self.device, self.samples, self._stop = device, [], threading.Event()
        self._thread = None
        self.smi = shutil.which("nvidia-smi")

    def _read(self) -> float | None:
        index = self.device.index or 0
        if self.smi:
            try:
                out = subprocess.run(
                    [self.smi, "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits", f"--id={index}"],
                    capture_output=True, text=True, timeout=5, check=True)
                return float(out.stdout.strip().splitlines()[0])
            except (subprocess.SubprocessError, ValueError, IndexError, OSError):
                pass
        try:
            return float(torch.cuda.utilization(index))
        except Exception:  # pynvml missing: no utilisation
            return None

    def __enter__(self):
        if self.device.type == "cuda":
            def loop():
                while not self._stop.wait(0.2):
                    value = self._read()
                    if value is not None:
                        self.samples.append(value)
            self._thread = threading.Thread(target=loop, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def mean(self) -> float | None:
        return float(np.mean(self.samples)) if self.samples else None


def train_steps(model, batches, device, steps: int, warmup: int) -> float:
    """Optimiser steps with bf16 autocast on CUDA; jets/s of the timed ones."""
    opt = build_optimizer(model, training_options({}), 1e-3)
    model.train()
    jets, t0 = 0, None
    for i in range(steps + warmup):
        batch = batches[i % len(batches)].to(device)
        if i == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0, jets = time.perf_counter(), 0
        apply_gradients(opt, forward_loss(model, batch, device, 0.5)[2])
        jets += len(batch)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return jets / (time.perf_counter() - t0)


def probabilities(model, batch, device) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        b = batch.to(device)
        return torch.softmax(model(b.tracks, b.valid, b.jets)["logits"].float(), -1).cpu().numpy()


def check_model(name, data, norm, names, jet_names, device, compiled, packed, args, work: Path) -> Row:
    from jettag.models import build_model, load_checkpoint, save_checkpoint
    from jettag.models.export import export_onnx

    spec = MODELS[name]
    torch.manual_seed(0)
    model = build_model(spec, norm, names, jet_names).to(device)
    forward = "-" if model.packed is None else ("packed" if packed and not compiled else "padded")
    if model.packed is not None:
        model.packed = packed
    net = torch.compile(model) if compiled else model
    batches = list(TensorBatches(data, args.batch_size, seed=0))
    with UtilSampler(device) as util:
        rate = train_steps(net, batches, device, args.steps, args.warmup)
    ckpt = work / f"{name}{'_compiled' if compiled else ''}_{forward}.pt"
    save_checkpoint(ckpt, model, spec, norm, names, jet_names)
    cpu_model, _ = load_checkpoint(ckpt, map_location="cpu")
    probe = batches[0]
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    dp = float(np.max(np.abs(probabilities(model, probe, device) - probabilities(cpu_model, probe, torch.device("cpu")))))
    ok, note, onnx_dp = dp <= CKPT_ATOL, "", None
    if not ok:
        note = f"checkpoint scores differ on CPU by {dp:.2g} (> {CKPT_ATOL})"
    try:
        onnx_dp = onnx_parity(export_onnx, ckpt, args.data_path, work / f"{ckpt.stem}.onnx")
    except Exception as exc:  # report, do not stop the other checks
        ok, note = False, f"{note}; ONNX: {type(exc).__name__}: {exc}".strip("; ")
    return Row(name, str(device), compiled, forward, rate, util.mean, dp, onnx_dp, ok, note)


def onnx_parity(export_onnx, ckpt: Path, data: Path, out: Path) -> float:
    """Export (which raises above its tolerance) and return the max |Δp| it found."""
    from jettag.models import export as export_module

    found = []
    real = export_module.check_parity

    def recording(*a, **kw):
        found.append(real(*a, **kw))
        return found[-1]

    export_module.check_parity = recording
    try:
        export_onnx(ckpt, data, out)
    finally:
        export_module.check_parity = real
    return found[-1]


def fmt(x, spec: str) -> str:
    return "skipped" if x is None else format(x, spec)


def print_table(rows: list[Row], gpu: bool) -> None:
    print(f"{'model':<6} {'device':<7} {'compile':<7} {'forward':<7} {'jets/s':>9} {'GPU util %':>10} "
          f"{'ckpt->cpu max|dp|':>17} {'onnx max|dp|':>12}  ok")
    for r in rows:
        print(f"{r.model:<6} {r.device:<7} {'yes' if r.compile else 'no':<7} {r.forward:<7} {fmt(r.jets_per_s, '.0f'):>9} "
              f"{fmt(r.gpu_util, '.0f'):>10} {fmt(r.ckpt_cpu_max_dp, '.2g'):>17} {fmt(r.onnx_max_dp, '.2g'):>12}  "
              f"{'yes' if r.ok else 'NO'}{'  ' + r.note if r.note else ''}")
    if not gpu:
        print("no CUDA device: the GPU columns (bf16 autocast on a GPU, torch.compile, GPU utilisation) "
              "were skipped; CPU training, checkpoint round trip and ONNX parity ran")


def main(argv: list[str] | None = None) -> list[Row]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--n-jets", type=int, default=60_000)
    p.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS))
    p.add_argument("--device", default="auto")
    p.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    args = p.parse_args(argv)
    from jettag.models import build_model

    device = resolve_device(args.device)
    gpu = device.type == "cuda"
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="jettag-gpu-check-") as tmp:
        work = Path(tmp)
        args.data_path = work / "train.h5"
        synthetic(args.data_path, args.n_jets)
        norm = json.loads((work / "norm.json").read_text())
        names, jet_names = feature_names(args.data_path)
        data = load_all(args.data_path)
        if gpu:
            print(f"device {torch.cuda.get_device_name(device)}, torch {torch.__version__}, "
                  f"CUDA {torch.version.cuda}, bf16 autocast")
        else:
            print(f"device cpu ({torch.get_num_threads()} threads), torch {torch.__version__}")
        for name in args.models:
            packable = build_model(MODELS[name], norm, names, jet_names).packed is not None
            for compiled, packed in variants(packable, gpu):
                rows.append(check_model(name, data, norm, names, jet_names, device, compiled, packed,
                                        args, work))
    print(f"{args.steps} timed steps of batch {args.batch_size} after {args.warmup} warm-up steps")
    print_table(rows, gpu)
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    return rows


if __name__ == "__main__":
    raise SystemExit(0 if all(r.ok for r in main()) else 1)
