"""End-to-end physics of ``generate_shard`` on one small ttbar shard (generated once per module)."""

import os

import awkward as ak
import numpy as np
import pytest
import uproot

from jettag.errors import JettagError
from jettag.flavours import ORIGIN_INDEX, TRACK_ORIGINS
from jettag.generate import generate_shard
from jettag.generate.detector import SURFACE_RADII

N_EVENTS = 300
# the realistic default without resolution tails and with a perfect PV z, so that the pulls of
# prompt tracks are known (the beam spot's contribution to d0 is accounted for below; the PV
# resolution is tested in test_generate_vertex)
SPEC = {"process": "ttbar", "n_events": N_EVENTS, "seed": 11, "detector": {"tail_fraction": 0.0, "pv_z_resolution": 0.0}}
BEAMSPOT_XY = 0.010
PRIMARY, FROM_B, FROM_BC = (ORIGIN_INDEX[k] for k in ("primary", "fromB", "fromBC"))


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("gen") / "shard3.root"
    generate_shard(SPEC, 3, path, no_progress=True)
    return uproot.open(path)["jets"].arrays()


def second_largest(x):
    s = ak.sort(x, axis=1, ascending=False)
    return ak.fill_none(ak.pad_none(s, 2, clip=True)[:, 1], -99.0).to_numpy()


def test_layout_and_cuts(sample):
    a = sample
    assert len(a) > 3 * N_EVENTS  # ttbar: several jets per event
    assert ak.all(a.jet_pt > 20) and ak.all(abs(a.jet_eta) < 2.5)
    assert ak.all(a.track_pt > 0.5) and ak.all(abs(a.track_eta) < 2.5)
    assert ak.all(abs(a.track_charge) == 1)
    assert ak.all(ak.num(a.track_pt) == a.jet_nTracks)
    ev = a.eventNumber.to_numpy()
    assert ev.dtype == np.int64 and ev.min() >= 3 * 10**7 and ev.max() < 3 * 10**7 + N_EVENTS
    assert len(np.unique(ev)) > 0.95 * N_EVENTS
    assert set(np.unique(ak.flatten(a.track_truthOrigin).to_numpy())) <= set(range(len(TRACK_ORIGINS)))
    # residues of eventNumber % 10 are all used about equally (splits)
    per = np.bincount(np.unique(ev) % 10, minlength=10)
    assert per.min() >= 0.8 * per.mean()


def test_flavour_composition(sample):
    lab = sample.HadronConeExclTruthLabelID.to_numpy()
    assert set(np.unique(lab)) <= {0, 4, 5, 15}
    frac = {k: np.mean(lab == k) for k in (0, 4, 5)}
    assert 0.2 < frac[5] < 0.45  # ttbar: two b-jets among ~5 jets
    assert 0.05 < frac[4] < 0.25
    assert frac[0] > 0.35
    # every b-labelled jet carries its b-hadron, light jets have none
    has_b = ~np.isnan(sample.jet_bHadron_pt.to_numpy())
    assert has_b[lab == 5].all() and not has_b[lab == 0].any()


def test_sd0_separates_flavours(sample):
    lab = sample.HadronConeExclTruthLabelID.to_numpy()
    s2 = second_largest(sample.track_sd0)
    med = {k: np.median(s2[lab == k]) for k in (5, 4, 0)}
    assert med[5] > 2 * med[4] and med[4] > 1.3 * med[0]
    assert med[5] > 5


def test_b_hadron_proper_decay_length(sample):
    a = sample
    ok = ~np.isnan(a.jet_bHadron_pt.to_numpy())
    x, y, z = (a[f"jet_bHadron_decay{c}"].to_numpy()[ok] for c in "XYZ")
    p = a.jet_bHadron_pt.to_numpy()[ok] * np.cosh(a.jet_bHadron_eta.to_numpy()[ok])
    ctau = np.sqrt(x**2 + y**2 + z**2) * a.jet_bHadron_m.to_numpy()[ok] / p  # produced at the PV
    assert ok.sum() > 300
    assert np.mean(ctau) == pytest.approx(0.455, rel=0.15)


def test_prompt_track_pulls_match_configured_resolution(sample):
    origin = ak.flatten(sample.track_truthOrigin).to_numpy()
    prim = origin == PRIMARY
    sig = ak.flatten(sample.track_sigma_d0).to_numpy()[prim]
    pull = (ak.flatten(sample.track_d0) / ak.flatten(sample.track_sigma_d0)).to_numpy()[prim]
    pz = (ak.flatten(sample.track_z0SinTheta) / ak.flatten(sample.track_sigma_z0SinTheta)).to_numpy()[prim]
    # d0 is measured w.r.t. the beam line: the hard-scatter vertex's offset adds in quadrature
    expect = np.sqrt(np.mean(1.0 + (BEAMSPOT_XY / sig) ** 2))
    assert np.std(pull) == pytest.approx(expect, rel=0.1)
    assert np.std(pz) == pytest.approx(1.0, abs=0.1)
    assert abs(np.mean(pull)) < 0.05
    # heavy-flavour tracks are displaced: much wider
    hf = (origin == FROM_B) | (origin == FROM_BC)
    pull_hf = (ak.flatten(sample.track_d0) / ak.flatten(sample.track_sigma_d0)).to_numpy()[hf]
    assert np.std(pull_hf) > 3


def test_realistic_effects_are_present(sample):
    origin = ak.flatten(sample.track_truthOrigin).to_numpy()
    frac = np.bincount(origin, minlength=len(TRACK_ORIGINS)) / len(origin)
    assert frac[ORIGIN_INDEX["pileup"]] > 0.1  # before the track selection: pile-up in every cone
    assert 0.001 < frac[ORIGIN_INDEX["fake"]] < 0.03
    assert frac[ORIGIN_INDEX["otherSecondary"]] > 0.03
    # pile-up tracks have large z0 w.r.t. the PV, hard-scatter ones do not
    z0 = ak.flatten(sample.track_z0SinTheta).to_numpy()
    assert np.median(np.abs(z0[origin == ORIGIN_INDEX["pileup"]])) > 10
    assert np.median(np.abs(z0[origin == PRIMARY])) < 0.1


def test_hits_follow_production_radius(sample):
    r = ak.flatten(sample.track_prodR).to_numpy()
    ibl = ak.flatten(sample.track_numberOfInnermostPixelLayerHits).to_numpy()
    pix = ak.flatten(sample.track_numberOfPixelHits).to_numpy()
    sct = ak.flatten(sample.track_numberOfSCTHits).to_numpy()
    assert (ibl[r > SURFACE_RADII[0]] == 0).all()
    n_pix_layers = (r[:, None] < SURFACE_RADII[None, :4]).sum(axis=1)
    assert (pix <= n_pix_layers).all()
    assert (sct <= 8).all() and (pix <= 4).all()
    prompt = r < 1
    assert np.mean(pix[prompt] == 4) > 0.85 and np.mean(sct[prompt] == 8) > 0.8


def test_ideal_preset_is_the_constituent_generator(tmp_path):
    generate_shard({"n_events": 40, "seed": 5, "detector": "ideal"}, 0, tmp_path / "i.root", no_progress=True)
    a = uproot.open(tmp_path / "i.root")["jets"].arrays()
    origin = ak.flatten(a.track_truthOrigin).to_numpy()
    assert origin.min() >= PRIMARY  # no pile-up, no fakes
    prim = origin == PRIMARY
    pull = (ak.flatten(a.track_d0) / ak.flatten(a.track_sigma_d0)).to_numpy()[prim]
    assert np.median(np.abs(pull)) == pytest.approx(0.674, rel=0.15)  # Gaussian core, no beam spot
    # tracks are the jets' own constituents: (nearly) all within the anti-kt radius
    dr = ak.flatten(np.hypot(a.track_eta - a.jet_eta, (a.track_phi - a.jet_phi + np.pi) % (2 * np.pi) - np.pi))
    assert np.mean(dr.to_numpy() < 0.4) > 0.97  # anti-kt works in rapidity, tracks in eta


def test_same_seed_same_file_different_shards_differ(tmp_path):
    spec = {"n_events": 15, "seed": 5}
    generate_shard(spec, 0, tmp_path / "a.root", no_progress=True)
    generate_shard(spec, 0, tmp_path / "b.root", no_progress=True)
    generate_shard(spec, 1, tmp_path / "c.root", no_progress=True)
    a, b, c = (uproot.open(tmp_path / f"{n}.root")["jets"].arrays() for n in "abc")
    assert a.fields == b.fields and len(a) == len(b)
    for f in a.fields:
        x, y = a[f], b[f]
        if x.ndim > 1:
            assert ak.all(ak.num(x) == ak.num(y))
            x, y = ak.flatten(x), ak.flatten(y)
        np.testing.assert_array_equal(x.to_numpy(), y.to_numpy(), err_msg=f)
    assert not np.array_equal(a.jet_pt.to_numpy()[:5], c.jet_pt.to_numpy()[:5])
    assert set(a.eventNumber.to_numpy()).isdisjoint(c.eventNumber.to_numpy())
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_zprime_runs(tmp_path):
    generate_shard({"process": "zprime", "zprime_masses": [1500, 3000], "n_events": 6}, 0, tmp_path / "z.root", no_progress=True)
    a = uproot.open(tmp_path / "z.root")["jets"].arrays()
    assert ak.max(a.jet_pt) > 400


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"n_events": -5}, "n_events"),
        ({"n_events": 0}, "n_events"),
        ({"process": "qcd"}, "unknown process 'qcd'"),
        ({"n_events": 5, "detector": {"tail_fraction": 2}}, "tail_fraction"),
    ],
)
def test_bad_configuration(tmp_path, spec, match):
    with pytest.raises(JettagError, match=match):
        generate_shard(spec, 0, tmp_path / "x.root", no_progress=True)
    assert not (tmp_path / "x.root").exists()


def test_unwritable_output(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(JettagError, match="cannot write"):
        generate_shard({"n_events": 5}, 0, blocker / "x.root", no_progress=True)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            return  # running as a user who can write anywhere (root)
        with pytest.raises(JettagError, match="cannot write"):
            generate_shard({"n_events": 5}, 0, ro / "sub" / "x.root", no_progress=True)
    finally:
        ro.chmod(0o700)
