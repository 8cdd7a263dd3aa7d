"""Material interactions in the beam pipe and the pixel layers: photon conversions and hadronic
interactions, vectorised over all particles of a batch.

Each material layer is a cylinder of radius r with thickness x/X0 (radiation lengths) and x/lambda
(nuclear interaction lengths) at normal incidence; a particle crossing it at polar angle theta sees
x / sin(theta). A photon converts with probability 1 - exp(-7/9 x/X0 / sin(theta)) (the
high-energy pair-production cross section), into an e+ e- pair along its direction sharing its
momentum with a uniform fraction. A charged hadron interacts with probability
1 - exp(-x/lambda / sin(theta)); it is then absorbed (its track ends in that layer, too short to be
reconstructed) and gives 2 + Poisson(1) charged secondaries carrying together ``HADRONIC_INELASTICITY``
of its momentum (Dirichlet-shared), each with a transverse kick exponential with mean
``HADRONIC_PT_KICK`` GeV. Secondaries start at the interaction point, so they make hits only from
that radius outward; their origin is otherSecondary (pile-up for pile-up parents).
"""

from __future__ import annotations

import numpy as np

from jettag.flavours import ORIGIN_INDEX
from jettag.generate.candidates import Candidates
from jettag.generate.detector import layer_crossing

HADRONIC_INELASTICITY = 0.7
HADRONIC_PT_KICK = 0.3  # GeV
PILEUP = ORIGIN_INDEX["pileup"]
SECONDARY = ORIGIN_INDEX["otherSecondary"]


def first_interaction(c: Candidates, radii, thickness, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per particle: whether it interacts, and the index of the first layer where it does
    (layers beyond its production radius only). ``thickness`` is x/X0 or x/lambda times the
    interaction factor."""
    radii, thickness = np.asarray(radii, float), np.asarray(thickness, float)
    if len(c) == 0 or not np.any(thickness > 0):
        return np.zeros(len(c), bool), np.zeros(len(c), np.int64)
    sin_t = np.maximum(np.sin(c.theta), 1e-3)
    p = 1.0 - np.exp(-thickness[None, :] / sin_t[:, None])
    crossed = c.prod_r[:, None] < radii[None, :]
    hit = crossed & (rng.random(p.shape) < p)
    return hit.any(axis=1), np.argmax(hit, axis=1)


def _crossing_point(c: Candidates, radii, layer):
    _, phi, z = layer_crossing(c.x, c.y, c.z, c.px, c.py, c.pz, np.asarray(radii, float))
    rows = np.arange(len(c))
    r = np.asarray(radii, float)[layer] * (1.0 + 1e-9)  # just outside: no hit on the layer that interacted
    return r * np.cos(phi[rows, layer]), r * np.sin(phi[rows, layer]), z[rows, layer]


def conversions(photons: Candidates, radii, x_over_x0, rng: np.random.Generator) -> Candidates:
    """e+ e- pairs of the photons that convert (an empty table if none)."""
    conv, layer = first_interaction(photons, radii, 7.0 / 9.0 * np.asarray(x_over_x0, float), rng)
    g = photons.select(conv)
    if len(g) == 0:
        return Candidates.make(*(np.zeros(0),) * 8, SECONDARY, np.zeros(0), np.zeros(0, bool))
    x, y, z = _crossing_point(g, radii, layer[conv])
    f = rng.random(len(g))
    frac = np.concatenate([f, 1.0 - f])
    rep = lambda a: np.concatenate([a, a])  # noqa: E731
    origin = np.where(rep(g.origin) == PILEUP, PILEUP, SECONDARY)
    return Candidates.make(
        rep(g.event), rep(x), rep(y), rep(z), rep(g.px) * frac, rep(g.py) * frac, rep(g.pz) * frac,
        np.concatenate([-np.ones(len(g)), np.ones(len(g))]), origin, None, np.zeros(2 * len(g), bool),
    )


def hadronic(c: Candidates, radii, x_over_lambda, rng: np.random.Generator) -> tuple[np.ndarray, Candidates]:
    """(mask of the candidates that survive, secondaries of those that interact)."""
    inter, layer = first_interaction(c, radii, x_over_lambda, rng)
    inter &= c.hadron & (c.charge != 0)
    h = c.select(inter)
    if len(h) == 0:
        return ~inter, Candidates.make(*(np.zeros(0),) * 8, SECONDARY, np.zeros(0), np.zeros(0, bool))
    x, y, z = _crossing_point(h, radii, layer[inter])
    n = 2 + rng.poisson(1.0, len(h))
    owner = np.repeat(np.arange(len(h)), n)
    share = rng.gamma(1.0, 1.0, len(owner))
    share /= np.bincount(owner, share)[owner]
    p = np.sqrt(h.px**2 + h.py**2 + h.pz**2)
    ux, uy, uz = h.px / p, h.py / p, h.pz / p
    plong = HADRONIC_INELASTICITY * share * p[owner]
    # two unit vectors orthogonal to the parent direction
    ax = np.where(np.abs(uz) < 0.9, 0.0, 1.0)
    az = 1.0 - ax
    e1 = np.stack([uy * az, uz * ax - ux * az, -uy * ax])
    e1 /= np.linalg.norm(e1, axis=0)
    e2 = np.stack([uy * e1[2] - uz * e1[1], uz * e1[0] - ux * e1[2], ux * e1[1] - uy * e1[0]])
    kick = rng.exponential(HADRONIC_PT_KICK, len(owner))
    ang = rng.uniform(0, 2 * np.pi, len(owner))
    ca, sa = kick * np.cos(ang), kick * np.sin(ang)
    mom = [plong * u[owner] + ca * e1[i][owner] + sa * e2[i][owner] for i, u in enumerate((ux, uy, uz))]
    origin = np.where(h.origin[owner] == PILEUP, PILEUP, SECONDARY)
    charge = np.where(rng.random(len(owner)) < 0.5, -1.0, 1.0)
    sec = Candidates.make(h.event[owner], x[owner], y[owner], z[owner], *mom, charge, origin, None,
                          np.ones(len(owner), bool))
    return ~inter, sec
