"""Detector presets and their resolution from the config."""

import pytest

from jettag.errors import JettagError
from jettag.generate import presets
from jettag.generate.shard import resolve_spec


def test_realistic_is_the_default_and_overrides_apply():
    spec = resolve_spec({})
    assert spec["detector"]["preset"] == "realistic" and spec["detector"]["field_t"] == 2.0
    assert spec["pileup"]["mu"] == pytest.approx(33.7)
    spec = resolve_spec({"detector": {"field_t": 0.0, "fake_fraction": 0.0}, "pileup": {"mu": 0}})
    assert spec["detector"]["field_t"] == 0.0 and spec["detector"]["association"] == "cone"
    assert spec["pileup"]["mu"] == 0


def test_ideal_preset_switches_everything_off():
    for form in ("ideal", {"preset": "ideal"}):
        spec = resolve_spec({"detector": form})
        d = spec["detector"]
        assert d["field_t"] == 0 and d["material_scale"] == 0 and d["fake_fraction"] == 0
        assert d["association"] == "constituents" and d["efficiency_central"] == 1.0
        assert spec["pileup"]["mu"] == 0
    # resolving twice is stable (specs are resolved again inside generate_shard)
    again = resolve_spec(resolve_spec({"detector": "ideal"}))
    assert again["detector"] == resolve_spec({"detector": "ideal"})["detector"]


@pytest.mark.parametrize(("det", "match"), [
    ({"material_radii": [30.0], "material_x_over_x0": [0.1, 0.1], "material_x_over_lambda": [0.1]},
     "material_x_over_x0"),
    ("perfect", "detector"),
    ({"tail_fraction": 2}, "tail_fraction"),
])
def test_bad_detector(det, match):
    with pytest.raises(JettagError, match=match):
        resolve_spec({"detector": det})


def test_every_preset_has_the_same_keys():
    keys = {k: set(v) for k, v in presets.PRESETS.items()}
    assert keys["realistic"] == keys["ideal"]
