"""Tagger variants: what the workflow trains for a tagger name.

A tagger is a model of the config (``dips``) or a variant of one (``dips--seed2``); a study's
fan-out jobs are trainings of variants, so they reuse the ordinary train and evaluate rules.
"""

from __future__ import annotations

from jettag.config import model_spec
from jettag.errors import JettagError

SEPARATOR = "--"


def data_dir(cfg: dict, sample: str) -> str:
    return f"{cfg['results_dir']}/data/{sample}"


def plan_tagger(cfg: dict, tagger: str) -> dict:
    """Return ``{"spec": model spec, "data_dir": str, "init_checkpoint": str | None}``."""
    base, _, variant = tagger.partition(SEPARATOR)
    if base not in cfg["models"]:
        raise JettagError(f"tagger '{tagger}': '{base}' is not a model of the config ({sorted(cfg['models'])})")
    if variant:
        raise JettagError(f"tagger '{tagger}': unknown variant '{variant}'")
    return {
        "spec": model_spec(cfg, base),
        "data_dir": data_dir(cfg, cfg["train_sample"]),
        "init_checkpoint": None,
    }
