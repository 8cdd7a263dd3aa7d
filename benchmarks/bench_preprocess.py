"""Preprocessing throughput vs plain uproot reading of the same branches.

    .venv/bin/python benchmarks/bench_preprocess.py [--jets 200000] [--file F.root] [--repeat 3]
        [--keep DIR] [--compare DIR]

Without ``--file`` a synthetic jet-wise file (generator branch names, ~15 tracks/jet) is written
to ``resources/bench/synthetic_{jets}.root`` once and reused. Prints jets/s for

* ``uproot``   : ``TTree.iterate`` of the branches preprocessing needs (the floor),
* ``read_jets``: ``jettag.io.read_jets`` (canonical chunks),
* ``preprocess``: the full ``run_preprocessing`` (per HDF5 compression),
* ``per-file job`` / ``merge job``: the two steps of the workflow (``preprocess_file`` of the
  file into a part, ``merge_parts`` of that part; the per-file job is what runs once per input
  file, in parallel),

the ratio preprocess / uproot (target <= 2), and how fast the train file reads back in
training-sized batches (sequential and shuffled 1024-jet blocks). The measurements are interleaved
(uproot, read_jets, preprocess, uproot, ...) and medians of ``--repeat`` rounds are printed: on a
shared machine the load changes between rounds. Imports and the config schema are loaded before
timing (the uproot read does not pay its imports either); the outputs of the previous round are
deleted before each timed step, as Snakemake deletes a job's outputs before running it.

``--keep DIR`` keeps the outputs of the last round (``DIR/{compression}/``); ``--compare DIR``
checks that every HDF5 dataset (and norm.json) of this run is bitwise identical to the ones
kept in ``DIR`` by an earlier run, e.g. before and after a change of the preprocessing code.
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
from jettag.preprocess.parts import merge_parts, preprocess_file


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def compare_outputs(a: Path, b: Path) -> list[str]:
    """Differences between two preprocessing output directories (empty list: identical)."""
    diffs = []
    for split in ("train", "val", "test"):
        with h5py.File(a / f"{split}.h5", "r") as fa, h5py.File(b / f"{split}.h5", "r") as fb:
            if set(fa) != set(fb):
                diffs.append(f"{split}: datasets {sorted(fa)} vs {sorted(fb)}")
            for k in sorted(set(fa) & set(fb)):
                x, y = fa[k][:], fb[k][:]
                if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
                    diffs.append(f"{split}/{k}")
                if {n: str(v) for n, v in fa[k].attrs.items()} != {n: str(v) for n, v in fb[k].attrs.items()}:
                    diffs.append(f"{split}/{k} attrs")
            if fa.attrs["n_jets"] != fb.attrs["n_jets"]:
                diffs.append(f"{split} n_jets")
    if (a / "norm.json").read_text() != (b / "norm.json").read_text():
        diffs.append("norm.json")
    return diffs


def _clear(*paths: Path) -> None:
    """Delete earlier outputs outside the timings (replacing a large file pays for freeing it)."""
    for p in paths:
        if p.is_dir():
            for f in p.iterdir():
                f.unlink()
        else:
            p.unlink(missing_ok=True)


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
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="keep the last round's outputs here")
    ap.add_argument("--compare", type=Path, default=None, help="compare the outputs with a --keep DIR")
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

    # one-time costs outside the timings: imports, config schema
    import jettag.preprocess.run  # noqa: F401
    from jettag.config import resolve

    resolve({})

    rounds: dict[str, list[float]] = {"uproot": [], "read_jets": []}
    outs = {comp: Path(tempfile.mkdtemp(prefix=f"bench_pp_{comp}_")) for comp in args.compression}
    try:
        for _ in range(args.repeat):
            rounds["uproot"].append(_timed(lambda: _read_uproot(path, args.chunk_size)))
            rounds["read_jets"].append(_timed(lambda: _read_canonical(path, args.chunk_size)))
            for comp, out in outs.items():
                spec = {"chunk_size": args.chunk_size, "compression": comp}
                part = out.parent / f"{out.name}_part.h5"
                _clear(out, out.parent / f"{out.name}_merged", part)  # as Snakemake does before a job
                rounds.setdefault(comp, []).append(_timed(
                    lambda spec=spec, out=out: run_preprocessing(spec, None, [str(path)], out, "bench", progress=False)))
                rounds.setdefault(f"file {comp}", []).append(_timed(
                    lambda spec=spec, part=part: preprocess_file(spec, None, str(path), part, progress=False)))
                rounds.setdefault(f"merge {comp}", []).append(_timed(
                    lambda spec=spec, part=part, out=out: merge_parts(spec, [str(part)], out.parent / f"{out.name}_merged",
                                                                      "bench", progress=False)))
        med = {k: float(np.median(v)) for k, v in rounds.items()}
        t_read, t_canon = med["uproot"], med["read_jets"]
        print(f"medians of {args.repeat} interleaved round(s)")
        print(f"uproot read (read-only)  : {t_read:7.2f} s  {n_jets / t_read:10.0f} jets/s")
        print(f"jettag.read_jets         : {t_canon:7.2f} s  {n_jets / t_canon:10.0f} jets/s")
        for comp, out in outs.items():
            t = med[comp]
            size = sum(p.stat().st_size for p in out.glob("*.h5")) / 1e6
            print(f"preprocess ({comp:4s})      : {t:7.2f} s  {n_jets / t:10.0f} jets/s  "
                  f"ratio to uproot read {t / t_read:.2f}x (target <= 2; to read_jets {t / t_canon:.2f}x)  "
                  f"output {size:.0f} MB   all rounds: {', '.join(f'{x:.2f}' for x in rounds[comp])} s")
            for step in ("file", "merge"):
                ts = med[f"{step} {comp}"]
                label = "per-file job" if step == "file" else "merge job"
                print(f"    {label:<13}: {ts:7.2f} s  {n_jets / ts:10.0f} jets/s  ratio to uproot read {ts / t_read:.2f}x"
                      f"   all rounds: {', '.join(f'{x:.2f}' for x in rounds[f'{step} {comp}'])} s")
            merged = out.parent / f"{out.name}_merged"
            print("    two-step outputs vs one-process outputs: "
                  + ("IDENTICAL" if not compare_outputs(out, merged) else "DIFFERENT: " + ", ".join(compare_outputs(out, merged))))
            for shuffled in (False, True):
                t0 = time.perf_counter()
                n = _read_h5(out / "train.h5", shuffled)
                dt = time.perf_counter() - t0
                print(f"    read train.h5 ({'shuffled' if shuffled else 'sequential'} 1024-jet blocks): "
                      f"{n / dt:10.0f} jets/s")
            if args.compare is not None and not (args.compare / comp / "train.h5").is_file():
                print(f"    outputs: nothing to compare with in {args.compare / comp}")
            elif args.compare is not None:
                diffs = compare_outputs(args.compare / comp, out)
                print(f"    outputs vs {args.compare / comp}: "
                      + ("IDENTICAL" if not diffs else "DIFFERENT: " + ", ".join(diffs)))
            if args.keep is not None:
                dest = args.keep / comp
                shutil.rmtree(dest, ignore_errors=True)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copytree(out, dest)
        print(f"all rounds (s): uproot {', '.join(f'{x:.2f}' for x in rounds['uproot'])}; "
              f"read_jets {', '.join(f'{x:.2f}' for x in rounds['read_jets'])}")
    finally:
        for out in outs.values():
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(out.parent / f"{out.name}_merged", ignore_errors=True)
            (out.parent / f"{out.name}_part.h5").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
