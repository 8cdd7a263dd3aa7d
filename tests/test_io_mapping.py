"""jettag.io.mapping: defaults per layout and user overrides."""

from __future__ import annotations

import pytest

from jettag import config
from jettag.errors import JettagError
from jettag.features import HIT_FIELDS
from jettag.io.mapping import JET_FIELDS, LAYOUTS, TRACK_FIELDS, constituent_cuts, resolve_input


def test_defaults_cover_every_canonical_field():
    for layout in LAYOUTS.values():
        assert set(layout.defaults["jets"]) == set(JET_FIELDS)
        assert set(layout.defaults["tracks"]) == set(TRACK_FIELDS)
    assert set(HIT_FIELDS) < set(TRACK_FIELDS)


def test_generator_names():
    m = resolve_input(None)
    assert m["layout"] == "jetwise" and m["tree"] == "jets"
    assert m["jets"]["label"] == "HadronConeExclTruthLabelID"
    assert m["tracks"]["numberOfPixelHits"] == "track_numberOfPixelHits"
    assert m["tracks"]["truthOrigin"] == "track_truthOrigin"


def test_overrides_single_names_and_record_explicit():
    m = resolve_input({"jets": {"pt": {"branch": "pt_mev", "unit": "MeV"}}})
    assert m["jets"]["pt"] == {"branch": "pt_mev", "unit": "MeV"}
    assert m["jets"]["eta"] == "jet_eta"
    assert m["explicit"] == {"jets.pt"}


def test_schema_resolved_input_keeps_layout_tree_default():
    cfg = config.resolve(
        {
            "samples": {"s": {"files": ["x.root"], "input": {"layout": "eventwise_indexed"}}},
            "train_sample": "s",
        }
    )
    m = resolve_input(cfg["samples"]["s"]["input"])
    assert m["tree"] == "Events" and m["link"] == {"index": "JetPFCands_jetIdx"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"layout": "columnar"}, "input.layout: 'columnar'"),
        ({"tracks": {"d1": "x"}}, r"unknown canonical name\(s\) \['d1'\]"),
        ({"jets": ["jet_pt"]}, "must be a mapping"),
        ({"colour": 1}, r"unknown key\(s\) \['colour'\]"),
    ],
)
def test_bad_specs(spec, message):
    with pytest.raises(JettagError, match=message):
        resolve_input(spec)


def test_constituent_filter_becomes_cuts_on_branches():
    cuts = constituent_cuts(
        {"all": [{"charge_nonzero": "q"}, {"branch": "d0Err", "op": ">", "value": 0}]}
    )
    assert [str(c) for c in cuts] == ["q != 0", "d0Err > 0"]
    assert len(constituent_cuts({})) == 0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"branch": "x", "op": "~", "value": 0}, "unknown comparison '~'"),
        ({"branch": "x", "op": "in", "value": 0}, "unknown comparison 'in'"),
        ({"branch": "x", "op": ">", "value": "a"}, "value a number"),
        ({"all": {"charge_nonzero": "q"}}, "write all:"),
        ({"charge": "q"}, "unknown form"),
        (["q"], "must be a mapping"),
    ],
)
def test_bad_constituent_filters(spec, message):
    with pytest.raises(JettagError, match=message):
        constituent_cuts(spec)
