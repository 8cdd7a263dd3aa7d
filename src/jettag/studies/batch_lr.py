"""Batch size x learning rate: a grid of trainings, with and without the scaling rule.

Each cell is a training ``{model}--bs{B}--lr{X}`` (batch size B, learning rate X used as given,
``lr_scaling: none``) or ``{model}--bs{B}--lr{X}--lrscaled`` (X is the rate at
``reference_batch_size``, scaled to B with ``scaling``: linear ``X B/B_ref`` or sqrt). Cells that
are the same training (the scaled cells at B = B_ref, or a cell equal to another study's
``{model}--seed{S}``) are trained once and shown in every place they occur.

Per cell: the best validation loss (and its epoch), time and optimiser steps per epoch (history,
``batch_losses.csv``), the light rejection at ``wp`` compared paired on the same test jets with the
reference cell (B_ref, the reference rate, as given), the sharpness of the minimum
(:mod:`jettag.studies.sharpness`, when enabled) and the cell a random search would pick (lowest
validation loss over the whole grid: the test split never selects).

Steps: ``sharpness`` (one trained cell) and ``summary`` (table, loss curves, heat maps).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np

from jettag.config import model_spec
from jettag.errors import JettagError
from jettag.evaluation.statistics import SIGNIFICANCE
from jettag.studies import base, common
from jettag.studies import headline as hl
from jettag.studies import sharpness as sharp
from jettag.studies.registry import Study, register
from jettag.tagger_names import join_tagger, lr_text, seed_tagger
from jettag.taggers import plan_tagger
from jettag.training.options import training_options
from jettag.training.schedules import scaled_learning_rate

MODES = ("as given", "scaled")
_MODE_KEY = {"as given": "given", "scaled": "scaled"}

COLUMNS = ("model", "mode", "batch_size", "learning_rate", "effective_lr", "tagger", "best_val_loss",
           "best_val_loss_err", "best_epoch", "epochs", "seconds_per_epoch", "steps_per_epoch", "sharpness",
           "sharpness_err", "picked", "light_rej", "light_rej_err", "c_rej", "c_rej_err", "auc", "reference",
           *common.PAIRED_COLUMNS)


# --------------------------------------------------------------------------------------------
# planning


def _training_key(cfg: dict, tagger: str) -> str:
    """What a training does, independent of its name: data, init and the spec with the learning
    rate resolved (so ``lr_scaling`` at the reference batch size equals ``none``)."""
    plan = plan_tagger(cfg, tagger)
    spec = copy.deepcopy(plan.spec)
    spec.pop("name", None)
    opts = training_options(spec)
    opts["learning_rate"] = scaled_learning_rate(float(opts["learning_rate"]), int(opts["batch_size"]),
                                                 int(opts["reference_batch_size"]), opts["lr_scaling"])
    opts["lr_scaling"], opts["reference_batch_size"] = "none", 1
    spec["training"] = opts
    return json.dumps([plan.data_dir, plan.init_checkpoint, spec], sort_keys=True, default=str)


def _check_grid(section: dict) -> tuple[list[int], list[float], int, str]:
    sizes = [int(b) for b in section.get("batch_sizes", [128, 512, 2048])]
    bad = [b for b in sizes if b < 1 or b & (b - 1)]
    if bad:
        raise JettagError(f"studies.batch_lr.batch_sizes: {bad} are not powers of two; use e.g. [128, 512, 2048]")
    rates = [float(x) for x in section.get("learning_rates", [0.0003, 0.003])]
    if len(set(sizes)) != len(sizes) or len({lr_text(x) for x in rates}) != len(rates):
        raise JettagError("studies.batch_lr: batch_sizes and learning_rates must not repeat a value")
    ref_b = int(section.get("reference_batch_size", 512))
    if ref_b not in sizes:
        raise JettagError(f"studies.batch_lr.reference_batch_size: {ref_b} is not one of batch_sizes {sizes}; "
                          "add it to the grid or pick one of them")
    return sorted(sizes), sorted(rates), ref_b, str(section.get("scaling", "linear"))


def reference_rate(section: dict, rates: list[float], model_lr: float) -> float:
    """The reference cell's rate: ``reference_learning_rate``, else the grid's nearest (log) to the model's."""
    wanted = section.get("reference_learning_rate")
    if wanted is None:
        return min(rates, key=lambda x: (abs(math.log(x / model_lr)), x))
    match = [x for x in rates if lr_text(x) == lr_text(float(wanted))]
    if not match:
        raise JettagError(f"studies.batch_lr.reference_learning_rate: {wanted} is not one of learning_rates {rates}")
    return match[0]


def grid(cfg: dict, model: str) -> tuple[list[dict], str]:
    """The cells of ``model`` (both modes) and the reference cell's tagger."""
    section = base.section(cfg, "batch_lr")
    sizes, rates, ref_b, scaling = _check_grid(section)
    ref_lr = reference_rate(section, rates, float(model_spec(cfg, model)["training"]["learning_rate"]))
    shared_name = seed_tagger(cfg, model, base.base_seed(cfg, model))
    trained = {_training_key(cfg, shared_name): shared_name}
    cells = []
    reference = ""
    for mode in MODES:
        for b in sizes:
            for x in rates:
                tokens = [f"bs{b}", f"lr{lr_text(x)}"] + (["lrscaled"] if mode == "scaled" else [])
                name = join_tagger(model, tokens)
                tagger = trained.setdefault(_training_key(cfg, name), name)
                rule = scaling if mode == "scaled" else "none"
                cells.append({"model": model, "mode": mode, "batch_size": b, "learning_rate": x,
                              "effective_lr": scaled_learning_rate(x, b, ref_b, rule), "tagger": tagger})
                if mode == "as given" and b == ref_b and x == ref_lr:
                    reference = tagger
    return cells, reference


def plan_spec(cfg: dict) -> dict:
    cells, references = [], {}
    for model in base.study_models(cfg, "batch_lr"):
        c, references[model] = grid(cfg, model)
        cells += c
    return {"cells": cells, "references": references}


def taggers(spec: dict) -> list[str]:
    return list(dict.fromkeys(c["tagger"] for c in spec["cells"]))


def sharpness_file(cfg: dict, tagger: str) -> str:
    """The ``sharpness`` step's output of one trained cell."""
    return base.paths(cfg).study_file("batch_lr", f"sharpness_{tagger}.json")


def sharpness_inputs(cfg: dict, tagger: str) -> list[str]:
    """``best.pt`` of ``tagger`` and the validation split it was trained with."""
    files = base.paths(cfg).data_files(plan_tagger(cfg, tagger).data_dir)
    return [base.paths(cfg).checkpoint(tagger, "best"), files["val"]]


def _sharpness_enabled(spec: dict) -> bool:
    return bool((spec.get("sharpness") or {}).get("enabled", True))


def summary_inputs(cfg: dict, spec: dict) -> list[str]:
    ts = taggers(spec)
    out = [base.scores(cfg, t) for t in ts] + [base.history(cfg, t) for t in ts]
    if _sharpness_enabled(spec):
        out += [sharpness_file(cfg, t) for t in ts]
    return out


def plot_names(spec: dict) -> list[str]:
    models = list(dict.fromkeys(c["model"] for c in spec["cells"]))
    return [f"{kind}_{m}_{_MODE_KEY[mode]}" for m in models for mode in MODES for kind in ("curves", "loss", "rej")]


# --------------------------------------------------------------------------------------------
# summary


def cell_numbers(history: common.History, steps: np.ndarray | None) -> dict:
    """Best validation loss (epoch, error), epochs, mean seconds and optimiser steps per epoch."""
    i = history.best
    n = len(history.epoch)
    err = history["val_loss_err"][i] if "val_loss_err" in history else math.nan
    wall = history.wall_time
    return {"best_val_loss": float(history.val_loss[i]), "best_val_loss_err": float(err),
            "best_epoch": int(history.epoch[i]), "epochs": n,
            "seconds_per_epoch": float(wall[-1] / n) if n and np.isfinite(wall[-1]) else math.nan,
            "steps_per_epoch": float(steps[-1] / n) if steps is not None and n else math.nan}


def pick(rows: list[dict]) -> None:
    """Mark ``picked`` on the rows of the cell with the lowest best validation loss, per model."""
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == model and math.isfinite(r["best_val_loss"])]
        best = min(mine, key=lambda r: r["best_val_loss"])["tagger"] if mine else None
        for r in rows:
            if r["model"] == model:
                r["picked"] = r["tagger"] == best


def _steps(history_path: Path, n: int) -> np.ndarray | None:
    if not history_path.with_name("batch_losses.csv").is_file():
        return None
    return common.cumulative_steps(history_path, n)


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:
    wp = float(spec.get("wp", common.DEFAULT_WP))
    scores = common.by_tagger(inputs, ".h5")
    hists = common.histories(inputs)
    sharp_files = common.by_tagger(inputs, ".json", prefix="sharpness_")
    missing = [t for t in taggers(spec) if t not in scores or t not in hists]
    if missing:
        raise JettagError(f"batch_lr summary: scores or history of {missing} missing")
    loaded = {t: common.read_scores(scores[t]) for t in taggers(spec)}
    cmp = common.paired_light(loaded, _pairs(spec), wp)
    runs = {t: common.read_history(hists[t]) for t in loaded}
    rows = []
    for c in spec["cells"]:
        t = c["tagger"]
        m = common.scores_metrics(loaded[t], [wp])[0].as_dict()
        for k in ("wp", "tagger"):
            m.pop(k)
        s = common.read_step_json(sharp_files[t], "batch_lr sharpness") if t in sharp_files else {}
        rows.append({**c, **cell_numbers(runs[t], _steps(hists[t], len(runs[t].epoch))),
                     "sharpness": s.get("sharpness", math.nan), "sharpness_err": s.get("sharpness_err", math.nan),
                     **m, **(cmp.get(t) or {"reference": "", **common.no_comparison()})})
    pick(rows)
    display = [
        ("model", "model"), ("learning rate", "mode"), ("batch", "batch_size"), ("base lr", "learning_rate"),
        ("lr used", "effective_lr"), ("trained as", "tagger"),
        ("best val. loss (epoch)", lambda r: f"{common.fmt_err(r['best_val_loss'], r['best_val_loss_err'])} "
                                             f"({r['best_epoch']})"),
        ("s / epoch", "seconds_per_epoch"), ("steps / epoch", "steps_per_epoch"),
        ("sharpness", lambda r: common.fmt_err(r["sharpness"], r["sharpness_err"])),
        ("search pick", lambda r: "yes" if r["picked"] else ""),
        (f"light rej. ({wp:g} %)", lambda r: common.fmt_err(r["light_rej"], r["light_rej_err"])),
        ("light rej. ratio [68 %] (verdict)", common.ratio_text),
    ]
    settings = spec.get("sharpness") or {}
    notes = [
        f"as given: the learning rate is used at every batch size; scaled: the base rate applies at batch "
        f"{spec.get('reference_batch_size', 512)} and is scaled ({spec.get('scaling', 'linear')}) to the batch size.",
        "trained as: cells that are the same training (e.g. scaled at the reference batch size) are trained once.",
        "search pick: the lowest best validation loss of the grid (the validation split selects, never the test split).",
        "Light rejection vs the reference cell (reference batch size and rate, as given): paired bootstrap on "
        "the same test jets; verdict at 3 standard deviations, else the minimum detectable effect (MDE).",
        (f"sharpness: mean rise of the validation loss ({settings.get('max_jets', 5000)} jets) when every weight "
         f"tensor gets Gaussian noise of {settings.get('sigma', 0.2)} x its RMS ({settings.get('draws', 8)} draws, "
         "error from their spread); lower = flatter minimum." if _sharpness_enabled(spec)
         else "sharpness: not measured (studies.batch_lr.sharpness.enabled: false)."),
        "s / epoch: wall seconds per epoch (training and validation; depends on the machine load).",
    ]
    common.write_table(output, rows, COLUMNS, display, "Batch size x learning rate", notes)
    from jettag.studies import batch_lr_plots

    batch_lr_plots.plot(spec, rows, runs, output, wp)


def _pairs(spec: dict) -> list[tuple[str, str]]:
    ref_of = spec["references"]
    pairs = {(c["tagger"], ref_of[c["model"]]) for c in spec["cells"] if c["tagger"] != ref_of[c["model"]]}
    return sorted(pairs)


def step_sharpness(spec: dict, inputs, output: Path, data_dir=None) -> None:
    sharp.step(spec, inputs, output, data_dir)


def sharpness_by_batch(rows: list[dict]) -> list[tuple[float, float, float]]:
    """(batch size, mean sharpness over its learning rates, its error), by batch size; cells
    without a sharpness skipped."""
    out: dict[float, list[tuple[float, float]]] = {}
    for r in rows:
        value = hl.num(r.get("sharpness"))  # strings (a read table) or numbers
        if math.isfinite(value):
            out.setdefault(hl.num(r["batch_size"]), []).append((value, hl.num(r.get("sharpness_err"))))
    return [(b, float(np.mean([v for v, _ in vs])), math.sqrt(sum(e * e for _, e in vs)) / len(vs))
            for b, vs in sorted(out.items())]


def flatness_verdict(small: float, small_err: float, large: float, large_err: float) -> str:
    """Small vs large batches: ``flatter``/``sharper`` at :data:`SIGNIFICANCE` standard deviations
    (errors in quadrature: conservative, the noise draws are shared), else no significant difference."""
    diff, err = small - large, math.hypot(small_err, large_err)
    if not math.isfinite(err):
        return "no error estimate (one draw)"
    if abs(diff) > SIGNIFICANCE * err:
        return "flatter for small batches" if diff < 0 else "sharper for small batches"
    return f"no significant difference (MDE {SIGNIFICANCE * err:.2g})"


def headline(rows: list[dict[str, str]]) -> str:
    parts = []
    for model, mrows in hl.by_key(rows).items():
        picked = next((r for r in mrows if r.get("picked") == "yes"), None)
        text = model + ": "
        if picked:
            text += (f"the search would pick batch {hl.num(picked['batch_size']):.0f}, "
                     f"lr {lr_text(hl.num(picked['learning_rate']))}"
                     f" ({picked['mode']}; best val. loss {hl.fmt(hl.num(picked['best_val_loss']))})")
        for mode in MODES:
            loss = [hl.num(r["best_val_loss"]) for r in mrows if r["mode"] == mode]
            if loss:
                text += f"; {mode}: best val. loss {hl.fmt(min(loss))}-{hl.fmt(max(loss))} over the grid"
        worse = [r for r in mrows if r.get("verdict") == "worse"]
        better = [r for r in mrows if r.get("verdict") == "better"]
        compared = [r for r in mrows if r.get("verdict")]
        ref = next((r["reference"] for r in compared), "")
        if compared:
            text += (f"; light rejection vs {ref}: {len(better)} better, {len(worse)} worse, "
                     f"{len(compared) - len(better) - len(worse)} without significant difference of {len(compared)} cells")
        by_batch = sharpness_by_batch([r for r in mrows if r["mode"] == MODES[0]])
        if len(by_batch) > 1:
            (b0, s0, e0), (b1, s1, e1) = by_batch[0], by_batch[-1]
            text += (f"; sharpness (as given, mean over the rates) at batch {b0:.0f}: {hl.fmt(s0, e0)}, "
                     f"at batch {b1:.0f}: {hl.fmt(s1, e1)}: {flatness_verdict(s0, e0, s1, e1)}")
        parts.append(text)
    return hl.sentence(parts)


register(Study(
    name="batch_lr", order=110, steps={"sharpness": step_sharpness, "summary": step_summary},
    spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names,
    headline=headline,
))
