"""Truth: hadron flavour, weakly decaying b/c hadrons, HadronConeExclTruthLabelID, track origin.

Everything works on flat arrays (see :class:`jettag.generate.pythia.Particles`); the jet labelling
:func:`hadron_cone_labels` is a pure function of hadron and jet arrays so it can be unit-tested on
hand-built cases.
"""

from __future__ import annotations

import numpy as np

from jettag.preprocess.derived import delta_phi

B, C, TAU, LIGHT = 5, 4, 15, 0
(ORIGIN_PILEUP, ORIGIN_FAKE, ORIGIN_PRIMARY, ORIGIN_B, ORIGIN_BC, ORIGIN_C, ORIGIN_TAU,
 ORIGIN_SECONDARY) = range(8)  # jettag.flavours.TRACK_ORIGINS (FTAG indices)

#: Light particles whose decays are displaced (K0S, K0L, Lambda, Sigma+-, Xi, Omega, pi+-, K+-, mu):
#: tracks from their decays are "otherSecondary".
LONG_LIVED_LIGHT = np.array([310, 130, 3122, 3112, 3222, 3312, 3322, 3334, 211, 321, 13])
NEUTRINOS = np.array([12, 14, 16])


def heavy_flavour(pid) -> np.ndarray:
    """5 for b-hadrons, 4 for c-hadrons (open flavour; quarkonia excluded), 15 for taus, else 0."""
    a = np.abs(np.asarray(pid)).astype(np.int64) % 10000  # drop excitation digits n, nr
    q3, q2, q1 = (a // 1000) % 10, (a // 100) % 10, (a // 10) % 10
    meson = (q3 == 0) & (q2 > 0) & (q1 > 0)
    baryon = (q3 > 0) & (q2 > 0) & (q1 > 0)
    hadron = (meson | baryon) & (np.abs(np.asarray(pid)) > 100)
    quarkonium = meson & (q2 == q1)
    open_hadron = hadron & ~quarkonium
    # heaviest quark: mesons q2 (hundreds), baryons q3 (thousands)
    heaviest = np.where(baryon, q3, q2)
    out = np.zeros(a.shape, dtype=np.int32)
    out[open_hadron & (heaviest == 4)] = C
    out[open_hadron & (heaviest == 5)] = B
    out[np.abs(np.asarray(pid)) == 15] = TAU
    return out


def daughter_ranges(d1: np.ndarray, d2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pythia daughter range [first, last] (inclusive); first = -1 when there are none."""
    last = np.where(d2 >= d1, d2, d1)
    return d1, last


def weak_decays(parts, kind: np.ndarray | None = None) -> np.ndarray:
    """Indices of weakly decaying heavy particles: b(c)-hadrons with no b(c)-hadron daughter and
    taus with no tau daughter (the last tau copy before its decay). Sorted."""
    if kind is None:
        kind = heavy_flavour(parts.id)
    cand = np.flatnonzero(kind > 0)
    first, last = daughter_ranges(parts.daughter1[cand], parts.daughter2[cand])
    has = first >= 0
    cand, first, last = cand[has], first[has], last[has]
    n = last - first + 1
    if len(cand) == 0:
        return cand
    owner = np.repeat(np.arange(len(cand)), n)
    start = np.repeat(np.cumsum(n) - n, n)
    dau = np.repeat(first, n) + (np.arange(n.sum()) - start)
    same = kind[dau] == kind[cand][owner]
    same_any = np.zeros(len(cand), dtype=bool)
    np.logical_or.at(same_any, owner, same)
    return cand[~same_any]


def hadron_cone_labels(
    jet_event, jet_eta, jet_phi, had_event, had_eta, had_phi, had_pt, had_kind, dr_max=0.3, pt_min=5.0
) -> tuple[np.ndarray, np.ndarray]:
    """HadronConeExclTruthLabelID for flat jets.

    Each hadron (kind 5 b, 4 c, 15 tau) with pT > ``pt_min`` GeV is given to its closest jet in the
    same event if that jet is within ``dr_max``; a jet is labelled 5 if it got any b-hadron, else 4
    for a c-hadron, else 15 for a tau, else 0.

    Returns ``(labels (n_jets,) int32, hadron_jet (n_hadrons,) int64)`` where ``hadron_jet`` is the
    index of the jet a hadron went to (-1 if none).
    """
    jet_event = np.asarray(jet_event, dtype=np.int64)
    jet_eta, jet_phi = np.asarray(jet_eta, float), np.asarray(jet_phi, float)
    had_event = np.asarray(had_event, dtype=np.int64)
    had_eta, had_phi = np.asarray(had_eta, float), np.asarray(had_phi, float)
    had_pt, had_kind = np.asarray(had_pt, float), np.asarray(had_kind)
    labels = np.zeros(len(jet_event), dtype=np.int32)
    hadron_jet = np.full(len(had_event), -1, dtype=np.int64)
    if len(jet_event) == 0 or len(had_event) == 0:
        return labels, hadron_jet
    # jets of event e: order[lo[e]:hi[e]] (stable sort by event)
    order = np.argsort(jet_event, kind="stable")
    sorted_ev = jet_event[order]
    lo = np.searchsorted(sorted_ev, had_event, side="left")
    hi = np.searchsorted(sorted_ev, had_event, side="right")
    ok = (had_pt > pt_min) & (hi > lo)
    h = np.flatnonzero(ok)
    n = (hi - lo)[h]
    owner = np.repeat(h, n)
    start = np.repeat(np.cumsum(n) - n, n)
    jets = order[np.repeat(lo[h], n) + (np.arange(n.sum()) - start)]
    dr = np.hypot(had_eta[owner] - jet_eta[jets], delta_phi(had_phi[owner], jet_phi[jets]))
    # closest jet per hadron: sort pairs by (hadron, dr) and keep the first of each hadron
    pair_order = np.lexsort((dr, owner))
    first = np.ones(len(pair_order), dtype=bool)
    first[1:] = owner[pair_order][1:] != owner[pair_order][:-1]
    best = pair_order[first]
    close = dr[best] < dr_max
    hadron_jet[owner[best[close]]] = jets[best[close]]
    got = hadron_jet >= 0
    for kind in (TAU, C, B):  # increasing priority: later assignments win
        sel = got & (had_kind == kind)
        labels[hadron_jet[sel]] = kind
    return labels, hadron_jet


def track_origins(parts, tracks: np.ndarray, kind: np.ndarray | None = None) -> np.ndarray:
    """Truth origin index (``jettag.flavours.TRACK_ORIGINS``) of particles ``tracks``.

    Walks up ``mother1`` while the particle is a decay product (|status| 91-99), noting b/c-hadron,
    tau and long-lived light ancestors. Priority: fromBC (b and c ancestors) > fromB > fromC >
    fromTau > otherSecondary > primary.
    """
    if kind is None:
        kind = heavy_flavour(parts.id)
    n = len(tracks)
    has_b = np.zeros(n, bool)
    has_c = np.zeros(n, bool)
    has_tau = np.zeros(n, bool)
    has_ll = np.zeros(n, bool)
    long_lived = np.isin(np.abs(parts.id), LONG_LIVED_LIGHT)
    status = np.abs(parts.status)
    cur = np.asarray(tracks, dtype=np.int64).copy()
    active = np.flatnonzero((status[cur] >= 91) & (status[cur] <= 99))
    for _ in range(200):
        if len(active) == 0:
            break
        mom = parts.mother1[cur[active]]
        valid = mom >= 0
        active, mom = active[valid], mom[valid]
        k = kind[mom]
        has_b[active] |= k == B
        has_c[active] |= k == C
        has_tau[active] |= k == TAU
        has_ll[active] |= long_lived[mom]
        cur[active] = mom
        keep = (status[mom] >= 91) & (status[mom] <= 99)
        active = active[keep]
    origin = np.full(n, ORIGIN_PRIMARY, dtype=np.int8)
    origin[has_ll] = ORIGIN_SECONDARY
    origin[has_tau] = ORIGIN_TAU
    origin[has_c] = ORIGIN_C
    origin[has_b] = ORIGIN_B
    origin[has_b & has_c] = ORIGIN_BC
    return origin
