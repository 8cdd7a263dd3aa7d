import math

import numpy as np
import pytest

from jettag.features import HIT_FIELDS, JET_FEATURES, TRACK_FEATURES
from jettag.preprocess import derived


def one_track(**over):
    t = {"pt": 5.0, "eta": 0.3, "phi": 0.2, "d0": 0.05, "z0SinTheta": -0.2,
         "sigma_d0": 0.01, "sigma_z0SinTheta": 0.1}
    t.update({h: float(i) for i, h in enumerate(HIT_FIELDS)})
    t.update(over)
    return {k: np.array([v]) for k, v in t.items()}


def test_all_track_features_in_order():
    f = derived.track_features(one_track(), np.array([50.0]), np.array([0.1]), np.array([0.0]))
    assert list(f) == list(TRACK_FEATURES)
    assert list(derived.jet_features(np.array([50.0]), np.array([-1.0]))) == list(JET_FEATURES)


def test_kinematic_features_by_hand():
    f = derived.track_features(one_track(), np.array([50.0]), np.array([0.1]), np.array([0.0]))
    assert f["deta"][0] == pytest.approx(0.2)
    assert f["dphi"][0] == pytest.approx(0.2)
    assert f["dr"][0] == pytest.approx(math.sqrt(0.08))
    assert f["log_dr"][0] == pytest.approx(math.log(math.sqrt(0.08)))
    assert f["pt_frac"][0] == pytest.approx(0.1)
    assert f["log_pt_frac"][0] == pytest.approx(math.log(0.1))
    assert f["log_pt"][0] == pytest.approx(math.log(5.0))
    assert f["eta"][0] == 0.3 and f["phi"][0] == 0.2
    assert f["d0"][0] == 0.05 and f["z0SinTheta"][0] == -0.2
    for i, h in enumerate(HIT_FIELDS):
        assert f[h][0] == i


def test_dphi_wraps_across_pi():
    f = derived.track_features(one_track(phi=-3.1), np.array([50.0]), np.array([0.3]), np.array([3.1]))
    assert f["dphi"][0] == pytest.approx(2 * math.pi - 6.2)
    assert f["dr"][0] == pytest.approx(2 * math.pi - 6.2)


def test_log_dr_finite_on_axis():
    f = derived.track_features(one_track(eta=0.1, phi=0.0), np.array([50.0]), np.array([0.1]), np.array([0.0]))
    assert np.isfinite(f["log_dr"]).all()


@pytest.mark.parametrize(
    "d0, trk_phi, jet_phi, sign",
    [
        (0.05, 0.2, 0.3, +1),  # sin(0.1) > 0, d0 > 0: PCA in the jet hemisphere
        (-0.05, 0.2, 0.3, -1),
        (0.05, 0.3, 0.2, -1),
        (-0.05, 0.3, 0.2, +1),
    ],
)
def test_sd0_sign(d0, trk_phi, jet_phi, sign):
    f = derived.track_features(one_track(d0=d0, phi=trk_phi), np.array([50.0]), np.array([0.3]), np.array([jet_phi]))
    assert f["sd0"][0] == pytest.approx(sign * 5.0)


def test_sd0_sign_geometry():
    # PCA (x, y) = (-d0 sin phi, d0 cos phi); jet direction (cos phi_j, sin phi_j)
    rng = np.random.default_rng(3)
    d0 = rng.normal(0, 1, 200)
    phi = rng.uniform(-np.pi, np.pi, 200)
    jphi = phi + rng.normal(0, 0.3, 200)
    dot = -d0 * np.sin(phi) * np.cos(jphi) + d0 * np.cos(phi) * np.sin(jphi)
    s = derived.signed_d0_significance(d0, 1.0, phi, jphi)
    assert np.array_equal(np.sign(s), np.where(dot >= 0, 1.0, -1.0))


@pytest.mark.parametrize("z0, trk_eta, jet_eta, sign", [(0.2, 0.1, 0.3, +1), (0.2, 0.3, 0.1, -1), (-0.2, 0.3, 0.1, +1)])
def test_sz0_sign(z0, trk_eta, jet_eta, sign):
    f = derived.track_features(one_track(z0SinTheta=z0, eta=trk_eta), np.array([50.0]), np.array([jet_eta]), np.array([0.2]))
    assert f["sz0"][0] == pytest.approx(sign * 2.0)


def test_jet_features():
    j = derived.jet_features(np.array([20.0, 100.0]), np.array([-1.5, 0.5]))
    assert j["abs_eta"].tolist() == [1.5, 0.5]
    assert j["log_pt"] == pytest.approx(np.log([20.0, 100.0]))
