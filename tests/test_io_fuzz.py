"""Fuzz the reader: generated jet-wise files give valid canonical jets or a JettagError, nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jettag.errors import JettagError
from jettag.features import HIT_FIELDS
from jettag.io import JET_FIELDS, TRACK_FIELDS, read_jets, write_root_atomic

FLOATS = st.floats(width=32, allow_nan=True, allow_infinity=True)
TRACK_FLOATS = ("pt", "eta", "phi", "charge", "d0", "z0SinTheta", "sigma_d0", "sigma_z0SinTheta")


@st.composite
def jetwise_inputs(draw):
    counts = draw(st.lists(st.integers(0, 4), min_size=0, max_size=8))
    n, total = len(counts), sum(counts)

    def floats(k):
        return np.asarray(draw(st.lists(FLOATS, min_size=k, max_size=k)), dtype=np.float32)

    branches = {
        "jet_pt": floats(n),
        "jet_eta": floats(n),
        "jet_phi": floats(n),
        "HadronConeExclTruthLabelID": np.asarray(
            draw(st.lists(st.sampled_from([0, 4, 5, 15, -7]), min_size=n, max_size=n)),
            dtype=np.int32,
        ),
        "eventNumber": np.arange(n, dtype=np.int64),
    }
    trk = {k: floats(total) for k in TRACK_FLOATS}
    for h in HIT_FIELDS:
        trk[h] = np.asarray(
            draw(st.lists(st.integers(-1, 30), min_size=total, max_size=total)), dtype=np.int32
        )
    if draw(st.booleans()):
        trk["truthOrigin"] = np.zeros(total, dtype=np.int32)
    branches["track"] = ak.zip(
        {k: ak.unflatten(v, np.asarray(counts, dtype=np.int64)) for k, v in trk.items()}
    )
    # damage: drop a branch, or make a jet branch jagged
    damage = draw(st.sampled_from(["none", "none", "drop", "jagged_jet", "float_label"]))
    if damage == "drop":
        victim = draw(st.sampled_from(["jet_eta", "HadronConeExclTruthLabelID"]))
        del branches[victim]
    elif damage == "jagged_jet" and n:
        branches["jet_phi"] = ak.unflatten(floats(total), np.asarray(counts, dtype=np.int64))
    elif damage == "float_label":
        branches["HadronConeExclTruthLabelID"] = floats(n)
    step = draw(st.integers(1, 5))
    truncate = draw(st.sampled_from([None, None, None, 0.5, 0.9]))
    return branches, step, truncate


@pytest.mark.filterwarnings("ignore:.*is empty; skipped")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jetwise_inputs())
def test_reader_never_crashes(case):
    branches, step, truncate = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.root"
        write_root_atomic(path, "jets", branches)
        if truncate:
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * truncate)])
        try:
            chunks = list(read_jets([str(path)], None, step_size=step))
        except JettagError as exc:
            assert str(path) in str(exc) or "fuzz.root" in str(exc)
            return
    jets = ak.concatenate(chunks)
    n = len(branches["jet_pt"])
    assert len(jets) == n > 0
    assert all(len(c) <= step for c in chunks)
    assert ak.fields(jets) == [*JET_FIELDS, "tracks"]
    assert ak.fields(jets.tracks) == list(TRACK_FIELDS)
    assert ak.all(ak.num(jets.tracks) == ak.num(branches["track"]))
    got = ak.to_numpy(jets.pt)
    want = np.asarray(branches["jet_pt"])
    assert np.array_equal(got, want, equal_nan=True)
