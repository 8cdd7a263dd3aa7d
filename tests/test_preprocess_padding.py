import awkward as ak
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jettag.preprocess import padding


def test_sort_truncate_pad_and_mask():
    counts = np.array([3, 0, 5])
    sd0 = np.array([1.0, 3.0, 2.0, 0.0, -1.0, 9.0, 4.0, 7.0])
    other = np.arange(8, dtype=float) * 10
    origin = np.array([0, 1, 2, 3, 4, 5, 0, 1])
    tracks, valid, orig, kept = padding.pad_tracks(counts, [sd0, other], sd0, 4, origin)
    assert tracks.shape == (3, 4, 2) and tracks.dtype == np.float32
    assert tracks[0, :, 0].tolist() == [3.0, 2.0, 1.0, 0.0]
    assert tracks[0, :, 1].tolist() == [10.0, 20.0, 0.0, 0.0]
    assert valid.tolist() == [[True, True, True, False], [False] * 4, [True] * 4]
    assert not tracks[1].any()
    assert tracks[2, :, 0].tolist() == [9.0, 7.0, 4.0, 0.0]  # -1 truncated
    assert orig.tolist() == [[1, 2, 0, -1], [-1] * 4, [5, 1, 0, 3]]
    assert kept.shape == (7, 2)
    assert (tracks[valid] == kept).all()


def test_no_origin_gives_minus_one():
    _, valid, orig, _ = padding.pad_tracks(np.array([2]), [np.ones(2)], np.ones(2), 3)
    assert orig.tolist() == [[-1, -1, -1]] and valid.tolist() == [[True, True, False]]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.floats(-50, 50, allow_nan=False), max_size=7), max_size=6),
       st.integers(1, 5))
def test_matches_awkward_reference(jagged, max_tracks):
    x = ak.Array(jagged, with_name=None) if jagged else ak.Array([[1.0]])[:0]
    counts = ak.to_numpy(ak.num(x)) if len(x) else np.zeros(0, dtype=np.int64)
    flat = ak.to_numpy(ak.flatten(x)).astype(float) if len(x) else np.zeros(0)
    tracks, valid, _, _ = padding.pad_tracks(counts, [flat], flat, max_tracks)
    if len(x):
        ref = padding.pad_jagged(padding.sort_jagged_by(x, x), max_tracks)
        ref_valid = padding.pad_jagged(ak.ones_like(x, dtype=bool), max_tracks, False)
        np.testing.assert_array_equal(tracks[..., 0], ref.astype(np.float32))
        np.testing.assert_array_equal(valid, ref_valid)
    assert valid.sum() == sum(min(len(r), max_tracks) for r in jagged)
