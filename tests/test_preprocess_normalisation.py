import numpy as np
import pytest

from jettag.preprocess.normalisation import RunningMoments, norm_dict


def test_streaming_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal([1e4, -3.0, 0.0], [1.0, 2.0, 0.5], size=(1000, 3))
    m = RunningMoments(["a", "b", "c"])
    for block in np.array_split(x, 7):
        m.add(block)
    mean, std = m.mean_std()
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(std, x.std(axis=0), rtol=1e-9)


def test_constant_feature_std_is_one():
    m = RunningMoments(["a", "b"])
    m.add(np.array([[5.0, 1.0], [5.0, 3.0]]))
    d = m.to_dict()
    assert d["a"] == {"mean": 5.0, "std": 1.0}
    assert d["b"] == {"mean": 2.0, "std": 1.0}


def test_valid_tracks_only():
    tracks = np.zeros((2, 3, 1), dtype=np.float32)
    valid = np.array([[True, True, False], [True, False, False]])
    tracks[0, 0], tracks[0, 1], tracks[1, 0] = 1.0, 2.0, 6.0
    m = RunningMoments(["x"])
    m.add(tracks[valid])
    assert m.to_dict()["x"]["mean"] == pytest.approx(3.0)  # zeros of padding excluded
    assert set(norm_dict(m, RunningMoments(["pt"]))) == {"track", "jet"}
