"""Bias and variance: learning curves (vs training-set size) and a capacity scan (width, depth).

Each point is a training: ``{model}--frac{F}`` (a nested, event-wise subset F of the training
jets), ``{model}--width{N}``, ``{model}--depth{N}``. From each history the train and validation
losses at the best epoch are read; the regime is named from them:

* **high variance** when the relative gap ``(val - train) / val`` exceeds ``gap_threshold``
  (the model fits the training jets better than it generalises: more data or regularisation help);
* **high bias** when the gap is small but the validation loss lies more than ``bias_tolerance``
  (relative) above the best validation loss of the same scan (the model underfits: another point
  of the scan, e.g. a larger model, does better on unseen jets);
* **balanced** otherwise.

Steps: ``subset`` (one training-fraction directory) and ``summary``.
"""

from __future__ import annotations

import collections
import math
from pathlib import Path

import numpy as np

from jettag.errors import JettagError
from jettag.studies import base, common, datasets
from jettag.studies import headline as hl
from jettag.studies.registry import Study, register
from jettag.taggers import fraction_text, join_tagger, seed_tagger

SCANS = ("fraction", "width", "depth")


def step_subset(spec: dict, inputs, output: Path, data_dir=None) -> None:
    datasets.make_subset(inputs, output, float(spec["fraction"]), int(spec.get("chunk_size", 20000)))


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


COLUMNS = ("model", "scan", "value", "tagger", "train_loss", "val_loss", "gap", "regime", "best_epoch",
           "light_rej", "light_rej_err", "c_rej", "c_rej_err", "auc")


def plot_names(spec: dict) -> list[str]:
    names = []
    for model, scans in spec["points"].items():
        names += [f"{scan}_{model}" for scan in SCANS if scans.get(scan)]
    return names


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:
    wp = float(spec.get("wp", common.DEFAULT_WP))
    scores = common.by_tagger(inputs, ".h5")
    hists = common.histories(inputs)
    points = []
    for model, scans in spec["points"].items():
        for scan, mapping in scans.items():
            if scan not in SCANS:
                raise JettagError(f"bias_variance: unknown scan '{scan}' (known {SCANS})")
            for value, tagger in mapping.items():
                if tagger not in scores or tagger not in hists:
                    raise JettagError(f"bias_variance summary: scores or history of '{tagger}' missing")
                h = common.read_history(hists[tagger])
                m = common.scores_metrics(common.read_scores(scores[tagger]), [wp])[0].as_dict()
                m.pop("wp")
                m.pop("tagger")
                points.append({"model": model, "scan": scan, "value": float(value), "tagger": tagger,
                               "train_loss": float(h.train_loss[h.best]), "val_loss": float(h.val_loss[h.best]),
                               "best_epoch": int(h.epoch[h.best]), **m})
    rows = summarise(points, float(spec.get("gap_threshold", 0.1)), float(spec.get("bias_tolerance", 0.05)))
    display = [
        ("model", "model"), ("scan", "scan"), ("value", lambda r: common.fmt(r["value"])),
        ("train loss", "train_loss"), ("val. loss", "val_loss"),
        ("rel. gap", lambda r: f"{100 * r['gap']:+.1f} %"), ("regime", "regime"),
        (f"light rej. ({wp:g} %)", lambda r: common.fmt_err(r["light_rej"], r["light_rej_err"])),
        ("AUC", lambda r: f"{r['auc']:.4f}"),
    ]
    notes = [
        "Losses at the epoch of lowest validation loss; the training loss is the epoch average in "
        "training mode (with dropout), so small negative gaps are normal.",
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


def summary_inputs(cfg: dict, spec: dict) -> list[str]:
    taggers = [t for p in spec["points"].values() for mapping in p.values() for t in mapping.values()]
    taggers = list(dict.fromkeys(taggers))
    return [base.scores(cfg, t) for t in taggers] + [base.history(cfg, t) for t in taggers]


def headline(rows: list[dict[str, str]]) -> str:
    parts = []
    for model, mrows in hl.by_key(rows).items():
        regimes = collections.Counter(r["regime"] for r in mrows)
        best = min(mrows, key=lambda r: hl.num(r["val_loss"]))
        parts.append(f"{model}: " + ", ".join(f"{n} {k}" for k, n in sorted(regimes.items()))
                     + f" of {len(mrows)} scan points; lowest validation loss {hl.fmt(hl.num(best['val_loss']))}"
                     f" at {best['scan']} = {best['value']}")
    return hl.sentence(parts)


register(Study(
    name="bias_variance", order=60, steps={"subset": step_subset, "summary": step_summary},
    spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names,
    headline=headline,
))
