"""Sort tracks by sd0 (descending), truncate/pad to ``max_tracks``, build the validity mask.

Works on flat per-track arrays plus per-jet track counts (the layout of an awkward jagged array's
content), scattering into dense ``(N, L, ...)`` arrays with numpy; padded slots are zero
(features), False (valid) and -1 (track origin).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from jettag.flavours import ORIGIN_PADDING


def sorted_slots(counts: np.ndarray, sd0: np.ndarray, max_tracks: int):
    """Where each track goes after sorting by sd0 descending within its jet.

    Returns ``(order, jet, slot)``: ``order`` permutes the flat track arrays into sorted order
    (stable for equal sd0) and keeps only the first ``max_tracks`` tracks of each jet;
    ``jet[i], slot[i]`` is the output position of track ``order[i]``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    jet = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    order = np.lexsort((-np.asarray(sd0, dtype=np.float64), jet))
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    slot = np.arange(len(jet), dtype=np.int64) - starts[jet]  # jet[order] == jet (jets contiguous)
    keep = slot < max_tracks
    return order[keep], jet[keep], slot[keep]


def pad_tracks(
    counts: np.ndarray,
    columns: list[np.ndarray],
    sd0: np.ndarray,
    max_tracks: int,
    origin: np.ndarray | None = None,
):
    """Dense ``tracks (N, L, F) float32``, ``valid (N, L) bool``, ``origin (N, L) int8``.

    ``columns`` are the F flat per-track feature arrays (in output column order). Tracks are
    sorted by ``sd0`` descending and the first ``max_tracks`` kept. Also returns ``kept``: the
    flat ``(n_kept, F)`` float32 matrix of the valid entries (for normalisation statistics).
    """
    n = len(counts)
    order, jet, slot = sorted_slots(counts, sd0, max_tracks)
    kept = np.empty((len(order), len(columns)), dtype=np.float32)
    for j, col in enumerate(columns):
        kept[:, j] = np.asarray(col)[order]
    tracks = np.zeros((n, max_tracks, len(columns)), dtype=np.float32)
    tracks[jet, slot] = kept
    valid = np.zeros((n, max_tracks), dtype=bool)
    valid[jet, slot] = True
    orig = np.full((n, max_tracks), ORIGIN_PADDING, dtype=np.int8)
    if origin is not None:
        orig[jet, slot] = np.asarray(origin)[order]
    return tracks, valid, orig, kept


def pad_jagged(x: ak.Array, max_tracks: int, fill=0) -> np.ndarray:
    """Reference implementation for one jagged array: truncate/pad with ``ak.pad_none``."""
    return ak.to_numpy(ak.fill_none(ak.pad_none(x, max_tracks, clip=True), fill))


def sort_jagged_by(x: ak.Array, key: ak.Array) -> ak.Array:
    """Reference implementation: reorder each jet's tracks by ``key`` descending (stable)."""
    return x[ak.argsort(key, axis=1, ascending=False, stable=True)]
