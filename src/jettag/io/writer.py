"""Write small ROOT files atomically (tests, examples, converted inputs)."""

from __future__ import annotations

import os

import awkward as ak
import numpy as np
import uproot

from jettag.atomic import atomic_path


def write_root_atomic(
    path: str | os.PathLike, tree_name: str, branches: dict, *, rntuple: bool = False
) -> None:
    """Write ``branches`` (name -> numpy or awkward array, equal numbers of entries) as one tree.

    Jagged (``var``) and doubly-jagged awkward arrays become ``vector<T>`` /
    ``vector<vector<T>>``-like branches; a record array (``ak.zip``) of jagged fields is written
    as branches ``{name}_{field}`` sharing one counter ``n{name}``. The file appears under
    ``path`` only when complete.

    uproot writes TTrees up to one level of jagged lists; ``rntuple=True`` writes an RNTuple
    instead, which also holds doubly-jagged arrays (jettag reads both).
    """
    data = {}
    for name, value in branches.items():
        if isinstance(value, ak.Array | ak.Record):
            data[name] = value
        else:
            data[name] = np.asarray(value)
    with atomic_path(path) as tmp:
        with uproot.recreate(tmp) as f:
            if rntuple:
                f[tree_name] = data
            else:
                f.mktree(tree_name, data)  # uproot >= 5.7 writes an RNTuple for f[name] = ...
