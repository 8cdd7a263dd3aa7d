"""Delphes layout: Delta R association of tracks to jets, flavour labels, the real file."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import uproot

from jettag.io import read_all
from jettag.io.layouts.delphes import Cone, associate
from tests.conftest import realdata


def test_cone_is_the_atlas_pt_dependent_cone():
    cone = Cone()
    assert cone.radius(np.array([20.0]))[0] == pytest.approx(0.239 + np.exp(-1.22 - 1.64e-5 * 20e3))
    assert cone.radius(np.array([1000.0]))[0] == pytest.approx(0.239, abs=1e-6)


def test_each_track_goes_to_its_closest_jet_inside_the_cone():
    # event 0: jets at eta 0 and 0.5 (phi 0); tracks at eta 0.1 (jet 0), 0.3 (closer to jet 1),
    # 2.0 (no jet); phi wrap: jet at phi 3.1, track at -3.1 (dR 0.083)
    jet_pt = ak.Array([[100.0, 100.0], [50.0], []])
    jet_eta = ak.Array([[0.0, 0.5], [0.0], []])
    jet_phi = ak.Array([[0.0, 0.0], [3.1], []])
    trk_eta = ak.Array([[0.1, 0.3, 2.0], [0.0], [0.2]])
    trk_phi = ak.Array([[0.0, 0.0, 0.0], [-3.1], [0.0]])
    got = associate(jet_pt, jet_eta, jet_phi, trk_eta, trk_phi)
    assert got.tolist() == [[0, 1, -1], [0], [-1]]
    # a fixed cone of 0.05 keeps only the first track
    small = Cone(r0=0.05, a=-np.inf, b=0.0)
    assert associate(jet_pt, jet_eta, jet_phi, trk_eta, trk_phi, small).tolist() == [[-1, -1, -1], [-1], [-1]]


def _write(path):
    data = {
        "Jet.PT": ak.Array([[60.0, 40.0], [30.0]]),
        "Jet.Eta": ak.Array([[0.0, 1.5], [-1.0]]),
        "Jet.Phi": ak.Array([[0.0, 2.0], [1.0]]),
        "Jet.Flavor": ak.values_astype(ak.Array([[5, 21], [4]]), np.uint32),
        "Event.Number": ak.Array([[11], [12]]),
        "Track.PT": ak.Array([[5.0, 3.0, 2.0, 9.0], [4.0]]),
        "Track.Eta": ak.Array([[0.05, 1.45, 3.0, -0.1], [-1.1]]),
        "Track.Phi": ak.Array([[0.02, 2.1, 0.0, -0.05], [1.0]]),
        "Track.Charge": ak.Array([[1, -1, 1, -1], [1]]),
        "Track.D0": ak.Array([[0.1, -0.02, 0.0, 0.3], [0.05]]),
        "Track.DZ": ak.Array([[0.2, 0.1, 0.0, -0.4], [0.3]]),
        "Track.ErrorD0": ak.Array([[0.01, 0.02, 0.03, 0.01], [0.02]]),
        "Track.ErrorDZ": ak.Array([[0.05, 0.06, 0.07, 0.05], [0.04]]),
    }
    with uproot.recreate(path) as f:
        f["Delphes"] = {k: v for k, v in data.items()}


def test_constructed_events(tmp_path):
    path = tmp_path / "delphes.root"
    _write(path)
    jets = read_all([str(path)], {"layout": "delphes", "tree": "Delphes"})
    assert jets.label.tolist() == [5, 0, 4]
    assert jets.eventNumber.tolist() == [11, 11, 12]
    assert jets.tracks.pt.tolist() == [[5.0, 9.0], [3.0], [4.0]]
    # ATLAS sign convention: d0 = -D0; z0 sin(theta) = DZ / cosh(eta)
    assert jets.tracks.d0.tolist()[0] == pytest.approx([-0.1, -0.3])
    assert jets.tracks.z0SinTheta[2][0] == pytest.approx(0.3 / np.cosh(-1.1), rel=1e-6)
    assert jets.tracks.sigma_z0SinTheta[2][0] == pytest.approx(0.04 / np.cosh(-1.1), rel=1e-6)


def test_real_delphes_file():
    jets = read_all([str(realdata("uproot-issue513.root"))], {"layout": "delphes"})
    labels, counts = np.unique(np.asarray(jets.label), return_counts=True)
    assert dict(zip(labels.tolist(), counts.tolist(), strict=True)) == {0: 31, 4: 5, 5: 24}
    t = jets.tracks
    dr = np.hypot(t.eta - jets.eta, (t.phi - jets.phi + np.pi) % (2 * np.pi) - np.pi)
    assert float(ak.max(dr)) < 0.239 + np.exp(-1.22 - 1.64e-5 * 1e3 * float(ak.min(jets.pt)))
    assert 200 < int(ak.sum(ak.num(t))) < 818  # every track at most once


def test_the_cone_is_configurable(tmp_path):
    path = tmp_path / "delphes.root"
    _write(path)
    # a fixed cone of 0.2 keeps every track near a jet; one of 0.1 keeps only the track at
    # dR 0.054 and drops those at dR 0.112 (pT 9 and 3) and at dR 0.100 (pT 4, not inside)
    wide = read_all([str(path)], {"layout": "delphes", "tree": "Delphes", "cone": {"radius": 0.2}})
    narrow = read_all([str(path)], {"layout": "delphes", "tree": "Delphes", "cone": {"radius": 0.1}})
    assert wide.tracks.pt.tolist() == [[5.0, 9.0], [3.0], [4.0]]
    assert narrow.tracks.pt.tolist() == [[5.0], [], []]
    assert Cone.from_config({"r0": 0.3}).radius(np.array([1e4]))[0] == pytest.approx(0.3, abs=1e-6)
    from jettag.errors import JettagError

    with pytest.raises(JettagError, match="input.cone"):
        read_all([str(path)], {"layout": "delphes", "tree": "Delphes", "cone": {"radius": 0.2, "r0": 0.1}})
