"""HDF5 batches for training: bounded memory, contiguous reads, seeded shuffling, prefetch.

Jets are read in contiguous blocks (``block_size`` jets, rounded to a multiple of the batch size)
with one HDF5 read per dataset and block. Each epoch the block order and the jets inside a block
are permuted with a generator seeded by ``(seed, epoch)`` only, so the data order of an epoch does
not depend on anything that came before it (a resumed run sees the same batches). A background
thread reads and permutes the next block while the model trains on the current one. Memory is
bounded by about ``(prefetch + 1) * block_size`` jets. With ``augment`` (training only) every
block is rotated / reflected jet by jet after the permutation (:mod:`jettag.training.augment`).

With ``world_size > 1`` every rank walks the same global batch sequence and keeps its own slice
of each global batch (``batch_size / world_size`` jets), so the union over ranks of one step is
exactly the batch a single process would see.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path

import h5py
import numpy as np
import torch

from jettag.errors import JettagError

DATA_FILES = {
    "train.h5": "the `preprocess` rule (`jettag preprocess`)",
    "val.h5": "the `preprocess` rule (`jettag preprocess`)",
    "norm.json": "the `preprocess` rule (`jettag preprocess`), from the train split",
}


def check_inputs(data_dir: Path) -> None:
    """Raise a JettagError naming every missing input file and the rule that makes it."""
    data_dir = Path(data_dir)
    for name, rule in DATA_FILES.items():
        if not (data_dir / name).is_file():
            raise JettagError(
                f"{data_dir / name} does not exist: it is written by {rule}; run the preprocessing "
                f"for this sample first (e.g. `snakemake {data_dir / name}`)"
            )


def read_norm(data_dir: Path) -> dict:
    path = Path(data_dir) / "norm.json"
    try:
        norm = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise JettagError(f"{path}: not valid JSON ({exc}); rerun the `preprocess` rule") from None
    for key in ("track", "jet"):
        if key not in norm:
            raise JettagError(f"{path}: missing key '{key}'; rerun the `preprocess` rule")
    return norm


def feature_names(h5_path: Path) -> tuple[list[str], list[str]]:
    """(track feature names, jet feature names) in column order, from the file attributes."""
    with h5py.File(h5_path, "r") as f:
        for key in ("tracks", "valid", "jets", "label"):
            if key not in f:
                raise JettagError(f"{h5_path}: dataset '{key}' is missing; rerun the `preprocess` rule")
        return [str(x) for x in f["tracks"].attrs["features"]], [str(x) for x in f["jets"].attrs["features"]]


def n_jets(h5_path: Path) -> int:
    with h5py.File(h5_path, "r") as f:
        return int(f["label"].shape[0])


@dataclass
class Batch:
    tracks: torch.Tensor  # (B, L, F) float32
    valid: torch.Tensor  # (B, L) bool
    jets: torch.Tensor  # (B, J) float32
    label: torch.Tensor  # (B,) int64
    weight: torch.Tensor  # (B,) float32
    track_origin: torch.Tensor  # (B, L) int64, -1 padding / unknown

    def __len__(self) -> int:
        return int(self.label.shape[0])

    def to(self, device: torch.device) -> Batch:
        if device.type == "cpu":
            return self
        pin = device.type == "cuda"
        moved = {}
        for f in fields(self):
            t = getattr(self, f.name)
            if pin and not t.is_pinned():
                t = t.pin_memory()
            moved[f.name] = t.to(device, non_blocking=pin)
        return Batch(**moved)

    def trimmed(self) -> Batch:
        """Drop the track slots that are padding in every jet of the batch.

        Tracks are sorted with the valid ones first, so a batch rarely needs all ``L`` slots; the
        models ignore padding, so the output is unchanged and the work shrinks (attention: L²).
        """
        used = torch.nonzero(self.valid.any(0))
        n = int(used[-1]) + 1 if len(used) else 1
        if n == self.valid.shape[1]:
            return self
        return replace(self, tracks=self.tracks[:, :n], valid=self.valid[:, :n],
                       track_origin=self.track_origin[:, :n])

    def pin_memory(self) -> Batch:
        return Batch(**{f.name: getattr(self, f.name).pin_memory() for f in fields(self)})


def _read_block(f: h5py.File, start: int, stop: int) -> dict[str, np.ndarray]:
    out = {
        "tracks": f["tracks"][start:stop],
        "valid": f["valid"][start:stop],
        "jets": f["jets"][start:stop],
        "label": f["label"][start:stop],
    }
    n = stop - start
    out["weight"] = f["weight"][start:stop] if "weight" in f else np.ones(n, np.float32)
    if "track_origin" in f:
        out["track_origin"] = f["track_origin"][start:stop]
    else:
        out["track_origin"] = np.full(out["valid"].shape, -1, np.int8)
    return out


def _to_batch(block: dict[str, np.ndarray], sel: slice | np.ndarray) -> Batch:
    return _batch_from(block, sel).trimmed()


def _batch_from(block: dict[str, np.ndarray], sel: slice | np.ndarray) -> Batch:
    return Batch(
        tracks=torch.from_numpy(np.ascontiguousarray(block["tracks"][sel], dtype=np.float32)),
        valid=torch.from_numpy(np.ascontiguousarray(block["valid"][sel], dtype=bool)),
        jets=torch.from_numpy(np.ascontiguousarray(block["jets"][sel], dtype=np.float32)),
        label=torch.from_numpy(block["label"][sel].astype(np.int64)),
        weight=torch.from_numpy(np.ascontiguousarray(block["weight"][sel], dtype=np.float32)),
        track_origin=torch.from_numpy(block["track_origin"][sel].astype(np.int64)),
    )


class H5Batches:
    """Iterable over the batches of one epoch of an HDF5 split (call ``set_epoch`` first)."""

    def __init__(self, path: Path, batch_size: int, *, shuffle: bool = True, seed: int = 0,
                 block_size: int = 32768, max_jets: int | None = None, rank: int = 0,
                 world_size: int = 1, prefetch: int = 1, drop_last: bool = False, shard: str = "slice",
                 pin_memory: bool = False, augment=None):
        self.path = Path(path)
        self.augment = augment  # a jettag.training.augment.Augmentation (training only) or None
        self.batch_size = int(batch_size)
        self.world_size = int(world_size)
        self.rank = int(rank)
        if self.batch_size % self.world_size:
            raise JettagError(
                f"training.batch_size ({batch_size}) must be divisible by the number of DDP processes "
                f"({world_size}): the global batch is split evenly over the ranks"
            )
        self.shard = shard  # "slice": a slice of every batch (training); "stride": every world_size-th batch
        self.local_batch = self.batch_size // self.world_size if shard == "slice" else self.batch_size
        self.shuffle = shuffle
        self.seed = int(seed)
        self.prefetch = int(prefetch)
        self.pin_memory = bool(pin_memory) and torch.cuda.is_available()  # pinned in the prefetch thread
        total = n_jets(self.path)
        self.n = min(total, int(max_jets)) if max_jets else total
        if self.n == 0:
            raise JettagError(f"{self.path}: holds no jets; check the preprocessing selection")
        # blocks hold whole global batches, so only the file's last block has a partial batch
        self.block = max(1, int(block_size) // self.batch_size) * self.batch_size
        # with DDP every rank needs a full slice of every batch: drop the partial last batch
        self.drop_last = drop_last or (self.world_size > 1 and shard == "slice")
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _n_global(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __len__(self) -> int:
        n = self._n_global()
        if self.world_size > 1 and self.shard == "stride":
            return len(range(self.rank, n, self.world_size))
        return n

    @property
    def n_jets_per_epoch(self) -> int:
        """Jets seen per epoch by all ranks together."""
        return self._n_global() * self.batch_size if self.drop_last else self.n

    def _plan(self) -> list[tuple[int, int, np.ndarray | None]]:
        starts = np.arange(0, self.n, self.block)
        rng = np.random.default_rng([self.seed, self.epoch])
        if self.shuffle:
            starts = starts[rng.permutation(len(starts))]
        plan = []
        for s in starts:
            stop = min(int(s) + self.block, self.n)
            perm = rng.permutation(stop - int(s)) if self.shuffle else None
            plan.append((int(s), stop, perm))
        return plan

    def _generate(self) -> Iterator[Batch]:
        count = 0  # global batch index
        striding = self.world_size > 1 and self.shard == "stride"
        slicing = self.world_size > 1 and self.shard == "slice"
        with h5py.File(self.path, "r") as f:
            for start, stop, perm in self._plan():
                n = stop - start
                first = count
                n_batches = len(range(0, n, self.batch_size))
                if striding and not any((first + i) % self.world_size == self.rank for i in range(n_batches)):
                    count += n_batches
                    continue  # none of this block's batches is ours: skip the read
                block = _read_block(f, start, stop)
                if perm is not None:
                    block = {k: v[perm] for k, v in block.items()}
                if self.augment is not None:
                    block = self.augment.apply(block, self.augment.generator(self.seed, self.epoch, start))
                for b0 in range(0, n, self.batch_size):
                    b1 = min(b0 + self.batch_size, n)
                    mine = not striding or count % self.world_size == self.rank
                    count += 1
                    if b1 - b0 < self.batch_size and self.drop_last:
                        break
                    if not mine:
                        continue
                    if slicing:
                        lo = b0 + self.rank * self.local_batch
                        b0, b1 = lo, lo + self.local_batch
                    batch = _to_batch(block, slice(b0, b1))
                    yield batch.pin_memory() if self.pin_memory else batch

    def __iter__(self) -> Iterator[Batch]:
        if self.prefetch <= 0:
            yield from self._generate()
            return
        yield from _background(self._generate(), self.prefetch * max(1, self.block // self.batch_size))


_DONE = object()


def _background(gen: Iterator, maxsize: int) -> Iterator:
    """Run ``gen`` in a daemon thread, ``maxsize`` items ahead; exceptions are re-raised here."""
    q: queue.Queue = queue.Queue(maxsize=max(maxsize, 1))
    stop = threading.Event()

    def work():
        try:
            for item in gen:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    thread = threading.Thread(target=work, daemon=True, name="jettag-prefetch")
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


class TensorBatches:
    """The same interface over tensors already in memory (benchmarks, small tests)."""

    def __init__(self, batch: Batch, batch_size: int, *, shuffle: bool = True, seed: int = 0):
        self.data = batch
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = int(seed)
        self.epoch = 0
        self.n = len(batch)
        self.drop_last = False

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return -(-self.n // self.batch_size)

    @property
    def n_jets_per_epoch(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[Batch]:
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed * 100003 + self.epoch)
            order = torch.randperm(self.n, generator=g)
        else:
            order = torch.arange(self.n)
        for b0 in range(0, self.n, self.batch_size):
            idx = order[b0:b0 + self.batch_size]
            yield Batch(**{f.name: getattr(self.data, f.name)[idx] for f in fields(Batch)}).trimmed()


def load_all(path: Path, max_jets: int | None = None) -> Batch:
    """Read a whole split into one Batch (small files only)."""
    n = n_jets(path)
    if max_jets:
        n = min(n, int(max_jets))
    with h5py.File(path, "r") as f:
        return _to_batch(_read_block(f, 0, n), slice(None))
