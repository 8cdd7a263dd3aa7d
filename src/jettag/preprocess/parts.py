"""Preprocessing in two steps: one job per input file, then a cheap merge.

``preprocess_file`` runs the per-chunk work of pass 1 (checks, selection, derived features, sd0
sort, truncation, split) on one ROOT file and writes a *part* file: per chunk and split, the
jet datasets and the kept track rows unpadded (``process_chunk(..., dense=False)``: a part is a
fraction of the padded size, uncompressed, read once by the merge), plus the file's summary sums
and the ``config_hash`` of the spec. Independent files run in parallel (one Snakemake job each).

``merge_parts`` pads the parts' chunks (``chunk.densify``) and feeds them, in input order,
through the same split writers,
reweighting histograms and normalisation sums as the one-process
``jettag.preprocess.run.run_preprocessing``, then runs pass 2 (weights or resampling over all
train jets): the outputs are bitwise those of the one-process path (tested). Memory is bounded by
one chunk; every output is written under a temporary name and renamed at the end, so a killed job
leaves nothing that looks complete.

Part layout: ``/c{index:06d}/{split}/{dataset}`` with the jet datasets (``jets, label, flavour,
eventNumber, n_kept``) and the track rows (``rows`` float32 ``(n, F)``, ``origin_rows`` int8);
file attrs ``jettag_part_format``, ``max_tracks``,
``config_hash``, ``input`` (the ROOT file), ``n_chunks``, ``summary_json``
(``Summary.state()``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
from tqdm import tqdm

from jettag.atomic import atomic_path
from jettag.config import config_hash
from jettag.errors import JettagError
from jettag.preprocess import splits
from jettag.preprocess.chunk import densify, process_chunk
from jettag.preprocess.run import Accumulated, _read_file, validated, write_outputs
from jettag.preprocess.summary import Summary
from jettag.preprocess.writer import SplitWriter

PART_FORMAT = 2
JET_DATASETS = ("jets", "label", "flavour", "eventNumber", "n_kept")


def preprocess_file(
    spec: dict,
    input_spec: dict | None,
    input: str,
    output: Path,
    progress: bool | None = None,
) -> None:
    """Pass 1 of one input file (``input``, ROOT) into the part file ``output``."""
    spec, table = validated(spec, [str(input)])
    summary = Summary(spec)
    n_chunks = 0
    with atomic_path(output) as tmp:
        with h5py.File(tmp, "w") as f:
            chunks = _read_file(str(input), input_spec, spec["chunk_size"])
            for chunk in tqdm(chunks, desc=f"preprocess {Path(input).name}", unit="chunk",
                              disable=None if progress is None else not progress):
                res = process_chunk(chunk, spec, str(input), table, dense=False)
                summary.add(res)
                group = f.create_group(f"c{n_chunks:06d}")
                # track rows of split s: row[s]:row[s + 1] (jets are grouped by split)
                row = np.concatenate([[0], np.cumsum(res.arrays["n_kept"])])[res.bounds]
                for s, name in enumerate(splits.SPLITS):
                    sub = group.create_group(name)
                    part = res.split(s)
                    for key in JET_DATASETS:
                        sub.create_dataset(key, data=part[key])
                    sub.create_dataset("rows", data=res.kept[row[s] : row[s + 1]])
                    sub.create_dataset("origin_rows", data=res.kept_origin[row[s] : row[s + 1]])
                n_chunks += 1
            f.attrs.update({
                "jettag_part_format": PART_FORMAT, "config_hash": config_hash(spec),
                "max_tracks": spec["max_tracks"],
                "input": str(input), "n_chunks": n_chunks,
                "summary_json": json.dumps(summary.state()),
            })


def _part_info(path: Path, chash: str) -> dict:
    """The attrs of a part file; a JettagError when it is not one or was made with another spec."""
    try:
        with h5py.File(path, "r") as f:
            attrs = dict(f.attrs)
    except (OSError, FileNotFoundError) as err:
        raise JettagError(f"preprocess merge: cannot read part file {path} ({err}); rerun its "
                          "per-file preprocessing") from None
    if attrs.get("jettag_part_format") != PART_FORMAT:
        raise JettagError(f"preprocess merge: {path} is not a part file of this jettag version; "
                          "delete it and rerun its per-file preprocessing")
    if attrs["config_hash"] != chash:
        raise JettagError(f"preprocess merge: {path} was made with another preprocess config; "
                          "delete it and rerun its per-file preprocessing")
    return attrs


def iter_part(path: Path) -> Iterator[dict[str, tuple[dict[str, np.ndarray], np.ndarray]]]:
    """The chunks of a part file in order, each as ``{split: (padded datasets, track rows)}``:
    the datasets of ``jettag.preprocess.writer.DATASETS`` and the valid track rows (jet by jet)."""
    with h5py.File(path, "r") as f:
        L = int(f.attrs["max_tracks"])
        for c in range(int(f.attrs["n_chunks"])):
            out = {}
            for s in splits.SPLITS:
                group = f[f"c{c:06d}/{s}"]
                arrays = {k: group[k][()] for k in JET_DATASETS}
                arrays["weight"] = np.ones(len(arrays["label"]), dtype=np.float32)
                rows = group["rows"][()]
                out[s] = (densify(arrays, rows, group["origin_rows"][()], L), rows)
            yield out


def merge_parts(
    spec: dict,
    parts: list[str],
    output_dir: Path,
    sample: str = "sample",
    progress: bool | None = None,
) -> None:
    """Merge the part files of one sample (in input order) into ``output_dir/{train,val,test}.h5``,
    ``norm.json`` and ``summary.json``: the outputs of ``run_preprocessing`` on their inputs."""
    if not parts:
        raise JettagError("preprocess merge: no part files given; pass at least one")
    spec, _ = validated(spec, [str(p) for p in parts])
    chash = config_hash(spec)
    infos = [_part_info(Path(p), chash) for p in parts]
    inputs = [str(info["input"]) for info in infos]

    def feed(writers: dict[str, SplitWriter], acc: Accumulated) -> None:
        for path, info in zip(parts, infos, strict=True):
            acc.summary.merge(json.loads(info["summary_json"]))
            for chunk in tqdm(iter_part(Path(path)), desc=f"merge {Path(path).name}", unit="chunk",
                              total=int(info["n_chunks"]),
                              disable=None if progress is None else not progress):
                for name in splits.SPLITS:
                    writers[name].append(chunk[name][0])
                acc.add_train(*chunk["train"])

    write_outputs(spec, inputs, Path(output_dir), sample, feed)
