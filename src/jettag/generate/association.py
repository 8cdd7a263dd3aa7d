"""Track-to-jet association.

Registry ``ASSOCIATIONS`` (config ``detector.association``):

* ``cone``: the ATLAS pT-dependent cone, dR < 0.239 + exp(-1.22 - 1.64e-5 pT[MeV]) with pT the
  jet's, over all tracks of the event; a track inside several cones goes to the closest jet.
* ``constituents``: a jet's tracks are its own charged truth constituents (no other track enters,
  none is lost).

Both return ``(track index, jet index)`` pairs ordered by jet.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from jettag.preprocess.derived import delta_phi


def cone_size(jet_pt_gev) -> np.ndarray:
    return 0.239 + np.exp(-1.22 - 1.64e-5 * 1000.0 * np.asarray(jet_pt_gev, float))


def _pairs(trk_event, trk_eta, trk_phi, jet_event, jet_eta, jet_phi):
    """(track, jet, dR) of every track-jet pair of the same event; jets sorted by event."""
    trk_event = np.asarray(trk_event, np.int64)
    jet_event = np.asarray(jet_event, np.int64)
    lo = np.searchsorted(jet_event, trk_event, side="left")
    n = np.searchsorted(jet_event, trk_event, side="right") - lo
    t = np.repeat(np.arange(len(trk_event)), n)
    start = np.repeat(np.cumsum(n) - n, n)
    j = np.repeat(lo, n) + (np.arange(n.sum()) - start)
    return t, j, np.hypot(trk_eta[t] - jet_eta[j], delta_phi(trk_phi[t], jet_phi[j]))


def near_jets(trk_event, trk_eta, trk_phi, jet_event, jet_eta, jet_phi, dr_max: float) -> np.ndarray:
    """bool per track: within ``dr_max`` of a jet of its event (cheap pre-selection).

    Same result as thresholding :func:`_pairs`, without building the pair table: the k-th jet of
    each event is compared with the tracks of events that have more than k jets, and dR (the same
    float64 expression) is evaluated only where |deta| < ``dr_max`` (dR >= |deta| otherwise)."""
    trk_event = np.asarray(trk_event, np.int64)
    jet_event = np.asarray(jet_event, np.int64)
    trk_eta, trk_phi = np.asarray(trk_eta, float), np.asarray(trk_phi, float)
    jet_eta, jet_phi = np.asarray(jet_eta, float), np.asarray(jet_phi, float)
    out = np.zeros(len(trk_event), bool)
    if len(trk_event) == 0 or len(jet_event) == 0:
        return out
    lo = np.searchsorted(jet_event, trk_event, side="left")
    n = np.searchsorted(jet_event, trk_event, side="right") - lo
    rows = np.flatnonzero(n > 0)
    k = 0
    while len(rows):
        j = lo[rows] + k
        eta = trk_eta[rows]
        close = np.abs(eta - jet_eta[j]) < dr_max
        r, jj = rows[close], j[close]
        dr = np.hypot(eta[close] - jet_eta[jj], delta_phi(trk_phi[r], jet_phi[jj]))
        out[r[dr < dr_max]] = True
        k += 1
        rows = rows[(n[rows] > k) & ~out[rows]]
    return out


def cone(trk_event, trk_eta, trk_phi, jet_event, jet_eta, jet_phi, jet_pt) -> tuple[np.ndarray, np.ndarray]:
    """Each track to its closest jet among those whose cone contains it. Jets must be sorted by event."""
    t, j, dr = _pairs(trk_event, trk_eta, trk_phi, jet_event, jet_eta, jet_phi)
    ok = dr < cone_size(jet_pt[j])
    t, j, dr = t[ok], j[ok], dr[ok]
    order = np.lexsort((dr, t))
    first = np.ones(len(order), bool)
    first[1:] = t[order][1:] != t[order][:-1]
    t, j = t[order][first], j[order][first]
    by_jet = np.lexsort((t, j))
    return t[by_jet], j[by_jet]


def constituents(cand_particle, jet_cons_offsets, jet_constituents, n_particles) -> tuple[np.ndarray, np.ndarray]:
    """Jets' truth constituents that are candidates (in constituent order)."""
    position = np.full(n_particles, -1, np.int64)
    has = cand_particle >= 0
    position[cand_particle[has]] = np.flatnonzero(has)
    n_jets = len(jet_cons_offsets) - 1
    cons_jet = np.repeat(np.arange(n_jets), np.diff(jet_cons_offsets))
    pos = position[jet_constituents]
    keep = pos >= 0
    return pos[keep], cons_jet[keep]


ASSOCIATIONS: dict[str, Callable] = {"cone": cone, "constituents": constituents}
