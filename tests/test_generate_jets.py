"""Anti-kt clustering over a batch of hand-built events."""

import numpy as np

from jettag.generate.jets import cluster, visible_final_state
from jettag.generate.pythia import Particles


def make(events):
    """events: list of lists of (id, status, pt, eta, phi)."""
    rows = [(e, *p) for e, ps in enumerate(events) for p in ps]
    ev = np.array([r[0] for r in rows], np.int64)
    pid = np.array([r[1] for r in rows], np.int32)
    st = np.array([r[2] for r in rows], np.int32)
    pt, eta, phi = (np.array([r[i] for r in rows], float) for i in (3, 4, 5))
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    e = np.sqrt(px**2 + py**2 + pz**2 + 0.14**2)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(ev, minlength=len(events)))])
    none = np.full(len(rows), -1)
    z = np.zeros(len(rows))
    return Particles(offsets, ev, pid, st, none, none, none, px, py, pz, e, z + 0.14, z, z, z)


def test_cluster_batch_of_events():
    parts = make([
        [(211, 91, 30, 0.0, 0.0), (211, 91, 15, 0.1, 0.1), (22, 91, 25, 1.0, 2.5), (12, 91, 100, 0.0, -2.0),
         (211, -91, 50, 0.0, -1.0)],
        [(-211, 83, 8, 0.0, 0.0), (2212, 83, 45, -1.0, 1.0)],
        [],
    ])
    jets = cluster(parts, 0.4, 20.0)
    assert jets.event.tolist() == [0, 0, 1]  # neutrino and decayed particle are not clustered
    np.testing.assert_allclose(jets.pt[1], 25, rtol=1e-6)
    np.testing.assert_allclose(jets.pt[2], 45, rtol=1e-6)
    assert jets.pt[0] > 44  # two pions merged
    cons = [sorted(jets.constituents[a:b].tolist()) for a, b in zip(jets.cons_offsets[:-1], jets.cons_offsets[1:], strict=True)]
    assert cons == [[0, 1], [2], [6]]
    assert 3 not in visible_final_state(parts) and 4 not in visible_final_state(parts)
    sel = jets.select(np.array([True, False, True]))
    assert sel.event.tolist() == [0, 1]
    assert sorted(sel.constituents[:2].tolist()) == [0, 1] and sel.constituents[2] == 6
