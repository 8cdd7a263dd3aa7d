"""One chunk of canonical jets -> the HDF5 rows of its selected jets (``process_chunk``).

Finite-value checks, jet and track selection (:mod:`jettag.preprocess.selection`), derived
features, sd0 sort and padding, split by ``eventNumber % 10``. The result is a
:class:`ChunkResult`; ``jettag.preprocess.run`` writes it, ``jettag apply`` scores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import awkward as ak
import numpy as np

from jettag.errors import JettagError
from jettag.features import HIT_FIELDS, JET_FEATURES, TRACK_FEATURES
from jettag.flavours import CLASS_INDEX, ORIGIN_PADDING
from jettag.preprocess import derived, padding, selection, splits
from jettag.preprocess.selection import CutFlow

JET_INPUTS = ("pt", "eta", "phi")
TRACK_INPUTS = ("pt", "eta", "phi", "d0", "z0SinTheta", "sigma_d0", "sigma_z0SinTheta", *HIT_FIELDS)


@dataclass(frozen=True)
class ChunkResult:
    """The selected jets of one chunk, grouped by split.

    ``arrays``: the HDF5 datasets (``weight`` = 1); split ``s`` is
    ``arrays[k][bounds[s]:bounds[s + 1]]`` (order within a split as read). ``kept``: the valid
    track rows (``TRACK_FEATURES`` columns, jet by jet), the first ``n_train_tracks`` of them from
    train jets. ``n_tracks``: selected tracks per jet before truncation. ``jet_flow`` /
    ``track_flow``: the cut flows of this chunk; ``n_unknown``: jets dropped for an unknown label.

    Compact results (``process_chunk(..., dense=False)``) leave out the padded ``tracks``,
    ``valid`` and ``track_origin``; ``arrays["n_kept"]`` (tracks kept per jet) and ``kept`` /
    ``kept_origin`` (the valid rows) hold the same information (``densify`` pads them).
    """

    arrays: dict[str, np.ndarray]
    bounds: np.ndarray
    kept: np.ndarray
    n_train_tracks: int
    jet_flow: CutFlow
    track_flow: CutFlow
    n_unknown: int
    n_tracks: np.ndarray
    kept_origin: np.ndarray | None = None

    def split(self, s: int) -> dict[str, np.ndarray]:
        """The datasets of split number ``s`` (``splits.SPLITS`` order)."""
        lo, hi = self.bounds[s], self.bounds[s + 1]
        return {k: v[lo:hi] for k, v in self.arrays.items()}

    @property
    def n_train(self) -> int:
        return int(self.bounds[1])


def _nonfinite_error(path: str, what: str, n_jets: int) -> JettagError:
    return JettagError(
        f"{path}: {what} has NaN or infinite values in {n_jets} jet(s); drop or fix those jets "
        "(e.g. filter them in your ntuple or map the branch to a finite default) and rerun"
    )


def check_finite_inputs(jets: dict, tracks: dict, counts: np.ndarray, path: str) -> None:
    """Raise a JettagError naming the file and branch when an input feature is not finite.

    ``jets`` / ``tracks``: canonical name -> flat numpy array; ``counts``: tracks per jet.
    """
    for name, x in jets.items():
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            raise _nonfinite_error(path, f"jet {name}", int(np.count_nonzero(~np.isfinite(x))))
    for name, x in tracks.items():
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            jet = np.repeat(np.arange(len(counts)), counts)
            raise _nonfinite_error(path, f"track {name}", len(np.unique(jet[~np.isfinite(x)])))


#: Output jets per block of the feature computation: the block's temporaries stay cache-sized.
FEATURE_BLOCK_JETS = 1024


def process_chunk(
    chunk: ak.Array, spec: dict, path: str = "<input>", table: np.ndarray | None = None,
    dense: bool = True,
) -> ChunkResult:
    """Check, select, derive, split, sort and pad one canonical chunk (see :class:`ChunkResult`).

    ``table``: ``splits.residue_table`` (default: from ``spec["splits"]``).

    Only sd0 is computed for every selected track (it decides the order); the other derived
    features are computed after sorting and truncation, for the kept tracks only, in blocks of
    output jets, and scattered straight into the padded ``(N, L, F)`` array.
    """
    if table is None:
        table = splits.residue_table(spec["splits"])
    L = spec["max_tracks"]
    counts_all = ak.to_numpy(ak.num(chunk["tracks"], axis=1)).astype(np.int64)
    flat_tracks = ak.flatten(chunk["tracks"], axis=1)
    has_origin = "truthOrigin" in ak.fields(flat_tracks)
    trk = {k: ak.to_numpy(flat_tracks[k]) for k in TRACK_INPUTS}
    jet_in = {k: ak.to_numpy(chunk[k]) for k in JET_INPUTS}
    check_finite_inputs(jet_in, trk, counts_all, path)

    # selection: one mask over the flat tracks of the chunk (tracks of rejected jets fail)
    keep, jet_flow, n_unknown = selection.jet_mask(chunk, spec["jets"])
    n = int(keep.sum())
    cut_fields = _TrackFields(trk, flat_tracks)
    tmask, track_flow = selection.track_mask(cut_fields, spec["tracks"], within=np.repeat(keep, counts_all))
    sel = np.flatnonzero(tmask)  # flat input index of every selected track
    new_index = np.cumsum(keep) - 1  # input jet -> selected jet
    jet_of_track = new_index[np.repeat(np.arange(len(keep)), counts_all)[sel]]
    counts = np.bincount(jet_of_track, minlength=n).astype(np.int64)

    for name in ("sigma_d0", "sigma_z0SinTheta"):
        bad = (trk[name] <= 0) & tmask
        if bad.any():
            bad = bad[sel]
            raise JettagError(
                f"{path}: track {name} must be positive, found {int(bad.sum())} selected track(s) "
                f"with {name} <= 0 in {len(np.unique(jet_of_track[bad]))} jet(s); drop or fix those "
                "tracks (check the input mapping's units)"
            )

    jpt, jeta, jphi = (jet_in[k][keep].astype(np.float32) for k in ("pt", "eta", "phi"))
    with np.errstate(divide="ignore", invalid="ignore"):
        f32 = {k: trk[k][sel].astype(np.float32, copy=False) for k in ("d0", "sigma_d0", "phi")}
        sd0 = derived.signed_d0_significance(f32["d0"], f32["sigma_d0"], f32["phi"], jphi[jet_of_track])
        jfeats = derived.jet_features(jpt, jeta)

    event = ak.to_numpy(chunk["eventNumber"])[keep].astype(np.int64)
    split_index = splits.assign(event, table)
    perm = np.argsort(split_index, kind="stable")
    bounds = np.searchsorted(split_index[perm], np.arange(len(splits.SPLITS) + 1))
    # order: selected-track index of every kept track in output order; jet: its output jet
    order, jet, _ = padding.sorted_slots(counts, sd0, L, perm)
    src = sel[order]  # flat input index of every kept track, in output order
    n_kept_per_jet = np.minimum(counts[perm], L)
    valid = np.arange(L) < n_kept_per_jet[:, None] if dense else None
    tracks = np.zeros((n, L, len(TRACK_FEATURES)), dtype=np.float32) if dense else None
    kept = np.empty((len(src), len(TRACK_FEATURES)), dtype=np.float32)
    jpt_o, jeta_o, jphi_o = jpt[perm], jeta[perm], jphi[perm]
    track_start = _exclusive_cumsum(n_kept_per_jet, total=True)
    finite = True
    with np.errstate(divide="ignore", invalid="ignore"):
        for j0 in range(0, n, FEATURE_BLOCK_JETS):
            j1 = min(j0 + FEATURE_BLOCK_JETS, n)
            t0, t1 = track_start[j0], track_start[j1]
            idx, jb = src[t0:t1], jet[t0:t1]
            feats = derived.track_features(
                {k: trk[k][idx].astype(np.float32, copy=False) for k in TRACK_INPUTS},
                jpt_o[jb], jeta_o[jb], jphi_o[jb],
            )
            block = kept[t0:t1]
            for c, x in enumerate(feats.values()):
                block[:, c] = x
            finite = finite and bool(np.isfinite(block).all())
            if dense:
                tracks[j0:j1][valid[j0:j1]] = block
        if finite and len(order) < len(sel):  # tracks lost to truncation must be finite too
            lost = np.ones(len(sel), dtype=bool)
            lost[order] = False
            lost = np.flatnonzero(lost)
            jl = jet_of_track[lost]
            feats = derived.track_features(
                {k: trk[k][sel[lost]].astype(np.float32, copy=False) for k in TRACK_INPUTS},
                jpt[jl], jeta[jl], jphi[jl],
            )
            finite = all(np.isfinite(x).all() for x in feats.values())
    if not finite:
        _raise_nonfinite_derived(trk, sel, jet_of_track, jpt, jeta, jphi, path)

    kept_origin = np.full(len(src), ORIGIN_PADDING, dtype=np.int8)
    if has_origin:
        kept_origin[:] = ak.to_numpy(flat_tracks["truthOrigin"])[src]
    label = ak.to_numpy(chunk["label"])[keep].astype(np.int64)[perm]
    if dense:
        track_origin = np.full((n, L), ORIGIN_PADDING, dtype=np.int8)
        track_origin[valid] = kept_origin
        per_track = {"tracks": tracks, "valid": valid}
        origin = {"track_origin": track_origin}
    else:
        per_track, origin = {}, {"n_kept": n_kept_per_jet}
    arrays = {
        **per_track,
        "jets": np.stack([jfeats[k] for k in JET_FEATURES], axis=1).astype(np.float32)[perm],
        "label": class_index(label),
        "flavour": label.astype(np.int32),
        "eventNumber": event[perm],
        "weight": np.ones(n, dtype=np.float32),
        **origin,
    }
    n_train_tracks = int(n_kept_per_jet[: bounds[1]].sum())
    return ChunkResult(
        arrays=arrays, bounds=bounds, kept=kept, n_train_tracks=n_train_tracks, jet_flow=jet_flow,
        track_flow=track_flow, n_unknown=n_unknown, n_tracks=counts[perm], kept_origin=kept_origin,
    )


def densify(arrays: dict[str, np.ndarray], rows: np.ndarray, origin_rows: np.ndarray,
            max_tracks: int) -> dict[str, np.ndarray]:
    """The padded datasets of compact ``arrays`` (``n_kept`` per jet) and their valid track rows
    ``rows`` / ``origin_rows`` (jet by jet): what ``process_chunk(..., dense=True)`` gives."""
    n_kept = arrays["n_kept"]
    valid = np.arange(max_tracks) < n_kept[:, None]
    tracks = np.zeros((len(n_kept), max_tracks, rows.shape[1]), dtype=np.float32)
    tracks[valid] = rows
    track_origin = np.full((len(n_kept), max_tracks), ORIGIN_PADDING, dtype=np.int8)
    track_origin[valid] = origin_rows
    out = {k: v for k, v in arrays.items() if k != "n_kept"}
    return {"tracks": tracks, "valid": valid, **out, "track_origin": track_origin}


class _TrackFields(Mapping):
    """Flat numpy track fields for the track cuts: ``have`` first, any other field of
    ``flat_tracks`` (e.g. ``charge``) converted when a cut reads it."""

    def __init__(self, have: dict, flat_tracks: ak.Array):
        self._have, self._flat = dict(have), flat_tracks
        self._names = list(dict.fromkeys([*have, *ak.fields(flat_tracks)]))

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._have:
            if name not in self._names:
                raise KeyError(name)
            self._have[name] = ak.to_numpy(self._flat[name])
        return self._have[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _exclusive_cumsum(counts: np.ndarray, total: bool = False) -> np.ndarray:
    """Start offsets of consecutive groups of ``counts`` (plus the grand total with ``total``)."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out if total else out[:-1]


def _raise_nonfinite_derived(trk, sel, jet_of_track, jpt, jeta, jphi, path) -> None:
    """Name the first derived feature (``TRACK_FEATURES`` order) that is not finite for some
    selected track, counting the jets concerned (the slow path of an error)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        feats = derived.track_features(
            {k: trk[k][sel].astype(np.float32, copy=False) for k in TRACK_INPUTS},
            jpt[jet_of_track], jeta[jet_of_track], jphi[jet_of_track],
        )
    for name, x in feats.items():
        bad = ~np.isfinite(x)
        if bad.any():
            raise _nonfinite_error(path, f"derived track feature {name}", len(np.unique(jet_of_track[bad])))
    raise AssertionError("non-finite derived feature not found again")  # pragma: no cover


def pad_chunk(chunk: ak.Array, spec: dict, path: str = "<input>") -> ChunkResult:
    """``process_chunk`` without the split (``jettag apply``): every selected jet, in read order,
    in the first split (``result.split(0)`` = ``result.arrays``)."""
    return process_chunk(chunk, spec, path, table=np.zeros(10, dtype=np.int8))


def class_index(label: np.ndarray) -> np.ndarray:
    """int8 class index (0 b, 1 c, 2 light) of every HadronConeExclTruthLabelID; -1 otherwise."""
    out = np.full(len(label), -1, dtype=np.int8)
    for lab, index in CLASS_INDEX.items():
        out[label == lab] = index
    return out
