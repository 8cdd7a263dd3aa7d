"""jettag.preprocess.summary: sums over chunk results and the empty-output checks."""

from __future__ import annotations

import pytest

from jettag.config import resolve
from jettag.errors import JettagError
from jettag.preprocess import synthetic
from jettag.preprocess.chunk import process_chunk
from jettag.preprocess.summary import Summary, check_not_empty


def test_summary_adds_chunks():
    spec = resolve({"preprocess": {"max_tracks": 10, "tracks": {"cuts": ["pt > 1", "abs_d0 < 1"]}}})["preprocess"]
    jets = synthetic.make_jets(400, seed=3)
    summary = Summary(spec)
    a, b = process_chunk(jets[:150], spec), process_chunk(jets[150:], spec)
    summary.add(a)
    summary.add(b)
    info = summary.to_dict(sample="s")
    assert list(info["cutflow"]["tracks"]) == ["all", "pt", "abs_d0"]
    assert info["cutflow"]["tracks"]["pt"] == a.track_flow.counts["pt"] + b.track_flow.counts["pt"]
    assert sum(info["jets_per_split"].values()) == len(a.arrays["label"]) + len(b.arrays["label"])
    assert info["tracks_per_jet"]["max_tracks"] == 10 and info["sample"] == "s"
    check_not_empty(summary, spec, ["x.root"])


def test_check_not_empty():
    spec = resolve({})["preprocess"]
    with pytest.raises(JettagError, match=r"no jets passed the selection in 1 input file\(s\) \(x.root\)"):
        check_not_empty(Summary(spec), spec, ["x.root"])
