import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jettag.errors import JettagError
from jettag.preprocess import splits

DEFAULT = {"train": [0, 1, 2, 3, 4, 5, 6, 7], "val": [8], "test": [9]}


def test_default_table():
    table = splits.residue_table(DEFAULT)
    assert table.tolist() == [0] * 8 + [1, 2]
    ev = np.array([10, 18, 29, 7, -1], dtype=np.int64)
    assert splits.assign(ev, table).tolist() == [0, 1, 2, 0, 2]  # -1 % 10 == 9


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"train": [0, 1, 2, 3, 4, 5, 6, 7, 8], "val": [8], "test": [9]}, "both"),
        ({"train": [0, 1, 2, 3, 4, 5, 6], "val": [8], "test": [9]}, r"\[7\]"),
        ({"train": [0, 1, 2, 3, 4, 5, 6, 7, 8], "val": [], "test": [9]}, "at least one"),
        ({"train": [0, 1, 2, 3, 4, 5, 6, 7, 12], "val": [8], "test": [9]}, "0..9"),
    ],
)
def test_invalid_splits(bad, match):
    with pytest.raises(JettagError, match=match):
        splits.residue_table(bad)


@st.composite
def partitions(draw):
    owner = draw(st.lists(st.integers(0, 2), min_size=10, max_size=10).filter(lambda o: set(o) == {0, 1, 2}))
    return {name: [r for r in range(10) if owner[r] == i] for i, name in enumerate(splits.SPLITS)}


@settings(max_examples=50, deadline=None)
@given(partitions(), st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=200))
def test_every_jet_in_exactly_one_split(spec, events):
    table = splits.residue_table(spec)
    ev = np.array(events, dtype=np.int64)
    idx = splits.assign(ev, table)
    masks = [idx == s for s in range(3)]
    assert (sum(m.astype(int) for m in masks) == 1).all()
    # no event in two splits
    for a in range(3):
        for b in range(a + 1, 3):
            assert not set(ev[masks[a]]) & set(ev[masks[b]])
    for s, name in enumerate(splits.SPLITS):
        assert set(np.mod(ev[masks[s]], 10)) <= set(spec[name])
