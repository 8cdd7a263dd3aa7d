"""The random-search space: reproducible trials, and what a trial or the overfit check sets."""

from __future__ import annotations

import pytest

from jettag.config import model_spec, resolve
from jettag.errors import JettagError
from jettag.search_space import apply_overfit, apply_trial, sample_trial, space_of


def _spec(model="dips"):
    cfg = resolve({"models": {"ip3d": {"type": "ip3d"}, "dips": {"type": "deepsets"}}}, "test")
    return model_spec(cfg, model)


def test_a_trial_depends_only_on_seed_and_index():
    section = {"seed": 3}
    assert sample_trial(section, 2) == sample_trial(section, 2)
    assert sample_trial(section, 2) != sample_trial(section, 3)
    with pytest.raises(JettagError, match="trial index"):
        sample_trial(section, -1)


def test_a_trial_writes_its_hyperparameters_into_the_spec():
    spec = _spec()
    apply_trial(spec, {"learning_rate": 3e-4, "batch_size": 64, "dropout": 0.2, "width": 32, "depth": 2})
    assert spec["training"]["learning_rate"] == 3e-4
    assert spec["training"]["lr_scaling"] == "none"  # the sampled rate is the rate used
    assert spec["training"]["batch_size"] == 64
    assert spec["dropout"] == 0.2
    assert spec["phi_layers"] == [32, 32] and spec["f_layers"] == [32, 32]


def test_the_overfit_run_switches_regularisation_off():
    spec = _spec()
    apply_overfit(spec, {"jets": 64, "epochs": 5})
    t = spec["training"]
    assert (t["max_train_jets"], t["epochs"], t["weight_decay"], t["l1"]) == (64, 5, 0.0, 0.0)
    assert t["early_stopping"]["enabled"] is False and spec["dropout"] == 0.0


def test_unknown_hyperparameters_are_refused():
    with pytest.raises(JettagError, match="unknown hyperparameter"):
        space_of({"space": {"momentum": {"low": 0.1, "high": 0.9}}})
