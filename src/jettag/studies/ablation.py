"""Ablation: retrain without each feature group (and, if asked, each single feature).

Runs ``{model}--no-{item}`` (and ``--seed{s}`` copies for a seed spread); the table lists each
component's light and c rejection at the working point, the AUC and the change vs the full model,
sorted by importance (largest loss of light rejection first). Uncertainties: binomial on each
rejection, added in quadrature for the difference (conservative, the taggers share test jets);
with several seeds the standard error of the seed mean is added in quadrature too. A change smaller
than ``significance`` standard deviations is flagged "within noise". The retrained components also
get the paired comparison with the full model (``ratio, significance, verdict``: bootstrap on the
same test jets, seed spread of both included; verdict at 3 standard deviations or the MDE).

Companion without retraining: permutation importance of the trained full model (one feature column
shuffled across jets among the valid tracks, ``repeats`` times).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from jettag.errors import JettagError
from jettag.features import DEFAULT_TRACK_INPUTS, TRACK_GROUPS, resolve_track_features
from jettag.studies import base, common
from jettag.studies import headline as hl
from jettag.studies.registry import Study, register
from jettag.tagger_names import join_tagger

COLUMNS = ("model", "method", "component", "rank", "light_rej", "light_rej_err", "c_rej", "c_rej_err", "auc",
           "delta_light_rej", "delta_light_rej_err", "delta_c_rej", "delta_auc", "n_seeds", "flag", "reference",
           *common.PAIRED_COLUMNS)


def _mean(ms: list[common.Metrics]) -> dict:
    """Seed mean of metrics with errors: binomial (mean of the seeds' errors) and seed spread."""
    n = len(ms)
    out = {"n_seeds": n}
    for key in ("light_rej", "c_rej", "auc"):
        vals = np.array([getattr(m, key) for m in ms], dtype=float)
        out[key] = float(np.mean(vals))
        out[f"{key}_seed_err"] = float(np.std(vals, ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    for key in ("light_rej", "c_rej"):
        binom = float(np.mean([getattr(m, f"{key}_err") for m in ms]))
        out[f"{key}_err"] = math.hypot(binom, out[f"{key}_seed_err"])
    return out


def rank_components(model: str, full: list[common.Metrics], removed: dict[str, list[common.Metrics]],
                    n_sigma: float = 2.0) -> list[dict]:
    """Table rows: the full model, then each removed component by decreasing loss of light rejection."""
    f = _mean(full)
    rows = []
    for item, ms in removed.items():
        r = _mean(ms)
        diff, err = common.rejection_difference(f["light_rej"], f["light_rej_err"], r["light_rej"],
                                                r["light_rej_err"])
        rows.append({"model": model, "method": "retrain", "component": f"without {item}",
                     **{k: r[k] for k in ("light_rej", "light_rej_err", "c_rej", "c_rej_err", "auc", "n_seeds")},
                     "delta_light_rej": -diff, "delta_light_rej_err": err,
                     "delta_c_rej": r["c_rej"] - f["c_rej"], "delta_auc": r["auc"] - f["auc"],
                     "flag": common.significance_flag(diff, err, n_sigma)})
    rows.sort(key=lambda r: (r["delta_light_rej"] if math.isfinite(r["delta_light_rej"]) else -math.inf,
                             r["delta_auc"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    head = {"model": model, "method": "retrain", "component": "full model", "rank": 0,
            **{k: f[k] for k in ("light_rej", "light_rej_err", "c_rej", "c_rej_err", "auc", "n_seeds")},
            "delta_light_rej": 0.0, "delta_light_rej_err": 0.0, "delta_c_rej": 0.0, "delta_auc": 0.0, "flag": ""}
    return [head, *rows]


# --------------------------------------------------------------------------------------------
# permutation importance


def permute_feature(tracks: np.ndarray, valid: np.ndarray, column: int, rng: np.random.Generator) -> np.ndarray:
    """A copy of ``tracks`` with one column shuffled across jets among the valid tracks."""
    out = tracks.copy()
    values = out[..., column][valid]
    out[..., column][valid] = rng.permutation(values)
    return out


def permutation_importance(
    predict: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    tracks: np.ndarray, valid: np.ndarray, jets: np.ndarray, flavour: np.ndarray, fc: float,
    features: dict[str, int], wp: float = common.DEFAULT_WP, repeats: int = 3, seed: int = 1,
    n_sigma: float = 2.0, model: str = "",
) -> list[dict]:
    """Rows of the permutation-importance table, most important feature first.

    ``predict(tracks, valid, jets) -> (N, 3)`` probabilities; ``features``: name -> column of
    ``tracks``. The uncertainty of a drop is the spread over repeats added in quadrature to the
    binomial error of the two rejections.
    """
    def score(t):
        p = predict(t, valid, jets)
        return common.metrics("x", p[:, 0], p[:, 1], p[:, 2], flavour, fc, [wp])[0]

    base = score(tracks)
    rng = np.random.default_rng(seed)
    rows = []
    for name, col in features.items():
        ms = [score(permute_feature(tracks, valid, col, rng)) for _ in range(max(1, repeats))]
        r = _mean(ms)
        diff, err = common.rejection_difference(base.light_rej, base.light_rej_err, r["light_rej"],
                                                r["light_rej_err"])
        rows.append({"model": model, "method": "permutation", "component": f"shuffled {name}",
                     "light_rej": r["light_rej"], "light_rej_err": r["light_rej_err"], "c_rej": r["c_rej"],
                     "c_rej_err": r["c_rej_err"], "auc": r["auc"], "delta_light_rej": -diff,
                     "delta_light_rej_err": err, "delta_c_rej": r["c_rej"] - base.c_rej,
                     "delta_auc": r["auc"] - base.auc, "n_seeds": len(ms),
                     "flag": common.significance_flag(diff, err, n_sigma)})
    rows.sort(key=lambda r: (r["delta_auc"], r["delta_light_rej"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    head = {"model": model, "method": "permutation", "component": "full model (not shuffled)", "rank": 0,
            "light_rej": base.light_rej, "light_rej_err": base.light_rej_err, "c_rej": base.c_rej,
            "c_rej_err": base.c_rej_err, "auc": base.auc, "delta_light_rej": 0.0, "delta_light_rej_err": 0.0,
            "delta_c_rej": 0.0, "delta_auc": 0.0, "n_seeds": 1, "flag": ""}
    return [head, *rows]


def load_test(path: Path, max_jets: int | None):
    import h5py

    with h5py.File(path, "r") as f:
        n = f["tracks"].shape[0] if max_jets is None else min(int(max_jets), f["tracks"].shape[0])
        names = [x.decode() if isinstance(x, bytes) else str(x) for x in f["tracks"].attrs["features"]]
        return (np.asarray(f["tracks"][:n], dtype=np.float32), np.asarray(f["valid"][:n], dtype=bool),
                np.asarray(f["jets"][:n], dtype=np.float32), np.asarray(f["flavour"][:n]), names)


def torch_predictor(model, batch_size: int = 2048):
    import torch

    def predict(tracks, valid, jets):
        out = []
        with torch.no_grad():
            for s in range(0, len(tracks), batch_size):
                r = model(torch.from_numpy(tracks[s : s + batch_size]), torch.from_numpy(valid[s : s + batch_size]),
                          torch.from_numpy(jets[s : s + batch_size]))
                logits = r["logits"] if isinstance(r, dict) else r
                out.append(torch.softmax(logits.float(), -1).numpy())
        return np.concatenate(out).astype(np.float64)

    return predict


def step_permutation(spec: dict, inputs, output: Path, data_dir=None) -> None:
    from jettag import models
    from jettag.evaluation.scores import _spec_of, default_fc

    ckpt = [Path(p) for p in inputs if Path(p).suffix == ".pt"]
    data = [Path(p) for p in inputs if Path(p).suffix == ".h5"]
    if len(ckpt) != 1 or len(data) != 1:
        raise JettagError("ablation permutation: pass one checkpoint (.pt) and one test split (.h5)")
    perm = spec.get("permutation") or {}
    model, info = models.load_checkpoint(ckpt[0])
    model.eval()
    tracks, valid, jets, flavour, names = load_test(data[0], perm.get("max_jets", 20000))
    features = {n: names.index(n) for n in model.track_feature_names}
    tagger = ckpt[0].parent.name
    rows = permutation_importance(
        torch_predictor(model), tracks, valid, jets, flavour, default_fc(_spec_of(info)), features,
        float(spec.get("wp", common.DEFAULT_WP)), int(perm.get("repeats", 3)), int(perm.get("seed", 1)),
        float(spec.get("significance", 2.0)), tagger,
    )
    common.write_table(output, rows, COLUMNS, _display(spec), f"Permutation importance: {tagger}", [])


def _display(spec):
    wp = float(spec.get("wp", common.DEFAULT_WP))
    return [
        ("model", "model"), ("method", "method"), ("component", "component"), ("rank", "rank"),
        (f"light rej. ({wp:g} %)", lambda r: common.fmt_err(r["light_rej"], r["light_rej_err"])),
        ("c rej.", lambda r: common.fmt_err(r["c_rej"], r["c_rej_err"])),
        ("AUC", lambda r: f"{float(r['auc']):.4f}"),
        ("change in light rej.", lambda r: "-" if r["rank"] in (0, 0.0) else
         common.fmt_err(r["delta_light_rej"], r["delta_light_rej_err"])),
        ("change in AUC", lambda r: "-" if r["rank"] in (0, 0.0) else f"{float(r['delta_auc']):+.4f}"),
        ("", "flag"),
        ("light rej. ratio to full [68 %] (paired)", common.ratio_text),
    ]


def plot_names(spec: dict) -> list[str]:
    return [f"importance_{m}" for m in spec["components"]]


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:
    wp = float(spec.get("wp", common.DEFAULT_WP))
    n_sigma = float(spec.get("significance", 2.0))
    scores = common.by_tagger(inputs, ".h5")
    perms = common.by_tagger(inputs, ".csv", prefix="permutation_")
    rows = []
    for model, comp in spec["components"].items():
        loaded = {}

        def load(taggers, _loaded=loaded):
            missing = [t for t in taggers if t not in scores]
            if missing:
                raise JettagError(f"ablation summary: scores of {missing} not among the inputs")
            for t in taggers:
                _loaded[t] = common.read_scores(scores[t])
            return [common.scores_metrics(_loaded[t], [wp])[0] for t in taggers]

        retrain = rank_components(model, load(comp["full"]),
                                  {item: load(ts) for item, ts in comp["removed"].items()}, n_sigma)
        members = {f"without {item}": ts for item, ts in comp["removed"].items()} | {"full model": comp["full"]}
        cmp = common.paired_light(loaded, [(f"without {item}", "full model") for item in comp["removed"]], wp,
                                  members=members)
        for r in retrain:
            r.update(cmp.get(r["component"]) or {"reference": "", **common.no_comparison()})
        rows += retrain
        perm_rows = []
        for tagger, path in perms.items():
            if tagger.split("--")[0] == model:
                perm_rows = common.read_csv(path)
                rows += perm_rows
        _plot(spec, model, retrain, perm_rows, output)
    notes = [
        f"Rejections at the {wp:g} % b-jet working point. Changes are relative to the full model; "
        "errors: binomial (quadrature sum, conservative since the test jets are shared) plus the "
        "seed spread when several seeds are trained.",
        f"'within noise': |change| < {n_sigma:g} standard deviations: not a measured effect.",
        "Ratio to the full model (retrained components): paired bootstrap on the same test jets with the "
        "seed spread of both; verdict at 3 standard deviations, else the minimum detectable effect (MDE).",
        "method 'permutation': the trained full model with one input column shuffled across jets "
        "(no retraining; measures reliance, not necessity, of a feature).",
    ]
    common.write_table(output, rows, COLUMNS, _display(spec), "Ablation: feature importance", notes)


def _plot(spec, model, retrain, perm_rows, output):
    import matplotlib.pyplot as plt

    common.new_figure()
    plt.close("all")
    panels = [("retraining without", retrain[1:])] + ([("permutation", perm_rows[1:])] if perm_rows else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 6.5), squeeze=False)
    for ax, (title, rs) in zip(axes[0], panels, strict=True):
        names = [str(r["component"]).removeprefix("without ").removeprefix("shuffled ") for r in rs]
        d = np.array([float(r["delta_light_rej"]) for r in rs])
        e = np.array([float(r["delta_light_rej_err"]) for r in rs])
        y = np.arange(len(rs))[::-1]
        colours = ["#1f77b4" if r.get("verdict") in ("better", "worse") or
                   (not r.get("verdict") and r["flag"] == "significant") else "#aaaaaa" for r in rs]
        ax.barh(y, d, xerr=np.nan_to_num(e), color=colours)
        ax.set_yticks(y)
        ax.set_yticklabels(names, fontsize=9)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xlabel("change of light-flavour rejection")
        ax.set_title(f"{model}: {title} (grey: within noise)", fontsize=11)
    from jettag.plotting.style import formats, save_figure

    fig.tight_layout()
    fmts = formats(spec)
    save_figure(fig, common.plot_path(output, f"importance_{model}", fmts[0]), fmts)


# --------------------------------------------------------------------------------------------
# planning


def ablation_items(cfg: dict, model: str) -> list[str]:
    """The groups (and, with ``features: true``, single features) removed one at a time."""
    from jettag.config import model_spec

    section = base.section(cfg, "ablation")
    spec = model_spec(cfg, model)
    inputs = resolve_track_features(spec.get("track_features", DEFAULT_TRACK_INPUTS), spec.get("drop_features", []))
    groups = section.get("groups")
    if groups is None:
        groups = [g for g, feats in TRACK_GROUPS.items() if any(f in inputs for f in feats)]
    items = list(groups)
    if section.get("features", False):
        items += [f for f in inputs if f not in items]
    return items


def plan_spec(cfg: dict) -> dict:
    n = int(base.section(cfg, "ablation").get("seeds", 1))
    comps = {}
    for model in base.study_models(cfg, "ablation"):
        first = base.base_seed(cfg, model)
        removed = {}
        for item in ablation_items(cfg, model):
            stem = join_tagger(model, [f"no-{item}"])
            removed[item] = [stem if k == 0 else join_tagger(stem, [f"seed{first + k}"]) for k in range(max(1, n))]
        comps[model] = {"full": base.seeds(cfg, model, n), "removed": removed}
    return {"components": comps}


def summary_inputs(cfg: dict, spec: dict) -> list[str]:
    out = []
    for comp in spec["components"].values():
        out += [base.scores(cfg, t) for t in comp["full"]]
        out += [base.scores(cfg, t) for ts in comp["removed"].values() for t in ts]
        if (spec.get("permutation") or {}).get("enabled", True):
            out.append(base.paths(cfg).permutation(comp["full"][0]))
    return out


def headline(rows: list[dict[str, str]]) -> str:
    parts = []
    for model, mrows in hl.by_key([r for r in rows if r["rank"] != "0"]).items():
        top = min(mrows, key=lambda r: hl.num(r["delta_light_rej"]))
        significant = sum(r["flag"] == "significant" for r in mrows)
        text = (f"{model} ({top['method']}): '{top['component']}' costs most, light rejection "
                f"{hl.fmt(hl.num(top['delta_light_rej']), hl.num(top['delta_light_rej_err']))}; "
                f"{significant} of {len(mrows)} components significant")
        paired = [r for r in mrows if r.get("verdict")]
        if paired:
            text += "; paired vs the full model: " + ", ".join(
                f"'{r['component']}' {hl.verdict_text(r, 'light rejection')}" for r in paired)
        parts.append(text)
    return hl.sentence(parts)


register(Study(
    name="ablation", order=30, steps={"permutation": step_permutation, "summary": step_summary},
    spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names,
    headline=headline,
))
