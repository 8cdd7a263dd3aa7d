"""ROOT layout: one entry per jet, jagged track branches with the jet_nTracks counter."""

import numpy as np
import uproot

from jettag.generate.writer import JET_BRANCHES, TRACK_BRANCHES, JetWriter


def test_write_and_read_back(tmp_path):
    path = tmp_path / "x.root"
    counts = np.array([2, 0, 1])
    with JetWriter(path) as w:
        jets = {k: np.arange(3) for k in JET_BRANCHES}
        tracks = {k: np.arange(3) for k in TRACK_BRANCHES}
        w.extend(jets, counts, tracks)
        w.extend({k: np.zeros(0) for k in JET_BRANCHES}, np.zeros(0, int), {k: np.zeros(0) for k in TRACK_BRANCHES})
        assert w.n_jets == 3
    tree = uproot.open(path)["jets"]
    a = tree.arrays()
    assert len(a) == 3
    assert set(a.fields) == {*JET_BRANCHES, "jet_nTracks", *(f"track_{k}" for k in TRACK_BRANCHES)}
    assert a.jet_nTracks.tolist() == [2, 0, 1]
    assert a.track_pt.tolist() == [[0.0, 1.0], [], [2.0]]
    assert tree["eventNumber"].typename == "int64_t"
    assert tree["HadronConeExclTruthLabelID"].typename == "int32_t"
