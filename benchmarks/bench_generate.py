"""Benchmark the embedded generator: bare Pythia vs the full ``generate_shard`` chain, side by side.

    .venv/bin/python benchmarks/bench_generate.py [--events 500] [--process ttbar] [--repeat 1]
        [--detector realistic|ideal] [--mu MU ...]

Several ``--mu`` values are measured in the same run against the same bare-Pythia timings
(e.g. ``--mu 0 33.7``: no pile-up and the Run-2 default). The full generator's time includes
building the shard's minimum-bias library.

Bare Pythia: the same process settings, ``pythia.next()`` in a loop (no record conversion).
Full: ``generate_shard`` (Pythia + record -> arrays + FastJet + truth + detector + ROOT output).
Both timings include Pythia initialisation. Runs alternate (bare, full, bare, full, ...) so that
load from other processes hits both alike; the best of ``--repeat`` runs is reported.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

#: CPU seconds of the last bare / full run (robust against other processes on a shared machine).
CPU: dict[str, float] = {}


def bare_pythia(spec: dict, shard: int = 0) -> tuple[float, int]:
    from jettag.generate import pythia
    from jettag.generate.shard import _runs

    t0, c0 = time.perf_counter(), time.process_time()
    n_total = 0
    for seed, mass, n in _runs(spec, shard):
        py = pythia.make_pythia(spec["process"], spec["sqrt_s"], seed, mass)
        for _ in range(n):
            if py.next():
                n_total += 1
    CPU["bare"] = time.process_time() - c0
    return time.perf_counter() - t0, n_total


def full_generator(spec: dict, out: Path, shard: int = 0) -> tuple[float, int, dict[str, float]]:
    import numpy as np
    import uproot

    from jettag.generate import generate_shard

    t0, c0 = time.perf_counter(), time.process_time()
    generate_shard(spec, shard, out, no_progress=True)
    CPU["full"] = time.process_time() - c0
    dt = time.perf_counter() - t0
    labels = uproot.open(out)["jets"]["HadronConeExclTruthLabelID"].array(library="np")
    fractions = {name: float(np.mean(labels == k)) for name, k in (("b", 5), ("c", 4), ("light", 0), ("tau", 15))}
    return dt, len(labels), fractions


def profile_stages(spec: dict, n: int = 250) -> dict[str, float]:
    """Seconds per stage for one batch of ``n`` events (rough breakdown)."""
    from jettag.generate import jets, pythia, truth

    py = pythia.make_pythia(spec["process"], spec["sqrt_s"], pythia.shard_seed(spec["seed"], 99),
                            spec["zprime_masses"][0] if spec["process"] == "zprime" else None)
    out = {}
    t = time.perf_counter()
    batch = py.nextBatch(n)
    out["pythia_nextBatch"] = time.perf_counter() - t
    t = time.perf_counter()
    parts = pythia.flatten(batch)
    out["flatten"] = time.perf_counter() - t
    t = time.perf_counter()
    jets.cluster(parts)
    out["fastjet"] = time.perf_counter() - t
    t = time.perf_counter()
    truth.weak_decays(parts)
    out["truth_weak_decays"] = time.perf_counter() - t
    return out


def main(argv=None) -> None:
    from jettag.generate.shard import resolve_spec

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=500)
    ap.add_argument("--process", default="ttbar", choices=["ttbar", "zprime"])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--profile", action="store_true", help="also time the stages of one batch")
    ap.add_argument("--detector", default="realistic", choices=["realistic", "ideal"])
    ap.add_argument("--mu", type=float, nargs="*", default=[None], help="pile-up <mu> (default: the preset's)")
    args = ap.parse_args(argv)
    base = {"process": args.process, "n_events": args.events, "seed": 7, "detector": args.detector}
    for mu in args.mu:
        spec = resolve_spec({**base, "pileup": {"mu": mu}})
        print(f"--- detector={args.detector} mu={spec['pileup']['mu']}", flush=True)
        run(spec, args)


def run(spec: dict, args) -> None:
    bare, full, cpu = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeat):
            dt_b, n_b = bare_pythia(spec)
            bare.append(n_b / dt_b)
            dt_f, n_jets, fractions = full_generator(spec, Path(tmp) / f"bench{r}.root")
            full.append((args.events / dt_f, n_jets / dt_f))
            cpu.append(CPU["bare"] / CPU["full"])
            print(f"run {r}: bare {n_b / dt_b:8.1f} ev/s ({dt_b:.2f} s)   full {args.events / dt_f:8.1f} ev/s "
                  f"{n_jets / dt_f:8.1f} jets/s ({dt_f:.2f} s, {n_jets} jets)", flush=True)
    b = max(bare)
    f_ev, f_jets = max(full)
    print(f"\nprocess={args.process} events={args.events} (best of {args.repeat})")
    print(f"bare Pythia      : {b:8.1f} events/s")
    print(f"full generator   : {f_ev:8.1f} events/s, {f_jets:8.1f} jets/s")
    print(f"ratio full/bare  : {f_ev / b:8.3f}  (wall clock, best of each)")
    print(f"ratio full/bare  : {max(cpu):8.3f}  (CPU time of this process, best run)")
    print("flavour fractions: " + ", ".join(f"{k} {v:.3f}" for k, v in fractions.items()))
    if args.profile:
        for k, v in profile_stages(spec).items():
            print(f"  {k:20s} {v * 1e3:8.1f} ms / 250 events")


if __name__ == "__main__":
    main()
