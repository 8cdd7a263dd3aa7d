"""Photon conversions and hadronic interactions in the beam pipe and pixel layers."""

import numpy as np
import pytest

from jettag.flavours import ORIGIN_INDEX
from jettag.generate import material
from jettag.generate.candidates import Candidates

RADII = [24.0, 33.0, 50.5]


def beam(n, pt=5.0, eta=0.0, charge=0.0, r0=0.0, origin=2, hadron=False, seed=0):
    rng = np.random.default_rng(seed)
    phi = rng.uniform(-np.pi, np.pi, n)
    return Candidates.make(np.arange(n) % 7, r0 * np.cos(phi), r0 * np.sin(phi), np.zeros(n),
                           pt * np.cos(phi), pt * np.sin(phi), np.full(n, pt * np.sinh(eta)),
                           np.full(n, charge), origin, None, np.full(n, hadron))


def test_conversion_probability_and_pairs():
    x0 = np.array([0.003, 0.019, 0.027])
    g = beam(40000)
    pairs = material.conversions(g, RADII, x0, np.random.default_rng(1))
    expect = 1 - np.exp(-7 / 9 * x0.sum())
    assert len(pairs) / 2 / len(g) == pytest.approx(expect, rel=0.05)
    r = pairs.prod_r
    assert set(np.round(r, 6)) <= set(RADII) and (r > np.min(RADII)).all()
    assert np.mean(np.isclose(r, 24.0)) == pytest.approx(0.003 / x0.sum(), rel=0.2)
    n = len(pairs) // 2
    np.testing.assert_allclose(pairs.pt[:n] + pairs.pt[n:], 5.0)  # momentum shared
    assert set(pairs.charge) == {-1.0, 1.0}
    assert (pairs.origin == ORIGIN_INDEX["otherSecondary"]).all()
    # a longer path at larger |eta|: more conversions
    fwd = material.conversions(beam(40000, eta=2.0), RADII, x0, np.random.default_rng(1))
    assert len(fwd) > 2.5 * len(pairs)


def test_no_conversion_before_the_production_radius():
    g = beam(5000, r0=40.0)
    pairs = material.conversions(g, RADII, [0.5, 0.5, 0.5], np.random.default_rng(2))
    assert (pairs.prod_r > 40.0).all() and len(pairs) > 0


def test_hadronic_interactions():
    h = beam(30000, pt=10.0, charge=1.0, hadron=True)
    lam = np.array([0.0025, 0.004, 0.006])
    survive, sec = material.hadronic(h, RADII, lam, np.random.default_rng(3))
    lost = 1 - survive.mean()
    assert lost == pytest.approx(1 - np.exp(-lam.sum()), rel=0.1)
    n_parent = (~survive).sum()
    assert len(sec) / n_parent == pytest.approx(3.0, rel=0.1)  # 2 + Poisson(1)
    assert np.isin(np.round(sec.prod_r, 6), RADII).all()
    p_sec = np.sqrt(sec.px**2 + sec.py**2 + sec.pz**2).sum() / n_parent
    assert p_sec == pytest.approx(0.7 * 10.0, rel=0.1)
    # secondaries keep their parent's direction roughly; pile-up parents give pile-up secondaries
    assert np.median(np.abs(sec.eta)) < 0.2
    _, sec_pu = material.hadronic(beam(30000, charge=1.0, hadron=True, origin=ORIGIN_INDEX["pileup"]),
                                  RADII, lam, np.random.default_rng(3))
    assert (sec_pu.origin == ORIGIN_INDEX["pileup"]).all()
    # leptons and neutral particles do not interact
    keep, none = material.hadronic(beam(1000, charge=1.0, hadron=False), RADII, lam * 100, np.random.default_rng(4))
    assert keep.all() and len(none) == 0
