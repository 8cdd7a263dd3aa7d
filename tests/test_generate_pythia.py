"""Pythia settings, per-shard seeds, and the batch -> flat particle table conversion."""

import numpy as np
import pytest

from jettag.errors import JettagError
from jettag.generate import pythia


def test_shard_seeds_are_deterministic_distinct_and_in_range():
    seeds = {pythia.shard_seed(s, k, m) for s in range(3) for k in range(50) for m in range(3)}
    assert len(seeds) == 450
    assert all(1 <= s <= pythia.MAX_SEED for s in seeds)
    assert pythia.shard_seed(1, 2) == pythia.shard_seed(1, 2)


def test_split_events():
    assert pythia.split_events(10, 3) == [4, 3, 3]
    assert sum(pythia.split_events(7, 7)) == 7


def test_process_settings():
    tt = pythia.process_settings("ttbar", 13000)
    assert "Top:gg2ttbar = on" in tt and "Top:qqbar2ttbar = on" in tt
    zp = pythia.process_settings("zprime", 13000, 2000)
    assert "32:onIfAny = 1 2 3 4 5" in zp and "Zprime:gmZmode = 3" in zp and "32:m0 = 2000.0" in zp
    with pytest.raises(JettagError, match="unknown process 'qcd'"):
        pythia.process_settings("qcd", 13000)


def test_flatten_batch_is_consistent():
    py = pythia.make_pythia("ttbar", 13000, 42)
    parts = pythia.next_batch(py, 3)
    assert parts.n_events == 3
    assert parts.offsets[-1] == len(parts.id)
    # mothers and daughters stay inside their own event
    has = parts.mother1 >= 0
    assert (parts.event[parts.mother1[has]] == parts.event[has]).all()
    has = parts.daughter1 >= 0
    assert (parts.event[parts.daughter1[has]] == parts.event[has]).all()
    # energy-momentum conservation of the final state of each event (beams: 6.5 TeV each)
    final = parts.status > 0
    e_sum = np.bincount(parts.event[final], weights=parts.e[final])
    np.testing.assert_allclose(e_sum, 13000, rtol=1e-6)
    # tops present and decayed
    assert (np.abs(parts.id) == 6).any()


def test_layout_columns_equal_the_generic_awkward_path():
    py = pythia.make_pythia("ttbar", 13000, 43)
    batch = py.nextBatch(3)
    fast, generic = pythia._columns(batch), pythia._generic_columns(batch)
    assert fast is not None  # nextBatch's layout is read directly
    np.testing.assert_array_equal(fast[0], generic[0])
    for name, col in generic[1].items():
        assert np.array_equal(fast[1][name], col), name
    # particles without a production vertex sit at the origin
    assert (fast[1]["vpx"] == 0).any() and (fast[1]["vpx"] != 0).any()
