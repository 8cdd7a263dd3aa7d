"""Preprocessing orchestration: ROOT chunks -> train/val/test HDF5, norm.json, summary.json.

Pass 1 streams every input file chunk by chunk (memory bounded by ``chunk_size``): each chunk
goes through ``jettag.preprocess.chunk.process_chunk`` (finite-value checks, selection, derived
features, sd0 sort and padding, split by ``eventNumber % 10``) and is appended to the split files; on the train split it also fills the reweighting histograms and the
normalisation sums. Pass 2 streams the train file once more to write weights (``reweight``) or to
draw the resampled train file (``resample``). All outputs are temporary until everything
succeeded, then renamed together (``summary.json`` last).

The same outputs come, bitwise, from the two-step path of the workflow
(:mod:`jettag.preprocess.parts`): one job per input file runs pass 1's per-chunk work into a part
file, and a merge job feeds the parts' chunks, in input order, through the same writers and
statistics (``write_outputs``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import awkward as ak
import h5py
import numpy as np
from tqdm import tqdm

from jettag import __version__
from jettag.config import config_hash, resolve
from jettag.errors import JettagError
from jettag.features import JET_FEATURES, TRACK_FEATURES
from jettag.flavours import flavour_by_label
from jettag.preprocess import reweighting, selection, splits
from jettag.preprocess.chunk import process_chunk
from jettag.preprocess.normalisation import RunningMoments, norm_dict
from jettag.preprocess.summary import Summary, check_not_empty
from jettag.preprocess.writer import DATASETS, OutputSet, SplitWriter
from jettag.provenance import provenance

PASS2_CHUNK = 16384


# ---------------------------------------------------------------------------------------------
# reading


def _read_file(path: str, input_spec: dict | None, step_size: int) -> Iterator[ak.Array]:
    from jettag.io import read_jets

    yield from read_jets([path], input_spec, step_size)


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


def validated(spec: dict, inputs: list[str]) -> tuple[dict, np.ndarray]:
    """The resolved ``preprocess`` spec and its split residue table; a JettagError for a bad
    spec or a missing input, before any file is read."""
    spec = resolve({"preprocess": spec or {}}, "preprocess spec")["preprocess"]
    if not inputs:
        raise JettagError("preprocess: no input files given; pass at least one ROOT file")
    for path in inputs:
        if not Path(path).is_file():
            raise JettagError(f"preprocess: input file {path} does not exist")
    table = splits.residue_table(spec["splits"])
    selection.track_cuts(spec["tracks"])  # a bad cut fails before any file is read
    for key in ("pt_bins", "abs_eta_bins"):
        edges = np.asarray(spec["reweight"][key], dtype=float)
        if len(edges) < 2 or not np.all(np.diff(edges) > 0):
            raise JettagError(f"preprocess.reweight.{key}: give at least two strictly increasing edges")
    return spec, table


class Accumulated:
    """What pass 1 sums: the summary, the train reweighting histograms and normalisation sums."""

    def __init__(self, spec: dict):
        rw = spec["reweight"]
        self.summary = Summary(spec)
        self.hists = reweighting.FlavourHistograms(rw["pt_bins"], rw["abs_eta_bins"])
        self.track_moments = RunningMoments(list(TRACK_FEATURES))
        self.jet_moments = RunningMoments(list(JET_FEATURES))

    def add_train(self, train: dict[str, np.ndarray], kept_tracks: np.ndarray) -> None:
        """One chunk's train jets (``kept_tracks``: their valid track rows, jet by jet)."""
        if len(train["label"]) == 0:
            return
        self.hists.add(train["jets"][:, 0], train["jets"][:, 2], train["flavour"])
        self.track_moments.add(kept_tracks)
        self.jet_moments.add(train["jets"])


#: pass 1: fills the split writers (name -> SplitWriter) and the Accumulated sums
Feed = Callable[[dict[str, SplitWriter], Accumulated], None]


def _feed_inputs(inputs, input_spec, spec, table, progress) -> Feed:
    def feed(writers: dict[str, SplitWriter], acc: Accumulated) -> None:
        for path in inputs:
            chunks = _read_file(str(path), input_spec, spec["chunk_size"])
            bar = tqdm(chunks, desc=f"preprocess {Path(path).name}", unit="chunk",
                       disable=None if progress is None else not progress)
            for chunk in bar:
                res = process_chunk(chunk, spec, str(path), table)
                acc.summary.add(res)
                for s, name in enumerate(splits.SPLITS):
                    if res.bounds[s + 1] > res.bounds[s]:
                        writers[name].append(res.split(s))
                acc.add_train(res.split(0), res.kept[: res.n_train_tracks])

    return feed


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
    spec, table = validated(spec, inputs)
    write_outputs(spec, inputs, Path(output_dir), sample, _feed_inputs(inputs, input_spec, spec, table, progress))


def write_outputs(spec: dict, inputs: list[str], output_dir: Path, sample: str, feed: Feed) -> None:
    """Pass 1 (``feed``), the empty-split checks, pass 2 (weights or resampling), ``norm.json``
    and ``summary.json``: all temporary until everything succeeded, then renamed together."""
    rw = spec["reweight"]
    track_names, jet_names = list(TRACK_FEATURES), list(JET_FEATURES)
    chash = config_hash(spec)
    acc = Accumulated(spec)
    summary, hists = acc.summary, acc.hists

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
                feed(writers, acc)
                n_written = {s: w.close() for s, w in writers.items()}
            finally:
                for w in writers.values():
                    w.abort()

            check_not_empty(summary, spec, inputs)

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

        norm = norm_dict(acc.track_moments, acc.jet_moments)
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
