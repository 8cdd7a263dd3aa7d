"""Peak memory (max RSS, /usr/bin/time -v) of `jettag preprocess` and `jettag train` at two dataset
sizes that differ by a factor --factor (default 10). Streaming steps must not grow with the data.

    .venv/bin/python benchmarks/bench_memory.py [--events 250] [--copies 4] [--factor 10]
        [--model dips] [--workdir /tmp/jettag-bench-memory] [--output benchmarks/memory.json]

It generates two shards of `--events` ttbar events once (the smoke config's generator), then
preprocesses `--copies` and `--copies * --factor` copies of that pair of shards (the same files
listed repeatedly: jet counts scale exactly, contents repeat; enough for memory), and trains one
epoch of `--model` on each result. Chunk and block sizes are set below the small size
(--chunk-size, --block-size) so both sizes exercise streaming; with the defaults (50000 jets,
32768 jets) a small dataset fits in one chunk and the comparison would mostly measure the chunk. Prints a table and writes JSON with wall times, max RSS and
jet counts. Needs GNU time at /usr/bin/time (Debian package `time`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
JETTAG = str(BIN / "jettag")


def timed(cmd: list[str], log: Path, env: dict | None = None) -> dict:
    """Run under /usr/bin/time -v; return wall seconds and max RSS in MB."""
    tfile = log.with_suffix(".time")
    start = time.perf_counter()
    with log.open("w") as f:
        rc = subprocess.run(["/usr/bin/time", "-v", "-o", str(tfile), *cmd], stdout=f,
                            stderr=subprocess.STDOUT, env=env).returncode
    wall = time.perf_counter() - start
    if rc != 0:
        sys.exit(f"failed ({rc}): {' '.join(cmd)}\n{log.read_text()[-3000:]}")
    text = tfile.read_text()
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return {"wall_s": round(wall, 2), "max_rss_mb": round(rss_kb / 1024, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=250, help="events per generated shard")
    ap.add_argument("--copies", type=int, default=4, help="copies of the shard pair, small size")
    ap.add_argument("--factor", type=int, default=10)
    ap.add_argument("--model", default="dips")
    ap.add_argument("--chunk-size", type=int, default=5000,
                    help="preprocess.chunk_size; below the small size, so both sizes stream")
    ap.add_argument("--block-size", type=int, default=4096,
                    help="training.block_size; below the small size, so both sizes stream")
    ap.add_argument("--config", default=str(REPO / "config" / "smoke.yaml"))
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/jettag-bench-memory"))
    ap.add_argument("--output", type=Path, default=None)
    args = ap.parse_args()
    if not Path("/usr/bin/time").exists():
        sys.exit("needs GNU time at /usr/bin/time (apt-get install time)")

    from jettag import config as jconfig
    from jettag.taggers import plan_tagger

    cfg = jconfig.resolve(yaml.safe_load(Path(args.config).read_text()), args.config)
    cfg["training"]["epochs"] = 1
    cfg["training"]["block_size"] = args.block_size
    cfg["preprocess"]["chunk_size"] = args.chunk_size
    cfg["training"]["early_stopping"]["enabled"] = False
    gen = dict(cfg["samples"][cfg["train_sample"]]["generator"], n_events=args.events)
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    env_threads = dict(os.environ, OMP_NUM_THREADS="1")

    shards, generate = [], []
    for k in range(2):
        out = work / f"shard{k}.root"
        if not out.exists():
            generate.append(timed([JETTAG, "generate", "--spec", json.dumps(gen), "--shard", str(k),
                                   "--output", str(out), "--no-progress"], work / f"generate{k}.log", env_threads))
            print(f"generate shard {k} ({args.events} events): {generate[-1]['wall_s']} s, "
                  f"{generate[-1]['max_rss_mb']} MB", flush=True)
        shards.append(str(out))

    results = []
    for copies in (args.copies, args.copies * args.factor):
        data = work / f"data_x{copies}"
        model_dir = work / f"model_x{copies}"
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(model_dir, ignore_errors=True)
        pre = timed([JETTAG, "preprocess", "--spec", json.dumps(cfg["preprocess"]),
                     "--sample", "bench", "--inputs", *(shards * copies), "--output-dir", str(data)],
                    work / f"preprocess_x{copies}.log", env_threads)
        summary = json.loads((data / "summary.json").read_text())
        n_jets = sum(summary["jets_per_split"].values())
        spec = plan_tagger(cfg, args.model).spec
        train = timed([JETTAG, "train", "--spec", json.dumps(spec), "--data-dir", str(data),
                       "--output-dir", str(model_dir)], work / f"train_x{copies}.log", env_threads)
        disk_mb = sum(p.stat().st_size for p in data.glob("*.h5")) / 1e6
        results.append({"copies": copies, "n_jets": n_jets,
                        "n_train_jets": summary["jets_per_split"]["train"],
                        "h5_mb": round(disk_mb, 1), "preprocess": pre, "train": train})
        print(f"x{copies:<4} jets={n_jets:>8}  preprocess {pre['wall_s']:>7.1f} s "
              f"{pre['max_rss_mb']:>7.1f} MB   train(1 epoch {args.model}) {train['wall_s']:>7.1f} s "
              f"{train['max_rss_mb']:>7.1f} MB   h5 {disk_mb:.1f} MB", flush=True)

    small, large = results
    for step in ("preprocess", "train"):
        ratio = large[step]["max_rss_mb"] / small[step]["max_rss_mb"]
        print(f"{step}: max RSS ratio at {args.factor}x the jets: {ratio:.2f}")
    report = {"events_per_shard": args.events, "factor": args.factor, "model": args.model,
              "chunk_size": args.chunk_size, "block_size": args.block_size,
              "generate": generate, "results": results}
    if args.output:
        args.output.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
