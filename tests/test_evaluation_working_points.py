import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from jettag.errors import JettagError
from jettag.evaluation import working_points as wp


@pytest.fixture(scope="module")
def scores():
    rng = np.random.default_rng(3)
    sig = rng.normal(2.0, 1.0, 20000)
    bkg = rng.normal(0.0, 1.0, 50000)
    return sig, bkg


def test_binomial_errors_known_case():
    assert wp.binomial_error(0.2, 100) == pytest.approx(0.04)
    rej, err = wp.rejection(0.2, 0.04)
    assert rej == pytest.approx(5.0)
    assert err == pytest.approx(1.0)


def test_wp_cuts_give_the_efficiency(scores):
    sig, _ = scores
    cuts = wp.wp_cuts(sig, [60, 70, 77, 85])
    eff, _ = wp.efficiency(sig, cuts)
    np.testing.assert_allclose(eff, [0.60, 0.70, 0.77, 0.85], atol=1e-4)
    assert np.all(np.diff(cuts) < 0)


def test_rejection_agrees_with_sklearn(scores):
    sig, bkg = scores
    y = np.r_[np.ones(sig.size), np.zeros(bkg.size)]
    fpr, tpr, thresholds = sk_roc_curve(y, np.r_[sig, bkg], drop_intermediate=False)
    for w in (60, 70, 77, 85):
        (cut,) = wp.wp_cuts(sig, [w])
        rej, err = wp.rejection_at(bkg, [cut])
        # sklearn counts score >= threshold; the smallest threshold above our cut is the same set
        i = np.where(thresholds > cut)[0][-1]
        assert tpr[i] == pytest.approx(w / 100, abs=1e-4)
        assert rej[0] == pytest.approx(1.0 / fpr[i], rel=1e-3)
        # and interpolating sklearn's curve at the b-efficiency gives the same rejection
        assert rej[0] == pytest.approx(1.0 / np.interp(w / 100, tpr, fpr), rel=1e-2)
        assert err[0] > 0


def test_auc_equals_sklearn(scores):
    sig, bkg = scores
    y = np.r_[np.ones(sig.size), np.zeros(bkg.size)]
    assert wp.auc(sig, bkg) == pytest.approx(roc_auc_score(y, np.r_[sig, bkg]), rel=1e-12)


def test_auc_with_ties_equals_sklearn():
    rng = np.random.default_rng(0)
    sig = rng.integers(0, 5, 300).astype(float) + 1
    bkg = rng.integers(0, 5, 400).astype(float)
    y = np.r_[np.ones(sig.size), np.zeros(bkg.size)]
    assert wp.auc(sig, bkg) == pytest.approx(roc_auc_score(y, np.r_[sig, bkg]), rel=1e-12)
    assert wp.auc([1.0, 1.0], [1.0]) == pytest.approx(0.5)
    assert np.isnan(wp.auc([1.0], []))


def test_perfect_separation_gives_inf_rejection():
    sig = np.linspace(10, 11, 100)
    bkg = np.linspace(0, 1, 100)
    rej, err = wp.rejection_at(bkg, wp.wp_cuts(sig, [77]))
    assert np.isinf(rej[0]) and np.isnan(err[0])
    assert wp.auc(sig, bkg) == 1.0
    eff, r, _ = wp.roc_curve(sig, bkg)
    assert np.isinf(r).all() and eff[0] == 0.5


def test_roc_curve_grid_matches_working_points(scores):
    sig, bkg = scores
    eff, rej, err = wp.roc_curve(sig, bkg, [0.7])
    (cut,) = wp.wp_cuts(sig, [70])
    assert rej[0] == pytest.approx(wp.rejection_at(bkg, [cut])[0][0])
    eff, rej, err = wp.roc_curve(sig, bkg)
    assert eff.size == rej.size == err.size == 101
    assert np.all(np.diff(rej) <= 0)  # rejection falls as the b-efficiency rises


def test_errors():
    with pytest.raises(JettagError, match="no b-jets"):
        wp.wp_cuts([], [77])
    with pytest.raises(JettagError, match="NaN"):
        wp.wp_cuts([1.0, np.nan], [77])
    with pytest.raises(JettagError, match="between 0 and 100"):
        wp.wp_cuts([1.0, 2.0], [0.77, 100])
