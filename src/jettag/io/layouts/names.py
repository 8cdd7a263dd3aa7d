"""Branch-name and type-name heuristics shared by the layouts' ``detect`` and ``jettag inspect``."""

from __future__ import annotations

import re

#: Names of track/constituent branches, and of jet branches.
TRACKY = re.compile(r"trk|track|cand|pfc|constit|tracks", re.IGNORECASE)
JETTY = re.compile(r"jet|akt|antikt", re.IGNORECASE)


def list_depth(typename: str) -> int:
    """List depth of a ROOT/uproot type name (``vector<vector<float>>`` -> 2)."""
    return typename.count("vector<") + typename.count("[]") + typename.count("var *")


def name_ends(name: str, alias: str) -> bool:
    """``name`` is ``alias`` or ends with ``_alias`` / ``.alias`` (case-insensitive)."""
    low = name.lower()
    return low == alias or low.endswith("_" + alias) or low.endswith("." + alias)
