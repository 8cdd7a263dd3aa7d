"""Tagger names: what the workflow trains for a tagger (a model or a variant of one).

A tagger is a model of the config (``dips``) or a variant of one: the model name followed by one or
more tokens, each after ``--`` (``dips--seed2``, ``dips--no-hits--seed3``). A study's fan-out jobs
are trainings of variants, so they reuse the ordinary ``train`` and ``evaluate`` rules;
:func:`plan_tagger` turns a name into a :class:`TaggerPlan` for every training.

Tokens (pure data: each is matched by a regular expression and applied to a copy of the spec;
nothing is ever evaluated):

==========================  ===============================================================
``seed{N}``                 ``training.seed = N`` (deep-ensemble member, seed spread)
``snap{K}``                 snapshot-ensemble cycle K: one SGDR cycle, initialised from cycle K-1
``no-{group|feature}``      ablation: drop a track-feature group or one feature
``fold{I}of{K}``            K-fold: train on the fold directory ``I`` of ``K`` (1-based)
``trial{N}``                random-search trial N: hyperparameters from (search seed, N)
``overfit``                 fast-prototyping check: a tiny training subset to overfit
``frac{F}``                 learning curve: a fraction F of the training jets
``width{N}`` / ``depth{N}`` capacity scan
``nolog``                   pt_frac and dr instead of log_pt_frac and log_dr
``relative`` / ``absolute`` deta, dphi, dr  /  eta, phi, log_pt instead of the kinematics group
``{sample}``                trained on another sample of the config (e.g. ``zprime``)
``finetune-{sample}``       initialised from the model without this token, trained on a small
                            subset of ``sample``
``scratch-{sample}``        trained from scratch on the same small subset
==========================  ===============================================================

Every variant (any name with a token) also gets ``studies.training`` merged into its training
settings, so that study trainings can be made shorter than the main ones while still sharing
baselines across studies (``seed_tagger``).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from jettag.config import merge, model_spec
from jettag.errors import JettagError
from jettag.features import (
    DEFAULT_TRACK_INPUTS,
    TRACK_FEATURES,
    TRACK_GROUPS,
    resolve_track_features,
)
from jettag.models.spec import set_depth, set_width
from jettag.paths import ResultPaths
from jettag.search_space import apply_overfit, apply_trial, sample_trial

SEPARATOR = "--"


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


# --------------------------------------------------------------------------------------------
# tokens


class _Plan:
    def __init__(self, cfg: dict, tagger: str, base: str, tokens: list[str]):
        self.cfg = cfg
        self.tagger = tagger
        self.base = base
        self.tokens = tokens
        self.paths = ResultPaths.of(cfg)
        self.spec = model_spec(cfg, base)
        self.data_dir = self.paths.data_dir(cfg["train_sample"])
        self.init_checkpoint: str | None = None
        self.requires: list[str] = []

    def without(self, token: str) -> str:
        return join_tagger(self.base, [t for t in self.tokens if t != token])

    def training(self, **overrides) -> None:
        self.spec["training"] = merge(self.spec["training"], overrides)

    def track_inputs(self) -> list[str]:
        return list(
            resolve_track_features(
                self.spec.get("track_features", DEFAULT_TRACK_INPUTS), self.spec.get("drop_features", [])
            )
        )

    def set_track_inputs(self, names: list[str]) -> None:
        self.spec["track_features"] = list(dict.fromkeys(names))
        self.spec["drop_features"] = []


def _seed(p: _Plan, m: re.Match) -> None:
    p.training(seed=int(m[1]))


def _snapshot(p: _Plan, m: re.Match) -> None:
    k = int(m[1])
    if k < 1:
        raise JettagError(f"tagger '{p.tagger}': snapshot cycles count from 1 (snap1, snap2, ...)")
    snap = study_section(p.cfg, "ensembles").get("snapshot") or {}
    epochs = snap.get("cycle_epochs") or p.spec["training"]["epochs"]
    p.training(
        epochs=int(epochs),
        schedule={"name": "sgdr", "restart_epochs": int(epochs), "restart_mult": 1},
        early_stopping={"enabled": False},
    )
    if k > 1:
        previous = join_tagger(p.base, [f"snap{k - 1}" if t == m[0] else t for t in p.tokens])
        p.init_checkpoint = p.paths.checkpoint(previous, "last")


def _drop(p: _Plan, m: re.Match) -> None:
    item = m[1]
    if item not in TRACK_GROUPS and item not in TRACK_FEATURES:
        raise JettagError(
            f"tagger '{p.tagger}': 'no-{item}' names no track feature group or feature; "
            f"groups: {sorted(TRACK_GROUPS)}, features: {sorted(TRACK_FEATURES)}"
        )
    before = p.track_inputs()
    removed = [f for f in before if f in (TRACK_GROUPS.get(item) or (item,))]
    if not removed:
        raise JettagError(f"tagger '{p.tagger}': model '{p.base}' does not use '{item}' (inputs {before})")
    p.spec["drop_features"] = [*p.spec.get("drop_features", []), item]
    p.track_inputs()  # at least one feature must remain


def _fold(p: _Plan, m: re.Match) -> None:
    i, k = int(m[1]), int(m[2])
    if k < 2 or not 1 <= i <= k:
        raise JettagError(f"tagger '{p.tagger}': fold{i}of{k} needs K >= 2 and 1 <= I <= K")
    p.data_dir = p.paths.fold_dir(i, k)


def _trial(p: _Plan, m: re.Match) -> None:
    section = study_section(p.cfg, "search")
    apply_trial(p.spec, sample_trial(section, int(m[1])))
    overfit = section.get("overfit") or {}
    if overfit.get("enabled", True) and overfit.get("require", False):
        p.requires.append(p.paths.overfit_check(p.base))


def _overfit(p: _Plan, m: re.Match) -> None:
    apply_overfit(p.spec, study_section(p.cfg, "search").get("overfit") or {})


def _fraction(p: _Plan, m: re.Match) -> None:
    try:
        f = float(m[1])
    except ValueError:
        raise JettagError(f"tagger '{p.tagger}': '{m[1]}' is not a fraction") from None
    if not 0.0 < f <= 1.0 or not math.isfinite(f):
        raise JettagError(f"tagger '{p.tagger}': fraction {f} must lie in (0, 1]")
    if m[1] != fraction_text(f):
        raise JettagError(f"tagger '{p.tagger}': write the fraction as 'frac{fraction_text(f)}'")
    if f < 1.0:
        p.data_dir = p.paths.subset_dir(fraction_text(f))


def _width(p: _Plan, m: re.Match) -> None:
    set_width(p.spec, int(m[1]))


def _depth(p: _Plan, m: re.Match) -> None:
    set_depth(p.spec, int(m[1]))


#: Feature swaps of the feature-choice study: (replace, with).
FEATURE_CHOICES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "nolog": (("log_pt_frac", "log_dr"), ("pt_frac", "dr")),
    "relative": (TRACK_GROUPS["kinematics"], ("deta", "dphi", "dr")),
    "absolute": (TRACK_GROUPS["kinematics"], ("eta", "phi", "log_pt")),
}


def _feature_choice(p: _Plan, m: re.Match) -> None:
    old, new = FEATURE_CHOICES[m[0]]
    inputs = p.track_inputs()
    if not any(f in inputs for f in old):
        raise JettagError(f"tagger '{p.tagger}': model '{p.base}' uses none of {list(old)} to replace")
    out: list[str] = []
    for f in inputs:
        if f in old:
            if f == next(x for x in old if x in inputs):
                out.extend(new)
        else:
            out.append(f)
    p.set_track_inputs(out)


def _sample(p: _Plan, m: re.Match) -> None:
    kind, sample = m[1], m[2]
    if sample not in p.cfg["samples"]:
        raise JettagError(
            f"tagger '{p.tagger}': sample '{sample}' is not defined under 'samples' "
            f"({sorted(p.cfg['samples'])}); add it to train or fine-tune on it"
        )
    p.data_dir = p.paths.data_dir(sample)
    if kind is None:
        return
    transfer = study_section(p.cfg, "transfer")
    n_small = int(transfer.get("n_small", 2000))
    # a seeded random subset of events over the whole sample (rule study_transfer_subset); both
    # runs get the same epoch budget with early stopping, so the from-scratch model converges
    p.data_dir = p.paths.transfer_dir(sample, n_small)
    p.training(max_train_jets=n_small, epochs=int(transfer.get("epochs", 30)),
               early_stopping={"enabled": True, "patience": int(transfer.get("patience", 5))})
    if kind == "finetune-":
        p.init_checkpoint = p.paths.checkpoint(p.without(m[0]), "best")
        factor = float(transfer.get("finetune_lr_factor", 0.1))
        p.training(learning_rate=p.spec["training"]["learning_rate"] * factor)


TOKENS: tuple[tuple[re.Pattern, Callable[[_Plan, re.Match], None], str], ...] = (
    (re.compile(r"mainseed(\d+)"), _seed, "training.seeds"),
    (re.compile(r"seed(\d+)"), _seed, "ensembles"),
    (re.compile(r"snap(\d+)"), _snapshot, "ensembles"),
    (re.compile(r"no-([A-Za-z0-9_]+)"), _drop, "ablation"),
    (re.compile(r"fold(\d+)of(\d+)"), _fold, "kfold"),
    (re.compile(r"trial(\d+)"), _trial, "search"),
    (re.compile(r"overfit"), _overfit, "search"),
    (re.compile(r"frac([0-9.]+)"), _fraction, "bias_variance"),
    (re.compile(r"width(\d+)"), _width, "bias_variance"),
    (re.compile(r"depth(\d+)"), _depth, "bias_variance"),
    (re.compile(r"nolog|relative|absolute"), _feature_choice, "features"),
    (re.compile(r"(finetune-|scratch-)?([A-Za-z0-9_]+)"), _sample, "transfer"),
)

_TOKEN_HELP = (
    "mainseed<N>, seed<N>, snap<K>, no-<group|feature>, fold<I>of<K>, trial<N>, overfit, frac<F>, width<N>, "
    "depth<N>, nolog, relative, absolute, <sample>, finetune-<sample>, scratch-<sample>"
)


def _apply_token(p: _Plan, token: str) -> None:
    for pattern, handler, _ in TOKENS:
        m = pattern.fullmatch(token)
        if m is None:
            continue
        if handler is _sample and m[1] is None and token not in p.cfg["samples"]:
            break  # a bare word that is not a sample: unknown token
        handler(p, m)
        return
    raise JettagError(f"tagger '{p.tagger}': unknown variant '{token}'; known variants: {_TOKEN_HELP}")


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
    p = _Plan(cfg, tagger, base, tokens)
    if tokens:
        if cfg["models"][base]["type"] == "ip3d":
            raise JettagError(f"tagger '{tagger}': variants need a neural model, '{base}' is IP3D-like")
        main_seed = tagger in main_seed_taggers(cfg, base)  # extra seeds of a main model: its training
        overrides = {} if main_seed else (cfg.get("studies") or {}).get("training") or {}
        _check_training_overrides(overrides)
        p.training(**copy.deepcopy(overrides))
        for token in tokens:
            _apply_token(p, token)
    spec = p.spec
    spec["fc"] = default_fc(spec)
    spec["name"] = tagger if tokens else base
    return TaggerPlan(spec=spec, data_dir=p.data_dir, init_checkpoint=p.init_checkpoint, requires=tuple(p.requires))
