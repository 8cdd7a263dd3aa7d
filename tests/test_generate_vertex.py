"""Beam spot and reconstructed primary vertex."""

import numpy as np
import pytest

from jettag.generate import vertex

DET = {"beamspot_sigma_xy": 0.010, "beamspot_sigma_z": 42.0, "pv_z_resolution": 0.3}


def test_beamspot_widths():
    x, y, z = vertex.beamspot(20000, DET, np.random.default_rng(1))
    assert np.std(x) == pytest.approx(0.010, rel=0.03) and np.std(y) == pytest.approx(0.010, rel=0.03)
    assert np.std(z) == pytest.approx(42.0, rel=0.03) and abs(np.mean(z)) < 1.0


def test_no_beamspot_draws_nothing():
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    x, y, z = vertex.beamspot(10, {**DET, "beamspot_sigma_xy": 0, "beamspot_sigma_z": 0}, rng)
    assert not (x.any() or y.any() or z.any()) and rng.bit_generator.state == state


def test_pv_resolution_falls_with_track_multiplicity():
    rng = np.random.default_rng(2)
    true = np.zeros(20000)
    for n in (4, 25, 100):
        reco = vertex.reconstruct_pv(true, np.full(20000, n), DET, rng)
        assert np.std(reco) == pytest.approx(0.3 / np.sqrt(n), rel=0.03)
    perfect = vertex.reconstruct_pv(true + 1.5, np.full(20000, 4), {**DET, "pv_z_resolution": 0}, rng)
    np.testing.assert_array_equal(perfect, 1.5)
