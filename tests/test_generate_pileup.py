"""Minimum-bias library and its overlay."""

import numpy as np
import pytest

from jettag.flavours import ORIGIN_INDEX
from jettag.generate import pileup

DET = {"beamspot_sigma_xy": 0.010, "beamspot_sigma_z": 42.0}


@pytest.fixture(scope="module")
def library():
    return pileup.make_library(40, 0.45, 13000.0, seed=3)


def test_library_holds_trackable_charged_particles(library):
    assert library.n_events == 40
    pt = np.hypot(library.px, library.py)
    eta = np.arcsinh(library.pz / pt)
    assert (pt > 0.45).all() and (np.abs(eta) < 2.5).all() and (np.abs(library.charge) >= 1).all()
    per_event = np.diff(library.offsets).mean()
    assert 5 < per_event < 40  # non-diffractive 13 TeV: ~ 6 charged / unit eta above 0.4 GeV


def test_overlay_poisson_vertices_and_rotation(library):
    rng = np.random.default_rng(1)
    pu = pileup.overlay(library, 400, 30.0, DET, rng)
    assert (pu.origin == ORIGIN_INDEX["pileup"]).all()
    per_event = np.bincount(pu.event, minlength=400)
    expect = 30.0 * np.diff(library.offsets).mean()
    assert per_event.mean() == pytest.approx(expect, rel=0.1)
    prompt = pu.prod_r < 0.1  # long-lived decays (K0L, ...) move production points by metres
    assert np.std(pu.z[prompt]) == pytest.approx(42.0, rel=0.1)  # vertices spread like the beam spot
    phi = np.arctan2(pu.py, pu.px)
    assert np.histogram(phi, 8, (-np.pi, np.pi))[0].min() > 0.8 * len(phi) / 8  # random rotation
    # momenta are only rotated/mirrored: the pT spectrum is the library's
    assert np.median(pu.pt) == pytest.approx(np.median(np.hypot(library.px, library.py)), rel=0.1)
    assert len(pileup.overlay(library, 10, 0.0, DET, rng)) == 0


def test_keep_selects_before_gathering(library):
    full = pileup.overlay(library, 50, 20.0, DET, np.random.default_rng(7))
    part = pileup.overlay(library, 50, 20.0, DET, np.random.default_rng(7),
                          keep=lambda ev, eta, phi: (eta > 0) & (np.abs(phi) < 1.0))
    sel = (full.eta > 0) & (np.abs(np.arctan2(full.py, full.px)) < 1.0)
    np.testing.assert_allclose(part.px, full.px[sel])
    np.testing.assert_allclose(part.z, full.z[sel])
    np.testing.assert_array_equal(part.event, full.event[sel])
