"""Paired bootstrap statistics: exactness with unit weights, pairing, coverage, verdicts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from jettag.evaluation import statistics as st
from jettag.evaluation.working_points import auc, rejection_at, wp_cuts

WPS = np.array([60.0, 77.0])


def _toy(rng, n_b=4000, n_c=1000, n_l=20000):
    flavour = np.r_[np.full(n_b, 5), np.full(n_c, 4), np.full(n_l, 0)]
    disc = np.r_[rng.normal(2.5, 1, n_b), rng.normal(1.0, 1, n_c), rng.normal(0, 1, n_l)]
    return flavour, disc


def test_unit_weights_reproduce_the_nominal_numbers():
    rng = np.random.default_rng(1)
    flavour, disc = _toy(rng)
    b, c, light = disc[flavour == 5], disc[flavour == 4], disc[flavour == 0]
    ones = lambda a: np.ones((1, a.size))  # noqa: E731
    cuts = st._weighted_cuts(b, ones(b), WPS)
    np.testing.assert_allclose((b[None, None, :] > cuts[:, :, None]).mean(axis=2)[0], WPS / 100, atol=1e-3)
    nominal = wp_cuts(b, WPS)
    np.testing.assert_allclose(st._weighted_rejection(light, ones(light), cuts)[0],
                               rejection_at(light, nominal)[0], rtol=0.02)
    assert st._weighted_auc(b, light, ones(b), ones(light))[0] == pytest.approx(auc(b, light), abs=1e-12)
    assert st._weighted_rejection(c, ones(c), cuts)[0, 0] > 1


def test_identical_taggers_give_ratio_one_and_no_difference():
    rng = np.random.default_rng(2)
    flavour, disc = _toy(rng)
    reps = st.replicas({"a": disc, "b": disc.copy()}, flavour, WPS, st.Bootstrap(replicas=100))
    ra, rb = reps["a"].metric("light_rej", 1), reps["b"].metric("light_rej", 1)
    cmp = st.compare(ra.mean(), rb.mean(), ra, rb)
    assert cmp.ratio == pytest.approx(1.0)
    assert cmp.verdict.startswith("no significant difference")
    assert cmp.significance == 0.0


def test_paired_interval_covers_the_truth_and_is_narrower_than_unpaired():
    rng = np.random.default_rng(3)
    flavour, disc = _toy(rng, n_l=40000)
    better = disc.copy()
    light = np.flatnonzero(flavour == 0)
    # a known subset: a third of the light jets scored lower by the better tagger
    subset = light[: light.size // 3]
    better[subset] -= 1.0
    reps = st.replicas({"ref": disc, "new": better}, flavour, WPS, st.Bootstrap(replicas=200))
    cut = wp_cuts(disc[flavour == 5], [77.0])[0]
    n_pass_ref = np.count_nonzero(disc[light] > cut)
    n_pass_new = np.count_nonzero(better[light] > cut)
    true_ratio = n_pass_ref / n_pass_new  # rejection ratio new / ref on these jets
    rn, rr = reps["new"].metric("light_rej", 1), reps["ref"].metric("light_rej", 1)
    nominal_new, nominal_ref = rejection_at(better[light], [cut])[0][0], rejection_at(disc[light], [cut])[0][0]
    cmp = st.compare(nominal_new, nominal_ref, rn, rr)
    assert cmp.ratio_lo <= true_ratio <= cmp.ratio_hi
    assert cmp.verdict == "better"
    paired_width = np.log(cmp.ratio_hi / cmp.ratio_lo)
    # unpaired: the two relative errors added in quadrature
    lo_n, hi_n = st.interval(np.log(rn))
    lo_r, hi_r = st.interval(np.log(rr))
    unpaired_width = np.hypot(hi_n - lo_n, hi_r - lo_r)
    assert paired_width < 0.6 * unpaired_width, (paired_width, unpaired_width)


def test_the_68_percent_interval_of_a_rejection_covers_the_truth_68_percent_of_the_time():
    rng = np.random.default_rng(4)
    n_b, n_l, wp = 500, 5000, 77.0
    true_cut = norm.ppf(1 - wp / 100, loc=2.5)
    true_rej = 1.0 / norm.sf(true_cut)
    hits, toys = 0, 600
    for k in range(toys):
        flavour = np.r_[np.full(n_b, 5), np.full(n_l, 0)]
        disc = np.r_[rng.normal(2.5, 1, n_b), rng.normal(0, 1, n_l)]
        reps = st.replicas({"t": disc}, flavour, [wp], st.Bootstrap(replicas=100, seed=k))
        lo, hi = st.interval(reps["t"].metric("light_rej", 0))
        hits += lo <= true_rej <= hi
    # 600 toys: the coverage is measured to +-1.9 % (one sigma)
    assert abs(hits / toys - 0.68) < 0.05, hits / toys


def test_seed_spread_widens_the_interval_and_the_mde():
    rng = np.random.default_rng(5)
    reps = np.exp(rng.normal(np.log(100.0), 0.02, size=(3, 300)))
    ref = np.exp(rng.normal(np.log(100.0), 0.02, size=300))
    one = st.compare(100.0, 100.0, reps[0], ref)
    spread = st.compare([90.0, 100.0, 110.0], 100.0, reps, ref)
    assert spread.ratio_hi / spread.ratio_lo > one.ratio_hi / one.ratio_lo
    assert spread.mde > one.mde


def test_rejection_lower_bound_when_no_jet_passes():
    # (1 - e)^n = 0.16  ->  e = 1 - 0.16^(1/n); for n = 1000 the rejection bound is ~546
    assert st.rejection_lower_bound(1000) == pytest.approx(1 / (1 - 0.16 ** (1 / 1000)))
    assert 540 < st.rejection_lower_bound(1000) < 550


def test_bootstrap_is_reproducible_and_bounded_in_memory():
    boot = st.Bootstrap(replicas=7, block=3, seed=9)
    first = [w.copy() for w in boot.weights(10)]
    assert [w.shape for w in first] == [(3, 10), (3, 10), (1, 10)]
    again = list(boot.weights(10))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
