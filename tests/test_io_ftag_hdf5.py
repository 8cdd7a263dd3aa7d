"""FTAG HDF5 in (atlas-ftag-tools mock files) through the ``ftag_hdf5`` layout."""

from __future__ import annotations

import awkward as ak
import h5py
import numpy as np
import pytest
from ftag.mock import get_mock_file

from jettag.errors import JettagError
from jettag.io import read_all, read_jets
from jettag.io.ftag_hdf5 import FtagTree

# the mock files have no d0/z0 uncertainties: map two other positive columns
SPEC = {"layout": "ftag_hdf5",
        "tracks": {"sigma_d0": "tracks.phiUncertainty", "sigma_z0SinTheta": "tracks.thetaUncertainty"}}


@pytest.fixture(scope="module")
def mock(tmp_path_factory):
    fname = str(tmp_path_factory.mktemp("ftag") / "mock.h5")
    _, f = get_mock_file(300, fname=fname, num_tracks=12)
    f.close()
    with h5py.File(fname) as f:
        return fname, f["jets"][:], f["tracks"][:]


def test_read_equals_the_file_contents(mock):
    fname, jets, tracks = mock
    got = read_all([fname], SPEC, step_size=64)  # several chunks
    valid = tracks["valid"]
    assert len(got) == len(jets)
    assert np.allclose(np.asarray(got.pt), jets["pt"] / 1e3, rtol=1e-6)
    assert np.array_equal(np.asarray(got.label), jets["HadronConeExclTruthLabelID"])
    assert np.array_equal(np.asarray(got.eventNumber), np.arange(len(jets)))  # row numbers
    assert np.array_equal(np.asarray(ak.num(got.tracks)), valid.sum(axis=1))
    t = got.tracks
    for ours, theirs in (("d0", "d0"), ("z0SinTheta", "z0SinTheta"), ("phi", "dphi"),
                         ("numberOfPixelHits", "numberOfPixelHits"), ("sigma_d0", "phiUncertainty")):
        assert np.allclose(np.asarray(ak.flatten(t[ours])), tracks[theirs][valid], rtol=1e-6), ours
    eta = (tracks["deta"] + jets["eta"][:, None])[valid]
    assert np.allclose(np.asarray(ak.flatten(t.eta)), eta, rtol=1e-5, atol=1e-6)
    assert np.allclose(np.asarray(ak.flatten(t.charge)), np.sign(tracks["qOverP"][valid]))
    pt = 1.0 / np.abs(tracks["qOverP"][valid]) / np.cosh(eta) / 1e3
    assert np.allclose(np.asarray(ak.flatten(t.pt)), pt, rtol=1e-5)
    assert set(np.unique(np.asarray(ak.flatten(t.truthOrigin))).tolist()) == {-1}  # not in mock


def test_missing_uncertainty_names_the_dataset_field(mock):
    with pytest.raises(JettagError, match="tracks.d0Uncertainty"):
        next(read_jets([mock[0]], {"layout": "ftag_hdf5"}))


def test_tree_presents_jets_and_tracks_fields(mock):
    tree = FtagTree(mock[0])
    assert tree.num_entries == 300
    assert "jets.pt" in tree.keys() and "tracks.d0" in tree.keys() and "tracks.valid" not in tree.keys()
    with pytest.raises(JettagError, match="no dataset 'jetz'"):
        FtagTree(mock[0], "jetz")
