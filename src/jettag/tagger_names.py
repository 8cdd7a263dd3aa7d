"""Tagger names: a model of the config (``dips``) or a variant of one, the model name followed by
one or more tokens, each after ``--`` (``dips--seed2``, ``dips--no-hits--seed3``); what each token
does is :mod:`jettag.variant_tokens`, what is trained for a name is :func:`jettag.taggers.plan_tagger`.
"""

from __future__ import annotations

from jettag.config import model_spec

SEPARATOR = "--"


def fraction_text(fraction: float) -> str:
    """The spelling of a fraction in variant names and paths: ``0.1``, ``0.25``, ``1``."""
    return f"{float(fraction):g}"


def split_tagger(tagger: str) -> tuple[str, list[str]]:
    base, *tokens = tagger.split(SEPARATOR)
    return base, tokens


def join_tagger(base: str, tokens) -> str:
    return SEPARATOR.join([base, *tokens])


def study_section(cfg: dict, study: str) -> dict:
    """``studies.<study>`` of a config (empty when absent)."""
    return (cfg.get("studies") or {}).get(study) or {}


def seed_tagger(cfg: dict, model: str, seed: int) -> str:
    """The name of ``model`` trained with ``seed``: the model itself when that is the same training."""
    spec = model_spec(cfg, model)
    overrides = (cfg.get("studies") or {}).get("training") or {}
    if int(seed) == int(spec["training"]["seed"]) and not overrides:
        return model
    return join_tagger(model, [f"seed{int(seed)}"])


def main_seed_taggers(cfg: dict, model: str) -> list[str]:
    """The seeds of a main model (``training.seeds``): the model, then ``model--mainseed<S>`` for
    the next seeds, trained like the model itself (without ``studies.training``; the studies'
    ``model--seed<S>`` are the shorter study trainings)."""
    spec = model_spec(cfg, model)
    if spec.get("type") == "ip3d":
        return [model]
    first = int(spec["training"]["seed"])
    n = int(spec["training"].get("seeds", 1))
    return [model] + [join_tagger(model, [f"mainseed{first + k}"]) for k in range(1, n)]


def lr_text(learning_rate: float) -> str:
    """The spelling of a learning rate in variant names: ``0.001``, ``0.0003``, ``1e-05``."""
    return f"{float(learning_rate):g}"
