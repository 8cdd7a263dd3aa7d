"""Feature choice: the log transform of pT fraction and Delta R, relative vs absolute coordinates.

Variants of each model (``jettag.variant_tokens.FEATURE_CHOICES``), each trained with ``seeds`` seeds:

* baseline: the model as configured (``log_pt_frac``, ``log_dr``);
* ``nolog``: ``pt_frac`` and ``dr`` instead (no log transform);
* ``relative``: ``deta``, ``dphi``, ``dr`` instead of the kinematics group;
* ``absolute``: ``eta``, ``phi``, ``log_pt`` instead of the kinematics group.

Convergence speed is measured as the optimiser steps (and wall seconds) until the validation loss
first reaches a target (interpolated linearly between the two epochs around the crossing): ``target_val_loss`` if given, else the largest of all runs' best validation
losses (the loosest target every run reaches), per model. Each variant gets the mean and spread
(standard deviation) over its seeds; the ratio of mean steps to the baseline's carries the error
of the two means (``steps_ratio, steps_significance, steps_verdict``). The light rejection is
compared with the baseline's paired on the same test jets, with the seed spread of both
(``ratio, significance, verdict``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from jettag.errors import JettagError
from jettag.studies import base, common
from jettag.studies import headline as hl
from jettag.studies.convergence import (
    Run,
    mean_spread,
    plot_val_loss,
    pm,
    read_run,
    seed_mean,
    steps_comparison,
)
from jettag.studies.registry import Study, register
from jettag.tagger_names import join_tagger

DESCRIPTIONS = {
    "baseline": "log(pT frac), log(dR) (as configured)",
    "nolog": "pT frac, dR (no log)",
    "relative": "relative: deta, dphi, log pT",
    "absolute": "absolute: eta, phi, log pT",
}

COLUMNS = ("model", "variant", "tagger", "seeds", "inputs", "target_val_loss", "steps_to_target",
           "steps_to_target_spread", "time_to_target_s", "time_to_target_spread", "epochs_to_target",
           "runs_reaching_target", "best_val_loss", "steps_ratio", "steps_ratio_err", "steps_significance",
           "steps_verdict", "light_rej", "light_rej_err", "c_rej", "c_rej_err", "auc", "reference",
           *common.PAIRED_COLUMNS)


def summarise(model: str, runs: dict[str, list[Run]], metrics: dict[str, common.Metrics],
              target: float | None = None) -> list[dict]:
    """Rows for one model; ``runs``: variant -> its seeds' runs (``baseline`` first); ``metrics``:
    variant -> light/c rejection of its seeds' mean (already combined)."""
    if "baseline" not in runs:
        raise JettagError(f"features: no baseline run for {model}")
    best = {v: [float(np.nanmin(r.history.val_loss)) for r in rs] for v, rs in runs.items()}
    target = float(target) if target is not None else max(x for v in best.values() for x in v)
    reached = {v: [r.to_reach(target) for r in rs] for v, rs in runs.items()}
    rows = []
    for variant, rs in runs.items():
        steps = [x[0] for x in reached[variant]]
        secs = [x[1] for x in reached[variant]]
        epochs = [x[2] for x in reached[variant]]
        m = metrics[variant]
        row = {"model": model, "variant": variant, "tagger": m.tagger, "seeds": len(rs),
               "inputs": DESCRIPTIONS.get(variant, variant), "target_val_loss": target,
               "steps_to_target": mean_spread(steps)[0], "steps_to_target_spread": mean_spread(steps)[1],
               "time_to_target_s": mean_spread(secs)[0], "time_to_target_spread": mean_spread(secs)[1],
               "epochs_to_target": mean_spread(epochs)[0],
               "runs_reaching_target": sum(math.isfinite(x) for x in steps),
               "best_val_loss": float(np.mean(best[variant])), "light_rej": m.light_rej,
               "light_rej_err": m.light_rej_err, "c_rej": m.c_rej, "c_rej_err": m.c_rej_err, "auc": m.auc}
        if variant == "baseline":
            row.update({"steps_ratio": "", "steps_ratio_err": "", "steps_significance": "", "steps_verdict": ""})
        else:
            row.update(steps_comparison(steps, [x[0] for x in reached["baseline"]]))
        rows.append(row)
    return rows


def plot_names(spec: dict) -> list[str]:
    return [f"val_loss_{m}" for m in spec["variants"]]


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:
    wp = float(spec.get("wp", common.DEFAULT_WP))
    scores = common.by_tagger(inputs, ".h5")
    hists = common.histories(inputs)
    rows = []
    for model, variants in spec["variants"].items():
        runs, loaded, metrics = {}, {}, {}
        for variant, taggers in variants.items():
            taggers = [taggers] if isinstance(taggers, str) else list(taggers)
            missing = [t for t in taggers if t not in scores or t not in hists]
            if missing:
                raise JettagError(f"features summary: scores or history of {missing} missing")
            runs[variant] = [read_run(hists[t]) for t in taggers]
            for t in taggers:
                loaded[t] = common.read_scores(scores[t])
            per_seed = [common.scores_metrics(loaded[t], [wp])[0] for t in taggers]
            metrics[variant] = seed_mean(variant, taggers, per_seed)
        members = {v: list([t] if isinstance(t, str) else t) for v, t in variants.items()}
        cmp = common.paired_light(loaded, [(v, "baseline") for v in variants if v != "baseline"], wp,
                                  members=members)
        model_rows = summarise(model, runs, metrics, spec.get("target_val_loss"))
        for r in model_rows:
            r.update(cmp.get(r["variant"]) or {"reference": "", **common.no_comparison()})
            if r["reference"]:
                r["reference"] = members["baseline"][0]
        rows += model_rows
        plot_val_loss(spec, model, runs, model_rows[0]["target_val_loss"], output, DESCRIPTIONS)
    display = [
        ("model", "model"), ("inputs", "inputs"), ("seeds", "seeds"),
        ("steps to target", lambda r: pm(r["steps_to_target"], r["steps_to_target_spread"])),
        ("seconds to target", lambda r: pm(r["time_to_target_s"], r["time_to_target_spread"])),
        ("steps ratio (verdict)", lambda r: "-" if r["variant"] == "baseline" else
         f"{common.fmt(r['steps_ratio'])} ± {common.fmt(r['steps_ratio_err'])} ({r['steps_verdict']})"),
        ("best val. loss", "best_val_loss"),
        (f"light rej. ({wp:g} %)", lambda r: common.fmt_err(r["light_rej"], r["light_rej_err"])),
        ("light rej. ratio [68 %] (verdict)", common.ratio_text),
        ("AUC", lambda r: f"{r['auc']:.4f}"),
    ]
    notes = [
        "Target validation loss: " + ("configured" if spec.get("target_val_loss") is not None
                                      else "the largest best validation loss of the model's runs") + ".",
        "Steps and seconds to target: mean ± standard deviation over the seeds; the ratio to the "
        "baseline carries the error of both means (seed spread); verdict at 3 standard deviations, "
        "else the minimum detectable effect (MDE). Wall time depends on the machine load; compare steps first.",
        "Light rejection: mean over seeds; ratio to the baseline paired on the same test jets (bootstrap) "
        "with the seed spread of both.",
    ]
    common.write_table(output, rows, COLUMNS, display, "Feature choice: log transform and coordinates", notes)


# --------------------------------------------------------------------------------------------
# planning


def plan_spec(cfg: dict) -> dict:
    section = base.section(cfg, "features")
    n = int(section.get("seeds", 3))
    out = {}
    for model in base.study_models(cfg, "features"):
        seeds = base.seeds(cfg, model, n)
        first = base.base_seed(cfg, model)
        variants = {"baseline": seeds}
        for v in section.get("variants", ["nolog", "relative", "absolute"]):
            variants[v] = [join_tagger(model, [v] + ([f"seed{first + k}"] if k else [])) for k in range(max(1, n))]
        out[model] = variants
    return {"variants": out}


def summary_inputs(cfg: dict, spec: dict) -> list[str]:
    taggers = [t for v in spec["variants"].values() for ts in v.values() for t in ([ts] if isinstance(ts, str) else ts)]
    taggers = list(dict.fromkeys(taggers))
    return [base.scores(cfg, t) for t in taggers] + [base.history(cfg, t) for t in taggers]


def headline(rows: list[dict[str, str]]) -> str:
    parts = []
    for r in rows:
        if r["variant"] == "baseline":
            continue
        parts.append(f"{r['model']} with {r['inputs']} ({r['seeds']} seeds): "
                     f"{hl.fmt(hl.num(r['steps_to_target']))} ± {hl.fmt(hl.num(r['steps_to_target_spread']))} "
                     f"optimiser steps to the target loss, {hl.fmt(hl.num(r['steps_ratio']))} x the baseline's: "
                     f"{r['steps_verdict']}; {hl.verdict_text(r)}")
    return hl.sentence(parts)


register(Study(
    name="features", order=70, steps={"summary": step_summary},
    spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names,
    headline=headline,
))
