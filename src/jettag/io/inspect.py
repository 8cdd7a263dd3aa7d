"""``jettag inspect FILE``: list a ROOT file's trees and branches, guess the layout and propose an
``input`` mapping (to paste under a sample in the config and then check by hand).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from jettag.features import HIT_FIELDS
from jettag.io.files import expand_files, open_root, trees_in
from jettag.io.layouts import LAYOUTS
from jettag.io.layouts.names import JETTY, TRACKY, list_depth, name_ends
from jettag.io.mapping import JET_FIELDS, TRACK_FIELDS

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


def propose_mapping(tree, types: dict[str, str]) -> tuple[dict, list[str]]:
    """(proposed ``input`` section, notes) for one tree."""
    layout = LAYOUTS[guess_layout(types)]
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


def inspect_file(file: Path) -> None:
    """Print trees, branches (type, entries), the guessed layout and a proposed ``input``."""
    path = expand_files([file])[0]
    rootfile = open_root(path)
    trees = trees_in(rootfile)
    print(f"{path}")
    if not trees:
        print("  no TTree or RNTuple in this file")
        return
    best = None
    for name in trees:
        tree = rootfile[name]
        types = _branch_table(tree)
        print(f"\ntree '{name}': {tree.num_entries} entries, {len(types)} branches")
        width = max((len(n) for n in types), default=0)
        for n, t in types.items():
            print(f"  {n:<{width}}  {t}")
        score = len(types)
        if best is None or score > best[0]:
            best = (score, name, tree, types)
    _, name, tree, types = best
    proposal, notes = propose_mapping(tree, types)
    print(f"\nguessed layout of tree '{name}': {proposal['layout']}")
    print("\n# proposed mapping: paste under samples.<name>.input, then check every line")
    for note in notes:
        print(f"# note: {note}")
    print(yaml.safe_dump({"input": proposal}, sort_keys=False, default_flow_style=None, width=100))
