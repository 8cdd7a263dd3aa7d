"""Train/val/test splits by ``eventNumber % 10``: all jets of one event land in one split."""

from __future__ import annotations

import numpy as np

from jettag.errors import JettagError

SPLITS: tuple[str, ...] = ("train", "val", "test")


def residue_table(splits: dict) -> np.ndarray:
    """Validate ``splits`` (split -> residues) and return ``table[r] = split index`` for r in 0..9.

    Every residue 0..9 must belong to exactly one split; every split needs at least one residue.
    """
    table = np.full(10, -1, dtype=np.int8)
    for index, name in enumerate(SPLITS):
        residues = splits.get(name)
        if not residues:
            raise JettagError(f"preprocess.splits.{name}: give at least one residue of eventNumber % 10")
        for r in residues:
            if not isinstance(r, int | np.integer) or not 0 <= r <= 9:
                raise JettagError(f"preprocess.splits.{name}: {r!r} is not a residue 0..9")
            if table[r] >= 0:
                raise JettagError(
                    f"preprocess.splits: residue {r} is in both '{SPLITS[table[r]]}' and '{name}'; "
                    "put each residue of eventNumber % 10 in exactly one split"
                )
            table[r] = index
    extra = set(splits) - set(SPLITS)
    if extra:
        raise JettagError(f"preprocess.splits: unknown split(s) {sorted(extra)}; use {list(SPLITS)}")
    missing = [r for r in range(10) if table[r] < 0]
    if missing:
        raise JettagError(
            f"preprocess.splits: residue(s) {missing} of eventNumber % 10 are in no split; "
            "add them to train, val or test"
        )
    return table


def assign(event_number: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Split index (0 train, 1 val, 2 test) of every jet, from its event number."""
    return table[np.mod(np.asarray(event_number, dtype=np.int64), 10)]
