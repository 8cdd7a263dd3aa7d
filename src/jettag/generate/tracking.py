"""Track reconstruction emulation: pT- and eta-dependent efficiency, losses from merged pixel
clusters in dense jet cores, and fake tracks.

* Efficiency: eff(pT, eta) = e(|eta|) * (1 - ``efficiency_low_pt_loss`` * exp(-(pT - 0.5) /
  ``efficiency_low_pt_scale``)), with e linear in |eta| from ``efficiency_central`` (eta = 0) to
  ``efficiency_forward`` (|eta| = 2.5).
* Merged clusters: two hits on the same one of the innermost ``merge_layers`` pixel layers closer
  than ``merge_distance_rphi`` (R dphi) and ``merge_distance_z`` are one merged cluster. It
  counts as a shared hit of both tracks, and each track with a merged cluster is lost with
  probability ``merge_loss``.
* Fakes: Poisson(``fake_fraction`` * number of candidates) per event, uniform in phi and in
  |eta| < 2.5, pT = 0.5 GeV + exponential(1 GeV), with d0 ~ N(0, ``fake_d0_sigma``) and z0 ~
  N(z_PV, ``fake_z0_sigma``) (broad impact parameters: random hit combinations).
"""

from __future__ import annotations

import numpy as np

from jettag.flavours import ORIGIN_INDEX
from jettag.generate import detector
from jettag.generate.candidates import Candidates

ABS_ETA_MAX = 2.5


def efficiency(pt, eta, det: dict) -> np.ndarray:
    frac = np.clip(np.abs(eta) / ABS_ETA_MAX, 0.0, 1.0)
    e_eta = det["efficiency_central"] + (det["efficiency_forward"] - det["efficiency_central"]) * frac
    low = det["efficiency_low_pt_loss"] * np.exp(-np.maximum(pt - 0.5, 0.0) / det["efficiency_low_pt_scale"])
    return e_eta * (1.0 - low)


def efficient(c: Candidates, det: dict, rng: np.random.Generator) -> np.ndarray:
    """bool mask of candidates found by the track reconstruction (no draw when eff == 1)."""
    eff = efficiency(c.pt, c.eta, det)
    if np.all(eff >= 1.0):
        return np.ones(len(c), bool)
    return rng.random(len(c)) < eff


def merged_clusters(event, hit, phi, z, radii, d_rphi: float, d_z: float, n_layers: int,
                    neighbours: int = 8) -> np.ndarray:
    """(n, n_layers) bool: the track's hit on layer l is within (d_rphi, d_z) of another track's
    hit in the same event (:func:`jettag.generate.detector.neighbour_pairs`)."""
    out = np.zeros((hit.shape[0], n_layers), bool)
    if d_rphi <= 0 or d_z <= 0:
        return out
    for layer, a, b, rdphi, dz in detector.neighbour_pairs(event, hit, phi, z, radii, n_layers, neighbours):
        close = (np.abs(rdphi) < d_rphi) & (np.abs(dz) < d_z)
        out[a[close], layer] = True
        out[b[close], layer] = True
    return out


def fakes(n_candidates_per_event: np.ndarray, pv_z: np.ndarray, det: dict, rng: np.random.Generator) -> Candidates:
    """Fake tracks, produced at their point of closest approach so that their perigee is (d0, z0)."""
    rate = det["fake_fraction"]
    n = rng.poisson(rate * n_candidates_per_event) if rate > 0 else np.zeros(len(pv_z), np.int64)
    event = np.repeat(np.arange(len(n_candidates_per_event)), n)
    m = len(event)
    phi = rng.uniform(-np.pi, np.pi, m)
    eta = rng.uniform(-ABS_ETA_MAX, ABS_ETA_MAX, m)
    pt = 0.5 + rng.exponential(1.0, m)
    d0 = rng.standard_normal(m) * det["fake_d0_sigma"]
    z0 = pv_z[event] + rng.standard_normal(m) * det["fake_z0_sigma"]
    charge = np.where(rng.random(m) < 0.5, -1.0, 1.0)
    return Candidates.make(event, -d0 * np.sin(phi), d0 * np.cos(phi), z0, pt * np.cos(phi), pt * np.sin(phi),
                           pt * np.sinh(eta), charge, ORIGIN_INDEX["fake"], None, np.zeros(m, bool))
