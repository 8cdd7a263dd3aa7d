import numpy as np
import pytest

from jettag.preprocess import reweighting

PT_BINS = [20, 40, 60, 100, 200, 1e6]
ETA_BINS = [0, 1.25, 2.5]


def sample(rng, n, scale):
    return 20 + rng.exponential(scale, n), rng.uniform(0, 2.5, n)


def spectra(rng):
    pt_b, eta_b = sample(rng, 20000, 80.0)
    pt_u, eta_u = sample(rng, 30000, 30.0)
    pt = np.concatenate([pt_b, pt_u])
    eta = np.concatenate([eta_b, eta_u])
    lab = np.concatenate([np.full(20000, 5), np.full(30000, 0)])
    return pt, eta, lab


def test_reweight_flattens_light_to_b():
    rng = np.random.default_rng(1)
    pt, eta, lab = spectra(rng)
    h = reweighting.FlavourHistograms(PT_BINS, ETA_BINS)
    for part in np.array_split(np.arange(len(pt)), 5):
        h.add(pt[part], eta[part], lab[part])
    maps = reweighting.weight_maps(h)
    w = reweighting.lookup(h, maps, pt, eta, lab)
    assert (w[lab == 5] == 1).all()
    hb, _ = np.histogram(pt[lab == 5], PT_BINS)
    hu_raw, _ = np.histogram(pt[lab == 0], PT_BINS)
    hu, _ = np.histogram(pt[lab == 0], PT_BINS, weights=w[lab == 0])
    raw_ratio = (hu_raw / hu_raw.sum()) / (hb / hb.sum())
    ratio = (hu / hu.sum()) / (hb / hb.sum())
    assert np.ptp(raw_ratio) > 1.0  # very different before
    np.testing.assert_allclose(ratio, 1.0, atol=1e-3)  # identical after (float32 weights)
    assert w[lab == 0].mean() == pytest.approx(1.0, abs=1e-4)


def test_out_of_range_uses_edge_bins():
    h = reweighting.FlavourHistograms([20, 50, 100], [0, 2.5])
    h.add(np.array([30.0, 70.0, 80.0]), np.array([0.1, 0.2, 0.3]), np.array([5, 5, 0]))
    maps = reweighting.weight_maps(h)
    w = reweighting.lookup(h, maps, np.array([10.0, 5000.0]), np.array([3.0, 3.0]), np.array([0, 0]))
    assert w.tolist() == [0.0, 0.5]  # no light jets in the first bin; 0.5/1 in the last


def test_resampling_reproduces_b_spectrum_and_is_reproducible():
    rng = np.random.default_rng(2)
    pt, eta, lab = spectra(rng)
    h = reweighting.FlavourHistograms(PT_BINS, ETA_BINS)
    h.add(pt, eta, lab)
    maps = reweighting.weight_maps(h)
    w = reweighting.lookup(h, maps, pt, eta, lab)
    totals = reweighting.totals(h, maps)

    def draw(seed):
        r = reweighting.StreamingResampler(totals, seed)
        return np.concatenate([r.counts(w[p], lab[p]) for p in np.array_split(np.arange(len(pt)), 7)])

    c = draw(5)
    assert np.array_equal(c, draw(5))
    assert (c[lab == 5] == 1).all()
    assert c[lab == 0].sum() == 30000  # as many light jets as before
    hb, _ = np.histogram(pt[lab == 5], PT_BINS)
    hu, _ = np.histogram(np.repeat(pt, c)[np.repeat(lab, c) == 0], PT_BINS)
    np.testing.assert_allclose(hu / hu.sum(), hb / hb.sum(), atol=0.02)
