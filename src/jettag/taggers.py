"""What the workflow trains for a tagger (a model or a variant of one).

A tagger is a model of the config (``dips``) or a variant of one: the model name followed by one or
more tokens, each after ``--`` (``dips--seed2``, ``dips--no-hits--seed3``; the names are
:mod:`jettag.tagger_names`, the tokens and what each does :mod:`jettag.variant_tokens`). A
study's fan-out jobs are trainings of variants, so they reuse the ordinary ``train`` and
``evaluate`` rules; :func:`plan_tagger` turns a name into a :class:`TaggerPlan` for every training.

Every variant (any name with a token) also gets ``studies.training`` merged into its training
settings, so that study trainings can be made shorter than the main ones while still sharing
baselines across studies (``seed_tagger``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from jettag.errors import JettagError
from jettag.paths import ResultPaths
from jettag.tagger_names import (
    SEPARATOR,
    fraction_text,
    join_tagger,
    lr_text,
    main_seed_taggers,
    seed_tagger,
    split_tagger,
    study_section,
)
from jettag.variant_tokens import FEATURE_CHOICES, Plan, apply_token

__all__ = [
    "FEATURE_CHOICES",
    "SEPARATOR",
    "TaggerPlan",
    "fraction_text",
    "join_tagger",
    "lr_text",
    "main_seed_taggers",
    "plan_tagger",
    "seed_tagger",
    "split_tagger",
    "study_section",
]


@dataclass(frozen=True)
class TaggerPlan:
    """What to train for a tagger: its model spec and where its data and inputs come from.

    ``spec["name"]`` is the tagger name and ``spec["fc"]`` is always set; ``requires`` lists
    extra inputs the training must wait for (the search's overfit check when
    ``studies.search.overfit.require``).
    """

    spec: dict
    data_dir: str
    init_checkpoint: str | None = None
    requires: tuple[str, ...] = field(default_factory=tuple)

    def training_inputs(self) -> dict[str, str]:
        """The ``train`` rule's named inputs: splits, norm, init checkpoint, required files."""
        inputs = ResultPaths.training_files(self.data_dir)
        if self.init_checkpoint:
            inputs["init"] = self.init_checkpoint
        for i, required in enumerate(self.requires):
            inputs[f"requires{i}"] = required
        return inputs

    def training_spec(self) -> dict:
        """The ``--spec`` of ``jettag train``: the model spec plus the init checkpoint."""
        spec = dict(self.spec)
        if self.init_checkpoint:
            spec["init_checkpoint"] = self.init_checkpoint
        return spec


def _check_training_overrides(overrides: dict) -> None:
    from jettag.config import schema

    known = schema()["properties"]["training"]["properties"]
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise JettagError(f"studies.training: unknown training key(s) {unknown}; known: {sorted(known)}")


def plan_tagger(cfg: dict, tagger: str) -> TaggerPlan:
    """What to train for ``tagger`` (a model of the config or a variant of one)."""
    from jettag.evaluation.scores import default_fc

    if not isinstance(tagger, str) or not tagger:
        raise JettagError(f"tagger name {tagger!r} is empty")
    base, tokens = split_tagger(tagger)
    if base not in cfg["models"]:
        raise JettagError(f"tagger '{tagger}': '{base}' is not a model of the config ({sorted(cfg['models'])})")
    if any(not t for t in tokens):
        raise JettagError(f"tagger '{tagger}': empty variant between '{SEPARATOR}' separators")
    if len(set(tokens)) != len(tokens):
        raise JettagError(f"tagger '{tagger}': a variant token appears twice")
    p = Plan(cfg, tagger, base, tokens)
    if tokens:
        if cfg["models"][base]["type"] == "ip3d":
            raise JettagError(f"tagger '{tagger}': variants need a neural model, '{base}' is IP3D-like")
        main_seed = tagger in main_seed_taggers(cfg, base)  # extra seeds of a main model: its training
        overrides = {} if main_seed else (cfg.get("studies") or {}).get("training") or {}
        _check_training_overrides(overrides)
        p.training(**copy.deepcopy(overrides))
        for token in tokens:
            apply_token(p, token)
    spec = p.spec
    spec["fc"] = default_fc(spec)
    spec["name"] = tagger if tokens else base
    return TaggerPlan(spec=spec, data_dir=p.data_dir, init_checkpoint=p.init_checkpoint, requires=tuple(p.requires))
