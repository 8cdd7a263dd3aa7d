"""Detector emulation: straight-line perigee parameters, impact-parameter smearing, silicon hits.

Helical perigees in a field are in :mod:`jettag.generate.helix`; hits use straight lines from the
true production point (a good approximation within the silicon for pT > 0.5 GeV). Layers are infinitely long cylinders (barrel only): a track
crosses a layer when its production radius is below the layer radius.
"""

from __future__ import annotations

import numpy as np

#: Layer radii in mm: IBL, three pixel layers, four SCT layers.
PIXEL_RADII = np.array([33.0, 50.5, 88.5, 122.5])
SCT_RADII = np.array([299.0, 371.0, 443.0, 514.0])
#: Measurement surfaces: 4 pixel layers, then both sides of each SCT layer (same radius).
SURFACE_RADII = np.concatenate([PIXEL_RADII, np.repeat(SCT_RADII, 2)])
N_PIXEL = len(PIXEL_RADII)



def perigee(x, y, z, px, py, pz) -> tuple[np.ndarray, np.ndarray]:
    """True (d0, z0) in mm of a straight line from (x, y, z) along p, w.r.t. the origin.

    ATLAS sign: the point of closest approach is (-d0 sin(phi), d0 cos(phi)).
    """
    pt = np.hypot(px, py)
    c, s = px / pt, py / pt
    d0 = y * c - x * s
    along = x * c + y * s  # transverse path from the PCA to the production point
    z0 = z - along * pz / pt
    return d0, z0


def ip_resolution(pt, theta, cfg: dict) -> tuple[np.ndarray, np.ndarray]:
    """sigma(d0), sigma(z0 sin(theta)) in mm: const (+) ms / (pT sqrt(sin(theta))), pT in GeV."""
    x = pt * np.sqrt(np.sin(theta))
    sd0 = np.hypot(cfg["d0_res_const"], cfg["d0_res_ms"] / x)
    sz0 = np.hypot(cfg["z0_res_const"], cfg["z0_res_ms"] / x)
    return sd0, sz0


def smear_ip(d0, z0st, sigma_d0, sigma_z0st, rng: np.random.Generator, tail_fraction=0.0, tail_scale=1.0):
    """Gaussian smearing; a ``tail_fraction`` of tracks gets ``tail_scale`` times wider smearing
    (the reported sigma stays nominal)."""
    n = len(d0)
    scale = np.where(rng.random(n) < tail_fraction, tail_scale, 1.0)
    noise = rng.standard_normal((2, n))
    return d0 + noise[0] * sigma_d0 * scale, z0st + noise[1] * sigma_z0st * scale


def layer_crossing(x, y, z, px, py, pz, radii=SURFACE_RADII):
    """Where straight tracks cross each cylinder: (crossed (n, L) bool, phi (n, L), z (n, L))."""
    pt = np.hypot(px, py)
    ux, uy = (px / pt)[:, None], (py / pt)[:, None]
    x, y, z = x[:, None], y[:, None], z[:, None]
    r2 = x**2 + y**2
    b = x * ux + y * uy
    R = radii[None, :]
    crossed = r2 < R**2
    t = -b + np.sqrt(np.maximum(b**2 - (r2 - R**2), 0.0))  # transverse path length to the cylinder
    hx, hy = x + t * ux, y + t * uy
    hz = z + t * (pz / pt)[:, None]
    return crossed, np.arctan2(hy, hx), hz


def neighbour_pairs(event, hit, phi, z, radii, n_layers: int, neighbours: int):
    """Pairs of hits on the same surface in the same event that are near in phi: per surface
    ``layer < n_layers``, hits sorted by (event, phi), each compared with its next ``neighbours``
    (the phi wrap-around is ignored). Yields ``(layer, a, b, r_dphi, dz)``: track indices of the
    two hits, their distance along R phi and along z (mm)."""
    for layer in range(n_layers):
        idx = np.flatnonzero(hit[:, layer])
        if len(idx) < 2:
            continue
        ev, ph = event[idx], phi[idx, layer]
        order = np.argsort(ev * 8.0 + ph, kind="stable")  # by (event, phi): |phi| <= pi < 4
        idx = idx[order]
        ev, ph, zz = ev[order], ph[order], z[idx, layer]
        for k in range(1, min(neighbours, len(idx) - 1) + 1):
            same = ev[k:] == ev[:-k]
            yield (layer, idx[k:][same], idx[:-k][same], radii[layer] * (ph[k:] - ph[:-k])[same],
                   (zz[k:] - zz[:-k])[same])


def shared_hits(event, hit, phi, z, radii=SURFACE_RADII, distance=0.1, neighbours=3) -> np.ndarray:
    """(n, L) bool: hit within ``distance`` mm (R dphi, dz) of another track's hit on the same
    surface in the same event (:func:`neighbour_pairs`)."""
    n, n_layers = hit.shape
    shared = np.zeros_like(hit)
    if distance <= 0 or n < 2:
        return shared
    for layer, a, b, rdphi, dz in neighbour_pairs(event, hit, phi, z, radii, n_layers, neighbours):
        close = rdphi**2 + dz**2 < distance**2
        shared[a[close], layer] = True
        shared[b[close], layer] = True
    return shared


def hit_pattern(event, x, y, z, px, py, pz, rng: np.random.Generator, inefficiency=0.0,
                shared_distance=0.1) -> dict[str, np.ndarray]:
    """Per track and surface (n, L) bool arrays ``hit``, ``hole``, ``shared`` and the crossing
    coordinates ``phi``, ``z``.

    A crossed surface gives a hit with probability 1 - ``inefficiency``; a hole is a crossed
    surface without hit between the first and the last hit of the track.
    """
    crossed, phi, hz = layer_crossing(x, y, z, px, py, pz)
    hit = crossed & (rng.random(crossed.shape) >= inefficiency)
    n_layers = hit.shape[1]
    layer = np.arange(n_layers)[None, :]
    any_hit = hit.any(axis=1)
    first = np.where(any_hit, np.argmax(hit, axis=1), n_layers)
    last = np.where(any_hit, n_layers - 1 - np.argmax(hit[:, ::-1], axis=1), -1)
    hole = crossed & ~hit & (layer > first[:, None]) & (layer < last[:, None])
    shared = shared_hits(event, hit, phi, hz, distance=shared_distance)
    return {"hit": hit, "hole": hole, "shared": shared, "phi": phi, "z": hz}


def hit_counts(pattern: dict[str, np.ndarray], rows=slice(None)) -> dict[str, np.ndarray]:
    """The eight ATLAS hit counts (int8 arrays keyed by ``jettag.features.HIT_FIELDS``) of ``rows``."""
    hit, hole, shared = (pattern[k][rows] for k in ("hit", "hole", "shared"))
    pix, sct = slice(0, N_PIXEL), slice(N_PIXEL, hit.shape[1])

    def count(a, s):
        return a[:, s].sum(axis=1).astype(np.int8)

    return {
        "numberOfInnermostPixelLayerHits": hit[:, 0].astype(np.int8),
        "numberOfNextToInnermostPixelLayerHits": hit[:, 1].astype(np.int8),
        "numberOfPixelHits": count(hit, pix),
        "numberOfSCTHits": count(hit, sct),
        "numberOfPixelHoles": count(hole, pix),
        "numberOfSCTHoles": count(hole, sct),
        "numberOfPixelSharedHits": count(shared, pix),
        "numberOfSCTSharedHits": count(shared, sct),
    }


def hit_content(event, x, y, z, px, py, pz, rng: np.random.Generator, inefficiency=0.0,
                shared_distance=0.1) -> dict[str, np.ndarray]:
    """The eight ATLAS hit counts per track (see :func:`hit_pattern`, :func:`hit_counts`)."""
    return hit_counts(hit_pattern(event, x, y, z, px, py, pz, rng, inefficiency, shared_distance))
