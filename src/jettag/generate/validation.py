"""Summary statistics for comparing a sample's tracks with real simulation, per jet flavour.

For jets of one flavour: mean tracks per jet (pT > 1 GeV), per-track fractions with sd0 > 3,
sd0 < -3 and |sz0| > 3, and the fraction of jets with >= 2 tracks of sd0 > 3, each with its
binomial (or Poisson, for the mean) error. Tracks are those with pT > ``TRACK_PT_MIN`` GeV,
|d0| < 3.5 mm and |z0 sin(theta)| < 5 mm (the loose part of r22default that every file can apply).
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np

from jettag.preprocess.derived import signed_d0_significance, signed_z0_significance

TRACK_PT_MIN = 1.0
ABS_D0_MAX, ABS_Z0ST_MAX = 3.5, 5.0


@dataclass(frozen=True)
class Summary:
    n_jets: int
    n_tracks: int
    tracks_per_jet: tuple[float, float]  # (value, error)
    frac_sd0_gt3: tuple[float, float]
    frac_sd0_lt_m3: tuple[float, float]
    frac_abs_sz0_gt3: tuple[float, float]
    frac_jets_2sd0_gt3: tuple[float, float]


def _binomial(k: float, n: int) -> tuple[float, float]:
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    return float(p), float(np.sqrt(max(p * (1 - p), 1.0 / n) / n))  # floor: 1/n for p = 0 or 1


def summarise(jet_eta, jet_phi, trk_pt, trk_eta, trk_phi, d0, sigma_d0, z0st, sigma_z0st) -> Summary:
    """Statistics of jets (flat arrays) and their tracks (jagged arrays, one list per jet)."""
    sel = (trk_pt > TRACK_PT_MIN) & (abs(d0) < ABS_D0_MAX) & (abs(z0st) < ABS_Z0ST_MAX)
    counts = ak.to_numpy(ak.num(trk_pt[sel]))
    jet_idx = np.repeat(np.arange(len(counts)), counts)
    flat = {k: ak.to_numpy(ak.flatten(v[sel])).astype(float)
            for k, v in {"phi": trk_phi, "eta": trk_eta, "d0": d0, "sd0": sigma_d0, "z": z0st, "sz": sigma_z0st}.items()}
    sd0 = signed_d0_significance(flat["d0"], flat["sd0"], flat["phi"], np.asarray(jet_phi, float)[jet_idx])
    sz0 = signed_z0_significance(flat["z"], flat["sz"], flat["eta"], np.asarray(jet_eta, float)[jet_idx])
    n_jets, n_trk = len(counts), len(sd0)
    per_jet = np.bincount(jet_idx[sd0 > 3], minlength=n_jets)
    mean = float(np.mean(counts)) if n_jets else float("nan")
    return Summary(
        n_jets, n_trk, (mean, float(np.std(counts) / np.sqrt(max(n_jets, 1)))),
        _binomial(np.sum(sd0 > 3), n_trk), _binomial(np.sum(sd0 < -3), n_trk),
        _binomial(np.sum(np.abs(sz0) > 3), n_trk), _binomial(np.sum(per_jet >= 2), n_jets),
    )


def within_factor(a: tuple[float, float], b: tuple[float, float], factor: float, n_sigma: float) -> bool:
    """``a`` within [b / factor, b * factor], widened by ``n_sigma`` combined errors."""
    err = n_sigma * np.hypot(a[1], b[1])
    return b[0] / factor - err <= a[0] <= b[0] * factor + err
