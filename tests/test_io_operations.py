"""jettag.io.operations: the safe mapping vocabulary."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from jettag.errors import JettagError
from jettag.io import operations as ops

ARR = {
    "d0": ak.Array([[0.01, -0.02], []]),
    "err": ak.Array([[0.001, 0.004], []]),
    "dz": ak.Array([[0.1, 0.2], []]),
    "eta": ak.Array([[0.0, 1.0], []]),
    "pt": ak.Array([1000.0, 2000.0]),
}


def ev(d):
    ops.validate(d, "input.tracks.x")
    return ops.evaluate(d, ARR, entry_number=np.arange(2))


def test_branch_units_and_scale():
    assert ev("pt").tolist() == [1000.0, 2000.0]
    assert ev({"branch": "pt", "unit": "MeV"}).tolist() == [1.0, 2.0]
    assert ev({"branch": "d0", "unit": "cm"}).tolist() == [[0.1, -0.2], []]
    assert ev({"branch": "pt", "scale": 0.5}).tolist() == [500.0, 1000.0]
    assert ev({"branch": "pt", "scale": 2, "unit": "TeV"}).tolist() == [2.0e6, 4.0e6]


def test_z0sintheta_from_dz_and_eta():
    got = ev({"divide": ["dz", {"cosh": "eta"}], "unit": "cm"})
    np.testing.assert_allclose(ak.flatten(got), [1.0, 2.0 / np.cosh(1.0)])
    got2 = ev({"multiply": ["dz", {"sin_theta_from_eta": "eta"}], "unit": "cm"})
    np.testing.assert_allclose(ak.flatten(got2), ak.flatten(got))


def test_sigma_and_significance_derivations():
    sig = ev({"divide": ["d0", "err"]})  # a significance
    np.testing.assert_allclose(ak.flatten(sig), [10.0, -5.0])
    back = ops.evaluate({"abs": {"divide": ["d0", "sig"]}}, {**ARR, "sig": sig})
    np.testing.assert_allclose(ak.flatten(back), [0.001, 0.004])
    np.testing.assert_allclose(
        ak.flatten(ev({"sqrt": {"multiply": ["err", "err"]}})), [0.001, 0.004]
    )


def test_misc_operations():
    assert ev({"constant": 0}) == 0
    assert ev(3.5) == 3.5
    assert ev({"neg": "pt"}).tolist() == [-1000.0, -2000.0]
    assert ev({"add": ["pt", 1, "pt"]}).tolist() == [2001.0, 4001.0]
    assert ev({"subtract": ["pt", 1]}).tolist() == [999.0, 1999.0]
    assert ev({"sign": "d0"}).tolist() == [[1.0, -1.0], []]
    assert ev({"entry_number": True}).tolist() == [0, 1]
    with np.errstate(all="raise"):
        assert np.isinf(ev({"divide": ["pt", 0]})[0])  # numpy semantics, no exception


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"tanh": "x"}, "input.tracks.x: unknown operation 'tanh'"),
        ({"branch": "a", "abs": "b"}, "exactly one operation"),
        ({"scale": 2}, "exactly one operation"),
        ({"divide": ["a"]}, "exactly 2"),
        ({"add": "a"}, "at least 2"),
        ({"branch": "a", "unit": "furlong"}, "unknown unit 'furlong'"),
        ({"branch": "a", "scale": "x"}, "scale must be a number"),
        ({"constant": "zero"}, "constant must be a number"),
        ({"branch": 3}, "branch must be a branch name"),
        ({"entry_number": 1}, "entry_number: true"),
        ({"abs": {"cosh": {"nope": "a"}}}, r"input.tracks.x.abs.cosh: unknown operation 'nope'"),
        (["a"], "expected a branch name"),
        (None, "expected a branch name"),
        (True, "expected a branch name"),
        ("", "empty branch name"),
    ],
)
def test_invalid_definitions(definition, message):
    with pytest.raises(JettagError, match=message):
        ops.validate(definition, "input.tracks.x")


def test_branches_listed_and_no_eval():
    d = {"divide": ["dz", {"cosh": "eta"}], "unit": "cm"}
    assert ops.branches(d) == ["dz", "eta"]
    assert ops.is_constant({"constant": 1}) and not ops.is_constant("dz")
    assert ops.uses_entry_number({"add": [{"entry_number": True}, 1]})
    # a Python expression is just a (missing) branch name, never evaluated
    assert ops.branches("__import__('os').system('true')") == ["__import__('os').system('true')"]
