"""Truth labelling (HadronConeExclTruthLabelID), weak decays and track origin on hand-built cases."""

import numpy as np

from jettag.generate.pythia import Particles
from jettag.generate.truth import (
    ORIGIN_B,
    ORIGIN_BC,
    ORIGIN_C,
    ORIGIN_PRIMARY,
    ORIGIN_SECONDARY,
    ORIGIN_TAU,
    hadron_cone_labels,
    heavy_flavour,
    track_origins,
    weak_decays,
)


def test_heavy_flavour_codes():
    ids = [511, -521, 531, 5122, -5232, 10511, 541, 421, -411, 4122, 443, 553, 15, -15, 211, 2212, 3122, 22, 1, 5]
    want = [5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 0, 0, 15, 15, 0, 0, 0, 0, 0, 0]
    assert heavy_flavour(np.array(ids)).tolist() == want


def labels(jets, hadrons):
    """jets: [(event, eta, phi)], hadrons: [(event, eta, phi, pt, kind)]."""
    j = np.array(jets, dtype=float).reshape(-1, 3)
    h = np.array(hadrons, dtype=float).reshape(-1, 5)
    return hadron_cone_labels(j[:, 0], j[:, 1], j[:, 2], h[:, 0], h[:, 1], h[:, 2], h[:, 3], h[:, 4])


def test_hadron_goes_to_the_closest_jet_only():
    lab, hj = labels([(0, 0.0, 0.0), (0, 0.0, 0.35)], [(0, 0.0, 0.2, 20.0, 5)])
    assert lab.tolist() == [0, 5]  # within 0.3 of both; closer to jet 1
    assert hj.tolist() == [1]


def test_b_and_c_in_one_jet_is_b_and_priority_order():
    lab, _ = labels(
        [(0, 0, 0), (0, 1.5, 1.5), (0, -1.5, -2.0), (0, 2.0, 3.0)],
        [(0, 0.1, 0.0, 30, 4), (0, 0.0, 0.1, 30, 5), (0, 1.5, 1.6, 10, 15), (0, 1.55, 1.5, 10, 4),
         (0, -1.5, -2.1, 8, 15)],
    )
    assert lab.tolist() == [5, 4, 15, 0]


def test_soft_or_far_hadrons_are_ignored():
    lab, hj = labels([(0, 0, 0), (0, 1.0, 0)], [(0, 0.05, 0, 4.9, 5), (0, 1.0, 0.31, 50, 5)])
    assert lab.tolist() == [0, 0]
    assert hj.tolist() == [-1, -1]


def test_hadrons_only_match_jets_of_their_event():
    lab, _ = labels([(0, 0, 0), (1, 0, 0), (2, 0, 0)], [(1, 0, 0, 20, 4), (3, 0, 0, 20, 5)])
    assert lab.tolist() == [0, 4, 0]


def test_phi_wraps_around():
    lab, _ = labels([(0, 0, np.pi - 0.05)], [(0, 0, -np.pi + 0.05, 20, 5)])
    assert lab.tolist() == [5]


def test_no_hadrons_or_no_jets():
    assert labels([(0, 0, 0)], [])[0].tolist() == [0]
    assert labels([], [(0, 0, 0, 20, 5)])[1].tolist() == [-1]


def record(rows):
    """rows: (id, status, mother1, daughter1, daughter2) with Pythia-style local indices (0 = none)."""
    r = np.array(rows, dtype=np.int64)
    n = len(r)
    z = np.zeros(n)

    def idx(col):
        return np.where(r[:, col] > 0, r[:, col], -1)

    return Particles(
        offsets=np.array([0, n]), event=np.zeros(n, np.int64), id=r[:, 0].astype(np.int32),
        status=r[:, 1].astype(np.int32), mother1=idx(2), daughter1=idx(3), daughter2=idx(4),
        px=z + 1, py=z, pz=z, e=z + 2, m=z, x=z, y=z, z=z,
    )


# 0 system; 1 B*0 (from string) -> 2 B0 + 3 gamma; B0 -> 4 D- 5 pi+; D- -> 6 K0S 7 pi-;
# K0S -> 8 pi+ 9 pi-; 10 tau- -> 11 pi- 12 nu; 13 D0 (string) -> 14 K- 15 pi+;
# 16 K0S (string) -> 17 pi+ 18 pi-; 19 pi+ primary; 20 rho0 -> 21 pi+ 22 pi-
RECORD = [
    (90, -11, 0, 0, 0),
    (513, -83, 0, 2, 3),
    (511, -91, 1, 4, 5),
    (22, 91, 1, 0, 0),
    (-411, -91, 2, 6, 7),
    (211, 91, 2, 0, 0),
    (310, -91, 4, 8, 9),
    (-211, 91, 4, 0, 0),
    (211, 91, 6, 0, 0),
    (-211, 91, 6, 0, 0),
    (15, -23, 0, 11, 12),
    (-211, 91, 10, 0, 0),
    (16, 91, 10, 0, 0),
    (421, -84, 0, 14, 15),
    (-321, 91, 13, 0, 0),
    (211, 91, 13, 0, 0),
    (310, -83, 0, 17, 18),
    (211, 91, 16, 0, 0),
    (-211, 91, 16, 0, 0),
    (211, 83, 0, 0, 0),
    (113, -83, 0, 21, 22),
    (211, 91, 20, 0, 0),
    (-211, 91, 20, 0, 0),
]


def test_weak_decays_skip_excited_states():
    parts = record(RECORD)
    assert weak_decays(parts).tolist() == [2, 4, 10, 13]  # B0 (not B*0), D-, tau, D0


def test_track_origins():
    parts = record(RECORD)
    tracks = np.array([5, 7, 8, 11, 14, 17, 19, 21])
    want = [ORIGIN_B, ORIGIN_BC, ORIGIN_BC, ORIGIN_TAU, ORIGIN_C, ORIGIN_SECONDARY, ORIGIN_PRIMARY, ORIGIN_PRIMARY]
    assert track_origins(parts, tracks).tolist() == want
