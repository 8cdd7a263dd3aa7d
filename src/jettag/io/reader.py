"""Read ROOT files of any supported layout into jettag's canonical jets record, chunk by chunk.

Layouts (docs/inputs.md):

``jetwise``            one tree entry per jet; track branches are jagged (``vector<T>``) per jet.
``eventwise_nested``   one entry per event; jet branches ``vector<T>``, track branches
                       ``vector<vector<T>>`` (per jet, per track).
``eventwise_indexed``  one entry per event; flat per-event collections of jets and of
                       constituents, each constituent naming its jet by index (NanoAOD).

Every file is opened and checked on its own, then read with ``TTree.iterate`` in steps of
``step_size`` entries, so memory stays bounded for any number of files and every error names
the file it comes from.
"""

from __future__ import annotations

import difflib
import glob
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import awkward as ak
import numpy as np
import uproot

from jettag.errors import JettagError
from jettag.io import operations as ops
from jettag.io.mapping import JET_FIELDS, OPTIONAL_TRACK_FIELDS, TRACK_FIELDS, resolve_input

# Nesting depth (list dimensions inside one tree entry) of each context, per layout.
_DEPTH = {
    "jetwise": {"event": 0, "jets": 0, "tracks": 1},
    "eventwise_nested": {"event": 0, "jets": 1, "tracks": 2},
    "eventwise_indexed": {"event": 0, "jets": 1, "tracks": 1},
}
_WHAT = {0: "a number per entry", 1: "a list per entry", 2: "a list of lists per entry"}
_COMPARISONS = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


# ------------------------------------------------------------------------------------------
# files


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


# ------------------------------------------------------------------------------------------
# the plan: which definitions, which branches


@dataclass
class _Plan:
    layout: str
    tree: str
    jets: dict
    tracks: dict
    explicit: set
    link_index: str | None
    filters: list = field(default_factory=list)  # [(branch, comparison, value)]

    def fields(self):
        for name, d in self.jets.items():
            yield "jets", name, d
        for name, d in self.tracks.items():
            yield "tracks", name, d

    def key(self, section, name) -> str:
        origin = (
            "" if f"{section}.{name}" in self.explicit else f" (default for layout {self.layout})"
        )
        return f"input.{section}.{name}{origin}"

    def branch_users(self) -> dict[str, list[tuple[str, str]]]:
        """branch -> [(context, config key)]; context is 'jets' or 'tracks'."""
        users: dict[str, list[tuple[str, str]]] = {}
        for section, name, d in self.fields():
            for b in ops.branches(d):
                users.setdefault(b, []).append((section, self.key(section, name)))
        if self.link_index:
            users.setdefault(self.link_index, []).append(("tracks", "input.link.index"))
        for b, _, _ in self.filters:
            users.setdefault(b, []).append(("tracks", "input.constituent_filter"))
        return users


def _parse_filter(spec, layout) -> list:
    if not spec:
        return []
    if not isinstance(spec, dict):
        raise JettagError("input.constituent_filter: must be a mapping (see docs/inputs.md)")
    if "all" in spec:
        if set(spec) != {"all"} or not isinstance(spec["all"], list):
            raise JettagError("input.constituent_filter: write all: [filter, filter, ...]")
        return [f for s in spec["all"] for f in _parse_filter(s, layout)]
    if set(spec) == {"charge_nonzero"}:
        b = spec["charge_nonzero"]
        if not isinstance(b, str):
            raise JettagError(
                "input.constituent_filter.charge_nonzero: give the charge branch name"
            )
        return [(b, "!=", 0)]
    if set(spec) == {"branch", "op", "value"}:
        if spec["op"] not in _COMPARISONS:
            raise JettagError(
                f"input.constituent_filter.op: unknown comparison {spec['op']!r}; "
                f"known: {', '.join(_COMPARISONS)}"
            )
        if not isinstance(spec["branch"], str) or not ops._is_number(spec["value"]):
            raise JettagError("input.constituent_filter: branch must be a name, value a number")
        return [(spec["branch"], spec["op"], spec["value"])]
    raise JettagError(
        f"input.constituent_filter: unknown form {spec!r}; use {{charge_nonzero: BRANCH}}, "
        "{branch: B, op: '!=', value: 0} or {all: [...]}"
    )


def make_plan(input_spec: dict | None) -> _Plan:
    m = resolve_input(input_spec)
    for section in ("jets", "tracks"):
        for name, d in m[section].items():
            ops.validate(d, f"input.{section}.{name}")
    link_index = None
    if m["layout"] == "eventwise_indexed":
        link = m["link"] or {}
        extra = set(link) - {"index"}
        if extra or not isinstance(link.get("index"), str):
            raise JettagError(
                "input.link: layout eventwise_indexed needs link: {index: BRANCH}, the branch "
                "giving each constituent's jet index (e.g. JetPFCands_jetIdx)"
            )
        link_index = link["index"]
    elif m["link"]:
        raise JettagError(f"input.link: only used by layout eventwise_indexed, not {m['layout']}")
    return _Plan(
        layout=m["layout"],
        tree=m["tree"],
        jets=dict(m["jets"]),
        tracks=dict(m["tracks"]),
        explicit=set(m["explicit"]),
        link_index=link_index,
        filters=_parse_filter(m["constituent_filter"], m["layout"]),
    )


def _plan_for_tree(plan: _Plan, tree, path: Path) -> _Plan:
    """Resolve optional fields against this tree's branches; name missing branches."""
    have = set(tree.keys())
    p = _Plan(**{**plan.__dict__, "jets": dict(plan.jets), "tracks": dict(plan.tracks)})
    for name, default in OPTIONAL_TRACK_FIELDS.items():
        d = p.tracks.get(name)
        missing = [b for b in ops.branches(d) if b not in have]
        if missing and f"tracks.{name}" not in p.explicit:
            p.tracks[name] = {"constant": default}
    d = p.jets["eventNumber"]
    if (
        p.layout != "jetwise"
        and "jets.eventNumber" not in p.explicit
        and any(b not in have for b in ops.branches(d))
    ):
        p.jets["eventNumber"] = {"entry_number": True}
    for branch, users in p.branch_users().items():
        if branch not in have:
            close = difflib.get_close_matches(branch, sorted(have), n=4, cutoff=0.6)
            hint = f"; close matches: {', '.join(close)}" if close else ""
            keys = ", ".join(sorted({k for _, k in users}))
            raise JettagError(
                f"{path}: tree '{p.tree}' has no branch '{branch}' (mapped by {keys}){hint}"
            )
    for section, fields in (("jets", p.jets), ("tracks", p.tracks)):
        if all(ops.is_constant(d) for d in fields.values()) and not (
            section == "jets" and any(ops.uses_entry_number(d) for d in fields.values())
        ):
            raise JettagError(
                f"{path}: input.{section}: every variable is a constant; at least one must be "
                "read from a branch"
            )
    return p


# ------------------------------------------------------------------------------------------
# structure checks


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


def _numeric(kind: str) -> bool:
    try:
        return np.dtype(kind).kind in "biuf"
    except TypeError:
        return False


def _counts(arr, depth: int) -> list:
    """Per-axis list lengths of ``arr`` down to ``depth`` (flattened numpy arrays)."""
    out = []
    for axis in range(1, depth + 1):
        n = ak.num(arr, axis=axis)
        out.append(np.asarray(ak.flatten(n, axis=None)))
    return out


def _same_counts(a, b, depth: int) -> bool:
    for x, y in zip(_counts(a, depth), _counts(b, depth), strict=True):
        if x.shape != y.shape or not np.array_equal(x, y):
            return False
    return True


# ------------------------------------------------------------------------------------------
# building one chunk


def _fail(path, start, stop, text):
    raise JettagError(f"{path}: entries {start}-{stop - 1}: {text}")


def _build_chunk(chunk: ak.Array, p: _Plan, path: Path, start: int) -> ak.Array:
    n_entries = len(chunk)
    stop = start + n_entries
    depth_of = _DEPTH[p.layout]
    users = p.branch_users()
    raw = {}
    depth: dict[str, int] = {}
    for b, who in users.items():
        arr = chunk[b]
        d, kind = structure(arr)
        want = min(depth_of[c] for c, _ in who)
        keys = ", ".join(sorted({k for c, k in who if depth_of[c] == want}))
        if not _numeric(kind):
            _fail(path, start, stop, f"branch '{b}' holds {kind} values, not numbers ({keys})")
        if d > want:
            _fail(
                path,
                start,
                stop,
                f"branch '{b}' is nested {d} deep ({ak.type(arr)}), but {keys} needs "
                f"{_WHAT.get(want, want)} for layout {p.layout}",
            )
        raw[b] = arr
        depth[b] = d

    # reference branches of each context (full depth) and equal-length checks
    refs: dict[str, str] = {}
    for ctx in ("jets", "tracks"):
        want = depth_of[ctx]
        if want == 0:
            continue
        full = [b for b, who in users.items() if depth[b] == want and any(c == ctx for c, _ in who)]
        if not full:
            if ctx == "jets" and p.layout == "eventwise_nested":
                continue  # the jets are the outer lists of the track branches (below)
            _fail(
                path,
                start,
                stop,
                f"no branch mapped by input.{ctx} is {_WHAT[want]} as layout {p.layout} needs",
            )
        refs[ctx] = full[0]
        for b in full[1:]:
            if not _same_counts(raw[full[0]], raw[b], want):
                _fail(
                    path,
                    start,
                    stop,
                    f"branches '{full[0]}' and '{b}' have different lengths (numbers of "
                    f"{'tracks' if ctx == 'tracks' else 'jets'} per entry); they cannot "
                    f"describe the same {ctx}",
                )
    if p.layout == "eventwise_nested" and "jets" not in refs:
        refs["jets"] = "#jets"
        raw["#jets"] = ak.num(raw[refs["tracks"]], axis=2)
    elif p.layout == "eventwise_nested":
        jn = np.asarray(ak.num(raw[refs["jets"]], axis=1))
        tn = np.asarray(ak.num(raw[refs["tracks"]], axis=1))
        if not np.array_equal(jn, tn):
            _fail(
                path,
                start,
                stop,
                f"jet branch '{refs['jets']}' and track branch '{refs['tracks']}' have "
                "different numbers of jets per event",
            )

    entry_number = np.arange(start, stop, dtype=np.int64)
    try:
        jet_vals = {n: ops.evaluate(d, raw, entry_number) for n, d in p.jets.items()}
        trk_vals = {n: ops.evaluate(d, raw, entry_number) for n, d in p.tracks.items()}
        return _assemble(jet_vals, trk_vals, raw, refs, p, n_entries)
    except JettagError as exc:
        if str(path) in str(exc):
            raise
        _fail(path, start, stop, str(exc))
    except (ValueError, TypeError) as exc:  # awkward broadcasting of mismatched structures
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _fail(
            path,
            start,
            stop,
            f"the mapped branches do not fit together ({type(exc).__name__}: {text})",
        )


def _is_array(v) -> bool:
    return isinstance(v, ak.Array | np.ndarray)


def _broadcast(value, ref):
    if not isinstance(value, ak.Array):
        value = ak.Array(np.asarray(value))
    return ak.broadcast_arrays(value, ref)[0]


def _assemble(jet_vals, trk_vals, raw, refs, p: _Plan, n_entries: int) -> ak.Array:
    layout = p.layout
    # --- jets
    if layout == "jetwise":
        jets = dict(jet_vals)
        n_jets = n_entries
    else:
        ref = raw[refs["jets"]]
        jets = {
            n: ak.flatten(_broadcast(v, ref), axis=1) if _is_array(v) else v
            for n, v in jet_vals.items()
        }
        n_jets = int(ak.sum(ak.num(ref, axis=1)))
    for n, v in jets.items():
        if not _is_array(v):
            jets[n] = ak.Array(np.full(n_jets, v, dtype=JET_FIELDS[n]))
        elif structure(v)[0] != 0:
            raise JettagError(f"{p.key('jets', n)} does not give one number per jet")
        else:
            jets[n] = _cast(v, JET_FIELDS[n])

    # --- tracks
    ref = raw[refs["tracks"]] if "tracks" in refs else None
    keep = None
    if p.filters:
        for b, cmp, value in p.filters:
            m = _COMPARISONS[cmp](raw[b], value)
            keep = m if keep is None else keep & m
    if layout == "eventwise_indexed":
        link = raw[p.link_index]
        njet = np.asarray(ak.num(raw[refs["jets"]], axis=1), dtype=np.int64)
        first = ak.Array(np.cumsum(njet) - njet)
        ok = (link >= 0) & (link < ak.Array(njet))
        keep = ok if keep is None else keep & ok
        gidx = np.asarray(ak.flatten((link + first)[keep]), dtype=np.int64)
        order = np.argsort(gidx, kind="stable")
        counts = np.bincount(gidx, minlength=n_jets)

        def restructure(v):
            flat = np.asarray(ak.flatten(_broadcast(v, ref)[keep]))
            return ak.unflatten(flat[order], counts)
    elif layout == "eventwise_nested":

        def restructure(v):
            v = _broadcast(v, ref)
            if keep is not None:
                v = v[keep]
            return ak.flatten(v, axis=1)
    else:

        def restructure(v):
            v = _broadcast(v, ref)
            return v[keep] if keep is not None else v

    tracks = {}
    shape_ref = None
    for n, v in trk_vals.items():
        if _is_array(v):
            tracks[n] = _cast(restructure(v), TRACK_FIELDS[n])
            if structure(tracks[n])[0] != 1:
                raise JettagError(f"{p.key('tracks', n)} does not give one number per track")
            if shape_ref is None:
                shape_ref = tracks[n]
    for n, v in trk_vals.items():
        if n not in tracks:
            tracks[n] = ak.full_like(shape_ref, v, dtype=TRACK_FIELDS[n])
    tracks = {n: tracks[n] for n in TRACK_FIELDS}
    record = {n: jets[n] for n in JET_FIELDS}
    record["tracks"] = ak.zip(tracks)
    return ak.to_packed(ak.zip(record, depth_limit=1))


def _cast(v, dtype):
    if isinstance(v, np.ndarray):
        v = ak.Array(v)
    with np.errstate(invalid="ignore", over="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if dtype.kind in "iu" and structure(v)[1].startswith("float"):
            # NaN/inf cannot become integers: map them to -1 deterministically
            v = ak.where(np.isfinite(v), v, -1)
        return ak.values_astype(v, dtype)


# ------------------------------------------------------------------------------------------
# public


def read_jets(
    files: list[str], input_spec: dict | None = None, step_size: int = 50000
) -> Iterator[ak.Array]:
    """Yield chunks of jets (awkward Arrays with the canonical fields of docs/architecture.md).

    ``files``: paths or glob patterns. ``input_spec``: a sample's ``input`` section (None: the
    generator's jet-wise branches). ``step_size``: tree entries per chunk (jets for ``jetwise``,
    events otherwise). Chunks with no jets are not yielded; if no file holds any jet, the
    iterator raises JettagError. Values are passed on as read (no selection, NaN kept).
    """
    if not isinstance(step_size, int) or step_size < 1:
        raise JettagError(f"step_size must be a positive integer, got {step_size!r}")
    plan = make_plan(input_spec)
    paths = expand_files(files)
    total = 0
    for path in paths:
        rootfile = open_root(path)
        try:
            tree = get_tree(rootfile, path, plan.tree)
            p = _plan_for_tree(plan, tree, path)
            if tree.num_entries == 0:
                warnings.warn(f"{path}: tree '{p.tree}' is empty; skipped", stacklevel=2)
                continue
            wanted = set(p.branch_users())
            it = tree.iterate(
                filter_name=lambda name, wanted=wanted: name in wanted,
                step_size=step_size,
                library="ak",
                report=True,
            )
            while True:
                try:
                    chunk, report = next(it)
                except StopIteration:
                    break
                except JettagError:
                    raise
                except Exception as exc:
                    raise JettagError(
                        f"{path}: reading tree '{p.tree}' failed, the file may be truncated or "
                        f"corrupt ({type(exc).__name__}: {' '.join(str(exc).split())[:300]})"
                    ) from None
                jets = _build_chunk(chunk, p, path, int(report.tree_entry_start))
                if len(jets):
                    total += len(jets)
                    yield jets
        finally:
            rootfile.close()
    if total == 0:
        names = ", ".join(str(p) for p in paths[:5]) + (" ..." if len(paths) > 5 else "")
        raise JettagError(f"{names}: no jets found in tree '{plan.tree}' (empty input)")


def read_all(files, input_spec: dict | None = None, step_size: int = 50000) -> ak.Array:
    """All jets of ``files`` in one array (small inputs, tests, inspection)."""
    return ak.concatenate(list(read_jets(files, input_spec, step_size)))
