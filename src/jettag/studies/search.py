"""Random hyperparameter search with a fast-prototyping (overfit) check.

Trial ``N`` of a search draws its hyperparameters from ``numpy.random.default_rng((seed, N))``:
the same (study seed, trial index) always gives the same trial, whatever the other trials are.
Ranges spanning decades (learning rate, weight decay) are sampled log-uniformly.

Steps: ``overfit`` (read the overfit run's history, write a JSON verdict) and ``summary``
(ranked table of the trials, metric vs each hyperparameter).

Trials are selected and ranked on the VALIDATION split only (best validation loss from the
training history); the test scores are read afterwards and only reported: the chosen trial's test
metrics, paired against the default hyperparameters (``{model}`` with the study training, the
``default`` row) on the same test jets (``ratio, significance, verdict``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from jettag.atomic import write_json_atomic
from jettag.errors import JettagError
from jettag.search_space import (  # noqa: F401  (the study's callers read them here too)
    DEFAULT_SPACE,
    HYPERPARAMETERS,
    apply_overfit,
    apply_trial,
    sample_trial,
    space_of,
)
from jettag.studies import base, common
from jettag.studies import headline as hl
from jettag.studies.registry import Study, register
from jettag.tagger_names import split_tagger


def trial_name(model: str, index: int) -> str:
    return f"{model}--trial{index:02d}"


# --------------------------------------------------------------------------------------------
# steps


def overfit_verdict(history: common.History, max_final_loss: float) -> dict:
    first = float(history.train_loss[0])
    final = float(np.nanmin(history.train_loss[-3:]))
    return {
        "tagger": history.tagger,
        "initial_train_loss": first,
        "final_train_loss": final,
        "epochs": len(history.train_loss),
        "max_final_loss": float(max_final_loss),
        "passed": bool(math.isfinite(final) and final <= max_final_loss),
    }


def step_overfit(spec: dict, inputs, output: Path, data_dir=None) -> None:
    overfit = spec.get("overfit") or {}
    hist = [p for p in inputs if Path(p).name == "history.csv"]
    if len(hist) != 1:
        raise JettagError("search overfit: pass exactly one history.csv (of the '--overfit' run)")
    verdict = overfit_verdict(common.read_history(hist[0]), float(overfit.get("max_final_loss", 0.1)))
    write_json_atomic(output, verdict, indent=2)
    if overfit.get("require", False) and not verdict["passed"]:
        raise JettagError(
            f"fast-prototyping check failed: {verdict['tagger']} reached a training loss of "
            f"{verdict['final_train_loss']:.3g} on {overfit.get('jets', 256)} jets (> "
            f"{verdict['max_final_loss']}); the model cannot overfit a tiny set: check the inputs, "
            "labels and learning rate before searching (or set studies.search.overfit.require: false)"
        )


COLUMNS = (
    "rank", "tagger", "model", "trial", *HYPERPARAMETERS, "best_val_loss", "best_epoch", "light_rej",
    "light_rej_err", "c_rej", "c_rej_err", "auc", *common.PAIRED_COLUMNS,
)
#: Ranking keys: validation-split quantities only (the test split is never used to select).
RANK_KEYS = ("best_val_loss",)


def summarise(trials: list[dict], rank_by: str = "best_val_loss") -> list[dict]:
    """Rank trials per model on the validation split (lowest ``best_val_loss`` first).

    Only the keys of :data:`RANK_KEYS` are read for the ranking; test metrics in the dicts are
    carried along, never compared.
    """
    if rank_by not in RANK_KEYS:
        raise JettagError(
            f"studies.search.rank_by: '{rank_by}' is not a validation-split quantity ({', '.join(RANK_KEYS)}); "
            "ranking on test-split metrics would select the model on the test set"
        )
    sign = 1.0
    out: list[dict] = []
    for model in dict.fromkeys(t["model"] for t in trials):
        group = [t for t in trials if t["model"] == model]
        group.sort(key=lambda t: (_missing(t.get(rank_by)), sign * _value(t.get(rank_by)), t["trial"]))
        for i, t in enumerate(group, 1):
            out.append(dict(t, rank=i))
    return out


def _missing(value) -> bool:
    return value is None or math.isnan(float(value))  # a trial without a metric ranks last


def _value(value) -> float:
    return 0.0 if _missing(value) else float(value)


def default_name(spec: dict, model: str) -> str | None:
    return (spec.get("default_of") or {}).get(model)


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:
    wp = float(spec.get("wp", common.DEFAULT_WP))
    scores = common.by_tagger(inputs, ".h5")
    defaults = {m: scores.pop(d) for m in spec.get("trials_of", {}) if (d := default_name(spec, m)) in scores}
    hists = common.histories(inputs)
    checks = {}
    for p in inputs:
        if Path(p).name.startswith("overfit_") and Path(p).suffix == ".json":
            v = json.loads(Path(p).read_text())
            checks[split_tagger(v["tagger"])[0]] = v
    trials = []
    for tagger, path in sorted(scores.items()):
        model, tokens = split_tagger(tagger)
        index = int(tokens[-1].removeprefix("trial"))
        params = sample_trial(spec, index)
        m = common.scores_metrics(common.read_scores(path), [wp])[0]
        row = {"tagger": tagger, "model": model, "trial": index, **params, **m.as_dict()}
        row.pop("wp", None)
        if tagger in hists:
            h = common.read_history(hists[tagger])
            row["best_val_loss"] = float(h.val_loss[h.best])
            row["best_epoch"] = int(h.epoch[h.best])
        trials.append(row)
    if not trials:
        raise JettagError("search summary: no trial scores given")
    rank_by = spec.get("rank_by", "best_val_loss")
    ranked = summarise(trials, rank_by)
    rows = ranked + _default_rows(spec, ranked, scores, defaults, wp)
    notes = [f"Trials ranked per model by {rank_by} (validation split); test rejections at the {wp:g} % "
             "b-jet working point are reported only. The chosen trial (rank 1) is compared with the "
             "default hyperparameters on the same test jets (paired bootstrap)."]
    for model, v in checks.items():
        notes.append(
            f"Fast-prototyping check ({model}): training loss {v['initial_train_loss']:.3g} -> "
            f"{v['final_train_loss']:.3g} on a tiny subset in {v['epochs']} epochs: "
            + ("PASSED (the model can overfit)" if v["passed"] else f"FAILED (> {v['max_final_loss']})")
        )
    display = [
        ("rank", "rank"), ("trial", "tagger"),
        *[(h, h) for h in HYPERPARAMETERS],
        ("best val. loss", "best_val_loss"),
        ("light rej.", lambda r: common.fmt_err(r["light_rej"], r["light_rej_err"])),
        ("c rej.", lambda r: common.fmt_err(r["c_rej"], r["c_rej_err"])),
        ("AUC", lambda r: f"{r['auc']:.4f}"),
        ("ratio to default", lambda r: common.fmt(r.get("ratio")) if r.get("verdict") else ""),
        ("verdict", "verdict"),
    ]
    check_rows = [
        {"rank": "check", "tagger": f"{m}--overfit", "model": m, "best_val_loss": v["final_train_loss"],
         "light_rej": math.nan, "light_rej_err": math.nan, "c_rej": math.nan, "c_rej_err": math.nan,
         "auc": math.nan, "trial": "overfit " + ("passed" if v["passed"] else "FAILED")}
        for m, v in checks.items()
    ]
    common.write_table(output, rows + check_rows, COLUMNS, display, "Random hyperparameter search", notes)
    _plot(spec, ranked, output, wp)


def _default_rows(spec: dict, rows: list[dict], scores: dict, defaults: dict, wp: float) -> list[dict]:
    """The default-hyperparameter row of each model; the chosen trial's paired comparison to it."""
    out = []
    for model, default in defaults.items():
        chosen = next((r for r in rows if r["model"] == model and r["rank"] == 1), None)
        if chosen is None:
            continue
        name = default_name(spec, model)
        cmp = common.paired_light({chosen["tagger"]: common.read_scores(scores[chosen["tagger"]]),
                                   name: common.read_scores(default)}, [(chosen["tagger"], name)], wp)
        chosen.update(cmp[chosen["tagger"]])
        m = common.scores_metrics(common.read_scores(default), [wp])[0].as_dict()
        m.pop("wp", None)
        out.append({**m, "rank": "default", "tagger": name, "model": model, "trial": "default"})
    return out


def plot_names(spec: dict) -> list[str]:
    return [f"vs_{h}" for h in HYPERPARAMETERS if h in space_of(spec)]


def _plot(spec: dict, rows: list[dict], output: Path, wp: float) -> None:
    space = space_of(spec)
    for h in HYPERPARAMETERS:
        if h not in space:
            continue
        fig, ax = common.new_figure()
        for i, model in enumerate(dict.fromkeys(r["model"] for r in rows)):
            from jettag.plotting.style import tagger_colour

            group = [r for r in rows if r["model"] == model]
            x = np.array([float(r[h]) for r in group])
            y = np.array([float(r["light_rej"]) for r in group])
            e = np.array([float(r["light_rej_err"]) for r in group])
            ax.errorbar(x, y, yerr=e, fmt="o", color=tagger_colour(i + 1), label=model)
        if space[h].get("log"):
            ax.set_xscale("log")
        ax.set_xlabel(h.replace("_", " "))
        ax.set_ylabel(f"light-flavour jet rejection ({wp:g} % WP)")
        ax.legend(loc="upper right")
        from jettag.plotting.style import headroom_linear

        headroom_linear(ax)
        common.finish(fig, ax, spec, output, f"vs_{h}", ["random search trials"])


# --------------------------------------------------------------------------------------------
# planning


def plan_spec(cfg: dict) -> dict:
    trials = int(base.section(cfg, "search").get("trials", 4))
    models = base.study_models(cfg, "search")
    return {"trials_of": {m: [trial_name(m, i) for i in range(trials)] for m in models},
            "default_of": {m: base.seeds(cfg, m, 1)[0] for m in models}}


def summary_inputs(cfg: dict, spec: dict) -> list[str]:
    out = []
    for m, trials in spec["trials_of"].items():
        out += [base.scores(cfg, t) for t in trials] + [base.history(cfg, t) for t in trials]
        if default_name(spec, m):
            out.append(base.scores(cfg, default_name(spec, m)))
        if (spec.get("overfit") or {}).get("enabled", True):
            out.append(base.paths(cfg).overfit_check(m))
    return out


def headline(rows: list[dict[str, str]]) -> str:
    parts = []
    for model, mrows in hl.by_key([r for r in rows if r["rank"] == "1"]).items():
        best = mrows[0]
        n = sum(1 for r in rows if r.get("model") == model and r["rank"].isdigit())
        text = (f"best of {n} {model} trials on the validation loss: {best['tagger']} (learning rate "
                f"{hl.fmt(hl.num(best['learning_rate']))}, width {best['width']}, depth "
                f"{best['depth']}), test light rejection {hl.rejection_text(best)}")
        if best.get("verdict"):
            text += (f", {hl.fmt(hl.num(best['ratio']))} x the default hyperparameters: "
                     f"{best['verdict']}")
        parts.append(text)
    return hl.sentence(parts)


register(Study(
    name="search", order=50, steps={"overfit": step_overfit, "summary": step_summary},
    spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names,
    headline=headline,
))
