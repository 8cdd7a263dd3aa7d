"""`jettag inspect` recognises PHYSLITE and Delphes and proposes a complete mapping on one screen."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from jettag.io import read_all
from jettag.io.inspect import inspect_file
from tests.conftest import realdata


@pytest.mark.parametrize(("file", "layout", "flavours"), [
    ("uproot-issue-798.root", "physlite", {0: 266, 4: 22, 5: 72, 15: 12}),
    ("uproot-issue513.root", "delphes", {0: 31, 4: 5, 5: 24}),
])
def test_inspect_proposes_a_complete_mapping_that_reads(file, layout, flavours, capsys):
    path = realdata(file)
    inspect_file(path)
    out = capsys.readouterr().out
    assert len(out.splitlines()) < 60  # one screen, no branch list
    assert "TODO" not in out
    proposal = yaml.safe_load(out[out.index("input:"):])["input"]
    assert proposal["layout"] == layout
    jets = read_all([str(path)], proposal)
    labels, counts = np.unique(np.asarray(jets.label), return_counts=True)
    assert dict(zip(labels.tolist(), counts.tolist(), strict=True)) == flavours


def test_branch_list_behind_the_flag(capsys):
    inspect_file(realdata("uproot-issue513.root"), branches=True)
    out = capsys.readouterr().out
    assert "Track/Track.ErrorD0" in out and len(out.splitlines()) > 250
