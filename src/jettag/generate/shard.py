"""One shard: Pythia batches -> jets, truth, tracks, detector emulation -> ROOT (atomically)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from jettag.atomic import atomic_path
from jettag.config import resolve
from jettag.errors import JettagError
from jettag.generate import jets as jetmod
from jettag.generate import pileup, presets, pythia, reco, truth
from jettag.generate.writer import JetWriter

BATCH_SIZE = 250
EVENTS_PER_SHARD_MAX = 10_000_000  # eventNumber = shard * 10^7 + index
JET_R, JET_PT_MIN, JET_ETA_MAX = 0.4, 20.0, 2.5


def resolve_spec(spec: dict | None) -> dict:
    """Fill defaults of a sample's ``generator`` section (validation errors are JettagErrors)."""
    cfg = resolve({"samples": {"s": {"generator": dict(spec or {})}}, "train_sample": "s"}, "generator spec")
    out = cfg["samples"]["s"]["generator"]
    out["detector"], out["pileup"] = presets.resolve_detector(out.get("detector"), out.get("pileup"))
    return out


class ChargeTable:
    """PDG id -> charge, looked up once per id from Pythia's particle data."""

    def __init__(self, particle_data):
        self._pd = particle_data
        self._cache: dict[int, float] = {}

    def __call__(self, pid: np.ndarray) -> np.ndarray:
        uniq, inv = np.unique(pid, return_inverse=True)
        for u in uniq.tolist():
            if u not in self._cache:
                self._cache[u] = float(self._pd.charge(u))
        return np.array([self._cache[u] for u in uniq.tolist()])[inv]


def _eta_phi_pt(px, py, pz):
    pt = np.hypot(px, py)
    return np.arcsinh(pz / np.maximum(pt, 1e-12)), np.arctan2(py, px), pt


def process_batch(parts: pythia.Particles, ctx: reco.BatchContext, charge_of, first_event: int):
    """Everything after generation for one batch. Returns (jet dict, track counts, track dict).

    Jets are clustered from the hard scatter's visible particles only; tracks come from every
    vertex (jettag.generate.reco)."""
    jets = jetmod.cluster(parts, JET_R, JET_PT_MIN)
    kind = truth.heavy_flavour(parts.id)
    weak = truth.weak_decays(parts, kind)
    h_eta, h_phi, h_pt = _eta_phi_pt(parts.px[weak], parts.py[weak], parts.pz[weak])
    labels, had_jet = truth.hadron_cone_labels(
        jets.event, jets.eta, jets.phi, parts.event[weak], h_eta, h_phi, h_pt, kind[weak]
    )
    keep = np.abs(jets.eta) < JET_ETA_MAX
    new_index = np.cumsum(keep) - 1
    had_jet = np.where(had_jet >= 0, np.where(keep[np.maximum(had_jet, 0)], new_index[np.maximum(had_jet, 0)], -1), -1)
    labels = labels[keep]
    jets = jets.select(keep)
    n_jets = len(jets)
    j_eta, j_phi, j_pt = jets.eta, jets.phi, jets.pt

    counts, tracks, _ = reco.reconstruct(parts, jets, charge_of, kind, ctx)

    jet_out = {
        "eventNumber": first_event + jets.event,
        "jet_pt": j_pt, "jet_eta": j_eta, "jet_phi": j_phi, "jet_m": jets.m,
        "HadronConeExclTruthLabelID": labels,
    }
    for name, flav in (("b", truth.B), ("c", truth.C)):
        jet_out.update(_hadron_branches(parts, weak, h_pt, h_eta, h_phi, kind[weak], had_jet, n_jets, flav, name))
    return jet_out, counts, tracks


def _hadron_branches(parts, weak, h_pt, h_eta, h_phi, h_kind, had_jet, n_jets, flav, name):
    """Leading (highest-pT) hadron of flavour ``flav`` given to each jet: kinematics and decay vertex."""
    out = {f"jet_{name}Hadron_{q}": np.full(n_jets, np.nan) for q in ("pt", "eta", "phi", "m", "decayX", "decayY", "decayZ")}
    sel = np.flatnonzero((had_jet >= 0) & (h_kind == flav))
    if len(sel) == 0:
        return out
    order = np.lexsort((-h_pt[sel], had_jet[sel]))
    sel = sel[order]
    first = np.ones(len(sel), dtype=bool)
    first[1:] = had_jet[sel][1:] != had_jet[sel][:-1]
    sel = sel[first]
    j = had_jet[sel]
    h = weak[sel]
    dau = parts.daughter1[h]  # decay vertex = production vertex of the first daughter
    out[f"jet_{name}Hadron_pt"][j] = h_pt[sel]
    out[f"jet_{name}Hadron_eta"][j] = h_eta[sel]
    out[f"jet_{name}Hadron_phi"][j] = h_phi[sel]
    out[f"jet_{name}Hadron_m"][j] = parts.m[h]
    out[f"jet_{name}Hadron_decayX"][j] = parts.x[dau]
    out[f"jet_{name}Hadron_decayY"][j] = parts.y[dau]
    out[f"jet_{name}Hadron_decayZ"][j] = parts.z[dau]
    return out


def _runs(spec: dict, shard: int) -> list[tuple[int, float | None, int]]:
    """(seed, Z' mass or None, number of events) of each Pythia instance of this shard."""
    if spec["process"] == "zprime":
        masses = spec["zprime_masses"]
        counts = pythia.split_events(spec["n_events"], len(masses))
        return [(pythia.shard_seed(spec["seed"], shard, k), float(m), n)
                for k, (m, n) in enumerate(zip(masses, counts, strict=True)) if n > 0]
    return [(pythia.shard_seed(spec["seed"], shard), None, spec["n_events"])]


def _check(spec: dict, shard: int, output: Path) -> None:
    if spec["process"] not in pythia.PROCESSES:
        raise JettagError(f"generator: unknown process '{spec['process']}'; choose one of {list(pythia.PROCESSES)}")
    if not isinstance(spec["n_events"], int) or spec["n_events"] < 1:
        raise JettagError(f"generator: n_events must be a positive integer, got {spec['n_events']!r}")
    if spec["n_events"] > EVENTS_PER_SHARD_MAX:
        raise JettagError(f"generator: n_events {spec['n_events']} exceeds {EVENTS_PER_SHARD_MAX} per shard; use more shards")
    if shard < 0:
        raise JettagError(f"generator: shard must be >= 0, got {shard}")
    parent = output.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise JettagError(f"generator: cannot write {output}: {parent} is not a writable directory")


def generate_shard(spec: dict, shard: int, output: Path, no_progress: bool = False) -> None:
    """Generate shard ``shard`` of a sample described by its ``generator`` config section into the
    ROOT file ``output`` (written atomically). Deterministic in (spec, shard)."""
    output = Path(output)
    spec = dict(spec or {})
    if "n_events" in spec and isinstance(spec["n_events"], int) and spec["n_events"] < 1:
        raise JettagError(f"generator: n_events must be a positive integer, got {spec['n_events']}")
    if "process" in spec and spec["process"] not in pythia.PROCESSES:
        raise JettagError(f"generator: unknown process '{spec['process']}'; choose one of {list(pythia.PROCESSES)}")
    spec = resolve_spec(spec)
    _check(spec, int(shard), output)
    det, pu = spec["detector"], spec["pileup"]
    rng = np.random.default_rng([int(spec["seed"]), int(shard), 0x6A657474])
    library = None
    if pu["mu"] > 0:
        library = pileup.make_library(pu["library_size"], pu["pt_min"], spec["sqrt_s"],
                                      pythia.shard_seed(spec["seed"], int(shard), 1000))
    ctx = reco.BatchContext(det, float(pu["mu"]), library, rng)
    from tqdm import tqdm

    try:
        with atomic_path(output) as tmp, JetWriter(tmp) as writer, tqdm(
            total=spec["n_events"], disable=no_progress, file=sys.stderr, unit="ev",
            desc=f"generate shard {shard}",
        ) as bar:
            done = 0
            for seed, mass, n_run in _runs(spec, int(shard)):
                py = pythia.make_pythia(spec["process"], spec["sqrt_s"], seed, mass)
                charge_of = ChargeTable(py.particleData)
                left = n_run
                while left > 0:
                    n = min(BATCH_SIZE, left)
                    parts = pythia.next_batch(py, n)
                    first = int(shard) * EVENTS_PER_SHARD_MAX + done
                    writer.extend(*process_batch(parts, ctx, charge_of, first))
                    done += parts.n_events
                    left -= n
                    bar.update(n)
    except PermissionError as exc:
        raise JettagError(f"generator: cannot write {output}: {exc.strerror}") from None
