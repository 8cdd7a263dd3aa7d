"""jettag.io.mapping: defaults per layout and user overrides."""

from __future__ import annotations

import pytest

from jettag import config
from jettag.errors import JettagError
from jettag.features import HIT_FIELDS
from jettag.io.mapping import DEFAULTS, JET_FIELDS, LAYOUTS, TRACK_FIELDS, resolve_input


def test_defaults_cover_every_canonical_field():
    for layout in LAYOUTS:
        assert set(DEFAULTS[layout]["jets"]) == set(JET_FIELDS)
        assert set(DEFAULTS[layout]["tracks"]) == set(TRACK_FIELDS)
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
