"""Preprocessing orchestration: ROOT chunks -> train/val/test HDF5, norm.json, summary.json.

Pass 1 streams every input file chunk by chunk (memory bounded by ``chunk_size``): finite-value
checks, selection, derived features, sd0 sort and padding, split by ``eventNumber % 10``, append
to the split files; on the train split it also fills the reweighting histograms and the
normalisation sums. Pass 2 streams the train file once more to write weights (``reweight``) or to
draw the resampled train file (``resample``). All outputs are temporary until everything
succeeded, then renamed together (``summary.json`` last).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import awkward as ak
import h5py
import numpy as np
from tqdm import tqdm

from jettag import __version__
from jettag.config import config_hash, resolve
from jettag.errors import JettagError
from jettag.features import HIT_FIELDS, JET_FEATURES, TRACK_FEATURES
from jettag.flavours import CLASS_INDEX, FLAVOURS, ORIGIN_PADDING, flavour_by_label
from jettag.preprocess import derived, padding, reweighting, selection, splits
from jettag.preprocess.normalisation import RunningMoments, norm_dict
from jettag.preprocess.writer import DATASETS, OutputSet, SplitWriter
from jettag.provenance import provenance

JET_INPUTS = ("pt", "eta", "phi")
TRACK_INPUTS = ("pt", "eta", "phi", "d0", "z0SinTheta", "sigma_d0", "sigma_z0SinTheta", *HIT_FIELDS)
PASS2_CHUNK = 16384


# ---------------------------------------------------------------------------------------------
# reading


def _read_file(path: str, input_spec: dict | None, step_size: int) -> Iterator[ak.Array]:
    from jettag.io import read_jets

    yield from read_jets([path], input_spec, step_size)



# ---------------------------------------------------------------------------------------------
# checks


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


# ---------------------------------------------------------------------------------------------
# one chunk


#: Output jets per block of the feature computation: the block's temporaries stay cache-sized.
FEATURE_BLOCK_JETS = 1024


def process_chunk(chunk: ak.Array, spec: dict, path: str = "<input>", table: np.ndarray | None = None) -> dict:
    """Check, select, derive, split, sort and pad one canonical chunk.

    Returns ``{"arrays": {dataset: array}, "bounds", "n_train_tracks", "kept", "jet_flow",
    "track_flow", "n_unknown", "n_tracks"}``: ``arrays`` holds the HDF5 datasets (``weight`` = 1)
    of every selected jet, grouped by split: split ``s`` is ``arrays[k][bounds[s]:bounds[s+1]]``
    (order within a split as read). ``kept`` holds the valid track rows (jet by jet), the first
    ``n_train_tracks`` of them from train jets. ``n_tracks``: selected tracks per jet before
    truncation. ``table``: ``splits.residue_table`` (default: from ``spec["splits"]``).

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
    tmask, track_flow = selection.track_mask(trk, spec["tracks"], within=np.repeat(keep, counts_all))
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
    valid = np.arange(L) < n_kept_per_jet[:, None]
    tracks = np.zeros((n, L, len(TRACK_FEATURES)), dtype=np.float32)
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

    track_origin = np.full((n, L), ORIGIN_PADDING, dtype=np.int8)
    if has_origin:
        track_origin[valid] = ak.to_numpy(flat_tracks["truthOrigin"])[src]
    label = ak.to_numpy(chunk["label"])[keep].astype(np.int64)[perm]
    arrays = {
        "tracks": tracks,
        "valid": valid,
        "jets": np.stack([jfeats[k] for k in JET_FEATURES], axis=1).astype(np.float32)[perm],
        "label": class_index(label),
        "flavour": label.astype(np.int32),
        "eventNumber": event[perm],
        "weight": np.ones(n, dtype=np.float32),
        "track_origin": track_origin,
    }
    n_train_tracks = int(n_kept_per_jet[: bounds[1]].sum())
    return {"arrays": arrays, "bounds": bounds, "kept": kept, "n_train_tracks": n_train_tracks,
            "jet_flow": jet_flow, "track_flow": track_flow, "n_unknown": n_unknown,
            "n_tracks": counts[perm]}


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


def pad_chunk(chunk: ak.Array, spec: dict, path: str = "<input>") -> dict:
    """``process_chunk`` without the split (``jettag apply``): every selected jet, in read order,
    in ``arrays[k][:bounds[1]]`` (``bounds[1]`` = all of them)."""
    return process_chunk(chunk, spec, path, table=np.zeros(10, dtype=np.int8))


def class_index(label: np.ndarray) -> np.ndarray:
    """int8 class index (0 b, 1 c, 2 light) of every HadronConeExclTruthLabelID; -1 otherwise."""
    out = np.full(len(label), -1, dtype=np.int8)
    for lab, index in CLASS_INDEX.items():
        out[label == lab] = index
    return out


# ---------------------------------------------------------------------------------------------
# summary


class _Summary:
    def __init__(self, max_tracks: int):
        self.max_tracks = max_tracks
        self.jet_flow = selection.CutFlow(("all", *selection.JET_CUTS))
        self.track_flow = selection.CutFlow(("all", *selection.TRACK_CUTS))
        self.n_unknown = 0
        self.per_split = {s: {} for s in splits.SPLITS}
        self.n_tracks_hist = np.zeros(max_tracks + 2, dtype=np.int64)  # last bin: > max_tracks
        self.n_tracks_sum = 0

    def add(self, out: dict) -> None:
        self.jet_flow.update(out["jet_flow"])
        self.track_flow.update(out["track_flow"])
        self.n_unknown += out["n_unknown"]
        nt = out["n_tracks"]
        self.n_tracks_sum += int(nt.sum())
        self.n_tracks_hist += np.bincount(np.minimum(nt, self.max_tracks + 1),
                                          minlength=self.max_tracks + 2)
        split_index = np.repeat(np.arange(len(splits.SPLITS)), np.diff(out["bounds"]))
        self.count(out["arrays"]["flavour"], split_index)

    def count(self, flavour: np.ndarray, split_index: np.ndarray, reset: str | None = None) -> None:
        if reset:
            self.per_split[reset] = {}
        for s, name in enumerate(splits.SPLITS):
            labs, n = np.unique(flavour[split_index == s], return_counts=True)
            for lab, k in zip(labs, n, strict=True):
                fname = flavour_by_label(int(lab)).name
                self.per_split[name][fname] = self.per_split[name].get(fname, 0) + int(k)

    def n_jets(self) -> int:
        return int(self.n_tracks_hist.sum())

    def to_dict(self, **extra) -> dict:
        n = self.n_jets()
        return {
            "jets_per_split": {s: sum(d.values()) for s, d in self.per_split.items()},
            "jets_per_split_and_flavour": self.per_split,
            "tracks_per_jet": {
                "mean": self.n_tracks_sum / n if n else 0.0,
                "histogram": self.n_tracks_hist[: self.max_tracks + 1].tolist(),
                "n_jets_truncated": int(self.n_tracks_hist[self.max_tracks + 1]),
                "max_tracks": self.max_tracks,
                "note": "selected tracks per jet before truncation; histogram[k] = jets with k tracks",
            },
            "cutflow": {
                "jets": self.jet_flow.to_dict(),
                "jets_unknown_label": self.n_unknown,
                "tracks": self.track_flow.to_dict(),
            },
            **extra,
        }


# ---------------------------------------------------------------------------------------------
# pass 2


def _iter_train(path: Path, names, step: int = PASS2_CHUNK):
    with h5py.File(path, "r") as f:
        n = f["label"].shape[0]
        for start in range(0, n, step):
            yield {k: f[k][start : start + step] for k in names}


def _write_weights(path: Path, hists, maps) -> None:
    with h5py.File(path, "r+") as f:
        n = f["label"].shape[0]
        pt_i, eta_i = list(JET_FEATURES).index("pt"), list(JET_FEATURES).index("abs_eta")
        for start in range(0, n, PASS2_CHUNK):
            jets = f["jets"][start : start + PASS2_CHUNK]
            flav = f["flavour"][start : start + PASS2_CHUNK]
            f["weight"][start : start + PASS2_CHUNK] = reweighting.lookup(
                hists, maps, jets[:, pt_i], jets[:, eta_i], flav
            )


def _resample(src: Path, writer: SplitWriter, hists, maps, seed: int) -> np.ndarray:
    resampler = reweighting.StreamingResampler(reweighting.totals(hists, maps), seed)
    pt_i, eta_i = list(JET_FEATURES).index("pt"), list(JET_FEATURES).index("abs_eta")
    flavours = []
    for block in _iter_train(src, DATASETS):
        w = reweighting.lookup(hists, maps, block["jets"][:, pt_i], block["jets"][:, eta_i], block["flavour"])
        rep = resampler.counts(w, block["flavour"])
        out = {k: np.repeat(v, rep, axis=0) for k, v in block.items()}
        out["weight"] = np.ones(len(out["label"]), dtype=np.float32)
        writer.append(out)
        flavours.append(out["flavour"])
    return np.concatenate(flavours) if flavours else np.zeros(0, dtype=np.int32)


# ---------------------------------------------------------------------------------------------
# entry point


def run_preprocessing(
    spec: dict,
    input_spec: dict | None,
    inputs: list[str],
    output_dir: Path,
    sample: str = "sample",
    progress: bool | None = None,
) -> None:
    """Preprocess ``inputs`` (ROOT files) into ``output_dir/{train,val,test}.h5``, ``norm.json``
    and ``summary.json``; see docs/architecture.md for the layouts."""
    spec = resolve({"preprocess": spec or {}}, "preprocess spec")["preprocess"]
    output_dir = Path(output_dir)
    if not inputs:
        raise JettagError("preprocess: no input files given; pass at least one ROOT file")
    for path in inputs:
        if not Path(path).is_file():
            raise JettagError(f"preprocess: input file {path} does not exist")
    table = splits.residue_table(spec["splits"])
    rw = spec["reweight"]
    for key in ("pt_bins", "abs_eta_bins"):
        edges = np.asarray(rw[key], dtype=float)
        if len(edges) < 2 or not np.all(np.diff(edges) > 0):
            raise JettagError(f"preprocess.reweight.{key}: give at least two strictly increasing edges")

    track_names, jet_names = list(TRACK_FEATURES), list(JET_FEATURES)
    chash = config_hash(spec)
    hists = reweighting.FlavourHistograms(rw["pt_bins"], rw["abs_eta_bins"])
    track_moments, jet_moments = RunningMoments(track_names), RunningMoments(jet_names)
    summary = _Summary(spec["max_tracks"])

    def make_writer(path: Path, split: str) -> SplitWriter:
        return SplitWriter(
            path, track_features=track_names, jet_features=jet_names, max_tracks=spec["max_tracks"],
            compression=spec["compression"],
            attrs={**provenance(spec), "sample": sample, "split": split},
        )

    with OutputSet(output_dir) as out:
        final = {s: out.tmp(f"{s}.h5") for s in splits.SPLITS}
        first = dict(final)
        if rw["mode"] == "resample":  # pass 1 writes the unresampled train split to a scratch file
            first["train"] = output_dir / f".train.unresampled.{os.getpid()}.tmp"
        try:
            writers = {s: make_writer(first[s], s) for s in splits.SPLITS}
            try:
                for path in inputs:
                    chunks = _read_file(str(path), input_spec, spec["chunk_size"])
                    bar = tqdm(chunks, desc=f"preprocess {Path(path).name}", unit="chunk",
                               disable=None if progress is None else not progress)
                    for chunk in bar:
                        res = process_chunk(chunk, spec, str(path), table)
                        arrays, bounds = res["arrays"], res["bounds"]
                        summary.add(res)
                        for s, name in enumerate(splits.SPLITS):
                            lo, hi = bounds[s], bounds[s + 1]
                            if hi > lo:
                                writers[name].append({k: v[lo:hi] for k, v in arrays.items()})
                        n_train = bounds[1]
                        if n_train:
                            train_jets = arrays["jets"][:n_train]
                            hists.add(train_jets[:, 0], train_jets[:, 2], arrays["flavour"][:n_train])
                            track_moments.add(res["kept"][: res["n_train_tracks"]])
                            jet_moments.add(train_jets)
                n_written = {s: w.close() for s, w in writers.items()}
            finally:
                for w in writers.values():
                    w.abort()

            _check_not_empty(summary, spec, inputs)

            maps = reweighting.weight_maps(hists)
            if rw["mode"] == "reweight":
                _write_weights(final["train"], hists, maps)
            elif rw["mode"] == "resample":
                writer = make_writer(final["train"], "train")
                try:
                    flav = _resample(first["train"], writer, hists, maps, rw["seed"])
                    n_written["train"] = writer.close()
                finally:
                    writer.abort()
                summary.count(flav, np.zeros(len(flav), dtype=np.int8), reset="train")
        finally:
            if first["train"] != final["train"]:
                first["train"].unlink(missing_ok=True)

        norm = norm_dict(track_moments, jet_moments)
        out.tmp("norm.json").write_text(json.dumps(norm, indent=2) + "\n")
        info = summary.to_dict(
            sample=sample, inputs=[str(p) for p in inputs], jettag_version=__version__,
            config_hash=chash, reweight_mode=rw["mode"],
            reweight_maps={flavour_by_label(k).name: v.tolist() for k, v in maps.items()},
            pt_bins=list(rw["pt_bins"]), abs_eta_bins=list(rw["abs_eta_bins"]),
            n_jets_written=n_written, provenance=provenance(spec),
        )
        out.tmp("summary.json").write_text(json.dumps(info, indent=2) + "\n")
        out.commit()


def _check_not_empty(summary: _Summary, spec: dict, inputs) -> None:
    where = f"{len(inputs)} input file(s) ({', '.join(map(str, inputs[:3]))}{', ...' if len(inputs) > 3 else ''})"
    flow = summary.jet_flow.to_dict()
    if summary.n_jets() == 0:
        raise JettagError(
            f"preprocess: no jets passed the selection in {where}; jet cut flow {flow}; "
            "loosen preprocess.jets or check the input mapping"
        )
    train = summary.per_split["train"]
    for name in spec["jets"]["flavours"]:
        if train.get(name, 0) == 0:
            raise JettagError(
                f"preprocess: no {FLAVOURS[name].name}-jets in the train split from {where} "
                f"(train has {train}); add more events, or remove '{name}' from preprocess.jets.flavours"
            )
    for name in splits.SPLITS:
        if not summary.per_split[name]:
            raise JettagError(
                f"preprocess: the {name} split is empty ({where}); add more events or change "
                "preprocess.splits"
            )
