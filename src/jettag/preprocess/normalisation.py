"""Streaming mean/std of features (float64 sums), written to ``norm.json``.

Statistics come from the valid tracks and the jets of the train split only. A constant feature
(std below ``STD_FLOOR``) gets std 1 so normalising it never divides by ~0.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from jettag.atomic import write_text_atomic

STD_FLOOR = 1.0e-6
BLOCK_ROWS = 16384


class RunningMoments:
    """Column-wise count, sum and sum of squares of ``(n, F)`` blocks, in float64.

    Values are shifted by the first block's column means before squaring, which keeps the
    variance accurate for features with a large mean compared to their spread.
    """

    def __init__(self, names: list[str] | tuple[str, ...]):
        self.names = tuple(names)
        self.n = 0
        self.shift: np.ndarray | None = None
        self.s1 = np.zeros(len(self.names))
        self.s2 = np.zeros(len(self.names))

    def add(self, block: np.ndarray) -> None:
        block = np.asarray(block).reshape(-1, len(self.names))
        if len(block) == 0:
            return
        if self.shift is None:
            self.shift = block.mean(axis=0, dtype=np.float64)
        for lo in range(0, len(block), BLOCK_ROWS):  # float64 copies stay cache-sized
            d = block[lo : lo + BLOCK_ROWS].astype(np.float64)
            d -= self.shift
            self.s1 += d.sum(axis=0)
            self.s2 += np.einsum("ij,ij->j", d, d)
        self.n += len(block)

    def mean_std(self) -> tuple[np.ndarray, np.ndarray]:
        if self.n == 0:
            return np.zeros(len(self.names)), np.ones(len(self.names))
        m = self.s1 / self.n
        var = np.maximum(self.s2 / self.n - m**2, 0.0)
        std = np.sqrt(var)
        std = np.where(std < STD_FLOOR, 1.0, std)
        return m + self.shift, std

    def to_dict(self) -> dict[str, dict[str, float]]:
        mean, std = self.mean_std()
        return {k: {"mean": float(m), "std": float(s)} for k, m, s in zip(self.names, mean, std, strict=True)}


def norm_dict(tracks: RunningMoments, jets: RunningMoments) -> dict:
    """The ``norm.json`` content: ``{"track": {name: {mean, std}}, "jet": {...}}``."""
    return {"track": tracks.to_dict(), "jet": jets.to_dict()}


def write_norm(path: str | Path, norm: dict) -> None:
    write_text_atomic(path, json.dumps(norm, indent=2) + "\n")


def read_norm(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())
