"""The structure of an array read from one branch: its list depth inside one entry, its leaf
kind, and whether two branches have the same list lengths (the reader's type and depth checks)."""

from __future__ import annotations

import awkward as ak
import numpy as np


def structure(arr) -> tuple[int, str]:
    """(list depth inside one entry, leaf kind) of an array read from one branch.

    The kind is a numpy dtype name, or 'string', 'record', ... for what jettag cannot use.
    """
    layout = ak.to_layout(arr)
    depth = -1  # the outermost dimension is the entries
    while True:
        param = layout.parameter("__array__")
        if param in ("string", "bytestring", "char", "byte"):
            return depth, "string"
        if isinstance(layout, ak.contents.NumpyArray):
            return depth + layout.data.ndim, str(layout.dtype)
        if isinstance(
            layout, ak.contents.ListOffsetArray | ak.contents.ListArray | ak.contents.RegularArray
        ):
            depth += 1
            layout = layout.content
        elif isinstance(
            layout,
            ak.contents.IndexedArray
            | ak.contents.IndexedOptionArray
            | ak.contents.ByteMaskedArray
            | ak.contents.BitMaskedArray
            | ak.contents.UnmaskedArray,
        ):
            layout = layout.content
        elif isinstance(layout, ak.contents.EmptyArray):
            return depth + 1, "float64"
        elif isinstance(layout, ak.contents.RecordArray):
            return depth + 1, "record"
        else:
            return depth + 1, type(layout).__name__


def numeric(kind: str) -> bool:
    try:
        return np.dtype(kind).kind in "biuf"
    except TypeError:
        return False


def counts(arr, depth: int) -> list:
    """Per-axis list lengths of ``arr`` down to ``depth`` (flattened numpy arrays)."""
    out = []
    for axis in range(1, depth + 1):
        n = ak.num(arr, axis=axis)
        out.append(np.asarray(ak.flatten(n, axis=None)))
    return out


def same_counts(a, b, depth: int) -> bool:
    for x, y in zip(counts(a, depth), counts(b, depth), strict=True):
        if x.shape != y.shape or not np.array_equal(x, y):
            return False
    return True
