"""K-fold cross-validation: the spread of every metric over K trainings on different data.

The train and validation jets of the training sample are split into K folds by event
(``(eventNumber // 10) % K``, see :func:`jettag.studies.datasets.fold_of`); fold ``i`` trains
``{model}--fold{i}of{K}`` on the other K-1 folds and stops early on fold i. Every fold model is
scored on the same test split, so the spread measures training-data and initialisation variance.

Whether the folds differ by more than the test sample's noise: the best fold of each metric is
compared with the worst, paired on the same test jets (bootstrap; ``ratio, significance,
verdict``). Picking the extremes favours a difference, so a null is the robust statement.

Steps: ``split`` (one fold directory) and ``summary`` (mean and std of every metric, ROC curves).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from jettag.errors import JettagError
from jettag.studies import base, common, datasets
from jettag.studies import headline as hl
from jettag.studies.registry import Study, register


def fold_taggers(model: str, k: int) -> list[str]:
    return [f"{model}--fold{i}of{k}" for i in range(1, k + 1)]


def step_split(spec: dict, inputs, output: Path, data_dir=None) -> None:
    datasets.make_fold(inputs, output, int(spec["index"]), int(spec["folds"]), int(spec.get("chunk_size", 20000)))


METRICS = ("b_eff", "light_rej", "c_rej", "auc")


def summarise(model: str, fold_metrics: list[list[common.Metrics]]) -> list[dict]:
    """Rows ``model, wp, metric, fold1..K, mean, std`` from per-fold metrics (one list per fold)."""
    rows = []
    k = len(fold_metrics)
    for w, m0 in enumerate(fold_metrics[0]):
        for metric in METRICS:
            if metric == "auc" and w > 0:
                continue
            values = np.array([float(getattr(fm[w], metric)) for fm in fold_metrics])
            row = {"model": model, "wp": "all" if metric == "auc" else m0.wp, "metric": metric}
            for i, v in enumerate(values, 1):
                row[f"fold{i}"] = v
            row["mean"] = float(np.mean(values))
            row["std"] = float(np.std(values, ddof=1)) if k > 1 else math.nan
            row["rel_std"] = row["std"] / row["mean"] if row["mean"] else math.nan
            rows.append(row)
    return rows


def plot_names(spec: dict) -> list[str]:
    return [f"roc_{m}" for m in spec["folds"]]


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:
    wps = spec.get("working_points") or [common.DEFAULT_WP]
    scores = common.by_tagger(inputs, ".h5")
    rows = []
    k_max = 0
    for model, taggers in spec["folds"].items():
        missing = [t for t in taggers if t not in scores]
        if missing:
            raise JettagError(f"kfold summary: scores of {missing} not among the inputs")
        loaded = [common.read_scores(scores[t]) for t in taggers]
        model_rows = summarise(model, [common.scores_metrics(s, wps) for s in loaded])
        _best_vs_worst(model_rows, taggers, loaded, wps)
        rows += model_rows
        k_max = max(k_max, len(taggers))
        _plot(spec, model, loaded, output)
    columns = ("model", "wp", "metric", *[f"fold{i}" for i in range(1, k_max + 1)], "mean", "std", "rel_std",
               "tagger", "reference", *common.PAIRED_COLUMNS)
    display = [
        ("model", "model"), ("WP", lambda r: f"{r['wp']:g} %" if r["wp"] != "all" else "-"),
        ("metric", "metric"),
        *[(f"fold {i}", f"fold{i}") for i in range(1, k_max + 1)],
        ("mean ± std", lambda r: f"{common.fmt(r['mean'])} ± {common.fmt(r['std'])}"),
        ("rel. std", lambda r: common.fmt(100 * r["rel_std"], 2) + " %"),
        ("best / worst fold [68 %] (paired)", common.ratio_text),
    ]
    notes = [
        "Each fold trains on K-1 folds of the train+val jets and validates on the remaining fold; "
        "all folds are scored on the same test jets.",
        "std is the sample standard deviation over folds (training-data and initialisation spread); "
        "compare differences between taggers to it.",
        "best / worst fold: ratio of the best to the worst fold on the same test jets (paired bootstrap); "
        "'better' = the folds differ by more than the test-sample noise (3 standard deviations), else "
        "the minimum detectable effect (MDE).",
    ]
    common.write_table(output, rows, columns, display, "K-fold cross-validation", notes)


def _best_vs_worst(rows: list[dict], taggers: list[str], loaded: list, wps) -> None:
    """Add the paired best-vs-worst-fold comparison to the rows of light_rej, c_rej and auc."""
    from jettag.evaluation.comparisons import compare_discs

    for r in rows:
        r.update({"tagger": "", "reference": "", **common.no_comparison()})
    if len(taggers) < 2:
        return
    discs = {t: s.discriminant() for t, s in zip(taggers, loaded, strict=True)}
    pairs = [(a, b) for a in taggers for b in taggers if a != b]
    cmp = {(c["tagger"], c["reference"], c["metric"], str(c["wp"])): c
           for c in compare_discs(discs, loaded[0].flavour, pairs, [float(w) for w in wps])}
    for r in rows:
        if r["metric"] not in ("light_rej", "c_rej", "auc"):
            continue
        values = [r[f"fold{i}"] for i in range(1, len(taggers) + 1)]
        best, worst = taggers[int(np.argmax(values))], taggers[int(np.argmin(values))]
        if best == worst:
            continue
        wp = "" if r["metric"] == "auc" else (int(r["wp"]) if float(r["wp"]).is_integer() else r["wp"])
        c = cmp[(best, worst, r["metric"], str(wp))]
        r.update({"tagger": best, "reference": worst, **{k: c[k] for k in common.PAIRED_COLUMNS}})


def _plot(spec, model, loaded, output):
    from jettag.plotting.style import headroom_log, tagger_colour

    fig, ax = common.new_figure()
    for i, s in enumerate(loaded):
        eff, rej = common.roc(s.discriminant(), s.flavour)
        ax.plot(eff, rej, color=tagger_colour(i + 1), label=f"fold {i + 1}")
    ax.set_yscale("log")
    ax.set_xlim(0.5, 1.0)
    ax.set_xlabel("$b$-jet efficiency")
    ax.set_ylabel("light-flavour jet rejection")
    headroom_log(ax)
    ax.legend(loc="upper right")
    common.finish(fig, ax, spec, output, f"roc_{model}", [f"{model}, {len(loaded)}-fold cross-validation"])


# --------------------------------------------------------------------------------------------
# planning


def plan_spec(cfg: dict) -> dict:
    k = int(base.section(cfg, "kfold").get("folds", 5))
    return {"folds": {m: fold_taggers(m, k) for m in base.study_models(cfg, "kfold")}}


def summary_inputs(cfg: dict, spec: dict) -> list[str]:
    return [base.scores(cfg, t) for ts in spec["folds"].values() for t in ts]


def headline(rows: list[dict[str, str]]) -> str:
    light = [r for r in rows if r["metric"] == "light_rej"]
    wp = {r["wp"] for r in light}
    chosen = "77" if "77" in wp else (sorted(wp)[0] if wp else "")
    parts = [f"{r['model']} light rejection at {chosen} %: {hl.fmt(hl.num(r['mean']), hl.num(r['std']))} "
             f"over folds (relative spread {hl.num(r['rel_std']) * 100:.0f} %)"
             + (f", best vs worst fold {hl.fmt(hl.num(r['ratio']))} x: {r['verdict']}" if r.get("verdict") else "")
             for r in light if r["wp"] == chosen]
    return hl.sentence(parts)


register(Study(
    name="kfold", order=40, steps={"split": step_split, "summary": step_summary},
    spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names,
    headline=headline,
))
