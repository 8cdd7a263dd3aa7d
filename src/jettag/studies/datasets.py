"""Study data directories: K-fold splits and training subsets, copied chunk by chunk.

A data directory holds ``train.h5``, ``val.h5`` and ``norm.json`` like ``results/data/{sample}``
(the test split is always the sample's own ``test.h5``). The normalisation is the sample's: the
models of a study see identical input scaling.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import h5py
import numpy as np

from jettag.atomic import atomic_path
from jettag.errors import JettagError

DEFAULT_CHUNK = 20000


def fold_of(event_number, k: int) -> np.ndarray:
    """Fold index (0 .. k-1) of each jet: ``(eventNumber // 10) % k``.

    The ``// 10`` decorrelates folds from the train/val/test split by ``eventNumber % 10``, so the
    folds are equally large; all jets of one event share a fold.
    """
    return (np.asarray(event_number, dtype=np.int64) // 10) % int(k)


def uniform_of(event_number) -> np.ndarray:
    """A deterministic pseudo-random number in [0, 1) per event (splitmix64 of eventNumber).

    Subsets ``uniform < f`` are nested: the 10 % subset lies inside the 30 % subset.
    """
    x = np.asarray(event_number, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


def copy_selected(
    sources: Sequence[str | Path],
    output: str | Path,
    select: Callable[[np.ndarray], np.ndarray],
    chunk_size: int = DEFAULT_CHUNK,
    split: str | None = None,
) -> int:
    """Copy the jets of ``sources`` for which ``select(eventNumber)`` is true into ``output``.

    Every per-jet dataset (first axis = jets) is copied with its attributes, chunk by chunk.
    Returns the number of jets written.
    """
    sources = [Path(s) for s in sources]
    for s in sources:
        if not s.is_file():
            raise JettagError(f"{s} does not exist: run the preprocessing first")
    with h5py.File(sources[0], "r") as first:
        names = [n for n in first if isinstance(first[n], h5py.Dataset)]
        if "eventNumber" not in names:
            raise JettagError(f"{sources[0]}: no 'eventNumber' dataset; re-run the preprocessing")
        layout = {n: (first[n].dtype, first[n].shape[1:], dict(first[n].attrs)) for n in names}
        file_attrs = dict(first.attrs)
    counts = []
    for s in sources:
        with h5py.File(s, "r") as f:
            en = f["eventNumber"]
            n_sel = 0
            for start in range(0, en.shape[0], chunk_size):
                n_sel += int(np.count_nonzero(select(en[start : start + chunk_size])))
            counts.append(n_sel)
    total = sum(counts)
    with atomic_path(output) as tmp, h5py.File(tmp, "w") as dst:
        out = {}
        for n, (dtype, tail, attrs) in layout.items():
            chunks = (max(1, min(chunk_size, total)), *tail) if total else None
            out[n] = dst.create_dataset(n, shape=(total, *tail), dtype=dtype, chunks=chunks)
            for k, v in attrs.items():
                out[n].attrs[k] = v
        pos = 0
        for s in sources:
            with h5py.File(s, "r") as f:
                missing = [n for n in layout if n not in f]
                if missing:
                    raise JettagError(f"{s}: datasets {missing} missing (present in {sources[0]})")
                n_jets = f["eventNumber"].shape[0]
                for start in range(0, n_jets, chunk_size):
                    stop = min(start + chunk_size, n_jets)
                    mask = np.asarray(select(f["eventNumber"][start:stop]), dtype=bool)
                    k = int(mask.sum())
                    if not k:
                        continue
                    for n in layout:
                        out[n][pos : pos + k] = f[n][start:stop][mask]
                    pos += k
        for k, v in file_attrs.items():
            dst.attrs[k] = v
        dst.attrs["n_jets"] = total
        if split:
            dst.attrs["split"] = split
        dst.attrs["study_sources"] = [str(s) for s in sources]
    return total


def _copy(src: Path, dst: Path) -> None:
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def _inputs(inputs) -> dict[str, Path]:
    found = {}
    for p in inputs:
        p = Path(p)
        if p.name in ("train.h5", "val.h5", "norm.json"):
            found[p.stem] = p
    missing = sorted({"train", "val", "norm"} - set(found))
    if missing:
        raise JettagError(f"pass the sample's train.h5, val.h5 and norm.json as --inputs (missing {missing})")
    return found


def make_fold(inputs, output: str | Path, index: int, k: int, chunk_size: int = DEFAULT_CHUNK) -> None:
    """Fold ``index`` (1-based) of ``k``: val = jets of that fold, train = the others (train+val jets).

    ``output`` is the fold's ``train.h5``; ``val.h5`` and ``norm.json`` are written beside it.
    """
    if k < 2 or not 1 <= index <= k:
        raise JettagError(f"fold {index} of {k}: need k >= 2 and 1 <= index <= k")
    src = _inputs(inputs)
    out = Path(output)
    both = [src["train"], src["val"]]
    n_val = copy_selected(both, out.with_name("val.h5"), lambda e: fold_of(e, k) == index - 1, chunk_size, "val")
    n_train = copy_selected(both, out, lambda e: fold_of(e, k) != index - 1, chunk_size, "train")
    if n_val == 0 or n_train == 0:
        raise JettagError(f"fold {index} of {k}: {n_train} training and {n_val} validation jets; use fewer folds")
    _copy(src["norm"], out.with_name("norm.json"))


def make_subset(inputs, output: str | Path, fraction: float, chunk_size: int = DEFAULT_CHUNK) -> None:
    """A fraction of the training jets (nested subsets by event); val.h5 and norm.json copied."""
    if not 0 < fraction <= 1:
        raise JettagError(f"fraction {fraction} must lie in (0, 1]")
    src = _inputs(inputs)
    out = Path(output)
    n = copy_selected([src["train"]], out, lambda e: uniform_of(e) < fraction, chunk_size, "train")
    if n == 0:
        raise JettagError(f"a fraction {fraction} of {src['train']} holds no jet; use a larger fraction")
    _copy(src["val"], out.with_name("val.h5"))
    _copy(src["norm"], out.with_name("norm.json"))


def _event_numbers(path: Path, chunk_size: int = DEFAULT_CHUNK) -> np.ndarray:
    with h5py.File(path, "r") as f:
        en = f["eventNumber"]
        return np.concatenate([en[s : s + chunk_size] for s in range(0, en.shape[0], chunk_size)] or [[]])


def seeded_uniform(event_number, seed: int) -> np.ndarray:
    """:func:`uniform_of` of the event numbers shifted by a seed: another draw per seed."""
    offset = np.int64((int(seed) * 0x2545F491) % (2**40))
    return uniform_of(np.asarray(event_number, dtype=np.int64) + offset)


def make_random_subset(inputs, output: str | Path, n_jets: int, seed: int = 1,
                       chunk_size: int = DEFAULT_CHUNK) -> int:
    """About ``n_jets`` training jets drawn at random over whole events (seeded); val.h5, norm.json copied.

    Events are ranked by a hash of (eventNumber, seed) and taken in that order until ``n_jets``
    jets are reached (all jets of the last event included), so the subset is independent of the
    file order: a sample written one mass point after another is sampled over every mass point in
    proportion. Returns the number of jets written.
    """
    if n_jets < 1:
        raise JettagError(f"studies.transfer.n_small = {n_jets}: need at least one jet")
    src = _inputs(inputs)
    u = seeded_uniform(_event_numbers(src["train"], chunk_size), seed)
    if u.size <= n_jets:
        threshold = np.inf
    else:
        threshold = float(np.sort(u)[n_jets - 1])
    n = copy_selected([src["train"]], output, lambda e: seeded_uniform(e, seed) <= threshold, chunk_size, "train")
    out = Path(output)
    _copy(src["val"], out.with_name("val.h5"))
    _copy(src["norm"], out.with_name("norm.json"))
    return n
