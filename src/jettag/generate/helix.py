"""Perigee parameters of helical tracks in a uniform solenoid field along z, vectorised.

A particle of charge q and transverse momentum pT in a field B moves on a circle of radius
R = pT / (c_light * |q B|) (R in mm for pT in GeV and B in T, c_light = 0.299792458 GeV/(T m)),
clockwise seen from +z for q B > 0. The perigee is the point of the circle closest to the
reference line (the beam line, x = y = 0 after subtracting its position): d0 with the ATLAS sign
(the point of closest approach is (-d0 sin(phi0), d0 cos(phi0)), phi0 the momentum azimuth there),
z0 the z of that point, reached by following the helix backwards from the production point.
With B = 0 the straight-line perigee of :func:`jettag.generate.detector.perigee` is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jettag.generate.detector import perigee as straight_perigee

C_LIGHT = 0.299792458  # GeV / (T m)


@dataclass(frozen=True)
class Perigee:
    """Perigee parameters (mm, rad) of n tracks."""

    d0: np.ndarray
    z0: np.ndarray
    phi0: np.ndarray


def radius_mm(pt, charge, field_t: float) -> np.ndarray:
    """Radius of curvature in mm (inf for B = 0 or neutral)."""
    qb = np.abs(np.asarray(charge, float)) * abs(field_t)
    with np.errstate(divide="ignore"):
        return np.where(qb > 0, np.asarray(pt, float) / (C_LIGHT * np.maximum(qb, 1e-300)) * 1000.0, np.inf)


def helix_perigee(x, y, z, px, py, pz, charge, field_t: float) -> Perigee:
    """Perigee of helices from production point (x, y, z) with momentum p at production,
    w.r.t. the line x = y = 0."""
    x, y, z = (np.asarray(a, float) for a in (x, y, z))
    px, py, pz = (np.asarray(a, float) for a in (px, py, pz))
    if field_t == 0:
        d0, z0 = straight_perigee(x, y, z, px, py, pz)
        return Perigee(d0, z0, np.arctan2(py, px))
    pt = np.hypot(px, py)
    ux, uy = px / pt, py / pt
    s = np.sign(np.asarray(charge, float) * field_t)  # +1: clockwise seen from +z
    R = radius_mm(pt, charge, field_t)
    cx, cy = x + s * R * uy, y - s * R * ux  # centre of the circle
    D = np.hypot(cx, cy)
    # point of closest approach to the origin: on the line origin-centre, R from the centre
    rx, ry = -cx / D, -cy / D  # unit vector centre -> PCA
    pca_x, pca_y = cx + R * rx, cy + R * ry
    ux0, uy0 = s * ry, -s * rx  # momentum direction at the PCA
    d0 = -pca_x * uy0 + pca_y * ux0
    # signed turning angle from the PCA to the production point, along the motion
    r1x, r1y = (x - cx) / R, (y - cy) / R
    ccw = np.arctan2(rx * r1y - ry * r1x, rx * r1x + ry * r1y)
    arc = -s * ccw * R  # transverse path length PCA -> production point
    z0 = z - arc * pz / pt
    return Perigee(d0, z0, np.arctan2(uy0, ux0))
