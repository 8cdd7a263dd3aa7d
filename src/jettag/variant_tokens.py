"""The tokens of tagger-variant names: what each does to a copy of the model spec.

Each token is matched by a regular expression and applied by its handler (pure data: nothing is
ever evaluated). A study that needs a new kind of training adds one handler and one line of
:data:`TOKENS`; the table below is the reference.

==========================  ===============================================================
``seed{N}``                 ``training.seed = N`` (deep-ensemble member, seed spread)
``snap{K}``                 snapshot-ensemble cycle K: one SGDR cycle, initialised from cycle K-1
``no-{group|feature}``      ablation: drop a track-feature group or one feature
``fold{I}of{K}``            K-fold: train on the fold directory ``I`` of ``K`` (1-based)
``trial{N}``                random-search trial N: hyperparameters from (search seed, N)
``overfit``                 fast-prototyping check: a tiny training subset to overfit
``frac{F}``                 learning curve: a fraction F of the training jets
``width{N}`` / ``depth{N}`` capacity scan
``dd{W}``                   double descent: width W trained to interpolation on the noisy subset
                            (``studies.double_descent``: no early stopping, weight decay, dropout)
``nolog``                   pt_frac and dr instead of log_pt_frac and log_dr
``bs{B}`` / ``lr{X}``       batch size B / learning rate X (spelled ``f"{X:g}"``), used as given
                            (``lr_scaling: none``) unless with ``lrscaled``
``lrscaled``                ``studies.batch_lr.scaling`` from ``studies.batch_lr.reference_batch_size``
``relative`` / ``absolute`` deta, dphi, log_pt  /  eta, phi, log_pt instead of the kinematics group
                            (the same pT input: only the coordinates differ)
``augment``                 on-the-fly rotations in phi / reflections in eta of the training jets
                            (``training.augment`` from ``studies.augmentation``)
``{sample}``                trained on another sample of the config (e.g. ``zprime``)
``finetune-{sample}``       initialised from the model without this token, trained on a small
                            subset of ``sample``
``scratch-{sample}``        trained from scratch on the same small subset
==========================  ===============================================================
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

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
from jettag.tagger_names import fraction_text, join_tagger, lr_text, study_section


class Plan:
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


def _seed(p: Plan, m: re.Match) -> None:
    p.training(seed=int(m[1]))


def _snapshot(p: Plan, m: re.Match) -> None:
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


def _drop(p: Plan, m: re.Match) -> None:
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


def _fold(p: Plan, m: re.Match) -> None:
    i, k = int(m[1]), int(m[2])
    if k < 2 or not 1 <= i <= k:
        raise JettagError(f"tagger '{p.tagger}': fold{i}of{k} needs K >= 2 and 1 <= I <= K")
    p.data_dir = p.paths.fold_dir(i, k)


def _trial(p: Plan, m: re.Match) -> None:
    section = study_section(p.cfg, "search")
    apply_trial(p.spec, sample_trial(section, int(m[1])))
    overfit = section.get("overfit") or {}
    if overfit.get("enabled", True) and overfit.get("require", False):
        p.requires.append(p.paths.overfit_check(p.base))


def _overfit(p: Plan, m: re.Match) -> None:
    apply_overfit(p.spec, study_section(p.cfg, "search").get("overfit") or {})


def _fraction(p: Plan, m: re.Match) -> None:
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


def _width(p: Plan, m: re.Match) -> None:
    set_width(p.spec, int(m[1]))


def _depth(p: Plan, m: re.Match) -> None:
    set_depth(p.spec, int(m[1]))


#: Feature swaps of the feature-choice study: (replace, with).
FEATURE_CHOICES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "nolog": (("log_pt_frac", "log_dr"), ("pt_frac", "dr")),
    "relative": (TRACK_GROUPS["kinematics"], ("deta", "dphi", "log_pt")),
    "absolute": (TRACK_GROUPS["kinematics"], ("eta", "phi", "log_pt")),
}


def _feature_choice(p: Plan, m: re.Match) -> None:
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


def _grid_cell(p: Plan, **training) -> None:
    """A cell of the batch-size x learning-rate grid: the values as given (no scaling rule unless
    ``lrscaled``), with the study's own ``epochs`` / ``max_train_jets`` when set."""
    section = study_section(p.cfg, "batch_lr")
    budget = {k: section[k] for k in ("epochs", "max_train_jets") if section.get(k) is not None}
    scaling = {} if "lrscaled" in p.tokens else {"lr_scaling": "none"}
    p.training(**budget, **scaling, **training)


def _batch_size(p: Plan, m: re.Match) -> None:
    if int(m[1]) < 1 or m[1] != str(int(m[1])):
        raise JettagError(f"tagger '{p.tagger}': write the batch size as 'bs{max(int(m[1]), 1)}' (B >= 1)")
    _grid_cell(p, batch_size=int(m[1]))


def _learning_rate(p: Plan, m: re.Match) -> None:
    try:
        x = float(m[1])
    except ValueError:
        raise JettagError(f"tagger '{p.tagger}': '{m[1]}' is not a learning rate") from None
    if not math.isfinite(x) or x <= 0:
        raise JettagError(f"tagger '{p.tagger}': learning rate {m[1]} must be positive")
    if m[1] != lr_text(x):
        raise JettagError(f"tagger '{p.tagger}': write the learning rate as 'lr{lr_text(x)}'")
    _grid_cell(p, learning_rate=x)


def _lr_scaled(p: Plan, m: re.Match) -> None:
    section = study_section(p.cfg, "batch_lr")
    p.training(lr_scaling=section.get("scaling", "linear"),
               reference_batch_size=int(section.get("reference_batch_size", 512)))


def _augment(p: Plan, m: re.Match) -> None:
    section = study_section(p.cfg, "augmentation")
    p.training(augment={"rotate_phi": bool(section.get("rotate_phi", True)),
                        "reflect_eta": bool(section.get("reflect_eta", True))})


def _double_descent(p: Plan, m: re.Match) -> None:
    section = study_section(p.cfg, "double_descent")
    set_width(p.spec, int(m[1]))
    p.data_dir = p.paths.double_descent_dir(int(section.get("train_jets", 1000)),
                                            float(section.get("label_noise", 0.2)))
    for key in ("dropout", "attn_dropout"):
        if p.spec.get(key):
            p.spec[key] = 0.0
    p.training(epochs=int(section.get("epochs", 150)), batch_size=int(section.get("batch_size", 64)),
               learning_rate=float(section.get("learning_rate", 0.002)), lr_scaling="none",
               weight_decay=0.0, l1=0.0, max_train_jets=None, early_stopping={"enabled": False})


def _sample(p: Plan, m: re.Match) -> None:
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


TOKENS: tuple[tuple[re.Pattern, Callable[[Plan, re.Match], None], str], ...] = (
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
    (re.compile(r"augment"), _augment, "augmentation"),
    (re.compile(r"bs(\d+)"), _batch_size, "batch_lr"),
    (re.compile(r"lrscaled"), _lr_scaled, "batch_lr"),
    (re.compile(r"lr(\d[0-9.]*(?:e-\d+)?)"), _learning_rate, "batch_lr"),
    (re.compile(r"dd(\d+)"), _double_descent, "double_descent"),
    (re.compile(r"(finetune-|scratch-)?([A-Za-z0-9_]+)"), _sample, "transfer"),
)

_TOKEN_HELP = (
    "mainseed<N>, seed<N>, snap<K>, no-<group|feature>, fold<I>of<K>, trial<N>, overfit, frac<F>, width<N>, "
    "depth<N>, dd<W>, nolog, relative, absolute, augment, bs<B>, lr<X>, lrscaled, <sample>, finetune-<sample>, scratch-<sample>"
)


def apply_token(p: Plan, token: str) -> None:
    for pattern, handler, _ in TOKENS:
        m = pattern.fullmatch(token)
        if m is None:
            continue
        if handler is _sample and m[1] is None and token not in p.cfg["samples"]:
            break  # a bare word that is not a sample: unknown token
        handler(p, m)
        return
    raise JettagError(f"tagger '{p.tagger}': unknown variant '{token}'; known variants: {_TOKEN_HELP}")
