from jettag.config import defaults, schema
from jettag.training.options import training_options


def test_options_are_the_schema_defaults():
    opts = training_options({})
    assert opts == defaults("training")
    # every training key has its default, except `augment`: absent means no augmentation, so the
    # specs (and training hashes) of models that do not augment stay as they were
    assert set(opts) == set(schema()["properties"]["training"]["properties"]) - {"augment"}
    assert opts["epochs"] == 20 and opts["schedule"]["name"] == "constant"
    assert opts["early_stopping"] == {"enabled": True, "patience": 5, "min_delta": 0.0}


def test_spec_keys_override_single_nested_keys():
    spec = {"training": {"epochs": 3, "schedule": {"name": "cosine"}, "early_stopping": {"patience": 2}}}
    opts = training_options(spec)
    assert opts["epochs"] == 3 and opts["batch_size"] == 256
    assert opts["schedule"] == {**defaults("training")["schedule"], "name": "cosine"}
    assert opts["early_stopping"]["patience"] == 2 and opts["early_stopping"]["enabled"] is True
    assert spec == {"training": {"epochs": 3, "schedule": {"name": "cosine"}, "early_stopping": {"patience": 2}}}
    opts["schedule"]["name"] = "sgdr"  # a copy: the defaults are not changed
    assert training_options({})["schedule"]["name"] == "constant"
