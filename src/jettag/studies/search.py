"""Random hyperparameter search with a fast-prototyping (overfit) check.

Trial ``N`` of a search draws its hyperparameters from ``numpy.random.default_rng((seed, N))``:
the same (study seed, trial index) always gives the same trial, whatever the other trials are.
Ranges spanning decades (learning rate, weight decay) are sampled log-uniformly.

Steps: ``overfit`` (read the overfit run's history, write a JSON verdict) and ``summary``
(ranked table of the trials, metric vs each hyperparameter).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from jettag.atomic import write_text_atomic
from jettag.errors import JettagError
from jettag.studies import common

#: Default search space; ``log: true`` samples log-uniformly; ``choices`` samples uniformly.
DEFAULT_SPACE: dict[str, dict] = {
    "learning_rate": {"low": 1.0e-4, "high": 1.0e-2, "log": True},
    "weight_decay": {"low": 1.0e-6, "high": 1.0e-2, "log": True},
    "dropout": {"low": 0.0, "high": 0.3, "log": False},
    "width": {"choices": [32, 64, 128]},
    "depth": {"choices": [1, 2, 3]},
    "batch_size": {"choices": [64, 128, 256]},
}
#: Where each hyperparameter goes in a model spec.
TRAINING_KEYS = ("learning_rate", "weight_decay", "batch_size")
MODEL_KEYS = ("dropout",)
ARCH_KEYS = ("width", "depth")
HYPERPARAMETERS = (*TRAINING_KEYS, *MODEL_KEYS, *ARCH_KEYS)


def trial_name(model: str, index: int) -> str:
    return f"{model}--trial{index:02d}"


def space_of(section: dict) -> dict[str, dict]:
    space = dict(DEFAULT_SPACE)
    space.update(section.get("space") or {})
    unknown = sorted(set(space) - set(HYPERPARAMETERS))
    if unknown:
        raise JettagError(f"studies.search.space: unknown hyperparameter(s) {unknown}; known {list(HYPERPARAMETERS)}")
    return {k: v for k, v in space.items() if v is not None}


def sample_trial(section: dict, index: int) -> dict:
    """Hyperparameters of trial ``index`` (reproducible from ``section['seed']`` and ``index``)."""
    if index < 0:
        raise JettagError(f"trial index {index} must be >= 0")
    seed = int(section.get("seed", 1))
    rng = np.random.default_rng([seed, int(index)])
    out: dict = {}
    for name in HYPERPARAMETERS:  # fixed order: the draws do not depend on dict order
        dim = space_of(section).get(name)
        if dim is None:
            continue
        if "choices" in dim:
            choices = list(dim["choices"])
            if not choices:
                raise JettagError(f"studies.search.space.{name}: choices is empty")
            out[name] = choices[int(rng.integers(len(choices)))]
            continue
        low, high = float(dim["low"]), float(dim["high"])
        if not high >= low:
            raise JettagError(f"studies.search.space.{name}: high {high} < low {low}")
        if dim.get("log", False):
            if low <= 0:
                raise JettagError(f"studies.search.space.{name}: log sampling needs low > 0 (got {low})")
            out[name] = float(math.exp(rng.uniform(math.log(low), math.log(high))))
        else:
            out[name] = float(rng.uniform(low, high))
    return out


def apply_trial(spec: dict, params: dict) -> None:
    """Write sampled hyperparameters into a model spec (in place)."""
    from jettag.config import merge
    from jettag.studies.variants import set_depth, set_width

    training = {k: params[k] for k in TRAINING_KEYS if k in params}
    if "learning_rate" in training:
        training["lr_scaling"] = "none"  # the sampled rate is the rate used
    spec["training"] = merge(spec["training"], training)
    if "dropout" in params:
        spec["dropout"] = float(params["dropout"])
    if "width" in params:
        set_width(spec, int(params["width"]))
    if "depth" in params:
        set_depth(spec, int(params["depth"]))


def apply_overfit(spec: dict, overfit: dict) -> None:
    """The fast-prototyping run: a tiny subset, no regularisation, constant rate, no stopping."""
    from jettag.config import merge

    spec["training"] = merge(
        spec["training"],
        {
            "max_train_jets": int(overfit.get("jets", 256)),
            "epochs": int(overfit.get("epochs", 200)),
            "batch_size": int(overfit.get("batch_size", 32)),
            "lr_scaling": "none",
            "weight_decay": 0.0,
            "l1": 0.0,
            "schedule": {"name": "constant"},
            "early_stopping": {"enabled": False},
        },
    )
    if spec.get("type") != "ip3d":
        spec["dropout"] = 0.0


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
    write_text_atomic(output, json.dumps(verdict, indent=2) + "\n")
    if overfit.get("require", False) and not verdict["passed"]:
        raise JettagError(
            f"fast-prototyping check failed: {verdict['tagger']} reached a training loss of "
            f"{verdict['final_train_loss']:.3g} on {overfit.get('jets', 256)} jets (> "
            f"{verdict['max_final_loss']}); the model cannot overfit a tiny set: check the inputs, "
            "labels and learning rate before searching (or set studies.search.overfit.require: false)"
        )


COLUMNS = (
    "rank", "tagger", "model", "trial", *HYPERPARAMETERS, "best_val_loss", "best_epoch", "light_rej",
    "light_rej_err", "c_rej", "c_rej_err", "auc",
)


def summarise(trials: list[dict], rank_by: str = "light_rej") -> list[dict]:
    """Rank trials (dicts with hyperparameters and metrics) per model; best first."""
    if rank_by not in ("light_rej", "c_rej", "auc", "best_val_loss"):
        raise JettagError(f"studies.search.rank_by: '{rank_by}' is not light_rej, c_rej, auc or best_val_loss")
    sign = 1.0 if rank_by == "best_val_loss" else -1.0
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


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:
    from jettag.studies.variants import split_tagger

    wp = float(spec.get("wp", common.DEFAULT_WP))
    scores = common.by_tagger(inputs, ".h5")
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
    rows = summarise(trials, spec.get("rank_by", "light_rej"))
    notes = [f"Rejections at the {wp:g} % b-jet working point; ranked by {spec.get('rank_by', 'light_rej')} per model."]
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
    ]
    check_rows = [
        {"rank": "check", "tagger": f"{m}--overfit", "model": m, "best_val_loss": v["final_train_loss"],
         "light_rej": math.nan, "light_rej_err": math.nan, "c_rej": math.nan, "c_rej_err": math.nan,
         "auc": math.nan, "trial": "overfit " + ("passed" if v["passed"] else "FAILED")}
        for m, v in checks.items()
    ]
    common.write_table(output, rows + check_rows, COLUMNS, display, "Random hyperparameter search", notes)
    _plot(spec, rows, output, wp)


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
