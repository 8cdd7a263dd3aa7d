"""jettag.io.files: globs, opening ROOT files and finding trees, errors naming the file."""

from __future__ import annotations

import pytest

from jettag.errors import JettagError
from jettag.io import toy, write_root_atomic
from jettag.io.files import expand_files, get_tree, open_root, trees_in


def test_globs_are_sorted_and_checked(tmp_path):
    for name in ("b.root", "a.root"):
        write_root_atomic(tmp_path / name, "jets", toy.jetwise_branches(3))
    assert [p.name for p in expand_files(str(tmp_path / "*.root"))] == ["a.root", "b.root"]
    with pytest.raises(JettagError, match="matches no file"):
        expand_files([str(tmp_path / "*.txt")])
    with pytest.raises(JettagError, match="is not a file"):
        expand_files([tmp_path])
    with pytest.raises(JettagError, match="no input files given"):
        expand_files([])


def test_trees_and_missing_tree(tmp_path):
    path = tmp_path / "a.root"
    write_root_atomic(path, "jets", toy.jetwise_branches(3))
    f = open_root(path)
    assert trees_in(f) == ["jets"]
    assert get_tree(f, path, "jets").num_entries == 3
    with pytest.raises(JettagError, match=r"a\.root: no tree named 'Events' \(trees in the file: jets\); set input\.tree"):
        get_tree(f, path, "Events")


def test_not_root(tmp_path):
    (tmp_path / "x.root").write_bytes(b"nope" * 10)
    with pytest.raises(JettagError, match=r"x\.root: not a ROOT file"):
        open_root(tmp_path / "x.root")
