"""Rewrite the README's results table from a finished run (never typed by hand).

    python benchmarks/readme_results.py [--results results] [--readme README.md] [--wp 77]

Reads ``<results>/metrics/performance.csv``, ``<results>/metrics/comparisons.csv`` and
``<results>/config.yaml`` and replaces the lines between ``<!-- readme-results:begin -->`` and
``<!-- readme-results:end -->`` with the table of light/c rejection at the working point (binomial
error and 68 % paired-bootstrap interval) and the AUC, each tagger's paired comparison with the
reference tagger and its verdict, plus the commit of the checkout the run was made in (``git
rev-parse --short HEAD`` in the folder holding ``results/``), the config hash and the wall time
of each ``snakemake`` run in that folder (from the first and last time stamps of its log in
``.snakemake/log/``, with the number of jobs it ran).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import re
import subprocess
import sys
from pathlib import Path

import yaml

from jettag.config import config_hash
from jettag.report.headlines import fmt, num

BEGIN, END = "<!-- readme-results:begin -->", "<!-- readme-results:end -->"
FAMILY = {"ip3d": "IP3D-like", "deepsets": "Deep Sets", "rnn": "RNN", "transformer": "transformer"}


def commit(where: Path) -> str:
    proc = subprocess.run(["git", "-C", str(where), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$", re.M)
_DONE = re.compile(r"^(\d+) of (\d+) steps \(100%\) done$", re.M)


def runs(where: Path) -> list[tuple[int, float]]:
    """(jobs, wall seconds) of each completed ``snakemake`` run logged in ``where/.snakemake/log``."""
    out = []
    for log in sorted((where / ".snakemake" / "log").glob("*.snakemake.log")):
        text = log.read_text(errors="replace")
        done, stamps = _DONE.findall(text), _STAMP.findall(text)
        if not done or len(stamps) < 2:
            continue
        t0, t1 = (datetime.datetime.strptime(" ".join(s.split()), "%a %b %d %H:%M:%S %Y") for s in (stamps[0], stamps[-1]))
        out.append((int(done[-1][1]), (t1 - t0).total_seconds()))
    return out


def _duration(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s} s" if m else f"{s} s"


def timing(where: Path) -> str:
    logged = runs(where)
    if not logged:
        return ""
    parts = [f"{jobs} jobs in {_duration(secs)}" for jobs, secs in logged]
    return (" Wall time of `snakemake` in that checkout (first to last time stamp of each run's log): "
            + (parts[0] if len(parts) == 1 else parts[0] + "; then, after changes, " + ", ".join(parts[1:]))
            + ".")


def _interval(r: dict, key: str) -> str:
    lo, hi = num(r.get(f"{key}_lo")), num(r.get(f"{key}_hi"))
    return "" if lo != lo or hi != hi else f" [{fmt(lo)}, {fmt(hi)}]"


def _comparisons(results: Path, wp: str) -> dict[tuple[str, str], dict]:
    """(tagger, reference) -> the light-rejection row of comparisons.csv at ``wp``."""
    path = results / "metrics" / "comparisons.csv"
    if not path.is_file():
        return {}
    with path.open(newline="") as f:
        return {(r["tagger"], r["reference"]): r for r in csv.DictReader(f)
                if r["metric"] == "light_rej" and r["wp"] == wp}


def _ratio(c: dict) -> str:
    return f"{fmt(num(c['ratio']))} [{fmt(num(c['ratio_lo']))}, {fmt(num(c['ratio_hi']))}]: {c['verdict']}"


def table(results: Path, wp: str) -> str:
    cfg = yaml.safe_load((results / "config.yaml").read_text())
    digest = cfg.get("config_hash") or config_hash({k: v for k, v in cfg.items() if k != "config_hash"})
    with (results / "metrics" / "performance.csv").open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["wp"] == wp and r["tagger"] in cfg["models"]]
    if not rows:
        sys.exit(f"readme_results: no row at wp {wp} in {results}/metrics/performance.csv")
    comparisons = _comparisons(results, wp)
    reference = (cfg.get("evaluation") or {}).get("reference", "")
    lines = [
        f"Measured: `make study` at commit {commit(results.resolve().parent)}, config hash {digest}; "
        f"{rows[0]['n_test']} test jets, {wp} % b-jet working point "
        f"(written by `python benchmarks/readme_results.py`). Rejections of each model's first "
        f"training seed: value ± binomial error [68 % paired-bootstrap interval]; the last column is the paired light-rejection ratio to "
        f"{reference} on the same test jets (`results/metrics/comparisons.csv`: the mean over a "
        f"model's seeds, their spread included) and its verdict at 3 standard deviations."
        + timing(results.resolve().parent),
        "",
        f"| tagger | light rejection | c rejection | AUC (b vs light) | light rejection / {reference} |",
        "|---|---|---|---|---|",
    ]
    notes = []
    for r in rows:
        name = FAMILY.get(cfg["models"][r["tagger"]]["type"], r["tagger"])
        c = comparisons.get((r["tagger"], reference))
        versus = _ratio(c) if c else "reference" if r["tagger"] == reference else "n/a"
        lines.append(f"| {name} ({r['tagger']}) | {fmt(num(r['light_rej']), num(r['light_rej_err']))}"
                     f"{_interval(r, 'light_rej')} | {fmt(num(r['c_rej']), num(r['c_rej_err']))}"
                     f"{_interval(r, 'c_rej')} | {num(r['auc']):.3f} | {versus} |")
        if r.get("note"):
            notes.append(f"{r['tagger']}: {r['note']}")
    others = [(t, ref, c) for (t, ref), c in comparisons.items() if ref != reference and t in cfg["models"]]
    if others:
        lines += ["", "Further paired comparisons (light rejection ratio [68 % interval]: verdict): "
                  + "; ".join(f"{t} / {ref} {_ratio(c)}" for t, ref, c in others) + "."]
    if notes:
        lines += ["", "Notes: " + "; ".join(notes) + "."]
    return "\n".join(lines)


def rewrite(readme: Path, text: str) -> None:
    content = readme.read_text()
    if BEGIN not in content or END not in content:
        sys.exit(f"readme_results: {readme} lacks the markers {BEGIN} ... {END}")
    head, rest = content.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--readme", type=Path, default=Path("README.md"))
    parser.add_argument("--wp", default="77")
    args = parser.parse_args(argv)
    rewrite(args.readme, table(args.results, args.wp))
    print(f"readme_results: rewrote the results table of {args.readme}")


if __name__ == "__main__":
    main()
