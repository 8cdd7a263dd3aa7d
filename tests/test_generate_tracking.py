"""Tracking efficiency, merged clusters and fake tracks."""

import numpy as np
import pytest

from jettag.flavours import ORIGIN_INDEX
from jettag.generate import helix, tracking

DET = {"efficiency_central": 0.91, "efficiency_forward": 0.75, "efficiency_low_pt_loss": 0.06,
       "efficiency_low_pt_scale": 2.0, "fake_fraction": 0.01, "fake_d0_sigma": 1.0, "fake_z0_sigma": 3.0}


def test_efficiency_shape():
    e = tracking.efficiency(np.array([100.0, 100.0, 0.5, 100.0]), np.array([0.0, 2.5, 0.0, -1.25]), DET)
    np.testing.assert_allclose(e, [0.91, 0.75, 0.91 * 0.94, 0.83], rtol=1e-3)
    ideal = {**DET, "efficiency_central": 1.0, "efficiency_forward": 1.0, "efficiency_low_pt_loss": 0.0}
    assert (tracking.efficiency(np.array([0.6, 20.0]), np.array([0.1, 2.4]), ideal) == 1.0).all()


def test_merged_clusters_need_both_directions_close():
    # event 0: tracks 0, 1 are 0.05 mm apart in R dphi and 0.2 mm in z (merged); track 2 is 1 mm away
    # in z (not merged); event 1 track 3 is at the same place as track 0 (other event: not merged)
    radii = np.array([33.0])
    phi = np.array([[0.0], [0.05 / 33.0], [0.0], [0.0]])
    z = np.array([[0.0], [0.2], [1.0], [0.0]])
    hit = np.ones((4, 1), bool)
    m = tracking.merged_clusters(np.array([0, 0, 0, 1]), hit, phi, z, radii, 0.1, 0.5, 1)
    np.testing.assert_array_equal(m[:, 0], [True, True, False, False])
    off = tracking.merged_clusters(np.array([0, 0, 0, 1]), hit, phi, z, radii, 0.0, 0.5, 1)
    assert not off.any()


def test_fakes_rate_and_broad_impact_parameters():
    rng = np.random.default_rng(5)
    n_cand = np.full(2000, 300)
    pv_z = rng.normal(0, 40, 2000)
    f = tracking.fakes(n_cand, pv_z, DET, rng)
    assert len(f) / n_cand.sum() == pytest.approx(0.01, rel=0.05)
    assert (f.origin == ORIGIN_INDEX["fake"]).all() and (f.pt > 0.5).all() and (np.abs(f.eta) < 2.5).all()
    per = helix.helix_perigee(f.x, f.y, f.z, f.px, f.py, f.pz, f.charge, 2.0)
    assert np.std(per.d0) == pytest.approx(1.0, rel=0.05)
    assert np.std(per.z0 - pv_z[f.event]) == pytest.approx(3.0, rel=0.05)
    assert len(tracking.fakes(n_cand, pv_z, {**DET, "fake_fraction": 0.0}, rng)) == 0
