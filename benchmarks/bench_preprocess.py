"""Preprocessing throughput vs plain uproot reading of the same branches.

    .venv/bin/python benchmarks/bench_preprocess.py [--jets 200000] [--file F.root] [--repeat 1]

Without ``--file`` a synthetic jet-wise file (generator branch names, ~15 tracks/jet) is written
to ``resources/bench/synthetic_{jets}.root`` once and reused. Prints jets/s for

* ``uproot``   : ``TTree.iterate`` of the branches preprocessing needs (the floor),
* ``read_jets``: ``jettag.io.read_jets`` (canonical chunks),
* ``preprocess``: the full ``run_preprocessing`` (per HDF5 compression),

the ratio preprocess / uproot (target <= 2), and how fast the train file reads back in
training-sized batches (sequential and shuffled 1024-jet blocks).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import uproot

from jettag.io import read_jets
from jettag.io.mapping import GENERATOR_MAPPING
from jettag.preprocess import run_preprocessing, synthetic


def _best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _read_uproot(path, step):
    branches = list(GENERATOR_MAPPING["jets"].values()) + list(GENERATOR_MAPPING["tracks"].values())
    with uproot.open(path) as f:
        tree = f["jets"]
        branches = [b for b in branches if b in tree.keys()]
        for _ in tree.iterate(branches, step_size=step, library="ak"):
            pass


def _read_canonical(path, step):
    for _ in read_jets([str(path)], None, step):
        pass


def _read_h5(path, shuffled):
    with h5py.File(path, "r") as f:
        n = f["label"].shape[0]
        starts = np.arange(0, n, 1024)
        if shuffled:
            np.random.default_rng(0).shuffle(starts)
        for s in starts:
            for k in ("tracks", "valid", "jets", "label", "weight"):
                f[k][s : s + 1024]
    return n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jets", type=int, default=200_000)
    ap.add_argument("--file", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--chunk-size", type=int, default=50_000)
    ap.add_argument("--compression", nargs="+", default=["lzf", "none"])
    args = ap.parse_args(argv)

    path = args.file
    if path is None:
        path = Path("resources/bench") / f"synthetic_{args.jets}.root"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            synthetic.write_jetwise(path, synthetic.make_jets(args.jets, seed=1))
            print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
    with uproot.open(path) as f:
        n_jets = f["jets"].num_entries
    print(f"input {path}: {n_jets} jets, {path.stat().st_size / 1e6:.1f} MB")

    t_read = _best(lambda: _read_uproot(path, args.chunk_size), args.repeat)
    print(f"uproot read      : {t_read:7.2f} s  {n_jets / t_read:10.0f} jets/s")
    t_canon = _best(lambda: _read_canonical(path, args.chunk_size), args.repeat)
    print(f"jettag.read_jets : {t_canon:7.2f} s  {n_jets / t_canon:10.0f} jets/s")

    for comp in args.compression:
        out = Path(tempfile.mkdtemp(prefix="bench_pp_"))
        try:
            spec = {"chunk_size": args.chunk_size, "compression": comp}
            t = _best(lambda spec=spec, out=out: run_preprocessing(spec, None, [str(path)], out, "bench", progress=False), args.repeat)
            size = sum(p.stat().st_size for p in out.glob("*.h5")) / 1e6
            print(f"preprocess {comp:5s}: {t:7.2f} s  {n_jets / t:10.0f} jets/s  "
                  f"ratio to uproot read {t / t_read:.2f}x (to read_jets {t / t_canon:.2f}x)  "
                  f"output {size:.0f} MB")
            for shuffled in (False, True):
                t0 = time.perf_counter()
                n = _read_h5(out / "train.h5", shuffled)
                dt = time.perf_counter() - t0
                print(f"    read train.h5 ({'shuffled' if shuffled else 'sequential'} 1024-jet blocks): "
                      f"{n / dt:10.0f} jets/s")
        finally:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
