"""Chunked, appendable HDF5 split files, and all-or-nothing output sets.

``SplitWriter`` appends jets to resizable datasets chunked along the jet axis, buffering so every
write covers whole HDF5 chunks. ``OutputSet`` hands out temporary paths beside the targets and
renames them all only when the whole job succeeded; on failure it deletes them, so a failed run
never leaves a file that looks complete.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import h5py
import numpy as np

from jettag.atomic import remove_stale_tmp

#: dataset -> (dtype, per-jet shape builder(L, F, J)); the layout of docs/architecture.md.
DATASETS: dict[str, tuple[type, object]] = {
    "tracks": (np.float32, lambda L, F, J: (L, F)),
    "valid": (np.bool_, lambda L, F, J: (L,)),
    "jets": (np.float32, lambda L, F, J: (J,)),
    "label": (np.int8, lambda L, F, J: ()),
    "flavour": (np.int32, lambda L, F, J: ()),
    "eventNumber": (np.int64, lambda L, F, J: ()),
    "weight": (np.float32, lambda L, F, J: ()),
    "track_origin": (np.int8, lambda L, F, J: (L,)),
}

CHUNK_JETS = 1024


def _compression(name: str | None) -> dict:
    if name in (None, "none"):
        return {}
    if name == "gzip":
        return {"compression": "gzip", "compression_opts": 1, "shuffle": True}
    return {"compression": name}


class SplitWriter:
    """Append-only writer of one split file (``tracks, valid, jets, label, ...``)."""

    def __init__(
        self,
        path: str | Path,
        *,
        track_features: list[str],
        jet_features: list[str],
        max_tracks: int,
        attrs: dict,
        compression: str | None = "none",
        chunk_jets: int = CHUNK_JETS,
    ):
        self.path = Path(path)
        self.chunk_jets = chunk_jets
        # whole chunks are written at once: no chunk cache needed (it only adds a copy)
        self.file = h5py.File(self.path, "w", rdcc_nbytes=1024**2)
        for key, value in attrs.items():
            self.file.attrs[key] = value
        L, F, J = max_tracks, len(track_features), len(jet_features)
        comp = _compression(compression)
        self.datasets = {}
        for name, (dtype, shape) in DATASETS.items():
            per_jet = shape(L, F, J)
            self.datasets[name] = self.file.create_dataset(
                name, shape=(0, *per_jet), maxshape=(None, *per_jet), dtype=dtype,
                chunks=(chunk_jets, *per_jet), **comp,
            )
        self.datasets["tracks"].attrs["features"] = list(track_features)
        self.datasets["jets"].attrs["features"] = list(jet_features)
        self.n = 0
        self._pending: list[dict[str, np.ndarray]] = []
        self._pending_n = 0

    def append(self, arrays: dict[str, np.ndarray]) -> None:
        """Append jets; whole HDF5 chunks are written straight from ``arrays`` (no copy), the
        remainder (< one chunk) is buffered until the next call or ``close``."""
        n = len(arrays["label"])
        if n == 0:
            return
        start = 0
        if self._pending_n:  # complete the buffered partial chunk first
            take = min(self.chunk_jets - self._pending_n, n)
            self._pending.append({k: arrays[k][:take] for k in DATASETS})
            self._pending_n += take
            start = take
            if self._pending_n < self.chunk_jets:
                return
            self._write({k: np.concatenate([p[k] for p in self._pending]) for k in DATASETS})
            self._pending, self._pending_n = [], 0
        n_full = ((n - start) // self.chunk_jets) * self.chunk_jets
        if n_full:
            self._write({k: arrays[k][start : start + n_full] for k in DATASETS})
        rest = n - start - n_full
        if rest:  # copy: the caller's arrays may be reused
            self._pending = [{k: np.array(arrays[k][n - rest :]) for k in DATASETS}]
            self._pending_n = rest

    def _write(self, arrays: dict[str, np.ndarray]) -> None:
        n = len(arrays["label"])
        for name, ds in self.datasets.items():
            ds.resize(self.n + n, axis=0)
            ds[self.n : self.n + n] = arrays[name]
        self.n += n

    def _flush(self) -> None:
        if self._pending:
            self._write({k: np.concatenate([p[k] for p in self._pending]) for k in DATASETS})
        self._pending, self._pending_n = [], 0

    def close(self) -> int:
        """Flush, record ``n_jets`` and close; returns the number of jets written."""
        if self.file:
            self._flush()
            self.file.attrs["n_jets"] = self.n
            self.file.close()
            self.file = None
        return self.n

    def abort(self) -> None:
        if self.file:
            with contextlib.suppress(Exception):
                self.file.close()
            self.file = None


class OutputSet:
    """Temporary paths for several outputs, renamed onto their targets together on success.

    Use as a context manager: ``with OutputSet(dir) as out: p = out.tmp("train.h5"); ...;
    out.commit()``. Leaving the block without ``commit`` (or by an exception) deletes every
    temporary file. Files are renamed in the order they were requested, so request a file that
    marks completion (e.g. a summary) last.
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._tmp: dict[str, Path] = {}
        self.committed = False

    def tmp(self, name: str) -> Path:
        if name not in self._tmp:
            remove_stale_tmp(self.directory / name)  # leftovers of a killed run
            self._tmp[name] = self.directory / f".{name}.{os.getpid()}.tmp"
        return self._tmp[name]

    def commit(self) -> None:
        missing = [n for n, p in self._tmp.items() if not p.exists()]
        if missing:
            raise RuntimeError(f"outputs {missing} were never written in {self.directory}")
        for name, path in self._tmp.items():
            os.replace(path, self.directory / name)
        self.committed = True

    def cleanup(self) -> None:
        for path in self._tmp.values():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, *exc) -> None:
        if not self.committed:
            self.cleanup()
