"""Input files: glob expansion, opening ROOT files and finding their trees, with every error a
JettagError naming the file."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import uproot

from jettag.errors import JettagError


def expand_files(files) -> list[Path]:
    """Expand glob patterns (sorted) and check every file exists."""
    if isinstance(files, str | os.PathLike):
        files = [files]
    out: list[Path] = []
    for item in files:
        text = str(item)
        if glob.has_magic(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise JettagError(f"{text}: the pattern matches no file")
            out.extend(Path(m) for m in matches)
        else:
            out.append(Path(text))
    if not out:
        raise JettagError("no input files given")
    for path in out:
        if not path.exists():
            raise JettagError(f"{path}: input file does not exist")
        if not path.is_file():
            raise JettagError(f"{path}: is not a file (a directory?)")
    return out


def open_root(path: Path):
    """``uproot.open`` with errors translated to JettagError naming the file."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise JettagError(f"{path}: cannot be opened ({exc.strerror})") from None
    if magic != b"root":
        raise JettagError(
            f"{path}: not a ROOT file (it does not start with the ROOT signature; first bytes "
            f"{magic!r})"
        )
    try:
        return uproot.open(path)
    except FileNotFoundError:
        raise JettagError(f"{path}: input file does not exist") from None
    except Exception as exc:  # uproot raises many types for non-ROOT and damaged files
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "not a ROOT file" in text or "magic" in text.lower():
            raise JettagError(f"{path}: not a ROOT file ({text})") from None
        raise JettagError(
            f"{path}: cannot be read as a ROOT file, it may be truncated or corrupt "
            f"({type(exc).__name__}: {text})"
        ) from None


#: What jettag reads as a "tree": TTrees and RNTuples (uproot reads both the same way).
_TREE_TYPES = (uproot.behaviors.TTree.TTree, uproot.behaviors.RNTuple.RNTuple)


def trees_in(rootfile) -> list[str]:
    """Names of the TTrees and RNTuples in a file (any directory depth)."""
    try:
        return sorted(
            {
                k.rsplit(";", 1)[0]
                for k, c in rootfile.classnames().items()
                if c.startswith("TTree") or c.endswith("RNTuple")
            }
        )
    except Exception:
        return []


def get_tree(rootfile, path: Path, name: str):
    trees = trees_in(rootfile)
    try:
        obj = rootfile[name]
    except KeyError:
        obj = None
    except Exception as exc:
        raise JettagError(
            f"{path}: tree '{name}' cannot be read, the file may be truncated or corrupt "
            f"({type(exc).__name__}: {exc})"
        ) from None
    if obj is None or not isinstance(obj, _TREE_TYPES):
        have = ", ".join(trees) if trees else "none"
        raise JettagError(
            f"{path}: no tree named '{name}' (trees in the file: {have}); set input.tree"
        )
    return obj
