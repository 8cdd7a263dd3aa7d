import pytest
import yaml

from jettag import config
from jettag.errors import JettagError


def test_defaults_fill_every_section():
    cfg = config.resolve({})
    assert cfg["preprocess"]["tracks"]["min_silicon_hits"] == 8
    assert cfg["preprocess"]["max_tracks"] == 40
    assert cfg["evaluation"]["working_points"] == [60, 70, 77, 85]
    gen = cfg["samples"]["ttbar"]["generator"]
    from jettag.generate.shard import resolve_spec  # detector keys come from the preset

    assert resolve_spec(gen)["detector"]["d0_res_const"] == pytest.approx(0.010)  # 10 um in mm
    assert cfg["models"]["dips"]["fc"] == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("bad", "key"),
    [
        ({"training": {"learning_rate": -1}}, "training.learning_rate"),
        ({"samples": {"x": {"generator": {"process": "foo"}}}, "train_sample": "x"}, "samples.x.generator.process"),
        ({"samples": {"x": {"generator": {"n_events": -5}}}, "train_sample": "x"}, "samples.x.generator.n_events"),
        ({"trainingg": {}}, "trainingg"),
        ({"models": {"m": {"type": "bdt"}}}, "models.m.type"),
    ],
)
def test_schema_errors_name_the_key(bad, key):
    with pytest.raises(JettagError, match=key.split(".")[-1]) as info:
        config.resolve(bad, "my.yaml")
    assert str(info.value).startswith("my.yaml: ")


def test_cross_references_checked():
    with pytest.raises(JettagError, match="train_sample"):
        config.resolve({"train_sample": "nope"})
    with pytest.raises(JettagError, match="reference"):
        config.resolve({"models": {"dips": {"type": "deepsets"}}})


def test_model_spec_merges_training_defaults():
    cfg = config.resolve({"models": {"ip3d": {"type": "ip3d"}, "d": {"type": "deepsets", "training": {"epochs": 3}}}})
    spec = config.model_spec(cfg, "d")
    assert spec["training"]["epochs"] == 3
    assert spec["training"]["batch_size"] == cfg["training"]["batch_size"]
    assert spec["name"] == "d"


@pytest.mark.parametrize("path", ["config/config.yaml", "config/smoke.yaml"])
def test_shipped_configs_are_valid(path):
    cfg = config.load(path)
    assert cfg["train_sample"] in cfg["samples"]


def test_load_reports_missing_and_invalid_yaml(tmp_path):
    with pytest.raises(JettagError, match="does not exist"):
        config.load(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("training: [unclosed")
    with pytest.raises(JettagError, match="not valid YAML"):
        config.load(bad)


def test_config_hash_is_stable_and_sensitive():
    a = config.resolve({})
    b = config.resolve({})
    assert config.config_hash(a) == config.config_hash(b)
    c = config.resolve({"training": {"epochs": 99}})
    assert config.config_hash(a) != config.config_hash(c)


def test_write_resolved_round_trips(tmp_path):
    out = tmp_path / "cfg.yaml"
    config.write_resolved({"training": {"epochs": 7}}, out)
    written = yaml.safe_load(out.read_text())
    assert written["training"]["epochs"] == 7
    assert len(written["config_hash"]) == 16


def test_tau_is_refused_as_a_flavour_with_the_fix():
    with pytest.raises(JettagError, match=r"preprocess\.jets\.flavours.*remove 'tau'"):
        config.resolve({"preprocess": {"jets": {"flavours": ["b", "c", "light", "tau"]}}})
