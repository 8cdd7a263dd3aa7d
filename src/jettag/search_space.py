"""The hyperparameter space of a random search and how a trial or the overfit check changes a
model spec (used by the tagger-name tokens ``trial<N>`` and ``overfit`` of :mod:`jettag.variant_tokens`
and by the search study).

Trial ``N`` draws its hyperparameters from ``numpy.random.default_rng((seed, N))``: the same
(study seed, trial index) always gives the same trial, whatever the other trials are. Ranges
spanning decades (learning rate, weight decay) are sampled log-uniformly.
"""

from __future__ import annotations

import math

import numpy as np

from jettag.config import merge
from jettag.errors import JettagError
from jettag.models.spec import set_depth, set_width

#: Default search space; ``log: true`` samples log-uniformly; ``choices`` samples uniformly.
DEFAULT_SPACE: dict[str, dict] = {
    "learning_rate": {"low": 1.0e-4, "high": 1.0e-2, "log": True},
    "weight_decay": {"low": 1.0e-6, "high": 1.0e-2, "log": True},
    "dropout": {"low": 0.0, "high": 0.3, "log": False},
    "width": {"choices": [32, 64, 128]},
    "depth": {"choices": [1, 2, 3]},
    "batch_size": {"choices": [64, 128, 256]},
}
#: Where each hyperparameter goes in a model spec.
TRAINING_KEYS = ("learning_rate", "weight_decay", "batch_size")
MODEL_KEYS = ("dropout",)
ARCH_KEYS = ("width", "depth")
HYPERPARAMETERS = (*TRAINING_KEYS, *MODEL_KEYS, *ARCH_KEYS)


def space_of(section: dict) -> dict[str, dict]:
    space = dict(DEFAULT_SPACE)
    space.update(section.get("space") or {})
    unknown = sorted(set(space) - set(HYPERPARAMETERS))
    if unknown:
        raise JettagError(f"studies.search.space: unknown hyperparameter(s) {unknown}; known {list(HYPERPARAMETERS)}")
    return {k: v for k, v in space.items() if v is not None}


def sample_trial(section: dict, index: int) -> dict:
    """Hyperparameters of trial ``index`` (reproducible from ``section['seed']`` and ``index``)."""
    if index < 0:
        raise JettagError(f"trial index {index} must be >= 0")
    seed = int(section.get("seed", 1))
    rng = np.random.default_rng([seed, int(index)])
    out: dict = {}
    for name in HYPERPARAMETERS:  # fixed order: the draws do not depend on dict order
        dim = space_of(section).get(name)
        if dim is None:
            continue
        if "choices" in dim:
            choices = list(dim["choices"])
            if not choices:
                raise JettagError(f"studies.search.space.{name}: choices is empty")
            out[name] = choices[int(rng.integers(len(choices)))]
            continue
        low, high = float(dim["low"]), float(dim["high"])
        if not high >= low:
            raise JettagError(f"studies.search.space.{name}: high {high} < low {low}")
        if dim.get("log", False):
            if low <= 0:
                raise JettagError(f"studies.search.space.{name}: log sampling needs low > 0 (got {low})")
            out[name] = float(math.exp(rng.uniform(math.log(low), math.log(high))))
        else:
            out[name] = float(rng.uniform(low, high))
    return out


def apply_trial(spec: dict, params: dict) -> None:
    """Write sampled hyperparameters into a model spec (in place)."""
    training = {k: params[k] for k in TRAINING_KEYS if k in params}
    if "learning_rate" in training:
        training["lr_scaling"] = "none"  # the sampled rate is the rate used
    spec["training"] = merge(spec["training"], training)
    if "dropout" in params:
        spec["dropout"] = float(params["dropout"])
    if "width" in params:
        set_width(spec, int(params["width"]))
    if "depth" in params:
        set_depth(spec, int(params["depth"]))


def apply_overfit(spec: dict, overfit: dict) -> None:
    """The fast-prototyping run: a tiny subset, no regularisation, constant rate, no stopping."""
    spec["training"] = merge(
        spec["training"],
        {
            "max_train_jets": int(overfit.get("jets", 256)),
            "epochs": int(overfit.get("epochs", 200)),
            "batch_size": int(overfit.get("batch_size", 32)),
            "lr_scaling": "none",
            "weight_decay": 0.0,
            "l1": 0.0,
            "schedule": {"name": "constant"},
            "early_stopping": {"enabled": False},
        },
    )
    if spec.get("type") != "ip3d":
        spec["dropout"] = 0.0
