"""Augmentation or symmetric inputs: absolute coordinates with and without on-the-fly augmentation,
against coordinates relative to the jet axis.

Variants of each model, each trained with ``seeds`` seeds (named like the features study's, so a
training both studies need is trained once):

* ``absolute``: ``eta``, ``phi``, ``log_pt`` instead of the kinematics group;
* ``absolute--augment``: the same, with every training jet rotated by a random angle in phi and
  reflected in eta with probability 1/2 (``training.augment``, :mod:`jettag.training.augment`);
* ``relative``: ``deta``, ``dphi``, ``dr`` (the reference).

Compared with the reference: optimiser steps and seconds to a validation-loss target (mean and
seed spread, :mod:`jettag.studies.convergence`), the light rejection paired on the same test
jets with the seed spread, and the invariance learned (step ``invariance``): the mean |Delta D_b|
of up to ``invariance_jets`` test jets under a random rotation in phi and, separately, under a
reflection in eta, and the fraction of jets whose decision at the working point flips (cut from
the unrotated scores of the validation b-jets, never from the test split).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from jettag.atomic import write_json_atomic
from jettag.errors import JettagError
from jettag.evaluation.statistics import SIGNIFICANCE
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

#: variant -> its tokens after the model name (the seed token follows).
VARIANTS: dict[str, tuple[str, ...]] = {
    "absolute": ("absolute",),
    "absolute--augment": ("absolute", "augment"),
    "relative": ("relative",),
}
REFERENCE = "relative"
DESCRIPTIONS = {
    "absolute": "absolute (eta, phi, log pT)",
    "absolute--augment": "absolute + augmentation",
    "relative": "relative (deta, dphi, log pT)",
}
TRANSFORMS = ("rotate", "reflect")

COLUMNS = ("model", "variant", "tagger", "seeds", "inputs", "target_val_loss", "steps_to_target",
           "steps_to_target_spread", "time_to_target_s", "time_to_target_spread", "runs_reaching_target",
           "best_val_loss", "steps_ratio", "steps_ratio_err", "steps_significance", "steps_verdict",
           "rotate_delta_db", "rotate_delta_db_spread", "rotate_flip_fraction",
           "reflect_delta_db", "reflect_delta_db_spread", "reflect_flip_fraction",
           "light_rej", "light_rej_err", "c_rej", "c_rej_err", "auc", "reference", *common.PAIRED_COLUMNS)


# --------------------------------------------------------------------------------------------
# the invariance learned (one job per trained tagger)


def _load(path: Path, max_jets: int) -> dict:
    import h5py

    with h5py.File(path, "r") as f:
        n = min(int(max_jets), f["label"].shape[0])
        return {"tracks": np.asarray(f["tracks"][:n], np.float32), "valid": np.asarray(f["valid"][:n], bool),
                "jets": np.asarray(f["jets"][:n], np.float32), "flavour": np.asarray(f["flavour"][:n]),
                "track_names": [str(x) for x in f["tracks"].attrs["features"]],
                "jet_names": [str(x) for x in f["jets"].attrs["features"]]}


def _discriminant(model, data: dict, fc: float, batch_size: int = 4096) -> np.ndarray:
    import torch

    probs = []
    with torch.no_grad():
        for s in range(0, len(data["valid"]), batch_size):
            out = model(*(torch.from_numpy(data[k][s:s + batch_size]) for k in ("tracks", "valid", "jets")))
            logits = out["logits"] if isinstance(out, dict) else out
            probs.append(torch.softmax(logits.float(), -1).numpy().astype(np.float64))
    p = np.concatenate(probs) if probs else np.zeros((0, 3))
    return common.discriminant(p[:, 0], p[:, 1], p[:, 2], fc)


def invariance(score, test: dict, val: dict, wp: float, seed: int) -> dict:
    """|Delta D_b| of the test jets under a random rotation in phi and under a reflection in eta.

    ``score(data) -> D_b``; the cut at ``wp`` is the unrotated validation b-jets' quantile.
    """
    from jettag.training.augment import Augmentation, transform

    aug = Augmentation.build({"rotate_phi": True, "reflect_eta": True}, test["track_names"], test["jet_names"])
    n = len(test["valid"])
    d0 = score(test)
    d_val = score(val)
    b_val = d_val[np.asarray(val["flavour"]) == 5]
    cut = float(np.quantile(b_val, 1 - wp / 100)) if b_val.size else math.nan
    rng = np.random.default_rng([int(seed), 0x5A11])
    moved = {
        "rotate": transform(test, rng.uniform(-math.pi, math.pi, n).astype(np.float32), np.zeros(n, bool), aug),
        "reflect": transform(test, np.zeros(n, np.float32), np.ones(n, bool), aug),
    }
    out = {"n_jets": n, "wp": wp, "cut": cut}
    for name, data in moved.items():
        d = score(data)
        delta = np.abs(d - d0)
        flips = (d0 > cut) != (d > cut) if math.isfinite(cut) else np.zeros(n, bool)
        out[name] = {"mean_abs_delta": float(delta.mean()) if n else math.nan,
                     "std_abs_delta": float(delta.std()) if n else math.nan,
                     "flip_fraction": float(flips.mean()) if n else math.nan}
    return out


def step_invariance(spec: dict, inputs, output: Path, data_dir=None) -> None:
    from jettag import models
    from jettag.evaluation.scores import _spec_of, default_fc

    ckpt = [Path(p) for p in inputs if Path(p).suffix == ".pt"]
    files = {Path(p).name: Path(p) for p in inputs if Path(p).suffix == ".h5"}
    if len(ckpt) != 1 or set(files) != {"test.h5", "val.h5"}:
        raise JettagError("augmentation invariance: pass one checkpoint (.pt), test.h5 and val.h5")
    model, info = models.load_checkpoint(ckpt[0])
    model.eval()
    fc = default_fc(_spec_of(info))
    n = int(spec.get("invariance_jets", 5000))
    result = invariance(lambda d: _discriminant(model, d, fc), _load(files["test.h5"], n),
                        _load(files["val.h5"], n), float(spec.get("wp", common.DEFAULT_WP)),
                        int(spec.get("invariance_seed", 1)))
    result["tagger"] = ckpt[0].parent.name
    write_json_atomic(output, result)


# --------------------------------------------------------------------------------------------
# summary


def invariance_columns(results: list[dict]) -> dict:
    """Seed mean and spread (standard deviation over seeds) of each transform's mean |Delta D_b|."""
    row = {}
    for t in TRANSFORMS:
        m, sd = mean_spread([r[t]["mean_abs_delta"] for r in results])
        row[f"{t}_delta_db"], row[f"{t}_delta_db_spread"] = m, sd
        row[f"{t}_flip_fraction"] = mean_spread([r[t]["flip_fraction"] for r in results])[0]
    return row


def summarise(model: str, runs: dict[str, list[Run]], metrics: dict[str, common.Metrics],
              inv: dict[str, list[dict]], target: float | None = None) -> list[dict]:
    """Rows for one model; ``runs`` / ``inv``: variant -> its seeds' runs / invariance results."""
    if REFERENCE not in runs:
        raise JettagError(f"augmentation: no '{REFERENCE}' run for {model}")
    best = {v: [float(np.nanmin(r.history.val_loss)) for r in rs] for v, rs in runs.items()}
    target = float(target) if target is not None else max(x for v in best.values() for x in v)
    reached = {v: [r.to_reach(target) for r in rs] for v, rs in runs.items()}
    rows = []
    for variant, rs in runs.items():
        steps, secs = [x[0] for x in reached[variant]], [x[1] for x in reached[variant]]
        m = metrics[variant]
        row = {"model": model, "variant": variant, "tagger": m.tagger, "seeds": len(rs),
               "inputs": DESCRIPTIONS.get(variant, variant), "target_val_loss": target,
               "steps_to_target": mean_spread(steps)[0], "steps_to_target_spread": mean_spread(steps)[1],
               "time_to_target_s": mean_spread(secs)[0], "time_to_target_spread": mean_spread(secs)[1],
               "runs_reaching_target": sum(math.isfinite(x) for x in steps),
               "best_val_loss": float(np.mean(best[variant])), "light_rej": m.light_rej,
               "light_rej_err": m.light_rej_err, "c_rej": m.c_rej, "c_rej_err": m.c_rej_err, "auc": m.auc,
               **invariance_columns(inv[variant])}
        if variant == REFERENCE:
            row.update({"steps_ratio": "", "steps_ratio_err": "", "steps_significance": "", "steps_verdict": ""})
        else:
            row.update(steps_comparison(steps, [x[0] for x in reached[REFERENCE]]))
        rows.append(row)
    return rows


def _taggers(taggers) -> list[str]:
    return [taggers] if isinstance(taggers, str) else list(taggers)


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:
    wp = float(spec.get("wp", common.DEFAULT_WP))
    scores, hists = common.by_tagger(inputs, ".h5"), common.histories(inputs)
    invs = common.by_tagger(inputs, ".json", prefix="invariance_")
    rows = []
    for model, variants in spec["variants"].items():
        runs, loaded, metrics, inv = {}, {}, {}, {}
        for variant, taggers in variants.items():
            taggers = _taggers(taggers)
            missing = [t for t in taggers if t not in scores or t not in hists or t not in invs]
            if missing:
                raise JettagError(f"augmentation summary: scores, history or invariance of {missing} missing")
            runs[variant] = [read_run(hists[t]) for t in taggers]
            inv[variant] = [common.read_step_json(invs[t], "augmentation invariance") for t in taggers]
            for t in taggers:
                loaded[t] = common.read_scores(scores[t])
            metrics[variant] = seed_mean(variant, taggers, [common.scores_metrics(loaded[t], [wp])[0] for t in taggers])
        members = {v: _taggers(t) for v, t in variants.items()}
        cmp = common.paired_light(loaded, [(v, REFERENCE) for v in variants if v != REFERENCE], wp,
                                  members=members)
        model_rows = summarise(model, runs, metrics, inv, spec.get("target_val_loss"))
        for r in model_rows:
            r.update(cmp.get(r["variant"]) or {"reference": "", **common.no_comparison()})
            if r["reference"]:
                r["reference"] = members[REFERENCE][0]
        rows += model_rows
        plot_val_loss(spec, model, runs, model_rows[0]["target_val_loss"], output, DESCRIPTIONS)
        _plot_invariance(spec, model, model_rows, output)
    common.write_table(output, rows, COLUMNS, _display(wp), "Augmentation or symmetric inputs", _notes(spec))


def _display(wp: float):
    def inv(t):
        return lambda r: (f"{common.fmt(r[f'{t}_delta_db'])} ± {common.fmt(r[f'{t}_delta_db_spread'])} "
                          f"({100 * float(r[f'{t}_flip_fraction']):.2g} % flip)")

    return [
        ("model", "model"), ("inputs", "inputs"), ("seeds", "seeds"),
        ("steps to target", lambda r: pm(r["steps_to_target"], r["steps_to_target_spread"])),
        ("seconds to target", lambda r: pm(r["time_to_target_s"], r["time_to_target_spread"])),
        ("steps ratio to relative (verdict)", lambda r: "-" if r["variant"] == REFERENCE else
         f"{common.fmt(r['steps_ratio'])} ± {common.fmt(r['steps_ratio_err'])} ({r['steps_verdict']})"),
        ("best val. loss", "best_val_loss"),
        ("|ΔD_b| rotation in φ", inv("rotate")), ("|ΔD_b| reflection in η", inv("reflect")),
        (f"light rej. ({wp:g} %)", lambda r: common.fmt_err(r["light_rej"], r["light_rej_err"])),
        ("light rej. ratio to relative [68 %] (verdict)", common.ratio_text),
        ("AUC", lambda r: f"{r['auc']:.4f}"),
    ]


def _notes(spec: dict) -> list[str]:
    return [
        "Target validation loss: " + ("configured" if spec.get("target_val_loss") is not None
                                      else "the largest best validation loss of the model's runs") + ".",
        "Steps and seconds to target: mean ± standard deviation over the seeds; the ratio to the relative "
        "inputs carries the error of both means; verdict at 3 standard deviations, else the minimum "
        "detectable effect (MDE). Wall time depends on the machine load; compare steps first.",
        f"|ΔD_b|: mean over {int(spec.get('invariance_jets', 5000))} test jets of |D_b(moved) - D_b|, each jet "
        "rotated by a random angle in φ or reflected in η; mean ± standard deviation over the seeds. Flip: "
        "jets whose decision at the working point changes (cut from the validation b-jets).",
        "Light rejection: mean over seeds; ratio to the relative inputs paired on the same test jets "
        "(bootstrap) with the seed spread of both.",
    ]


def _plot_invariance(spec, model, rows, output):
    from jettag.plotting.style import headroom_linear, tagger_colour

    fig, ax = common.new_figure()
    x = np.arange(len(rows))
    for k, (t, text) in enumerate((("rotate", r"rotation in $\phi$"), ("reflect", r"reflection in $\eta$"))):
        y = np.array([float(r[f"{t}_delta_db"]) for r in rows])
        err = np.array([float(r[f"{t}_delta_db_spread"]) for r in rows])
        ax.errorbar(x + (k - 0.5) * 0.2, y, yerr=err, fmt="os"[k], color=tagger_colour(k), capsize=3, label=text)
    ax.set_xticks(x, [DESCRIPTIONS.get(r["variant"], r["variant"]).split(" (")[0] for r in rows])
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylabel(r"mean $|\Delta D_b|$ (test jets)")
    ax.set_ylim(bottom=0)
    headroom_linear(ax, 0.45)
    ax.legend(loc="upper right", fontsize=10)
    common.finish(fig, ax, spec, output, f"invariance_{model}", [f"{model}, seed mean ± spread"])


def plot_names(spec: dict) -> list[str]:
    return [f"{kind}_{m}" for m in spec["variants"] for kind in ("val_loss", "invariance")]


# --------------------------------------------------------------------------------------------
# planning


def plan_spec(cfg: dict) -> dict:
    n = int(base.section(cfg, "augmentation").get("seeds", 2))
    out = {}
    for model in base.study_models(cfg, "augmentation"):
        first = base.base_seed(cfg, model)
        out[model] = {v: [join_tagger(model, [*tokens] + ([f"seed{first + k}"] if k else []))
                          for k in range(max(1, n))] for v, tokens in VARIANTS.items()}
    return {"variants": out}


def all_taggers(spec: dict) -> list[str]:
    return list(dict.fromkeys(t for v in spec["variants"].values() for ts in v.values() for t in _taggers(ts)))


def invariance_file(cfg: dict, tagger: str) -> str:
    return base.paths(cfg).study_file("augmentation", f"invariance_{tagger}.json")


def summary_inputs(cfg: dict, spec: dict) -> list[str]:
    taggers = all_taggers(spec)
    return ([base.scores(cfg, t) for t in taggers] + [base.history(cfg, t) for t in taggers]
            + [invariance_file(cfg, t) for t in taggers])


def invariance_ratio(row: dict, reference: dict, threshold: float = SIGNIFICANCE) -> str:
    """|Delta D_b| under rotations of ``row`` over ``reference``'s, with the error of the two seed
    means and its verdict (``smaller``/``larger`` at ``threshold`` standard deviations)."""
    m, r = hl.num(row["rotate_delta_db"]), hl.num(reference["rotate_delta_db"])
    sm, sr = hl.num(row["rotate_delta_db_spread"]), hl.num(reference["rotate_delta_db_spread"])
    n, nr = int(hl.num(row["seeds"])), int(hl.num(reference["seeds"]))
    if not (m > 0 and r > 0) or n < 2 or nr < 2:
        return f"{hl.fmt(m / r) if r > 0 else 'n/a'} x (no seed spread)"
    sigma = math.sqrt((sm / m) ** 2 / n + (sr / r) ** 2 / nr)
    sig = math.log(m / r) / sigma if sigma > 0 else 0.0
    if abs(sig) >= threshold:
        verdict = "smaller" if sig < 0 else "larger"
    else:
        verdict = f"no significant difference (MDE {100 * math.expm1(threshold * sigma):.2g} %)"
    return f"{hl.fmt(m / r)} x ({verdict})"


def headline(rows: list[dict[str, str]]) -> str:
    parts = []
    for model, rs in hl.by_key(rows).items():
        by = {r["variant"]: r for r in rs}
        aug, rel = by.get("absolute--augment"), by.get(REFERENCE)
        if aug is None or rel is None:
            continue
        inv = ", ".join(f"{k} {hl.fmt(hl.num(by[v]['rotate_delta_db']))}" for v, k in
                        (("absolute", "absolute"), ("absolute--augment", "augmented"), (REFERENCE, "relative"))
                        if v in by)
        parts.append(f"{model} absolute + augmentation ({aug['seeds']} seeds): "
                     f"{hl.fmt(hl.num(aug['steps_to_target']))} ± {hl.fmt(hl.num(aug['steps_to_target_spread']))} "
                     f"optimiser steps to the target loss, {hl.fmt(hl.num(aug['steps_ratio']))} x relative's "
                     f"({aug['steps_verdict']}); {hl.verdict_text(aug)}; mean |ΔD_b| under a rotation in φ: {inv}"
                     + (f"; augmented / absolute: {invariance_ratio(aug, by['absolute'])}" if "absolute" in by else ""))
    return hl.sentence(parts)


register(Study(
    name="augmentation", order=72, steps={"invariance": step_invariance, "summary": step_summary},
    spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names, headline=headline,
))
