"""jettag.io.writer.write_root_atomic."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import uproot

from jettag.io import toy, write_root_atomic


def test_writes_ttree_with_shared_counter(tmp_path):
    path = tmp_path / "sub" / "a.root"
    write_root_atomic(path, "jets", toy.jetwise_branches(5))
    tree = uproot.open(path)["jets"]
    assert isinstance(tree, uproot.behaviors.TTree.TTree)
    assert "ntrack" in tree.keys() and "track_d0" in tree.keys()
    assert tree.num_entries == 5
    assert [p.name for p in path.parent.iterdir()] == ["a.root"]


def test_rntuple_holds_doubly_jagged(tmp_path):
    b = toy.nested_branches(4, seed=1)
    write_root_atomic(tmp_path / "n.root", "jets", b, rntuple=True)
    got = uproot.open(tmp_path / "n.root")["jets"].arrays(["track_d0"])
    assert ak.all(ak.flatten(got.track_d0, axis=None) == ak.flatten(b["track_d0"], axis=None))


def test_failure_leaves_nothing(tmp_path):
    with pytest.raises(Exception):  # noqa: B017 - whatever uproot raises
        write_root_atomic(tmp_path / "bad.root", "t", {"x": ak.Array([[[1.0]]])})
    assert list(tmp_path.iterdir()) == []


def test_numpy_and_lists(tmp_path):
    write_root_atomic(tmp_path / "a.root", "t", {"x": [1, 2, 3], "y": np.ones(3)})
    assert uproot.open(tmp_path / "a.root")["t"]["x"].array(library="np").tolist() == [1, 2, 3]
