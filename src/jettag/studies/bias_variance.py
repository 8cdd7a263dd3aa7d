"""Bias and variance: learning curves (vs training-set size) and a capacity scan (width, depth).

Each point is a training: ``{model}--frac{F}`` (a nested, event-wise subset F of the training
jets), ``{model}--width{N}``, ``{model}--depth{N}``. The step ``losses`` measures each trained
point's training and validation loss the same way (:mod:`jettag.studies.fit_losses`: best
checkpoint in eval mode, unweighted cross-entropy, equal-size random subsets of its own train split
and of the val split); the regime is named from them:

* **high variance** when the relative gap ``(val - train) / val`` exceeds ``gap_threshold``
  (the model fits the training jets better than it generalises: more data or regularisation help);
* **high bias** when the gap is small but the validation loss lies more than ``bias_tolerance``
  (relative) above the best validation loss of the same scan (the model underfits: another point
  of the scan, e.g. a larger model, does better on unseen jets);
* **balanced** otherwise.

Each point's light rejection is compared (paired bootstrap on the same test jets) with the largest
point of its scan (``ratio, significance, verdict``).

Steps: ``subset`` (one training-fraction directory), ``losses`` (one trained point) and ``summary``.
"""

from __future__ import annotations

import collections
import math
from pathlib import Path

import numpy as np

from jettag.atomic import write_json_atomic
from jettag.errors import JettagError
from jettag.studies import base, common, datasets
from jettag.studies import headline as hl
from jettag.studies.registry import Study, register
from jettag.tagger_names import fraction_text, join_tagger, seed_tagger

SCANS = ("fraction", "width", "depth")


def step_subset(spec: dict, inputs, output: Path, data_dir=None) -> None:
    datasets.make_subset(inputs, output, float(spec["fraction"]), int(spec.get("chunk_size", 20000)))


def step_losses(spec: dict, inputs, output: Path, data_dir=None) -> None:
    """``--inputs best.pt train.h5 val.h5``: the point's train/val loss measured the same way."""
    from jettag.models import load_checkpoint
    from jettag.studies import fit_losses

    files = {Path(p).name: Path(p) for p in inputs}
    missing = [n for n in ("best.pt", "train.h5", "val.h5") if n not in files]
    if missing:
        raise JettagError(f"bias_variance losses: pass best.pt, train.h5 and val.h5 as --inputs (missing {missing})")
    model, _ = load_checkpoint(files["best.pt"])
    write_json_atomic(output, fit_losses.measure(
        model, files["train.h5"], files["val.h5"], int(spec.get("loss_jets", fit_losses.DEFAULT_MAX_JETS)),
        int(spec.get("loss_seed", 1)), int(spec.get("chunk_size", 20000))))


def regime(train_loss: float, val_loss: float, best_val_loss: float, gap_threshold: float,
           bias_tolerance: float) -> str:
    if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
        return "n/a"
    gap = (val_loss - train_loss) / val_loss if val_loss > 0 else 0.0
    if gap > gap_threshold:
        return "high variance"
    if math.isfinite(best_val_loss) and val_loss > (1 + bias_tolerance) * best_val_loss:
        return "high bias"
    return "balanced"


def summarise(points: list[dict], gap_threshold: float = 0.1, bias_tolerance: float = 0.05) -> list[dict]:
    """Add ``gap`` and ``regime`` to points (dicts: model, scan, value, train_loss, val_loss, ...)."""
    out = []
    for p in points:
        same = [q["val_loss"] for q in points if q["model"] == p["model"] and q["scan"] == p["scan"]]
        finite = [x for x in same if math.isfinite(x)]
        best_val = min(finite) if finite else math.nan
        gap = (p["val_loss"] - p["train_loss"]) / p["val_loss"] if p["val_loss"] else math.nan
        out.append(dict(p, gap=gap, regime=regime(p["train_loss"], p["val_loss"], best_val, gap_threshold,
                                                    bias_tolerance)))
    return sorted(out, key=lambda r: (r["model"], SCANS.index(r["scan"]), r["value"]))


COLUMNS = ("model", "scan", "value", "tagger", "train_loss", "train_loss_err", "val_loss", "val_loss_err",
           "loss_jets", "gap", "regime", "best_epoch", "light_rej", "light_rej_err", "c_rej", "c_rej_err", "auc",
           "reference", *common.PAIRED_COLUMNS)


def plot_names(spec: dict) -> list[str]:
    names = []
    for model, scans in spec["points"].items():
        names += [f"{scan}_{model}" for scan in SCANS if scans.get(scan)]
    return names


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:

    wp = float(spec.get("wp", common.DEFAULT_WP))
    scores = common.by_tagger(inputs, ".h5")
    hists = common.histories(inputs)
    losses = common.by_tagger(inputs, ".json", prefix="losses_")
    points = []
    for model, scans in spec["points"].items():
        for scan, mapping in scans.items():
            if scan not in SCANS:
                raise JettagError(f"bias_variance: unknown scan '{scan}' (known {SCANS})")
            loaded = {}
            for tagger in mapping.values():
                if tagger not in scores or tagger not in hists or tagger not in losses:
                    raise JettagError(f"bias_variance summary: scores, history or losses of '{tagger}' missing")
                loaded[tagger] = common.read_scores(scores[tagger])
            ref = mapping[max(mapping, key=float)]
            cmp = common.paired_light(loaded, [(t, ref) for t in loaded if t != ref], wp)
            for value, tagger in mapping.items():
                h = common.read_history(hists[tagger])
                fit = common.read_step_json(losses[tagger], "bias_variance losses")
                m = common.scores_metrics(loaded[tagger], [wp])[0].as_dict()
                m.pop("wp")
                m.pop("tagger")
                points.append({"model": model, "scan": scan, "value": float(value), "tagger": tagger,
                               "train_loss": float(fit["train_loss"]), "train_loss_err": float(fit["train_loss_err"]),
                               "val_loss": float(fit["val_loss"]), "val_loss_err": float(fit["val_loss_err"]),
                               "loss_jets": int(fit["n_jets"]), "best_epoch": int(h.epoch[h.best]), **m,
                               **(cmp.get(tagger) or {"reference": "", **common.no_comparison()})})
    rows = summarise(points, float(spec.get("gap_threshold", 0.1)), float(spec.get("bias_tolerance", 0.05)))
    display = [
        ("model", "model"), ("scan", "scan"), ("value", lambda r: common.fmt(r["value"])),
        ("train loss", "train_loss"), ("val. loss", "val_loss"),
        ("rel. gap", lambda r: f"{100 * r['gap']:+.1f} %"), ("regime", "regime"),
        (f"light rej. ({wp:g} %)", lambda r: common.fmt_err(r["light_rej"], r["light_rej_err"])),
        ("AUC", lambda r: f"{r['auc']:.4f}"),
        ("light rej. ratio to", lambda r: r["reference"] or "-"),
        ("ratio [68 %] (verdict)", common.ratio_text),
    ]
    notes = [
        "Training and validation loss of each point's best checkpoint, measured the same way: eval "
        "mode, unweighted cross-entropy, on equal-size random subsets (whole events) of its training "
        "split and of the validation split (statistical errors in the CSV).",
        "Light rejection of each point vs the largest point of its scan: paired bootstrap on the same "
        "test jets; verdict at 3 standard deviations, else the minimum detectable effect (MDE).",
        f"high variance: relative gap > {spec.get('gap_threshold', 0.1)}; high bias: small gap but the "
        f"validation loss > {spec.get('bias_tolerance', 0.05)} (relative) above the scan's best.",
        "fraction = share of the training jets (nested subsets by event); width = units per hidden "
        "layer; depth = hidden layers (see docs/studies.md).",
    ]
    common.write_table(output, rows, COLUMNS, display, "Bias and variance", notes)
    _plot(spec, rows, output, wp)


def _plot(spec, rows, output, wp):
    import matplotlib.pyplot as plt

    from jettag.plotting.style import draw_label, formats, save_figure

    for model, scans in spec["points"].items():
        for scan in SCANS:
            if not scans.get(scan):
                continue
            pts = [r for r in rows if r["model"] == model and r["scan"] == scan]
            x = np.array([r["value"] for r in pts])
            common.new_figure()  # style
            plt.close("all")
            fig, (ax, ax2) = plt.subplots(2, 1, figsize=(7.5, 7.5), sharex=True,
                                          gridspec_kw={"height_ratios": [2, 1], "hspace": 0.05})
            ax.plot(x, [r["train_loss"] for r in pts], "o-", color="#1f77b4", label="training loss")
            ax.plot(x, [r["val_loss"] for r in pts], "s--", color="#d62728", label="validation loss")
            for r in pts:
                ax.annotate(r["regime"], (r["value"], r["val_loss"]), textcoords="offset points",
                            xytext=(0, 8), ha="center", fontsize=8)
            ax.set_ylabel("loss at best epoch")
            ax.legend(loc="upper right")
            lo, hi = ax.get_ylim()
            ax.set_ylim(lo, hi + 0.6 * (hi - lo))
            ax2.errorbar(x, [r["light_rej"] for r in pts], yerr=[r["light_rej_err"] for r in pts], fmt="o-",
                         color="k")
            ax2.set_ylabel(f"light rej. ({wp:g} %)", fontsize=11)
            xlabel = {"fraction": "fraction of training jets", "width": "hidden width", "depth": "hidden layers"}
            ax2.set_xlabel(xlabel[scan])
            if scan != "depth" and len(x) > 1 and x.min() > 0 and x.max() / x.min() >= 5:
                ax2.set_xscale("log")
            draw_label(ax, spec, [f"{model}: {'learning curve' if scan == 'fraction' else 'capacity scan'}"])
            fmts = formats(spec)
            save_figure(fig, common.plot_path(output, f"{scan}_{model}", fmts[0]), fmts)


# --------------------------------------------------------------------------------------------
# planning


def plan_spec(cfg: dict) -> dict:
    section = base.section(cfg, "bias_variance")
    points = {}
    for model in base.study_models(cfg, "bias_variance"):
        full = seed_tagger(cfg, model, base.base_seed(cfg, model))
        p = {}
        fr = section.get("fractions", [0.1, 0.3, 1.0])
        if fr:
            p["fraction"] = {fraction_text(f): (full if float(f) == 1.0 else join_tagger(model, [f"frac{fraction_text(f)}"]))
                             for f in fr}
        for scan in ("width", "depth"):
            vals = section.get(f"{scan}s") or []
            if vals:
                p[scan] = {str(v): join_tagger(model, [f"{scan}{int(v)}"]) for v in vals}
        points[model] = p
    return {"points": points}


def losses_file(cfg: dict, tagger: str) -> str:
    """The ``losses`` step's output of one trained point."""
    return base.paths(cfg).study_file("bias_variance", f"losses_{tagger}.json")


def losses_inputs(cfg: dict, tagger: str) -> list[str]:
    """``best.pt`` of ``tagger`` and the train/val splits it was trained on."""
    from jettag.taggers import plan_tagger

    files = base.paths(cfg).data_files(plan_tagger(cfg, tagger).data_dir)
    return [base.paths(cfg).checkpoint(tagger, "best"), files["train"], files["val"]]


def summary_inputs(cfg: dict, spec: dict) -> list[str]:
    taggers = [t for p in spec["points"].values() for mapping in p.values() for t in mapping.values()]
    taggers = list(dict.fromkeys(taggers))
    return ([base.scores(cfg, t) for t in taggers] + [base.history(cfg, t) for t in taggers]
            + [losses_file(cfg, t) for t in taggers])


def headline(rows: list[dict[str, str]]) -> str:
    parts = []
    for model, mrows in hl.by_key(rows).items():
        regimes = collections.Counter(r["regime"] for r in mrows)
        best = min(mrows, key=lambda r: hl.num(r["val_loss"]))
        text = (f"{model}: " + ", ".join(f"{n} {k}" for k, n in sorted(regimes.items()))
                + f" of {len(mrows)} scan points; lowest validation loss {hl.fmt(hl.num(best['val_loss']))}"
                f" at {best['scan']} = {best['value']}")
        for r in mrows:
            if r.get("verdict"):
                text += f"; {r['scan']} = {r['value']}: {hl.verdict_text(r)}"
        parts.append(text)
    return hl.sentence(parts)


register(Study(
    name="bias_variance", order=60, steps={"subset": step_subset, "losses": step_losses, "summary": step_summary},
    spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names,
    headline=headline,
))
