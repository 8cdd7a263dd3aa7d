"""Pile-up: a per-shard minimum-bias library generated once with Pythia, overlaid on every event.

The library holds ``library_size`` non-diffractive pp events (``SoftQCD:nonDiffractive``; diffractive
events add few central tracks, and their initialisation costs seconds), of which only the
charged final-state particles with pT > ``pt_min`` GeV and |eta| < 2.5 are kept (what can become a
track). Each hard event gets Poisson(``mu``) pile-up interactions, drawn from the library with
replacement, each placed at its own point of the luminous region (jettag.generate.vertex),
rotated by a random azimuth and mirrored in z with probability 1/2. A library event is therefore
reused about ``n_events * mu / library_size`` times per shard, each time at another position and
orientation. Pile-up particles are tracks only: jets are clustered from the hard scatter alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jettag.errors import JettagError
from jettag.flavours import ORIGIN_INDEX
from jettag.generate import pythia
from jettag.generate.candidates import Candidates
from jettag.generate.vertex import beamspot

ABS_ETA_MAX = 2.5
LEPTONS = (11, 13)


@dataclass(frozen=True)
class Library:
    """Flat charged particles of the library events; event ``k`` is ``offsets[k]:offsets[k+1]``."""

    offsets: np.ndarray
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    charge: np.ndarray
    hadron: np.ndarray
    eta: np.ndarray
    phi: np.ndarray

    @property
    def n_events(self) -> int:
        return len(self.offsets) - 1


def make_library(size: int, pt_min: float, sqrt_s: float, seed: int, charge_of=None) -> Library:
    """Generate ``size`` minimum-bias events with Pythia and keep their trackable particles."""
    import pythia8mc

    py = pythia8mc.Pythia("", False)
    for s in (*pythia._COMMON, f"Random:seed = {int(seed)}", f"Beams:eCM = {float(sqrt_s)}",
              "SoftQCD:nonDiffractive = on"):
        if not py.readString(s):
            raise JettagError(f"generator.pileup: Pythia rejected the setting '{s}'")
    if not py.init():
        raise JettagError("generator.pileup: Pythia failed to initialise the minimum-bias process")
    if charge_of is None:
        charge_of = _charges(py.particleData)
    parts = pythia.next_batch(py, size)
    final = np.flatnonzero(parts.status > 0)
    charge = charge_of(parts.id[final])
    pt = parts.pt[final]
    eta = np.arcsinh(parts.pz[final] / np.maximum(pt, 1e-12))
    sel = (charge != 0) & (pt > pt_min) & (np.abs(eta) < ABS_ETA_MAX)
    keep = final[sel]
    counts = np.bincount(parts.event[keep], minlength=parts.n_events)
    offsets = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    px, py, pz = parts.px[keep], parts.py[keep], parts.pz[keep]
    return Library(offsets, parts.x[keep], parts.y[keep], parts.z[keep], px, py, pz, charge[sel],
                   ~np.isin(np.abs(parts.id[keep]), LEPTONS), np.arcsinh(pz / np.hypot(px, py)), np.arctan2(py, px))


def _charges(particle_data):
    """PDG ids -> charges (float64), one particle-data look-up per distinct id."""
    def charge_of(pid: np.ndarray) -> np.ndarray:
        uniq, inv = np.unique(pid, return_inverse=True)
        return np.array([float(particle_data.charge(int(u))) for u in uniq.tolist()], dtype=float)[inv]
    return charge_of


def overlay(lib: Library, n_events: int, mu: float, det: dict, rng: np.random.Generator, keep=None) -> Candidates:
    """Pile-up candidates of ``n_events`` hard events (event index 0..n_events-1).

    ``keep(event, eta, phi) -> bool mask``, if given, selects the particles worth emulating
    before the rest of their fields are gathered (the overlay's cost is mostly memory traffic)."""
    n_pu = rng.poisson(mu, n_events) if mu > 0 else np.zeros(n_events, np.int64)
    total = int(n_pu.sum())
    if total == 0 or lib.n_events == 0:
        return Candidates.make(*(np.zeros(0),) * 8, ORIGIN_INDEX["pileup"], np.zeros(0), np.zeros(0, bool))
    vtx_event = np.repeat(np.arange(n_events), n_pu)
    pick = rng.integers(0, lib.n_events, total)
    bx, by, bz = beamspot(total, det, rng)
    angle = rng.uniform(0.0, 2.0 * np.pi, total)
    flip = np.where(rng.random(total) < 0.5, -1.0, 1.0)
    counts = np.diff(lib.offsets)[pick]
    owner = np.repeat(np.arange(total), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    src = np.repeat(lib.offsets[pick], counts) + (np.arange(counts.sum()) - start)
    if keep is not None:
        phi = (lib.phi[src] + angle[owner] + np.pi) % (2.0 * np.pi) - np.pi
        sel = np.flatnonzero(keep(vtx_event[owner], flip[owner] * lib.eta[src], phi))
        owner, src = owner[sel], src[sel]
    c, s = np.cos(angle)[owner], np.sin(angle)[owner]

    def rot(a, b):
        return c * a - s * b, s * a + c * b

    x, y = rot(lib.x[src], lib.y[src])
    px, py = rot(lib.px[src], lib.py[src])
    f = flip[owner]
    return Candidates.make(vtx_event[owner], x + bx[owner], y + by[owner], f * lib.z[src] + bz[owner],
                           px, py, f * lib.pz[src], lib.charge[src], ORIGIN_INDEX["pileup"], None, lib.hadron[src])
