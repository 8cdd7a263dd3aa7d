"""The embedded sample against real simulation (CMS PFNano, ATLAS PHYSLITE), per flavour.

Statistics (jettag.generate.validation): tracks per jet with pT > 1 GeV, per-track fractions with
sd0 > 3, sd0 < -3, |sz0| > 3, and the fraction of jets with >= 2 tracks of sd0 > 3. The
light-jet numbers of the realistic embedded sample must lie within a factor ``DETECTOR_FACTOR``
of each real file's, widened by ``N_SIGMA`` combined binomial errors (the factor allows for
detector differences: the two real detectors themselves differ by a factor ~3 in |sz0| > 3); the
``ideal`` preset must fail the same comparison. The ATLAS file's tracks are
thinned (~0.5 ghost-associated tracks per jet survive), so only per-track fractions are compared
with it. The table in docs/detector.md comes from the same functions at larger statistics.
"""

from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot
import yaml

from jettag.generate import generate_shard
from jettag.generate.validation import Summary, summarise, within_factor
from tests.conftest import realdata

N_SIGMA = 3.0
DETECTOR_FACTOR = 2.0
N_EVENTS = 120
TRACK_FRACTIONS = ("frac_sd0_gt3", "frac_sd0_lt_m3", "frac_abs_sz0_gt3")
JET_LEVEL = ("frac_jets_2sd0_gt3",)
ROOT = Path(__file__).parents[1]


def light(jets) -> Summary:
    j = jets[(jets.label == 0) & (jets.pt > 20) & (abs(jets.eta) < 2.5)]
    return summarise(j.eta, j.phi, j.trk_pt, j.trk_eta, j.trk_phi, j.d0, j.sigma_d0, j.z0st, j.sigma_z0st)


def _zip(depth=1, **kw):
    return ak.zip(kw, depth_limit=depth)


def embedded(tmp_path, detector):
    path = tmp_path / f"{detector}.root"
    generate_shard({"n_events": N_EVENTS, "seed": 21, "detector": detector}, 0, path, no_progress=True)
    a = uproot.open(path)["jets"].arrays()
    return _zip(pt=a.jet_pt, eta=a.jet_eta, phi=a.jet_phi, label=a.HadronConeExclTruthLabelID, trk_pt=a.track_pt,
                trk_eta=a.track_eta, trk_phi=a.track_phi, d0=a.track_d0, sigma_d0=a.track_sigma_d0,
                z0st=a.track_z0SinTheta, sigma_z0st=a.track_sigma_z0SinTheta)


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("validation")
    return {d: light(embedded(tmp, d)) for d in ("realistic", "ideal")}


def cms_jets():
    from jettag.io.reader import read_all

    path = realdata("nano106X_on_mini106X_2017_mc_NANO.root")
    cfg = yaml.safe_load((ROOT / "config" / "examples" / "cms_nanoaod.yaml").read_text())
    spec = next(iter(cfg["samples"].values()))["input"]
    j = read_all([path], spec, step_size=40)
    t = j.tracks
    return _zip(pt=j.pt, eta=j.eta, phi=j.phi, label=j.label, trk_pt=t.pt, trk_eta=t.eta, trk_phi=t.phi,
                d0=t.d0, sigma_d0=t.sigma_d0, z0st=t.z0SinTheta, sigma_z0st=t.sigma_z0SinTheta)


def atlas_jets():
    """AnalysisJets with their ghost-associated InDetTrackParticles (d0 w.r.t. the beam line, z0
    moved to the primary vertex, errors from the packed covariance: d0 at 0, z0 at 2)."""
    path = realdata("uproot-issue-798.root")
    jet, trk = "AnalysisJetsAuxDyn.", "InDetTrackParticlesAuxDyn."
    names = [f"{jet}{k}" for k in ("pt", "eta", "phi", "HadronConeExclTruthLabelID", "GhostTrack")]
    names += [f"{trk}{k}" for k in ("d0", "z0", "vz", "theta", "phi", "qOverP", "definingParametersCovMatrix")]
    a = uproot.open(path)["CollectionTree"].arrays([*names, "PrimaryVerticesAuxDyn.z", "PrimaryVerticesAuxDyn.vertexType"])
    n_trk = ak.num(a[f"{trk}d0"])
    link = a[f"{jet}GhostTrack"]
    ok = (link.m_persKey != 0) & (link.m_persIndex < n_trk)  # key 0: the linked track was thinned away
    idx = link.m_persIndex[ok] + (np.cumsum(ak.to_numpy(n_trk)) - ak.to_numpy(n_trk))
    per_jet, per_event = ak.num(ak.flatten(idx, axis=1)), ak.num(idx, axis=1)
    flat = ak.to_numpy(ak.flatten(idx, axis=None)).astype(np.int64)

    def take(arr):
        return ak.unflatten(ak.unflatten(ak.flatten(arr)[flat], per_jet), per_event)

    pv = a["PrimaryVerticesAuxDyn.z"][a["PrimaryVerticesAuxDyn.vertexType"] == 1]
    theta, cov = take(a[f"{trk}theta"]), take(a[f"{trk}definingParametersCovMatrix"])
    z0 = take(a[f"{trk}z0"]) + take(a[f"{trk}vz"]) - ak.fill_none(ak.firsts(pv), 0.0)
    jets = _zip(2, pt=a[f"{jet}pt"] / 1000.0, eta=a[f"{jet}eta"], phi=a[f"{jet}phi"], label=a[f"{jet}HadronConeExclTruthLabelID"],
                trk_pt=abs(1.0 / take(a[f"{trk}qOverP"])) * np.sin(theta) / 1000.0, trk_eta=-np.log(np.tan(theta / 2)),
                trk_phi=take(a[f"{trk}phi"]), d0=take(a[f"{trk}d0"]), sigma_d0=np.sqrt(cov[..., 0]),
                z0st=z0 * np.sin(theta), sigma_z0st=np.sqrt(cov[..., 2]) * np.sin(theta))
    return ak.flatten(jets)


def _failures(emb: Summary, real: Summary, keys) -> list[str]:
    return [f"{k}: embedded {getattr(emb, k)[0]:.3f} +- {getattr(emb, k)[1]:.3f}, real {getattr(real, k)[0]:.3f} "
            f"+- {getattr(real, k)[1]:.3f}" for k in keys
            if not within_factor(getattr(emb, k), getattr(real, k), DETECTOR_FACTOR, N_SIGMA)]


@pytest.mark.realdata
def test_light_jets_match_cms(samples):
    cms = light(cms_jets())
    assert cms.n_jets > 300 and cms.n_tracks > 2000
    assert not _failures(samples["realistic"], cms, TRACK_FRACTIONS + JET_LEVEL)
    # the ideal detector is far too clean: prompt light jets with no pile-up, fakes or material
    assert _failures(samples["ideal"], cms, TRACK_FRACTIONS + JET_LEVEL)


@pytest.mark.realdata
def test_light_jets_match_atlas(samples):
    atlas = light(atlas_jets())
    assert atlas.n_jets > 50 and atlas.n_tracks > 30
    assert not _failures(samples["realistic"], atlas, TRACK_FRACTIONS)


def test_realistic_tails_exceed_ideal(samples):
    real, ideal = samples["realistic"], samples["ideal"]
    for k in TRACK_FRACTIONS + JET_LEVEL:
        assert getattr(real, k)[0] > getattr(ideal, k)[0] + 2 * np.hypot(getattr(real, k)[1], getattr(ideal, k)[1]), k
    assert real.tracks_per_jet[0] < ideal.tracks_per_jet[0]  # tracking efficiency below 1
