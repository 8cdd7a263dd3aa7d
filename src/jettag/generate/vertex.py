"""Beam spot and primary vertex.

Every pp interaction (hard scatter and pile-up) is placed at a point drawn from the luminous region,
a Gaussian with widths ``beamspot_sigma_xy`` / ``beamspot_sigma_z`` centred on the beam line
(x = y = 0). The reconstructed primary vertex is the true hard-scatter vertex smeared by a
resolution that falls with the number n of its reconstructed tracks, sigma = a / sqrt(n) (a track
multiplicity of 0 gives the beam-spot width). Impact parameters are measured as ATLAS does: d0
w.r.t. the beam line, z0 w.r.t. the reconstructed primary vertex.
"""

from __future__ import annotations

import numpy as np


def beamspot(n: int, det: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` interaction points drawn from the luminous region (x, y, z in mm)."""
    if n == 0 or (det["beamspot_sigma_xy"] == 0 and det["beamspot_sigma_z"] == 0):
        return np.zeros(n), np.zeros(n), np.zeros(n)
    g = rng.standard_normal((3, n))
    return g[0] * det["beamspot_sigma_xy"], g[1] * det["beamspot_sigma_xy"], g[2] * det["beamspot_sigma_z"]


def reconstruct_pv(true_z: np.ndarray, n_tracks: np.ndarray, det: dict, rng: np.random.Generator) -> np.ndarray:
    """Reconstructed PV z: true z + N(0, pv_z_resolution / sqrt(n_tracks))."""
    a = det["pv_z_resolution"]
    if a == 0 or len(true_z) == 0:
        return np.asarray(true_z, float).copy()
    n = np.asarray(n_tracks, float)
    sigma = np.where(n > 0, a / np.sqrt(np.maximum(n, 1.0)), det["beamspot_sigma_z"])
    return true_z + rng.standard_normal(len(true_z)) * sigma
