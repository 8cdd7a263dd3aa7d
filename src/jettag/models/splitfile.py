"""Opening a preprocessed HDF5 split with the datasets a step needs, or one clear error."""

from __future__ import annotations

from pathlib import Path

import h5py

from jettag.errors import JettagError


def open_split(path: str | Path, required: tuple[str, ...], missing_hint: str) -> h5py.File:
    """The open file (use it as a context manager); ``missing_hint`` ends the missing-file error."""
    path = Path(path)
    if not path.is_file():
        raise JettagError(f"{path} does not exist: {missing_hint}")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise JettagError(f"{path}: not a readable HDF5 file ({exc})") from None
    for key in required:
        if key not in f:
            names = sorted(f)
            f.close()
            raise JettagError(f"{path}: dataset '{key}' missing (has {names})")
    return f
