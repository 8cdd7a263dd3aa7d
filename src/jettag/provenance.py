"""Provenance recorded with every output: software versions and the hash of the config section.

``provenance(spec)`` gives a flat ``{str: str}`` dict, usable as HDF5 attrs and in checkpoints'
``extra``: ``jettag_version``, ``python_version``, ``<package>_version`` for every package of
:data:`PACKAGES` (``"not installed"`` when absent) and, when ``spec`` is given,
``config_hash`` (``jettag.config.config_hash(spec)``). Nothing machine- or time-dependent is
recorded, so reruns stay byte-identical.
"""

from __future__ import annotations

import functools
import platform
from importlib import metadata

#: Distributions whose versions are recorded (``importlib.metadata`` names; nothing is imported).
PACKAGES: tuple[str, ...] = ("torch", "numpy", "awkward", "uproot", "h5py", "snakemake", "onnxruntime")


@functools.cache
def versions() -> dict[str, str]:
    """``{"jettag_version": ..., "python_version": ..., "<package>_version": ...}``."""
    from jettag import __version__

    out = {"jettag_version": __version__, "python_version": platform.python_version()}
    for name in PACKAGES:
        try:
            out[f"{name}_version"] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[f"{name}_version"] = "not installed"
    return out


def provenance(spec: dict | None = None) -> dict[str, str]:
    """Software versions plus, when ``spec`` is given, its ``config_hash``."""
    out = dict(versions())
    if spec is not None:
        from jettag.config import config_hash

        out["config_hash"] = config_hash(spec)
    return out
