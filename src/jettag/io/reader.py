"""Read ROOT files of any supported layout into jettag's canonical jets record, chunk by chunk.

The layout (``input.layout``: ``jetwise``, ``eventwise_nested``, ``eventwise_indexed``, ...) is an
object of ``jettag.io.layouts.LAYOUTS``: it gives the list depth of each context (event, jets,
tracks) and turns a chunk of checked branches into one value per jet and one list per jet of
track values. This module does what every layout shares: resolve the mapping against the
tree's branches, read, check types, depths and lengths, evaluate the definitions, cast.

Every file is opened and checked on its own, then read with ``TTree.iterate`` in steps of
``step_size`` entries, so memory stays bounded for any number of files and every error names
the file it comes from.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import awkward as ak
import numpy as np

from jettag.cuts import Cuts
from jettag.errors import JettagError
from jettag.io import operations as ops
from jettag.io.files import expand_files
from jettag.io.layouts import LAYOUTS, Layout, RawChunk
from jettag.io.mapping import (
    JET_FIELDS,
    OPTIONAL_TRACK_FIELDS,
    TRACK_FIELDS,
    constituent_cuts,
    resolve_input,
)
from jettag.io.structure import numeric, same_counts, structure

_WHAT = {0: "a number per entry", 1: "a list per entry", 2: "a list of lists per entry"}


# ------------------------------------------------------------------------------------------
# the plan: which definitions, which branches


@dataclass
class _Plan:
    layout: Layout
    tree: str
    jets: dict
    tracks: dict
    explicit: set
    link: dict
    filters: Cuts = field(default_factory=Cuts)  # constituent filter, on branches
    cone: dict = field(default_factory=dict)  # input.cone (Delta R association)
    derived: dict = field(default_factory=dict)  # derived name -> branches it reads (per tree)

    def fields(self):
        for name, d in self.jets.items():
            yield "jets", name, d
        for name, d in self.tracks.items():
            yield "tracks", name, d

    def key(self, section, name) -> str:
        origin = (
            "" if f"{section}.{name}" in self.explicit else f" (default for layout {self.layout.name})"
        )
        return f"input.{section}.{name}{origin}"

    def branch_users(self) -> dict[str, list[tuple[str, str]]]:
        """branch -> [(context, config key)]; context is 'jets' or 'tracks'."""
        users: dict[str, list[tuple[str, str]]] = {}
        for section, name, d in self.fields():
            for b in ops.branches(d):
                users.setdefault(b, []).append((section, self.key(section, name)))
        for key, b in self.link.items():
            users.setdefault(b, []).append((self.layout.link[key], f"input.link.{key}"))
        for cut in self.filters:
            users.setdefault(cut.variable, []).append(("tracks", "input.constituent_filter"))
        return users


def make_plan(input_spec: dict | None) -> _Plan:
    m = resolve_input(input_spec)
    for section in ("jets", "tracks"):
        for name, d in m[section].items():
            ops.validate(d, f"input.{section}.{name}")
    layout = LAYOUTS[m["layout"]]
    link = m["link"] or {}
    if layout.link:
        if set(link) != set(layout.link) or not all(isinstance(v, str) for v in link.values()):
            keys = ", ".join(f"{k}: BRANCH" for k in layout.link)
            raise JettagError(
                f"input.link: layout {layout.name} needs link: {{{keys}}}, {layout.link_help}"
            )
    elif link:
        users = [n for n, lay in LAYOUTS.items() if lay.link]
        raise JettagError(f"input.link: only used by layout(s) {', '.join(users)}, not {layout.name}")
    return _Plan(
        layout=layout,
        tree=m["tree"],
        jets=dict(m["jets"]),
        tracks=dict(m["tracks"]),
        explicit=set(m["explicit"]),
        link=dict(link),
        filters=constituent_cuts(m["constituent_filter"]),
        cone=m["cone"],
    )


def _plan_for_tree(plan: _Plan, tree, path: Path) -> _Plan:
    """Resolve optional fields against this tree's branches; name missing branches."""
    keys = set(tree.keys())
    # branches of a split object are read under their short name ('Jet/Jet.PT' as 'Jet.PT')
    have = keys | {k.rsplit("/", 1)[-1] for k in keys}
    p = _Plan(**{**plan.__dict__, "jets": dict(plan.jets), "tracks": dict(plan.tracks)})
    derivable = dict(p.layout.derived(have))
    have |= set(derivable)
    for name, default in OPTIONAL_TRACK_FIELDS.items():
        d = p.tracks.get(name)
        missing = [b for b in ops.branches(d) if b not in have]
        if missing and f"tracks.{name}" not in p.explicit:
            p.tracks[name] = {"constant": default}
    d = p.jets["eventNumber"]
    if (
        p.layout.per_event
        and "jets.eventNumber" not in p.explicit
        and any(b not in have for b in ops.branches(d))
    ):
        p.jets["eventNumber"] = {"entry_number": True}
    for branch, users in p.branch_users().items():
        if branch in derivable:
            p.derived[branch] = derivable[branch]
            for b in derivable[branch]:
                if b not in have:
                    raise JettagError(
                        f"{path}: tree '{p.tree}' has no branch '{b}', needed by layout "
                        f"{p.layout.name} for '{branch}'"
                    )
            continue
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
# building one chunk


def _fail(path, start, stop, text):
    raise JettagError(f"{path}: entries {start}-{stop - 1}: {text}")


def _build_chunk(chunk: ak.Array, p: _Plan, path: Path, start: int) -> ak.Array:
    n_entries = len(chunk)
    stop = start + n_entries
    layout = p.layout
    depth_of = layout.depth
    users = p.branch_users()
    raw = {}
    depth: dict[str, int] = {}
    derived = {}
    if p.derived:
        names = [b for b in users if b in p.derived]
        try:
            derived = p.layout.derive(names, _ChunkFields(chunk))
        except JettagError as exc:
            _fail(path, start, stop, str(exc))
    for b, who in users.items():
        arr = derived[b] if b in derived else _field(chunk, b)
        d, kind = structure(arr)
        want = min(depth_of[c] for c, _ in who)
        keys = ", ".join(sorted({k for c, k in who if depth_of[c] == want}))
        if not numeric(kind):
            _fail(path, start, stop, f"branch '{b}' holds {kind} values, not numbers ({keys})")
        if d > want:
            _fail(
                path,
                start,
                stop,
                f"branch '{b}' is nested {d} deep ({ak.type(arr)}), but {keys} needs "
                f"{_WHAT.get(want, want)} for layout {layout.name}",
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
            if ctx == "jets" and layout.jets_from_tracks:
                continue
            _fail(
                path,
                start,
                stop,
                f"no branch mapped by input.{ctx} is {_WHAT[want]} as layout {layout.name} needs",
            )
        refs[ctx] = full[0]
        for b in full[1:]:
            if not same_counts(raw[full[0]], raw[b], want):
                _fail(
                    path,
                    start,
                    stop,
                    f"branches '{full[0]}' and '{b}' have different lengths (numbers of "
                    f"{'tracks' if ctx == 'tracks' else 'jets'} per entry); they cannot "
                    f"describe the same {ctx}",
                )

    entry_number = np.arange(start, stop, dtype=np.int64)
    try:
        keep = p.filters(raw) if len(p.filters) else None
        raw_chunk = RawChunk(raw=raw, refs=refs, keep=keep, link=p.link, n_entries=n_entries, cone=p.cone)
        layout.check(raw_chunk)
        jet_vals = {n: ops.evaluate(d, raw, entry_number) for n, d in p.jets.items()}
        trk_vals = {n: ops.evaluate(d, raw, entry_number) for n, d in p.tracks.items()}
        return _assemble(jet_vals, trk_vals, raw_chunk, p)
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


def _field(chunk: ak.Array, name: str):
    """A branch of a chunk read by ``iterate``: split objects' branches are named by their
    last path component."""
    return chunk[name] if name in chunk.fields else chunk[name.rsplit("/", 1)[-1]]


class _ChunkFields:
    def __init__(self, chunk: ak.Array):
        self.chunk = chunk

    def __getitem__(self, name: str):
        return _field(self.chunk, name)

    def __contains__(self, name: str) -> bool:
        return name in self.chunk.fields or name.rsplit("/", 1)[-1] in self.chunk.fields


def _is_array(v) -> bool:
    return isinstance(v, ak.Array | np.ndarray)


def _assemble(jet_vals, trk_vals, chunk: RawChunk, p: _Plan) -> ak.Array:
    layout = p.layout
    n_jets = layout.n_jets(chunk)
    jets = {}
    for n, v in jet_vals.items():
        if not _is_array(v):
            jets[n] = ak.Array(np.full(n_jets, v, dtype=JET_FIELDS[n]))
            continue
        v = layout.jet_values(v, chunk)
        if structure(v)[0] != 0:
            raise JettagError(f"{p.key('jets', n)} does not give one number per jet")
        jets[n] = _cast(v, JET_FIELDS[n])

    lists = layout.track_lists(chunk)
    tracks = {}
    shape_ref = None
    for n, v in trk_vals.items():
        if _is_array(v):
            tracks[n] = _cast(lists(v), TRACK_FIELDS[n])
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
        rootfile, tree = plan.layout.open(path, plan.tree)
        try:
            p = _plan_for_tree(plan, tree, path)
            if tree.num_entries == 0:
                warnings.warn(f"{path}: tree '{p.tree}' is empty; skipped", stacklevel=2)
                continue
            wanted = set(p.branch_users()) - set(p.derived)
            wanted |= {b for bs in p.derived.values() for b in bs}
            wanted |= {k for k in tree.keys() if k.rsplit("/", 1)[-1] in wanted}
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
