"""Sort tracks by sd0 (descending), truncate/pad to ``max_tracks``, build the validity mask.

Works on flat per-track arrays plus per-jet track counts (the layout of an awkward jagged array's
content), scattering into dense ``(N, L, ...)`` arrays with numpy; padded slots are zero
(features), False (valid) and -1 (track origin).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from jettag.flavours import ORIGIN_PADDING


def _exclusive_cumsum(counts: np.ndarray) -> np.ndarray:
    starts = np.zeros(len(counts), dtype=np.int64)
    if len(counts) > 1:
        np.cumsum(counts[:-1], out=starts[1:])
    return starts


def sorted_slots(counts: np.ndarray, sd0: np.ndarray, max_tracks: int, perm: np.ndarray | None = None):
    """Where each track goes after sorting by sd0 descending within its jet.

    ``perm`` (optional) reorders the jets: output jet ``i`` is input jet ``perm[i]``.
    Returns ``(order, jet, slot)``: ``order`` indexes the flat input track arrays in output order
    (stable for equal sd0), keeping only the first ``max_tracks`` tracks of each jet;
    ``jet[i], slot[i]`` is the output position of track ``order[i]``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    sd0 = np.asarray(sd0)
    starts_in = _exclusive_cumsum(counts)
    if perm is not None:
        counts = counts[perm]
    starts = _exclusive_cumsum(counts)
    n_tracks = int(counts.sum())
    jet = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    start_of_track = starts[jet]
    if perm is None:
        idx = None
        key = sd0
    else:  # idx[p]: input flat index of the track at output flat position p (before sorting)
        idx = np.arange(n_tracks, dtype=np.int64) + (starts_in[perm] - starts)[jet]
        key = sd0[idx]
    # per-jet argsort in awkward's C++ kernels (much faster than a global lexsort)
    local = ak.argsort(ak.unflatten(key, counts), axis=1, ascending=False, stable=True)
    order = start_of_track + ak.to_numpy(ak.flatten(local, axis=1)).astype(np.int64)
    if idx is not None:
        order = idx[order]
    slot = np.arange(n_tracks, dtype=np.int64) - start_of_track
    keep = slot < max_tracks
    return order[keep], jet[keep], slot[keep]


def pad_tracks(
    counts: np.ndarray,
    columns: list[np.ndarray],
    sd0: np.ndarray,
    max_tracks: int,
    origin: np.ndarray | None = None,
    perm: np.ndarray | None = None,
):
    """Dense ``tracks (N, L, F) float32``, ``valid (N, L) bool``, ``origin (N, L) int8``.

    ``columns`` are the F flat per-track feature arrays (in output column order). Tracks are
    sorted by ``sd0`` descending and the first ``max_tracks`` kept; ``perm`` optionally reorders
    the jets (see ``sorted_slots``). Also returns ``kept``: the flat ``(n_kept, F)`` float32
    matrix of the valid entries in output order (jet by jet), e.g. for normalisation statistics.
    """
    n = len(counts)
    order, jet, slot = sorted_slots(counts, sd0, max_tracks, perm)
    kept = np.empty((len(order), len(columns)), dtype=np.float32)
    for j, col in enumerate(columns):
        kept[:, j] = np.asarray(col)[order]
    pos = jet * max_tracks + slot
    tracks = np.zeros((n * max_tracks, len(columns)), dtype=np.float32)
    tracks[pos] = kept
    valid = np.zeros(n * max_tracks, dtype=bool)
    valid[pos] = True
    orig = np.full(n * max_tracks, ORIGIN_PADDING, dtype=np.int8)
    if origin is not None:
        orig[pos] = np.asarray(origin)[order]
    return (tracks.reshape(n, max_tracks, len(columns)), valid.reshape(n, max_tracks),
            orig.reshape(n, max_tracks), kept)


def pad_jagged(x: ak.Array, max_tracks: int, fill=0) -> np.ndarray:
    """Reference implementation for one jagged array: truncate/pad with ``ak.pad_none``."""
    return ak.to_numpy(ak.fill_none(ak.pad_none(x, max_tracks, clip=True), fill))


def sort_jagged_by(x: ak.Array, key: ak.Array) -> ak.Array:
    """Reference implementation: reorder each jet's tracks by ``key`` descending (stable)."""
    return x[ak.argsort(key, axis=1, ascending=False, stable=True)]
