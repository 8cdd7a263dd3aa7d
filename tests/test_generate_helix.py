"""Helical perigee: straight-line limit, the d0 of a track from a displaced point, ATLAS signs."""

import numpy as np
import pytest

from jettag.generate import detector, helix


def test_radius_of_curvature():
    # 1 GeV, |q| = 1, 2 T: R = 1 / (0.3 * 2) m = 1.668 m
    assert helix.radius_mm(1.0, 1, 2.0) == pytest.approx(1667.8, rel=1e-3)
    assert np.isinf(helix.radius_mm(1.0, 1, 0.0))


def test_straight_line_limit_at_high_pt_and_zero_field():
    rng = np.random.default_rng(1)
    n = 200
    x, y, z = rng.normal(0, 5, (3, n))
    phi, pz = rng.uniform(-np.pi, np.pi, n), rng.normal(0, 1000, n)
    pt = np.full(n, 5000.0)  # R = 8 km
    px, py = pt * np.cos(phi), pt * np.sin(phi)
    q = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    d0, z0 = detector.perigee(x, y, z, px, py, pz)
    p = helix.helix_perigee(x, y, z, px, py, pz, q, 2.0)
    np.testing.assert_allclose(p.d0, d0, atol=2e-5)
    np.testing.assert_allclose(p.z0, z0, atol=2e-4)
    p0 = helix.helix_perigee(x, y, z, px, py, pz, q, 0.0)
    np.testing.assert_array_equal(p0.d0, d0)


def test_track_from_first_pixel_layer_has_curvature_d0():
    # produced at r = 33 mm, moving radially outwards with pT = 1 GeV in 2 T: |d0| ~ r^2 / 2R = 0.33 mm
    x, y = np.array([33.0, 33.0]), np.zeros(2)
    p = helix.helix_perigee(x, y, np.zeros(2), np.ones(2), np.zeros(2), np.zeros(2), np.array([1.0, -1.0]), 2.0)
    r = helix.radius_mm(1.0, 1, 2.0)
    np.testing.assert_allclose(np.abs(p.d0), r - np.sqrt(r**2 - 33.0**2), rtol=1e-3)
    assert np.abs(p.d0[0]) == pytest.approx(0.326, abs=0.005)
    assert np.sign(p.d0[0]) == -np.sign(p.d0[1])  # opposite charges curve to opposite sides
    # the PCA lies on the ATLAS convention line (-d0 sin phi0, d0 cos phi0) and is on the circle
    for k in range(2):
        q = 1.0 if k == 0 else -1.0
        cx, cy = 33.0, -q * r  # centre for q B > 0 is to the right of the motion
        pca = np.array([-p.d0[k] * np.sin(p.phi0[k]), p.d0[k] * np.cos(p.phi0[k])])
        assert np.hypot(pca[0] - cx, pca[1] - cy) == pytest.approx(r, rel=1e-9)


def test_prompt_tracks_have_zero_d0_and_true_z0():
    rng = np.random.default_rng(2)
    n = 100
    pt, phi, pz = rng.uniform(0.5, 50, n), rng.uniform(-np.pi, np.pi, n), rng.normal(0, 10, n)
    q = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    z = rng.normal(0, 40, n)
    p = helix.helix_perigee(np.zeros(n), np.zeros(n), z, pt * np.cos(phi), pt * np.sin(phi), pz, q, 2.0)
    np.testing.assert_allclose(p.d0, 0.0, atol=1e-9)
    np.testing.assert_allclose(p.z0, z, atol=1e-9)
    np.testing.assert_allclose(p.phi0, phi, atol=1e-9)


def test_z0_follows_the_helix_backwards():
    # a point on a helix started at the origin: the perigee must give back the origin's z0 = 0
    r, q, b = helix.radius_mm(0.8, 1, 2.0), 1.0, 2.0
    turn = 0.05  # rad travelled
    phi_start = 0.4
    # clockwise motion for q B > 0: direction angle decreases
    cx, cy = r * np.sin(phi_start), -r * np.cos(phi_start)
    ang = np.arctan2(0 - cy, 0 - cx) - turn
    x, y = cx + r * np.cos(ang), cy + r * np.sin(ang)
    phi_now = phi_start - turn
    pz = 0.3
    z = r * turn * pz / 0.8
    p = helix.helix_perigee(np.array([x]), np.array([y]), np.array([z]), np.array([0.8 * np.cos(phi_now)]),
                            np.array([0.8 * np.sin(phi_now)]), np.array([pz]), np.array([q]), b)
    assert p.d0[0] == pytest.approx(0.0, abs=1e-7)
    assert p.z0[0] == pytest.approx(0.0, abs=1e-7)
    assert p.phi0[0] == pytest.approx(phi_start, abs=1e-9)
