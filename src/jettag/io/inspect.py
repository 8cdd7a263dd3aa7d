"""``jettag inspect FILE``: list a ROOT file's trees and branches, guess the layout and propose an
``input`` mapping (to paste under a sample in the config and then check by hand).
"""

from __future__ import annotations

import copy
from pathlib import Path

import awkward as ak
import h5py
import numpy as np
import yaml

from jettag.errors import JettagError
from jettag.features import HIT_FIELDS
from jettag.io import operations as ops
from jettag.io.files import expand_files, open_root, trees_in
from jettag.io.layouts import LAYOUTS
from jettag.io.layouts.names import JETTY, TRACKY, list_depth, name_ends
from jettag.io.mapping import JET_FIELDS, OPTIONAL_TRACK_FIELDS, TRACK_FIELDS

#: Name endings (lower case, after the last '_' or the whole name) per canonical variable.
JET_ALIASES: dict[str, tuple[str, ...]] = {
    "pt": ("pt",),
    "eta": ("eta",),
    "phi": ("phi",),
    "label": (
        "hadronconeexcltruthlabelid",
        "hadronflavour",
        "truthflavour",
        "truthlabel",
        "flavour",
        "flavor",
        "partonflavour",
    ),
    "eventNumber": ("eventnumber", "event", "evt", "evtnum"),
}
TRACK_ALIASES: dict[str, tuple[str, ...]] = {
    "pt": ("pt",),
    "eta": ("eta",),
    "phi": ("phi",),
    "charge": ("charge", "q"),
    "d0": ("d0", "dxy", "ip2d", "ip_d0"),
    "z0SinTheta": ("z0sintheta", "z0sinth", "dz", "z0"),
    "sigma_d0": ("sigma_d0", "d0err", "dxyerr", "d0_err", "d0_sigma", "ip2d_err", "errd0"),
    "sigma_z0SinTheta": (
        "sigma_z0sintheta",
        "z0sinthetaerr",
        "dzerr",
        "z0err",
        "sigma_z0",
        "errz0",
    ),
    **{h: (h.lower(), h.lower().replace("numberof", "n")) for h in HIT_FIELDS},
    "truthOrigin": ("truthorigin", "origin"),
}
_NO_JET_NEEDED = {"label", "eventNumber"}


def _find(names, aliases, want_depth, depth, context) -> str | None:
    for alias in aliases:
        hits = [n for n in names if name_ends(n, alias) and depth[n] == want_depth]
        if context == "tracks":
            hits = [n for n in hits if TRACKY.search(n)]
        elif context == "jets":
            hits = [n for n in hits if JETTY.search(n) and not TRACKY.search(n)]
        if hits:
            return sorted(hits, key=lambda n: (len(n), n))[0]
    return None


def _branch_table(tree) -> dict[str, str]:
    out = {}
    for name in tree.keys():
        try:
            typename = tree[name].typename
        except Exception:  # RNTuple fields and odd branches
            typename = "?"
        out[name] = str(typename)
    return out


def guess_layout(types: dict[str, str]) -> str:
    """The layout whose ``detect`` scores ``types`` highest (ties: ``LAYOUTS`` order)."""
    return max(LAYOUTS.values(), key=lambda layout: layout.detect(types)).name


def _layout_mapping(layout, tree, types: dict[str, str]) -> tuple[dict, list[str]] | None:
    """The layout's own default mapping for formats with fixed names (PHYSLITE, Delphes, FTAG
    HDF5), recognised by ``detect`` >= 5; variables whose branches are missing become TODO."""
    if not layout.defaults.get("tracks") or layout.detect(types) < 5:
        return None
    keys = set(types)
    have = keys | {k.rsplit("/", 1)[-1] for k in keys}
    derived = layout.derived(have)
    have |= set(derived)
    d = copy.deepcopy(dict(layout.defaults))
    notes: list[str] = []
    for section in ("jets", "tracks"):
        for field, definition in d[section].items():
            used = ops.branches(definition)
            used += [b for u in used for b in derived.get(u, ())]
            missing = [b for b in used if b not in have]
            if missing and not (section == "tracks" and field in OPTIONAL_TRACK_FIELDS):
                d[section][field] = "TODO"
                notes.append(f"{section}.{field}: no branch {missing[0]} in this file; set it by hand")
    proposal = {"layout": layout.name, "tree": tree.name, "jets": d["jets"], "tracks": d["tracks"]}
    if d.get("link"):
        proposal["link"] = d["link"]
    notes += list(getattr(layout, "inspect_notes", ()))
    return proposal, notes


def propose_mapping(tree, types: dict[str, str]) -> tuple[dict, list[str]]:
    """(proposed ``input`` section, notes) for one tree."""
    layout = LAYOUTS[guess_layout(types)]
    own = _layout_mapping(layout, tree, types)
    if own is not None:
        return own
    names = list(types)
    depth = {n: list_depth(t) for n, t in types.items()}
    jet_depth, trk_depth = layout.depth["jets"], layout.depth["tracks"]
    notes: list[str] = []
    jets: dict = {}
    for field in JET_FIELDS:
        ctx = None if field in _NO_JET_NEEDED else "jets"
        want = 0 if field == "eventNumber" else jet_depth
        found = _find(names, JET_ALIASES[field], want, depth, ctx)
        if found is None and field == "eventNumber":
            notes.append("eventNumber: no branch found, the entry number is used")
            continue
        if found is None:
            jets[field] = "TODO"
            notes.append(f"jets.{field}: no branch found; set it by hand")
        else:
            jets[field] = found
    tracks: dict = {}
    link_index = None
    if "index" in layout.link:
        link_index = sorted(
            (n for n in names if n.lower().endswith("_jetidx")),
            key=lambda n: (not TRACKY.search(n[: -len("jetIdx")]), len(n), n),
        )[0]
        prefix = link_index[: -len("jetIdx")]
        pool = [n for n in names if n.startswith(prefix)]
    else:
        pool = names
    for field in TRACK_FIELDS:
        found = _find(
            pool,
            TRACK_ALIASES[field],
            trk_depth,
            depth,
            None if link_index else "tracks",
        )
        if found is None:
            if field in HIT_FIELDS:
                tracks[field] = {"constant": 0}
            elif field == "truthOrigin":
                tracks[field] = {"constant": -1}
            else:
                tracks[field] = "TODO"
                notes.append(f"tracks.{field}: no branch found; set it by hand")
            continue
        tracks[field] = found
    missing_hits = [h for h in HIT_FIELDS if tracks[h] == {"constant": 0}]
    if missing_hits:
        notes.append(
            f"no hit-count branches for {len(missing_hits)} of 8 hit fields: set to 0; "
            "adapt preprocess.tracks hit cuts or give constants of a good track"
        )
    # units (the layout's default length unit) and derived variables
    d0_default = layout.defaults["tracks"]["d0"]
    length_unit = d0_default.get("unit") if isinstance(d0_default, dict) else None
    trk_eta = tracks.get("eta") if isinstance(tracks.get("eta"), str) else None
    for field in ("d0", "z0SinTheta", "sigma_d0", "sigma_z0SinTheta"):
        b = tracks[field]
        if not isinstance(b, str) or b == "TODO":
            continue
        low = b.lower()
        is_dz = any(low.endswith(s) for s in ("dz", "dzerr", "z0", "z0err", "sigma_z0", "errz0"))
        d: dict = {"branch": b}
        if field.startswith(("z0", "sigma_z0")) and is_dz and trk_eta:
            d = {"divide": [b, {"cosh": trk_eta}]}
            notes.append(f"tracks.{field}: z0 sin(theta) = {b} / cosh({trk_eta})")
        if length_unit:
            d["unit"] = length_unit
        tracks[field] = d if len(d) > 1 or "divide" in d else b
    if length_unit:
        notes.append(
            f"lengths assumed in {length_unit} (the {layout.name} default): check the file's "
            "documentation"
        )
    pt_unit = _guess_mev(tree, jets.get("pt"))
    if pt_unit:
        jets["pt"] = {"branch": jets["pt"], "unit": "MeV"}
        if isinstance(tracks.get("pt"), str) and tracks["pt"] != "TODO":
            tracks["pt"] = {"branch": tracks["pt"], "unit": "MeV"}
        notes.append("jet pT values look like MeV: unit MeV proposed")
    proposal: dict = {"layout": layout.name, "tree": tree.name, "jets": jets, "tracks": tracks}
    if link_index:
        proposal["link"] = {"index": link_index}
        charge = tracks.get("charge")
        flt = []
        if isinstance(charge, str) and charge != "TODO":
            flt.append({"charge_nonzero": charge})
        sd0 = tracks.get("sigma_d0")
        sd0 = sd0.get("branch") if isinstance(sd0, dict) else sd0
        if isinstance(sd0, str) and sd0 != "TODO":
            flt.append({"branch": sd0, "op": ">", "value": 0})
        if flt:
            proposal["constituent_filter"] = flt[0] if len(flt) == 1 else {"all": flt}
    return proposal, notes


def _guess_mev(tree, branch) -> bool:
    if not isinstance(branch, str) or branch == "TODO":
        return False
    try:
        import awkward as ak

        arr = tree[branch].array(entry_stop=min(tree.num_entries, 500), library="ak")
        flat = np.asarray(ak.flatten(arr, axis=None), dtype=float)
    except Exception:
        return False
    flat = flat[np.isfinite(flat)]
    return bool(flat.size) and float(np.median(flat)) > 1000.0


def _score(types: dict[str, str]) -> tuple[float, int]:
    return max(layout.detect(types) for layout in LAYOUTS.values()), len(types)


def _trial_read(path: Path, proposal: dict) -> str:
    """One line: what the proposed mapping reads from the first entries, or why it fails."""
    todo = [f"{section}.{k}" for section in ("jets", "tracks")
            for k, v in proposal.get(section, {}).items() if v == "TODO"]
    tracks = proposal.get("tracks", {})
    if tracks and all(v == "TODO" or ops.is_constant(v) for v in tracks.values()):
        return "this file cannot serve as it is: no track-level inputs in this file"
    if todo:
        return f"the mapping is incomplete: no branch found for {', '.join(todo)}; set them by hand"
    from jettag.io.reader import read_jets

    try:
        chunk = next(read_jets([str(path)], proposal, step_size=200))
    except JettagError as exc:
        return f"the proposed mapping does not read: {exc}"
    n_trk = int(np.sum(np.asarray(ak.num(chunk.tracks))))
    labels, counts = np.unique(np.asarray(chunk.label), return_counts=True)
    flav = ", ".join(f"{lab}: {n}" for lab, n in zip(labels.tolist(), counts.tolist(), strict=True))
    return (f"first chunk read: {len(chunk)} jets (labels {flav}), {n_trk} tracks "
            f"({n_trk / max(len(chunk), 1):.1f} per jet)")


def inspect_file(file: Path, branches: bool = False) -> None:
    """Print the trees, the recognised format, the jet and track collections and a proposed
    ``input`` mapping on one screen; ``branches``: also every branch with its type."""
    path = expand_files([file])[0]
    print(f"{path}")
    if h5py.is_hdf5(path):
        _inspect_hdf5(path, branches)
        return
    rootfile = open_root(path)
    trees = trees_in(rootfile)
    if not trees:
        print("  no TTree or RNTuple in this file")
        return
    best = None
    for name in trees:
        tree = rootfile[name]
        types = _branch_table(tree)
        print(f"  tree '{name}': {tree.num_entries} entries, {len(types)} branches")
        if branches:
            width = max((len(n) for n in types), default=0)
            for n, t in types.items():
                print(f"    {n:<{width}}  {t}")
        score = _score(types)
        if best is None or score > best[0]:
            best = (score, name, tree, types)
    _, name, tree, types = best
    _print_proposal(path, name, tree, types, branches)


def _inspect_hdf5(path: Path, branches: bool) -> None:
    from jettag.io.ftag_hdf5 import FtagTree

    tree = FtagTree(path)
    types = {k: "var * number" if k.startswith("tracks.") else "number" for k in tree.keys()}
    print(f"  HDF5: dataset 'jets': {tree.num_entries} jets, {len(tree.jet_fields)} fields; "
          f"'tracks': {len(tree.track_fields)} fields")
    if branches:
        for n in tree.keys():
            print(f"    {n}")
    _print_proposal(path, tree.name, tree, types, branches)


def _print_proposal(path: Path, name: str, tree, types: dict, branches: bool) -> None:
    proposal, notes = propose_mapping(tree, types)
    print(f"\nformat of tree '{name}': {proposal['layout']}")
    print(f"# {_trial_read(path, proposal)}")
    print("# proposed mapping: paste under samples.<name>.input, then check every line")
    for note in notes:
        print(f"# note: {note}")
    print(yaml.safe_dump({"input": proposal}, sort_keys=False, default_flow_style=None, width=100))
    if not branches:
        print("# (jettag inspect --branches FILE lists every branch)")
