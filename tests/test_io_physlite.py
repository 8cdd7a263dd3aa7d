"""ATLAS PHYSLITE layouts (TTree and RNTuple): GhostTrack links, perigee parameters, covariance."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import uproot

from jettag.io import read_all
from jettag.io.layouts import LAYOUTS
from jettag.io.layouts.physlite import PACKED_DIAGONAL, unpack_covariance
from tests.conftest import realdata

FILE = "uproot-issue-798.root"
T = "InDetTrackParticlesAuxDyn."


@pytest.fixture(scope="module")
def physlite():
    path = realdata(FILE)
    return path, read_all([str(path)], {"layout": "physlite"})


def _raw(path, names):
    tree = uproot.open(path)["CollectionTree"]
    return {n: tree[n].array() for n in names}


def test_jets_per_flavour_and_every_linked_track(physlite):
    path, jets = physlite
    labels, counts = np.unique(np.asarray(jets.label), return_counts=True)
    assert dict(zip(labels.tolist(), counts.tolist(), strict=True)) == {0: 266, 4: 22, 5: 72, 15: 12}
    links = _raw(path, ["AnalysisJetsAuxDyn.GhostTrack"])["AnalysisJetsAuxDyn.GhostTrack"]
    valid = ak.sum(links.m_persKey != 0, axis=2)  # thinned tracks: key 0
    assert np.array_equal(ak.num(jets.tracks), ak.flatten(valid))
    assert int(ak.sum(ak.num(jets.tracks))) == 169
    assert len(np.unique(np.asarray(jets.eventNumber))) == 40


def test_track_parameters_from_the_raw_branches(physlite):
    path, jets = physlite
    names = [T + v for v in ("d0", "z0", "vz", "theta", "phi", "qOverP", "definingParametersCovMatrix")]
    names += ["AnalysisJetsAuxDyn.GhostTrack", "PrimaryVerticesAuxDyn.z", "PrimaryVerticesAuxDyn.vertexType"]
    raw = _raw(path, names)
    checked = 0
    for ev in (0, 7, 21):
        pv = np.asarray(raw["PrimaryVerticesAuxDyn.z"][ev])[np.asarray(raw["PrimaryVerticesAuxDyn.vertexType"][ev]) == 1][0]
        first_jet = int(np.sum(ak.num(raw["AnalysisJetsAuxDyn.GhostTrack"][:ev], axis=1)))
        for j, jet_links in enumerate(raw["AnalysisJetsAuxDyn.GhostTrack"][ev]):
            idx = [int(x.m_persIndex) for x in jet_links if int(x.m_persKey) != 0]
            got = jets.tracks[first_jet + j]
            for k, i in enumerate(idx):
                g = lambda v, i=i, ev=ev: float(raw[T + v][ev][i])  # noqa: E731
                theta, cov = g("theta"), np.asarray(raw[T + "definingParametersCovMatrix"][ev][i], dtype=float)
                z0 = g("z0") + g("vz") - pv
                assert got.d0[k] == pytest.approx(g("d0"), rel=1e-6)
                assert got.sigma_d0[k] == pytest.approx(np.sqrt(cov[0]), rel=1e-5)
                assert got.z0SinTheta[k] == pytest.approx(z0 * np.sin(theta), rel=1e-5, abs=1e-6)
                want = np.sqrt(np.sin(theta) ** 2 * cov[2] + (z0 * np.cos(theta)) ** 2 * cov[9])
                assert got.sigma_z0SinTheta[k] == pytest.approx(want, rel=1e-5)
                assert got.pt[k] == pytest.approx(np.sin(theta) / abs(g("qOverP")) / 1e3, rel=1e-5)
                assert got.charge[k] == np.sign(g("qOverP"))
                assert got.eta[k] == pytest.approx(-np.log(np.tan(theta / 2)), abs=1e-5)
                checked += 1
    assert checked >= 5


def test_b_jets_have_larger_impact_parameter_significance(physlite):
    _, jets = physlite
    sd0 = np.abs(jets.tracks.d0 / jets.tracks.sigma_d0)
    has = ak.num(sd0) > 0
    max_sd0 = np.asarray(ak.max(sd0[has], axis=1))
    lab = np.asarray(jets.label[has])
    assert np.median(max_sd0[lab == 5]) > 3 * np.median(max_sd0[lab == 0])


def test_covariance_packing_is_the_lower_triangle():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 5, 5))
    cov = a @ np.transpose(a, (0, 2, 1))
    packed = np.stack([np.concatenate([cov[n, i, : i + 1] for i in range(5)]) for n in range(4)])
    assert np.allclose(unpack_covariance(packed), cov)
    assert np.allclose(packed[:, list(PACKED_DIAGONAL)], np.diagonal(cov, axis1=1, axis2=2))


def _write_rntuple(path, src, diag: bool):
    """The PHYSLITE arrays the layout reads, as an RNTuple (``Container:var`` names)."""
    tree = uproot.open(src)["CollectionTree"]
    names = [n for n in tree.keys() if n.startswith(("AnalysisJetsAuxDyn.", T, "PrimaryVerticesAuxDyn.z", "PrimaryVerticesAuxDyn.vertexType"))]
    want = {"pt", "eta", "phi", "HadronConeExclTruthLabelID", "GhostTrack", "d0", "z0", "vz", "theta", "qOverP", "z", "vertexType",
            "definingParametersCovMatrix"} | {n.split(".")[-1] for n in names if ".numberOf" in n}
    data = {}
    for n in names:
        var = n.split(".", 1)[1]
        if var in want:
            data[n.replace(".", ":", 1)] = tree[n].array()
    data["EventInfoAuxDyn:eventNumber"] = tree["EventInfoAux./EventInfoAux.eventNumber"].array()
    if diag:
        cov = data.pop(T.replace(".", ":") + "definingParametersCovMatrix")
        flat = np.asarray(ak.flatten(ak.flatten(cov, axis=1)), dtype=np.float32).reshape(-1, 15)
        per_track = ak.unflatten(ak.Array(flat[:, list(PACKED_DIAGONAL)].ravel()), 5)
        data[T.replace(".", ":") + "definingParametersCovMatrixDiag"] = ak.unflatten(per_track, ak.num(cov, axis=1))
    with uproot.recreate(path) as f:
        f.mkrntuple("EventData", ak.Array(data))


@pytest.mark.parametrize("diag", [False, True], ids=["packed", "diag"])
def test_rntuple_gives_the_same_jets(physlite, tmp_path, diag):
    path, jets = physlite
    out = tmp_path / "physlite_rntuple.root"
    _write_rntuple(out, path, diag)
    got = read_all([str(out)], {"layout": "physlite_rntuple"})
    for field in ("pt", "eta", "phi", "label", "eventNumber"):
        assert np.array_equal(np.asarray(got[field]), np.asarray(jets[field]))
    for field in jets.tracks.fields:
        a, b = ak.flatten(got.tracks[field]), ak.flatten(jets.tracks[field])
        assert np.allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=0), field
    assert LAYOUTS["physlite_rntuple"].detect({"AnalysisJetsAuxDyn:GhostTrack": "?"}) > 0
