"""Detector emulation: perigee sign convention, resolution, smearing tails, hits/holes/shared hits."""

import numpy as np
import pytest

from jettag.generate import detector
from jettag.preprocess.derived import signed_d0_significance

DET = {"d0_res_const": 0.010, "d0_res_ms": 0.075, "z0_res_const": 0.030, "z0_res_ms": 0.110}


def test_perigee_atlas_sign_convention():
    phi = np.array([0.3, 2.0, -1.2])
    pca = np.array([0.5, -0.2, 0.1])  # true d0: PCA at (-d0 sin phi, d0 cos phi)
    along = np.array([3.0, -1.0, 0.5])
    x = -pca * np.sin(phi) + along * np.cos(phi)
    y = pca * np.cos(phi) + along * np.sin(phi)
    pt, pz = np.array([2.0, 5.0, 1.0]), np.array([1.0, -2.0, 0.0])
    z = 0.7 + along * pz / pt
    d0, z0 = detector.perigee(x, y, z, pt * np.cos(phi), pt * np.sin(phi), pz)
    np.testing.assert_allclose(d0, pca)
    np.testing.assert_allclose(z0, 0.7)


def test_displaced_track_along_jet_has_positive_sign():
    # a decay at (2, 0.5) mm in a jet at phi = 0; the daughter crosses the jet axis in front of
    # the primary vertex (positive lifetime sign); its mirror image crosses behind it (negative)
    jet_phi = 0.0
    x, y, z = np.array([2.0, 2.0]), np.array([0.5, 0.5]), np.array([0.0, 0.0])
    px, py = 10.0 * np.cos([-0.1, 0.1]), 10.0 * np.sin([-0.1, 0.1])
    d0, _ = detector.perigee(x, y, z, px, py, np.zeros(2))
    sd0 = signed_d0_significance(d0, 0.01, np.arctan2(py, px), jet_phi)
    assert sd0[0] > 0 > sd0[1]


def test_ip_resolution_formula():
    sd0, sz0 = detector.ip_resolution(np.array([1.0, 100.0]), np.array([np.pi / 2, np.pi / 2]), DET)
    np.testing.assert_allclose(sd0, [np.hypot(0.010, 0.075), np.hypot(0.010, 0.00075)])
    np.testing.assert_allclose(sz0, [np.hypot(0.030, 0.110), np.hypot(0.030, 0.0011)])


@pytest.mark.parametrize(("frac", "scale"), [(0.0, 4.0), (0.3, 3.0)])
def test_smearing_width_and_tails(frac, scale):
    rng = np.random.default_rng(1)
    n = 200_000
    sig = np.full(n, 0.02)
    d0, z0 = detector.smear_ip(np.zeros(n), np.zeros(n), sig, 2 * sig, rng, frac, scale)
    want = np.sqrt((1 - frac) + frac * scale**2)
    assert np.std(d0 / sig) == pytest.approx(want, rel=0.02)
    assert np.std(z0 / (2 * sig)) == pytest.approx(want, rel=0.02)


def hits_for(r_prod, n=1, ineff=0.0, seed=0, phi=0.4):
    r = np.asarray(r_prod, float)
    x, y = r * np.cos(phi), r * np.sin(phi)
    px, py = np.cos(phi) * np.ones_like(r) * 5, np.sin(phi) * np.ones_like(r) * 5
    # spread the tracks so none share hits
    ev = np.arange(len(r))
    return detector.hit_content(ev, x, y, np.zeros_like(r), px, py, np.ones_like(r), np.random.default_rng(seed), ineff, 0.1)


def test_tracks_produced_beyond_a_layer_have_no_hit_on_it():
    h = hits_for([0.0, 40.0, 60.0, 100.0, 200.0, 320.0, 600.0])
    assert h["numberOfInnermostPixelLayerHits"].tolist() == [1, 0, 0, 0, 0, 0, 0]
    assert h["numberOfNextToInnermostPixelLayerHits"].tolist() == [1, 1, 0, 0, 0, 0, 0]
    assert h["numberOfPixelHits"].tolist() == [4, 3, 2, 1, 0, 0, 0]
    assert h["numberOfSCTHits"].tolist() == [8, 8, 8, 8, 8, 6, 0]
    assert all((h[k] == 0).all() for k in ("numberOfPixelHoles", "numberOfSCTHoles"))


def test_holes_only_between_first_and_last_hit():
    h = hits_for(np.zeros(20000), ineff=0.1, seed=3)
    pix, holes = h["numberOfPixelHits"], h["numberOfPixelHoles"]
    assert (pix + holes <= 4).all()
    # a missing IBL hit is not a hole (it is before the first hit) -> fewer holes than misses
    assert holes.sum() < (4 - pix).sum()
    assert holes.mean() == pytest.approx(3 * 0.1, rel=0.1)  # B-layer, L1, L2 lie inside


def test_shared_hits_for_nearby_tracks():
    # two tracks of the same event from the origin, 0.02 mrad apart: share every layer's hit;
    # a third one in another event at the same place shares nothing
    phi = np.array([0.5, 0.50002, 0.5])
    ev = np.array([0, 0, 1])
    z = np.zeros(3)
    h = detector.hit_content(ev, z, z, z, 5 * np.cos(phi), 5 * np.sin(phi), z + 1, np.random.default_rng(0), 0.0, 0.1)
    assert h["numberOfPixelSharedHits"].tolist() == [4, 4, 0]
    assert h["numberOfSCTSharedHits"].tolist() == [8, 8, 0]
    # 1 mrad apart: 0.033-0.089 mm on IBL, B-layer, L1 (shared); 0.12 mm on L2, more on the SCT
    phi = np.array([0.5, 0.501])
    z = np.zeros(2)
    h = detector.hit_content(np.zeros(2, int), z, z, z, 5 * np.cos(phi), 5 * np.sin(phi), z + 1, np.random.default_rng(0), 0.0, 0.1)
    assert h["numberOfPixelSharedHits"].tolist() == [3, 3]
    assert h["numberOfSCTSharedHits"].tolist() == [0, 0]
