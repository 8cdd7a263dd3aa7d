"""Feature choice: the log transform of pT fraction and Delta R, relative vs absolute coordinates.

Variants of each model (``jettag.taggers.FEATURE_CHOICES``):

* baseline: the model as configured (``log_pt_frac``, ``log_dr``);
* ``nolog``: ``pt_frac`` and ``dr`` instead (no log transform);
* ``relative``: ``deta``, ``dphi``, ``dr`` instead of the kinematics group;
* ``absolute``: ``eta``, ``phi``, ``log_pt`` instead of the kinematics group.

Convergence is measured as the epochs and wall time until the validation loss first reaches a
target: ``target_val_loss`` if given, else the largest of the runs' best validation losses
(the loosest target every run reaches), per model.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from jettag.errors import JettagError
from jettag.studies import base, common
from jettag.studies import headline as hl
from jettag.studies.registry import Study, register
from jettag.taggers import join_tagger, seed_tagger

DESCRIPTIONS = {
    "baseline": "log(pT frac), log(dR) (as configured)",
    "nolog": "pT frac, dR (no log)",
    "relative": "relative: deta, dphi, dR",
    "absolute": "absolute: eta, phi, log pT",
}

COLUMNS = ("model", "variant", "tagger", "inputs", "target_val_loss", "epochs_to_target", "time_to_target_s",
           "best_val_loss", "epochs_run", "light_rej", "light_rej_err", "c_rej", "c_rej_err", "auc",
           "delta_light_rej", "delta_light_rej_err")


def summarise(model: str, runs: dict[str, tuple[common.History, common.Metrics]],
              target: float | None = None) -> list[dict]:
    """Rows for one model; ``runs``: variant -> (history, metrics), ``baseline`` first."""
    if "baseline" not in runs:
        raise JettagError(f"features: no baseline run for {model}")
    best = {v: float(np.nanmin(h.val_loss)) for v, (h, _) in runs.items()}
    target = float(target) if target is not None else max(best.values())
    base = runs["baseline"][1]
    rows = []
    for variant, (h, m) in runs.items():
        epochs, secs = h.epochs_to_reach(target)
        diff, err = common.rejection_difference(m.light_rej, m.light_rej_err, base.light_rej, base.light_rej_err)
        rows.append({"model": model, "variant": variant, "tagger": m.tagger,
                     "inputs": DESCRIPTIONS.get(variant, variant), "target_val_loss": target,
                     "epochs_to_target": epochs, "time_to_target_s": secs, "best_val_loss": best[variant],
                     "epochs_run": len(h.epoch), "light_rej": m.light_rej, "light_rej_err": m.light_rej_err,
                     "c_rej": m.c_rej, "c_rej_err": m.c_rej_err, "auc": m.auc,
                     "delta_light_rej": diff if variant != "baseline" else 0.0,
                     "delta_light_rej_err": err if variant != "baseline" else 0.0})
    return rows


def plot_names(spec: dict) -> list[str]:
    return [f"val_loss_{m}" for m in spec["variants"]]


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:
    wp = float(spec.get("wp", common.DEFAULT_WP))
    scores = common.by_tagger(inputs, ".h5")
    hists = common.histories(inputs)
    rows = []
    for model, variants in spec["variants"].items():
        runs = {}
        for variant, tagger in variants.items():
            if tagger not in scores or tagger not in hists:
                raise JettagError(f"features summary: scores or history of '{tagger}' missing")
            runs[variant] = (common.read_history(hists[tagger]),
                             common.scores_metrics(common.read_scores(scores[tagger]), [wp])[0])
        model_rows = summarise(model, runs, spec.get("target_val_loss"))
        rows += model_rows
        _plot(spec, model, runs, model_rows[0]["target_val_loss"], output)
    n_sigma = float(spec.get("significance", 2.0))
    display = [
        ("model", "model"), ("inputs", "inputs"),
        ("epochs to target", lambda r: common.fmt(r["epochs_to_target"]) if math.isfinite(r["epochs_to_target"])
         else "not reached"),
        ("time to target [s]", lambda r: common.fmt(r["time_to_target_s"])),
        ("best val. loss", "best_val_loss"),
        (f"light rej. ({wp:g} %)", lambda r: common.fmt_err(r["light_rej"], r["light_rej_err"])),
        ("change vs baseline", lambda r: "-" if r["variant"] == "baseline" else
         f"{common.fmt_err(r['delta_light_rej'], r['delta_light_rej_err'])} "
         f"({common.significance_flag(r['delta_light_rej'], r['delta_light_rej_err'], n_sigma)})"),
        ("c rej.", lambda r: common.fmt_err(r["c_rej"], r["c_rej_err"])),
        ("AUC", lambda r: f"{r['auc']:.4f}"),
    ]
    notes = [
        "Target validation loss: " + ("configured" if spec.get("target_val_loss") is not None
                                      else "the largest best validation loss of the model's runs") + ".",
        "Wall time depends on the machine load; compare epochs first.",
        f"'within noise': the change is below {n_sigma:g} binomial standard deviations.",
    ]
    common.write_table(output, rows, COLUMNS, display, "Feature choice: log transform and coordinates", notes)


def _plot(spec, model, runs, target, output):
    from jettag.plotting.style import headroom_linear, tagger_colour

    fig, ax = common.new_figure()
    for i, (variant, (h, _)) in enumerate(runs.items()):
        ax.plot(h.epoch, h.val_loss, "o-", color=tagger_colour(i), label=DESCRIPTIONS.get(variant, variant))
    ax.axhline(target, color="grey", ls=":", label="target")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    headroom_linear(ax, 0.45)
    ax.legend(loc="upper right", fontsize=10)
    common.finish(fig, ax, spec, output, f"val_loss_{model}", [model])


# --------------------------------------------------------------------------------------------
# planning


def plan_spec(cfg: dict) -> dict:
    section = base.section(cfg, "features")
    out = {}
    for model in base.study_models(cfg, "features"):
        variants = {"baseline": seed_tagger(cfg, model, base.base_seed(cfg, model))}
        for v in section.get("variants", ["nolog", "relative", "absolute"]):
            variants[v] = join_tagger(model, [v])
        out[model] = variants
    return {"variants": out}


def summary_inputs(cfg: dict, spec: dict) -> list[str]:
    taggers = [t for v in spec["variants"].values() for t in v.values()]
    return [base.scores(cfg, t) for t in taggers] + [base.history(cfg, t) for t in taggers]


def headline(rows: list[dict[str, str]]) -> str:
    parts = [f"{r['model']} with {r['inputs']}: light rejection {hl.rejection_text(r)}, change vs baseline "
             f"{hl.fmt(hl.num(r['delta_light_rej']), hl.num(r['delta_light_rej_err']))}, "
             f"{r['epochs_to_target']} epochs to target"
             for r in rows if r["variant"] != "baseline"]
    return hl.sentence(parts)


register(Study(
    name="features", order=70, steps={"summary": step_summary},
    spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names,
    headline=headline,
))
