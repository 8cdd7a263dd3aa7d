"""Training throughput: the HDF5 loader vs the same model fed from tensors already in memory.

    .venv/bin/python benchmarks/bench_training.py [--data results/data/ttbar/train.h5]
        [--n-jets 100000] [--tracks 40] [--batch-size 256] [--batches 150] [--device auto]

Without ``--data`` a synthetic train.h5 (documented layout, 21 track features) is written to a
temporary directory. The model is the DIPS-like Deep Sets tagger of ``jettag.models`` (default
spec). Each side runs ``--warmup`` untimed steps, then ``--batches`` timed optimiser steps
(forward, backward, AdamW); the target is HDF5 >= 90 % of in-memory throughput.

``--model gn2`` benchmarks the GN2-like transformer instead (default spec, as in the default
study), and prints its padded forward (``nn.TransformerEncoderLayer`` on every slot: the forward
of earlier versions) next to the packed forward it trains with now, on the same in-memory
batches, the two taking turns step by step (wall and process CPU time summed per forward, and the
speed-up in ``--rounds`` segments of the run: the load of a shared machine changes). The loss
includes the track-origin head (weight 0.5, as in training). Target: packed >= 2.5x padded.
``--model dips --forwards`` prints the same comparison for the Deep Sets tagger (phi on every
slot vs on the valid tracks only).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import h5py
import torch

from jettag.features import JET_FEATURES, TRACK_FEATURES
from jettag.training.data import H5Batches, TensorBatches, feature_names, load_all
from jettag.training.options import training_options
from jettag.training.step import (
    apply_gradients,
    build_optimizer,
    forward_loss,
    resolve_device,
)
from jettag.training.toydata import make_toy_arrays, norm_from


def _multiplicity(arrays: dict, mean_tracks: float, seed: int) -> dict:
    """Redraw the tracks per jet as 1 + Poisson(mean - 1), clipped to the slots (generated
    samples select ~7 tracks per jet), padding zeroed as in preprocessed files."""
    if mean_tracks <= 0:
        return arrays
    import numpy as np

    n, L = arrays["valid"].shape
    k = np.minimum(1 + np.random.default_rng(seed).poisson(mean_tracks - 1, n), L)
    valid = np.arange(L)[None, :] < k[:, None]
    arrays["valid"] = valid
    arrays["tracks"][~valid] = 0.0
    arrays["track_origin"][~valid] = -1
    return arrays


def synthetic(path: Path, n: int, tracks: int, chunk: int = 20000, mean_tracks: float = 0.0) -> None:
    """A synthetic train.h5 of ``n`` jets, written chunk by chunk (bounded memory), and norm.json."""
    first = _multiplicity(make_toy_arrays(min(n, chunk), tracks, seed=0), mean_tracks, 0)
    with h5py.File(path, "w") as f:
        for key, value in first.items():
            f.create_dataset(key, shape=(n, *value.shape[1:]), dtype=value.dtype,
                             chunks=(1024, *value.shape[1:]))
        f["tracks"].attrs["features"] = list(TRACK_FEATURES)
        f["jets"].attrs["features"] = list(JET_FEATURES)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            part = first if start == 0 else _multiplicity(
                make_toy_arrays(stop - start, tracks, seed=start), mean_tracks, start)
            for key, value in part.items():
                f[key][start:stop] = value
    (path.parent / "norm.json").write_text(json.dumps(norm_from(first)))


MODELS = {
    "dips": {"type": "deepsets", "name": "dips"},
    "gn2": {"type": "transformer", "name": "gn2", "track_features": ["ip", "kinematics", "hits"]},
}


def run(model, loader, device, steps: int, warmup: int) -> float:
    opts = training_options({})
    opt = build_optimizer(model, opts, 1e-3)
    model.train()
    done, jets, t0 = 0, 0, None
    epoch = 0
    while done < steps + warmup:
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(epoch)
        for batch in loader:
            if done == warmup:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                jets = 0
            batch = batch.to(device)
            apply_gradients(opt, forward_loss(model, batch, device, 0.0)[2])
            done += 1
            jets += len(batch)
            if done >= steps + warmup:
                break
        epoch += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    return jets / (time.perf_counter() - t0)


def compare_forwards(fresh, mem, device, args) -> None:
    """Padded vs packed forward, trained side by side: the two models (same initial
    weights) take turns, one optimiser step each on the same batch, so a change of the machine's
    load hits both alike. Wall and process CPU time are summed per forward."""
    models = {}
    for name in ("padded", "packed"):
        model = fresh()
        model.packed = name == "packed"
        model.train()
        models[name] = (model, build_optimizer(model, training_options({}), 1e-3))
    wall = dict.fromkeys(models, 0.0)
    cpu = dict.fromkeys(models, 0.0)
    jets, steps = 0, 0
    rounds = []
    while steps < args.batches + args.warmup:
        for batch in mem:
            batch = batch.to(device)
            timed = steps >= args.warmup
            for name, (model, opt) in models.items():
                t0, c0 = time.perf_counter(), time.process_time()
                apply_gradients(opt, forward_loss(model, batch, device, 0.5)[2])
                if device.type == "cuda":
                    torch.cuda.synchronize()
                if timed:
                    wall[name] += time.perf_counter() - t0
                    cpu[name] += time.process_time() - c0
            if timed:
                jets += len(batch)
                if (steps - args.warmup + 1) % max(1, args.batches // args.rounds) == 0:
                    rounds.append(dict(wall))
            steps += 1
            if steps >= args.batches + args.warmup:
                break
    threads = torch.get_num_threads()
    print(f"{'forward':<10} {'jets/s':>9} {'jets/cpu-s':>11}  (cpu-s: process CPU time / {threads} threads)")
    for name in models:
        print(f"{name:<10} {jets / wall[name]:>9.0f} {jets * threads / cpu[name]:>11.0f}")
    ratios = []
    prev = dict.fromkeys(models, 0.0)
    for r in rounds:  # speed-up within each segment of the run
        ratios.append((r["padded"] - prev["padded"]) / max(r["packed"] - prev["packed"], 1e-12))
        prev = r
    print(f"speed-up packed / padded: {wall['padded'] / wall['packed']:.2f}x wall, "
          f"{cpu['padded'] / cpu['packed']:.2f}x cpu{' (target >= 2.5x)' if args.model == 'gn2' else ''}; "
          "per segment: "
          + ", ".join(f"{x:.2f}" for x in ratios))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=None, help="a preprocessed train.h5 (norm.json beside it)")
    p.add_argument("--n-jets", type=int, default=100_000)
    p.add_argument("--tracks", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--batches", type=int, default=150)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--block-size", type=int, default=32768)
    p.add_argument("--prefetch", type=int, default=1)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--model", choices=sorted(MODELS), default="dips")
    p.add_argument("--mean-tracks", type=float, default=0.0, dest="mean_tracks",
                   help="synthetic tracks per jet: 1 + Poisson(mean - 1) (0: uniform 1..--tracks); "
                        "7 is what generated samples select")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds of --model gn2")
    p.add_argument("--forwards", action="store_true",
                   help="padded vs packed forward of --model (always for gn2)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    tmp = None
    path = args.data
    if path is None:
        tmp = tempfile.TemporaryDirectory(prefix="jettag-bench-")
        path = Path(tmp.name) / "train.h5"
        t = time.perf_counter()
        synthetic(path, args.n_jets, args.tracks, mean_tracks=args.mean_tracks)
        print(f"synthetic {path}: {args.n_jets} jets x {args.tracks} tracks in {time.perf_counter() - t:.1f} s")
    norm = json.loads((path.parent / "norm.json").read_text())
    names, jet_names = feature_names(path)
    from jettag.models import build_model

    def fresh():
        torch.manual_seed(0)
        return build_model(MODELS[args.model], norm, names, jet_names).to(device)

    h5 = H5Batches(path, args.batch_size, seed=0, block_size=args.block_size, prefetch=args.prefetch)
    n_mem = min(h5.n, (args.batches + args.warmup) * args.batch_size)
    data = load_all(path, n_mem)
    if device.type == "cuda":  # the strictest baseline: the data already sits on the GPU
        data = type(data)(**{k: v.to(device) for k, v in vars(data).items()})
    # the cheapest possible feed: batches pre-gathered (shuffled once), iterated as views
    mem = list(TensorBatches(data, args.batch_size, seed=0))

    if args.model == "gn2" or args.forwards:
        print(f"device {device}, threads {torch.get_num_threads()}, batch {args.batch_size}, "
              f"{args.batches} timed steps, model {args.model} ({MODELS[args.model]['type']}), "
              "in-memory batches")
        compare_forwards(fresh, mem, device, args)
        if tmp is not None:
            tmp.cleanup()
        return
    rate_h5 = run(fresh(), h5, device, args.batches, args.warmup)
    rate_mem = run(fresh(), mem, device, args.batches, args.warmup)
    rate_h5_2 = run(fresh(), h5, device, args.batches, args.warmup)  # order effects (caches, clocks)
    rate_h5 = max(rate_h5, rate_h5_2)
    print(f"device {device}, threads {torch.get_num_threads()}, batch {args.batch_size}, "
          f"{args.batches} timed steps, model dips (deepsets)")
    print(f"{'source':<12} {'jets/s':>10}")
    print(f"{'hdf5':<12} {rate_h5:>10.0f}")
    print(f"{'in-memory':<12} {rate_mem:>10.0f}")
    print(f"ratio hdf5 / in-memory: {rate_h5 / rate_mem:.1%} (target >= 90%)")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
