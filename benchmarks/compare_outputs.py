"""Compare two finished runs of the workflow output by output (a refactoring must change nothing).

    python benchmarks/compare_outputs.py RESULTS_A RESULTS_B

Compares, bit for bit, ``metrics/performance.csv``, every dataset of every HDF5 file under
``scores/`` and ``data/`` and every study table (``studies/**/*.csv``). File attributes (software
versions, config hash) are listed when they differ but do not fail the comparison. Exit status 0
when everything compared is identical, 1 otherwise.

``benchmarks/smoke_equivalence.sh REV`` runs the smoke workflow at a git revision and in the
working tree and calls this script on the two results folders.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import h5py
import numpy as np

TEXT_GLOBS = ("metrics/performance.csv", "studies/**/*.csv")
HDF5_GLOBS = ("scores/**/*.h5", "data/**/*.h5")
# Columns of study tables that measure wall time, not results (names ending in "_s" too).
TIME_COLUMNS = ("seconds", "jets_per_s", "epoch_seconds", "train_seconds")


def _is_time(column: str) -> bool:
    return column in TIME_COLUMNS or column.endswith("_s")


def _files(root: Path, patterns) -> list[Path]:
    return sorted({p.relative_to(root) for pattern in patterns for p in root.glob(pattern)})


def _datasets(path: Path) -> dict[str, np.ndarray]:
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def _attrs(path: Path) -> dict[str, str]:
    with h5py.File(path, "r") as f:
        return {k: str(v) for k, v in f.attrs.items()}


def _csv_rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return []
    keep = [i for i, name in enumerate(rows[0]) if not _is_time(name)]
    return [[row[i] for i in keep if i < len(row)] for row in rows]


def compare(a: Path, b: Path) -> tuple[list[str], list[str], int]:
    """Return (differences, attribute notes, number of files compared)."""
    diffs: list[str] = []
    notes: list[str] = []
    n = 0
    text_a, text_b = set(_files(a, TEXT_GLOBS)), set(_files(b, TEXT_GLOBS))
    for rel in sorted(text_a ^ text_b):
        diffs.append(f"{rel}: only in {'A' if rel in text_a else 'B'}")
    for rel in sorted(text_a & text_b):
        n += 1
        if _csv_rows(a / rel) != _csv_rows(b / rel):
            diffs.append(f"{rel}: contents differ")
    h5_a, h5_b = set(_files(a, HDF5_GLOBS)), set(_files(b, HDF5_GLOBS))
    for rel in sorted(h5_a ^ h5_b):
        diffs.append(f"{rel}: only in {'A' if rel in h5_a else 'B'}")
    for rel in sorted(h5_a & h5_b):
        n += 1
        da, db = _datasets(a / rel), _datasets(b / rel)
        if set(da) != set(db):
            diffs.append(f"{rel}: datasets {sorted(set(da) ^ set(db))} only on one side")
        for name in sorted(set(da) & set(db)):
            x, y = da[name], db[name]
            if x.dtype != y.dtype or x.shape != y.shape or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
                diffs.append(f"{rel}:{name}: values differ")
        attrs_a, attrs_b = _attrs(a / rel), _attrs(b / rel)
        changed = sorted(k for k in set(attrs_a) | set(attrs_b) if attrs_a.get(k) != attrs_b.get(k))
        if changed:
            notes.append(f"{rel}: attributes differ: {', '.join(changed)}")
    return diffs, notes, n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="results folder of the reference run")
    parser.add_argument("b", type=Path, help="results folder of the run to check")
    args = parser.parse_args(argv)
    diffs, notes, n = compare(args.a, args.b)
    for line in notes:
        print(f"note: {line}")
    for line in diffs:
        print(f"DIFF: {line}")
    print(f"{n} files compared, {len(diffs)} differences")
    return 1 if diffs or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
