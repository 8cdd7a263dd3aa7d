"""jettag.cuts: parsing, numpy and awkward masks, derived variables, cut flows, presets."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from jettag.cuts import DERIVED, PRESETS, Cut, Cuts
from jettag.errors import JettagError


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ("pt > 0.5", Cut("pt", ">", 0.5)),
        ("abs_d0<3.5", Cut("abs_d0", "<", 3.5)),
        ("  silicon_hits >= 8 ", Cut("silicon_hits", ">=", 8)),
        ("label in [0, 4, 5]", Cut("label", "in", (0, 4, 5))),
        ("charge != 0", Cut("charge", "!=", 0)),
        ("x == -1e3", Cut("x", "==", -1000.0)),
        ("Jet.PT <= 100", Cut("Jet.PT", "<=", 100)),
    ],
)
def test_parse(text, cut):
    parsed = Cut.parse(text)
    assert parsed == cut
    assert Cut.parse(str(parsed)) == parsed
    assert type(parsed.value) is type(cut.value)


@pytest.mark.parametrize("text", ["pt >", "pt => 1", "> 1", "pt > one", "label in 0, 4", "pt ~ 1", 3])
def test_bad_string_names_the_key(text):
    with pytest.raises(JettagError, match=r"preprocess\.tracks\.cuts\[0\]: cannot read the cut"):
        Cuts.from_list([text], "preprocess.tracks.cuts")


def test_numpy_and_awkward_masks_and_abs():
    flat = {"d0": np.array([-4.0, -1.0, 0.5, 3.0]), "label": np.array([5, 15, 0, 4])}
    assert Cut.parse("abs_d0 < 3.5")(flat).tolist() == [False, True, True, True]
    assert Cut.parse("label in [0, 4, 5]")(flat).tolist() == [True, False, True, True]
    jagged = ak.Array({"d0": [[-4.0, -1.0], [], [0.5, 3.0]], "label": [[5, 15], [], [0, 4]]})
    assert Cut.parse("abs_d0 < 3.5")(jagged).tolist() == [[False, True], [], [True, True]]
    assert Cut.parse("label in [0, 4, 5]")(jagged).tolist() == [[True, False], [], [True, True]]


def test_derived_variables():
    t = {
        "numberOfPixelHits": np.array([3, 4]),
        "numberOfSCTHits": np.array([4, 6]),
        "numberOfPixelHoles": np.array([1, 0]),
        "numberOfSCTHoles": np.array([1, 0]),
        "numberOfPixelSharedHits": np.array([1, 0]),
        "numberOfSCTSharedHits": np.array([1, 2]),
    }
    assert DERIVED["silicon_hits"](t).tolist() == [7, 10]
    assert Cut.parse("silicon_hits >= 8")(t).tolist() == [False, True]
    assert Cut.parse("silicon_holes <= 1")(t).tolist() == [False, True]
    assert Cut.parse("pixel_holes <= 0")(t).tolist() == [False, True]
    assert Cut.parse("shared_modules <= 1")(t).tolist() == [False, True]  # 1.5 and 1.0
    assert Cut.parse("abs_shared_modules < 1.2")(t).tolist() == [False, True]


def test_unknown_variable_names_the_key():
    with pytest.raises(JettagError, match=r"preprocess\.tracks\.cuts: unknown variable 'ptt'"):
        Cuts.from_list(["ptt > 1"], "preprocess.tracks.cuts")({"pt": np.ones(2)})
    with pytest.raises(JettagError, match="derived variable 'silicon_hits' needs a missing field"):
        Cut.parse("silicon_hits > 1")({"pt": np.ones(2)})


def test_cutflow_counts_successive_cuts_and_merges_same_names():
    data = {"pt": np.array([10.0, 25.0, 30.0, 2000.0]), "eta": np.array([0.1, 3.0, -1.0, 0.0])}
    cuts = Cuts.from_list(["pt >= 20", "pt < 1000", "abs_eta < 2.5"])
    assert cuts.names == ("pt", "abs_eta")
    mask, counts = cuts.cutflow(data)
    assert mask.tolist() == [False, False, True, False]
    assert counts == {"pt": 2, "abs_eta": 1}
    # start from a mask: entries outside it are neither kept nor counted
    mask, counts = cuts.cutflow(data, keep=np.array([True, True, False, True]))
    assert counts == {"pt": 1, "abs_eta": 0} and not mask.any()
    assert cuts(data).tolist() == [False, False, True, False]
    # a name used again later gets its own step, named by the cut's text
    again = Cuts.from_list(["pt >= 20", "abs_eta < 2.5", "pt < 1000"])
    assert again.names == ("pt", "abs_eta", "pt < 1000")
    assert again.cutflow(data)[1] == {"pt": 3, "abs_eta": 2, "pt < 1000": 1}


def test_no_cuts_keep_everything():
    assert Cuts()({"pt": np.ones(3)}).tolist() == [True] * 3
    assert Cuts()(ak.Array({"pt": [[1.0], []]})).tolist() == [[True], []]


def test_presets_fill_placeholders_from_params():
    params = {"pt_min": 0.5, "abs_eta_max": 2.5, "abs_d0_max": 3.5, "abs_z0SinTheta_max": 5.0,
              "min_silicon_hits": 8, "max_silicon_holes": 2, "max_pixel_holes": 1,
              "max_shared_modules": 1}
    cuts = Cuts.from_list(["r22default", "charge != 0"], "k", params)
    assert len(cuts) == len(PRESETS["r22default"]) + 1
    assert cuts.cuts[0] == Cut("pt", ">", 0.5) and cuts.cuts[4] == Cut("silicon_hits", ">=", 8)
    assert cuts.names[-1] == "charge"
    with pytest.raises(JettagError, match="preset 'r22default' needs the key 'pt_min'"):
        Cuts.from_list("r22default", "k", {})


def test_cuts_are_frozen():
    cut = Cut.parse("pt > 1")
    with pytest.raises(AttributeError):
        cut.value = 2  # type: ignore[misc]
    with pytest.raises(JettagError, match="unknown operator"):
        Cut("pt", "=~", 1)
