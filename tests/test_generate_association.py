"""Track-to-jet association: the ATLAS pT-dependent cone and truth constituents."""

import numpy as np
import pytest

from jettag.generate import association


def test_cone_size_atlas_values():
    assert association.cone_size(20.0) == pytest.approx(0.239 + np.exp(-1.22 - 0.328), rel=1e-9)
    assert association.cone_size(20.0) == pytest.approx(0.452, abs=1e-3)
    assert association.cone_size(200.0) == pytest.approx(0.2501, abs=1e-3)
    assert association.cone_size(1e4) == pytest.approx(0.239, abs=1e-6)


def test_each_track_to_its_closest_jet_within_its_cone():
    # event 0: jets at eta 0 (pT 20, cone 0.45) and eta 1 (pT 500, cone 0.24); event 1: one jet
    jet_event, jet_eta, jet_phi, jet_pt = (np.array(a) for a in ([0, 0, 1], [0.0, 1.0, 0.0], [0.0, 0.0, 3.1],
                                                                   [20.0, 500.0, 50.0]))
    trk_event = np.array([0, 0, 0, 0, 1, 1])
    trk_eta = np.array([0.4, 0.6, 0.7, 2.0, 0.0, 0.0])
    trk_phi = np.array([0.0, 0.0, 0.0, 0.0, -3.1, 0.0])
    t, j = association.cone(trk_event, trk_eta, trk_phi, jet_event, jet_eta, jet_phi, jet_pt)
    got = dict(zip(t.tolist(), j.tolist(), strict=True))
    # 0.4 from jet 0 (in its 0.45 cone); 0.6 from jet 1 is out of its 0.25 cone but 0.6 > 0.45 too;
    # 0.7: 0.3 from jet 1 (out of its cone) -> none; track 4 wraps around phi; track 5 is far
    assert got == {0: 0, 4: 2}
    assert (np.diff(j) >= 0).all()
    near = association.near_jets(trk_event, trk_eta, trk_phi, jet_event, jet_eta, jet_phi, 0.5)
    np.testing.assert_array_equal(near, [True, True, True, False, True, False])


def test_track_in_two_cones_goes_to_the_closer_jet():
    t, j = association.cone(np.array([0]), np.array([0.2]), np.array([0.0]), np.array([0, 0]),
                            np.array([0.0, 0.35]), np.array([0.0, 0.0]), np.array([20.0, 20.0]))
    assert t.tolist() == [0] and j.tolist() == [1]


def test_constituents():
    cand_particle = np.array([5, 7, -1, 9])
    t, j = association.constituents(cand_particle, np.array([0, 3, 4]), np.array([7, 8, 5, 9]), 12)
    assert t.tolist() == [1, 0, 3] and j.tolist() == [0, 0, 1]


def test_near_jets_equals_the_thresholded_pair_table():
    rng = np.random.default_rng(3)
    jet_event = np.sort(rng.integers(0, 40, 150))
    jet_eta, jet_phi = rng.uniform(-2.5, 2.5, 150), rng.uniform(-np.pi, np.pi, 150)
    trk_event = rng.integers(0, 45, 20000)  # unsorted; some events without jets
    trk_eta, trk_phi = rng.uniform(-2.5, 2.5, 20000), rng.uniform(-np.pi, np.pi, 20000)
    # tracks exactly on the dR boundary (|deta| = dr, dphi = 0) and across the phi wrap-around
    trk_eta[:3], trk_phi[:3], trk_event[:3] = jet_eta[0] + 0.5, jet_phi[0], jet_event[0]
    trk_phi[3], trk_eta[3], trk_event[3] = -np.pi + 1e-3, 0.0, 50
    jet_event, jet_eta, jet_phi = (np.append(a, v) for a, v in ((jet_event, 50), (jet_eta, 0.0), (jet_phi, np.pi - 1e-3)))
    for dr_max in (0.5, 0.7):
        t, _, dr = association._pairs(trk_event, trk_eta, trk_phi, jet_event, jet_eta, jet_phi)
        want = np.zeros(len(trk_event), bool)
        want[t[dr < dr_max]] = True
        got = association.near_jets(trk_event, trk_eta, trk_phi, jet_event, jet_eta, jet_phi, dr_max)
        np.testing.assert_array_equal(got, want)
        assert 0 < got.sum() < len(got)
    assert got[3]
    assert not association.near_jets(trk_event[:0], trk_eta[:0], trk_phi[:0], jet_event, jet_eta, jet_phi, 0.5).any()
