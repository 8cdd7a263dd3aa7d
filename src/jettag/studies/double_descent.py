"""Double descent: a capacity scan over decades, each width trained to interpolation on noisy jets.

Every point is a training ``{model}--dd{W}`` (width ``W`` of every hidden layer; ``seed{N}``
tokens for more seeds) on the study's training set: ``train_jets`` random jets of which a fraction
``label_noise`` carries a wrong label (step ``subset``, :mod:`jettag.studies.descent_curve`), with
no early stopping, weight decay or dropout, for ``epochs`` epochs. The point is judged by its
*last* checkpoint (the model after the whole training, not the one picked on validation, which
would hide the peak):

* step ``losses``: parameter count, training loss and error on all its (noisy) training jets and
  validation loss and error, in eval mode (:mod:`jettag.studies.fit_losses`);
* the same step scores the test split with ``last.pt`` (as ``jettag evaluate`` does); the
  summary turns those scores into the test loss (cross-entropy of the
  probabilities against the true flavour) and test error (1 - accuracy over b, c, light).

The interpolation threshold is the smallest parameter count whose training error falls below
``interpolation_tolerance``; the theoretical marker is ``n_train x 3`` (one constraint per jet and
class). A second descent is a test-curve peak within ``peak_window`` of the threshold that rises
above the best smaller model and falls to a larger model's value, both by more than 3 standard
errors (paired bootstrap over test jets, seed spread added). Steps: ``subset``, ``losses``,
``summary``.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from jettag.atomic import write_json_atomic
from jettag.errors import JettagError
from jettag.studies import base, common, descent_curve
from jettag.studies import headline as hl
from jettag.studies.registry import Study, register
from jettag.tagger_names import join_tagger

STUDY = "double_descent"


def step_subset(spec: dict, inputs, output: Path, data_dir=None) -> None:
    descent_curve.make_noisy_subset(inputs, output, int(spec["train_jets"]), int(spec["val_jets"]),
                                    float(spec["label_noise"]), int(spec.get("subset_seed", 1)),
                                    int(spec.get("chunk_size", 20000)))


def step_losses(spec: dict, inputs, output: Path, data_dir=None) -> None:
    """``--inputs last.pt train.h5 val.h5 test.h5``: parameters, train and val loss/error of the last
    model (``output``, ``losses_{tagger}.json``) and its test scores (``scores/{tagger}.h5`` beside it)."""
    from jettag.evaluation.scores import evaluate_checkpoint
    from jettag.models import load_checkpoint
    from jettag.models.wrappers import count_parameters
    from jettag.studies import fit_losses

    files = {Path(p).name: Path(p) for p in inputs}
    missing = [n for n in ("last.pt", "train.h5", "val.h5", "test.h5") if n not in files]
    if missing:
        raise JettagError(f"double_descent losses: pass last.pt, train.h5, val.h5 and test.h5 as --inputs "
                          f"(missing {missing})")
    output = Path(output)
    tagger = output.stem.removeprefix("losses_")
    model, _ = load_checkpoint(files["last.pt"])
    chunk, seed = int(spec.get("chunk_size", 20000)), int(spec.get("subset_seed", 1))
    out = {"n_params": count_parameters(model)}
    for split in ("train", "val"):
        n = fit_losses.n_jets(files[f"{split}.h5"])
        r = fit_losses.loss_and_error(model, fit_losses.random_jets(files[f"{split}.h5"], n, seed, chunk))
        out.update({f"{split}_{k}": v for k, v in r.items()})
    evaluate_checkpoint(files["last.pt"], files["test.h5"], scores_path(output, tagger), tagger)
    write_json_atomic(output, out)


def scores_path(losses: Path, tagger: str) -> Path:
    """The test scores of the last checkpoint, written by the ``losses`` step beside its output."""
    return Path(losses).parent / "scores" / f"{tagger}.h5"


def test_per_jet(scores) -> tuple[np.ndarray, np.ndarray]:
    """Per-jet cross-entropy of the probabilities against the true class and the misclassification
    (argmax over b, c, light), for the b, c and light test jets."""
    from jettag.flavours import CLASSES

    probs = np.stack([scores.p_b, scores.p_c, scores.p_u], axis=1).astype(np.float64)
    flavour = np.asarray(scores.flavour)
    true = np.select([flavour == c.label for c in CLASSES], np.arange(len(CLASSES)), -1)
    keep = true >= 0
    probs, true = probs[keep], true[keep]
    p = np.clip(probs[np.arange(true.size), true], np.finfo(np.float32).tiny, None)
    return -np.log(p), (probs.argmax(axis=1) != true).astype(np.float64)


def constant_output(scores) -> bool:
    """The discriminant takes (almost) one value for 98 % of the jets (a tiny model with dead units):
    no working point, its rejection would measure rounding noise."""
    d = scores.discriminant()
    d = d[np.isfinite(d)]
    return d.size == 0 or float(np.subtract(*np.percentile(d, [99, 1]))) < 1e-3


def _seed_err(values) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else 0.0


def _point(width: int, members: list[str], fits: dict, scores: dict, wp: float) -> tuple[dict, np.ndarray, np.ndarray]:
    seeds = [test_per_jet(scores[t]) for t in members]
    loss, wrong = np.mean([s[0] for s in seeds], axis=0), np.mean([s[1] for s in seeds], axis=0)
    per_seed = {k: [float(fits[t][k]) for t in members]
                for k in ("train_loss", "train_error", "val_loss", "val_error", "n_params")}
    test_loss_seed = [float(s[0].mean()) for s in seeds]
    test_error_seed = [float(s[1].mean()) for s in seeds]
    n = loss.size
    e = float(wrong.mean())
    constant = any(constant_output(scores[t]) for t in members)
    rej = [] if constant else [common.scores_metrics(scores[t], [wp])[0] for t in members]
    row = {
        "width": width, "n_params": int(per_seed["n_params"][0]), "seeds": len(members), "tagger": members[0],
        "n_train": int(fits[members[0]]["train_n_jets"]), "n_test": n,
        **{k: float(np.mean(v)) for k, v in per_seed.items() if k != "n_params"},
        "train_error_err": math.hypot(float(np.mean([fits[t]["train_error_err"] for t in members])),
                                      _seed_err(per_seed["train_error"])),
        "test_loss": float(loss.mean()),
        "test_loss_err": math.hypot(float(loss.std(ddof=1) / math.sqrt(n)), _seed_err(test_loss_seed)),
        "test_error": e, "test_error_err": math.hypot(math.sqrt(e * (1 - e) / n), _seed_err(test_error_seed)),
        "test_loss_seed_err": _seed_err(test_loss_seed), "test_error_seed_err": _seed_err(test_error_seed),
        "light_rej": float(np.mean([m.light_rej for m in rej])) if rej else math.nan,
        "light_rej_err": float(np.mean([m.light_rej_err for m in rej])) if rej else math.nan,
        "auc": float(np.mean([m.auc for m in rej])) if rej else math.nan, "constant_output": constant,
    }
    return row, loss, wrong


COLUMNS = ("model", "width", "n_params", "seeds", "tagger", "n_train", "n_test", "train_loss", "train_error",
           "train_error_err", "val_loss", "val_error", "test_loss", "test_loss_err", "test_error",
           "test_error_err", "light_rej", "light_rej_err", "auc", "constant_output", "role", "threshold_params", "theory_params",
           "loss_verdict", "loss_descent", "error_verdict", "error_descent", "descent_start_params",
           "reference", *common.PAIRED_COLUMNS)


def analyse(spec: dict, model: str, rows: list[dict], loss, wrong) -> dict:
    """The model's threshold and second-descent verdicts (added to its rows, which are sorted by size)."""
    params = [r["n_params"] for r in rows]
    tol = float(spec.get("interpolation_tolerance", 0.01))
    threshold = descent_curve.interpolation_threshold(params, [r["train_error"] for r in rows], tol)
    theory = rows[0]["n_train"] * descent_curve.N_CLASSES
    where = threshold if math.isfinite(threshold) else float(theory)
    kw = {"window": float(spec.get("peak_window", 4.0)), "replicas": int(spec.get("bootstrap_replicas", 200)),
          "seed": int(spec.get("subset_seed", 1))}
    d_loss = descent_curve.second_descent(params, loss, where, point_err=[r["test_loss_seed_err"] for r in rows], **kw)
    d_err = descent_curve.second_descent(params, wrong, where, point_err=[r["test_error_seed_err"] for r in rows], **kw)
    if not math.isfinite(threshold):  # no width interpolates: no threshold to descend past
        d_loss, d_err = (dataclasses.replace(d, verdict="no interpolation") for d in (d_loss, d_err))
    start = next((params[d.peak] for d in (d_err, d_loss) if d.verdict == "second descent"), "")
    for i, r in enumerate(rows):
        roles = ["constant output"] if r["constant_output"] else []
        if params[i] == threshold:
            roles.append("interpolation threshold")
        for d, what in ((d_loss, "loss"), (d_err, "error")):
            if i == d.peak:
                roles.append(f"test {what} peak")
            if i == d.after and d.verdict == "second descent":
                roles.append(f"test {what} second minimum")
        r.update(model=model, role="; ".join(roles), threshold_params=threshold, theory_params=theory,
                 loss_verdict=d_loss.verdict, loss_descent=d_loss.text(params, "test loss"),
                 error_verdict=d_err.verdict, error_descent=d_err.text(params, "test error"),
                 descent_start_params=start)
    return {"threshold": threshold, "theory": theory, "loss": d_loss, "error": d_err}


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:

    wp = float(spec.get("wp", common.DEFAULT_WP))
    scores = common.by_tagger(inputs, ".h5")
    losses = common.by_tagger(inputs, ".json", prefix="losses_")
    all_rows, curves = [], {}
    for model, points in spec["points"].items():
        taggers = [t for members in points.values() for t in members]
        missing = [t for t in taggers if t not in scores or t not in losses]
        if missing:
            raise JettagError(f"double_descent summary: last-checkpoint scores or losses of {missing} missing")
        loaded = {t: common.read_scores(scores[t]) for t in taggers}
        fits = {t: common.read_step_json(losses[t], "double_descent losses") for t in taggers}
        rows, loss, wrong = [], [], []
        for width, members in sorted(points.items(), key=lambda kv: int(kv[0])):
            r, lo, wr = _point(int(width), members, fits, loaded, wp)
            rows.append(r)
            loss.append(lo)
            wrong.append(wr)
        order = np.argsort([r["n_params"] for r in rows], kind="stable")
        rows = [rows[i] for i in order]
        curves[model] = analyse(spec, model, rows, np.array([loss[i] for i in order]),
                                np.array([wrong[i] for i in order]))
        names = {f"dd{r['width']}": points[str(r["width"])] for r in rows if not r["constant_output"]}
        ref = f"dd{rows[-1]['width']}"
        cmp = common.paired_light(loaded, [(n, ref) for n in names if n != ref], wp, members=names) \
            if ref in names else {}
        for r in rows:
            c = cmp.get(f"dd{r['width']}")
            r.update(c if c else {"reference": "", **common.no_comparison()})
            if c:
                r["reference"] = points[ref.removeprefix("dd")][0]
        all_rows += rows
    display = [
        ("model", "model"), ("width", "width"), ("parameters", "n_params"),
        ("train loss", "train_loss"), ("train error", lambda r: f"{100 * r['train_error']:.1f} %"),
        ("test loss", lambda r: common.fmt_err(r["test_loss"], r["test_loss_err"])),
        ("test error", lambda r: f"{100 * r['test_error']:.2f} ± {100 * r['test_error_err']:.2f} %"),
        (f"light rej. ({wp:g} %)", lambda r: common.fmt_err(r["light_rej"], r["light_rej_err"])),
        ("light rej. ratio to largest [68 %] (verdict)", common.ratio_text),
        ("role", lambda r: r["role"] or "-"),
    ]
    notes = [f"{m}: interpolation threshold {_params_text(c['threshold'])} (training error < "
             f"{float(spec.get('interpolation_tolerance', 0.01)):g}), theory n_train x 3 = {c['theory']}; "
             f"{c['loss'].text(_params(all_rows, m), 'test loss')}; {c['error'].text(_params(all_rows, m), 'test error')}"
             for m, c in curves.items()]
    notes += [
        f"Training set: {spec['train_jets']} random jets, {100 * float(spec['label_noise']):g} % of their labels "
        "replaced by another class at random; every width trained without early stopping, weight decay or "
        f"dropout for {spec.get('epochs')} epochs; all numbers from the last checkpoint in eval mode.",
        "Train loss/error on the model's own (noisy) training jets; test loss = cross-entropy of the "
        "probabilities against the true flavour, test error = 1 - accuracy (b, c, light), statistical "
        "errors (binomial for the error) with the seed spread in quadrature.",
        "Second descent: a test peak within the peak window of the threshold that rises above the best "
        "smaller model and falls to a larger one by more than 3 standard errors (paired bootstrap over "
        "test jets). Light rejection vs the largest width: paired bootstrap, verdict at 3 standard deviations.",
    ]
    if all_rows and max(r["seeds"] for r in all_rows) == 1:
        notes.append("One seed per width: the errors hold the test-jet statistics only, not the spread "
                     "between trainings (set studies.double_descent.seeds >= 2 for it).")
    common.write_table(output, all_rows, COLUMNS, display, "Double descent", notes)
    _plot(spec, all_rows, curves, output)


def _params(rows, model):
    return [r["n_params"] for r in rows if r["model"] == model]


def _params_text(value: float) -> str:
    return f"at {int(value)} parameters" if math.isfinite(value) else "not reached"


def _plot(spec, rows, curves, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from jettag.plotting.style import draw_label, formats, save_figure, use_style

    use_style()
    for model, c in curves.items():
        pts = [r for r in rows if r["model"] == model]
        x = np.array([r["n_params"] for r in pts], dtype=float)
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(7.5, 8.0), sharex=True,
                                      gridspec_kw={"height_ratios": [1, 1], "hspace": 0.05})
        ax.plot(x, [r["train_loss"] for r in pts], "o-", color="#1f77b4", label="train loss (noisy labels)")
        ax.errorbar(x, [r["test_loss"] for r in pts], yerr=[r["test_loss_err"] for r in pts], fmt="s-",
                    color="#d62728", label="test loss")
        ax2.errorbar(x, [100 * r["train_error"] for r in pts], yerr=[100 * r["train_error_err"] for r in pts],
                     fmt="o-", color="#1f77b4", label="train error (noisy labels)")
        ax2.errorbar(x, [100 * r["test_error"] for r in pts], yerr=[100 * r["test_error_err"] for r in pts],
                     fmt="s-", color="#d62728", label="test error")
        ax2.axhline(100 * float(spec["label_noise"]), color="grey", lw=0.8, ls=":", label="label noise")
        for a in (ax, ax2):
            if math.isfinite(c["threshold"]):
                a.axvline(c["threshold"], color="k", lw=1.2, label="interpolation (measured)")
            a.axvline(c["theory"], color="k", lw=1.0, ls="--", label=r"$n_\mathrm{train} \times 3$")
        for d, a, key, scale in ((c["loss"], ax, "test_loss", 1), (c["error"], ax2, "test_error", 100)):
            if d.verdict == "second descent":
                a.annotate("second descent", (x[d.peak], scale * pts[d.peak][key]), textcoords="offset points",
                           xytext=(10, 10), fontsize=9)
        ax.set_xscale("log")
        losses = [r["test_loss"] for r in pts] + [r["train_loss"] for r in pts]
        if min(losses) > 0 and max(losses) / min(losses) > 20:
            ax.set_yscale("log")
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi * 3 if ax.get_yscale() == "log" else hi + 0.6 * (hi - lo))
        ax.set_ylabel("loss (last epoch)")
        ax2.set_ylabel("error [%]")
        ax2.set_xlabel("parameters")
        ax.legend(loc="lower left", fontsize=9)
        ax2.legend(loc="upper right", fontsize=8, ncol=2)
        lo, hi = ax2.get_ylim()
        ax2.set_ylim(0, hi + 0.5 * (hi - lo))
        draw_label(ax, spec, [f"{model}: capacity scan, {100 * float(spec['label_noise']):g} % label noise"])
        fmts = formats(spec)
        save_figure(fig, common.plot_path(output, f"curve_{model}", fmts[0]), fmts)


# --------------------------------------------------------------------------------------------
# planning


def plan_spec(cfg: dict) -> dict:
    section = base.section(cfg, STUDY)
    widths = [int(w) for w in section.get("widths", [2, 4, 8, 16, 32, 64, 128])]
    if len(set(widths)) < 3:
        raise JettagError(f"studies.{STUDY}.widths: need at least 3 different widths, got {widths}")
    first = {m: base.base_seed(cfg, m) for m in base.study_models(cfg, STUDY)}
    n_seeds = int(section.get("seeds", 1))
    points = {m: {str(w): [join_tagger(m, [f"dd{w}"] + ([f"seed{s + k}"] if k else []))
                           for k in range(n_seeds)] for w in sorted(set(widths))} for m, s in first.items()}
    return {"points": points, "train_jets": int(section.get("train_jets", 1000)),
            "val_jets": int(section.get("val_jets", 500)), "label_noise": float(section.get("label_noise", 0.2)),
            "epochs": int(section.get("epochs", 150))}


def data_dir(cfg: dict) -> str:
    spec = plan_spec(cfg)
    return base.paths(cfg).double_descent_dir(spec["train_jets"], spec["label_noise"])


def losses_file(cfg: dict, tagger: str) -> str:
    return base.paths(cfg).study_file(STUDY, f"losses_{tagger}.json")


def scores_file(cfg: dict, tagger: str) -> str:
    """Test scores of the last checkpoint of ``tagger`` (written by the ``losses`` step)."""
    return str(scores_path(Path(losses_file(cfg, tagger)), tagger))


def losses_inputs(cfg: dict, tagger: str) -> list[str]:
    """``last.pt`` of ``tagger``, the (noisy) train / val splits it was trained on and the test split."""
    from jettag.taggers import plan_tagger

    paths = base.paths(cfg)
    files = paths.data_files(plan_tagger(cfg, tagger).data_dir)
    test = paths.data_files(paths.data_dir(cfg["train_sample"]))["test"]
    return [paths.checkpoint(tagger, "last"), files["train"], files["val"], test]


def summary_inputs(cfg: dict, spec: dict) -> list[str]:
    taggers = [t for p in spec["points"].values() for members in p.values() for t in members]
    return [scores_file(cfg, t) for t in taggers] + [losses_file(cfg, t) for t in taggers]


def plot_names(spec: dict) -> list[str]:
    return [f"curve_{m}" for m in spec["points"]]


def headline(rows: list[dict[str, str]]) -> str:
    parts = []
    for model, mrows in hl.by_key(rows).items():
        r = mrows[0]
        threshold = hl.num(r.get("threshold_params"))
        where = f"interpolates from {int(threshold)} parameters" if math.isfinite(threshold) else "never interpolates"
        best = min(mrows, key=lambda x: hl.num(x["test_error"]))
        parts.append(f"{model} {where} (theory {int(hl.num(r.get('theory_params')))}); {r.get('error_descent')}; "
                     f"{r.get('loss_descent')}; lowest test error {100 * hl.num(best['test_error']):.1f} % at "
                     f"{int(hl.num(best['n_params']))} parameters"
                     + (" (one seed: no spread between trainings in the errors)" if hl.num(r.get("seeds")) == 1 else ""))
    return hl.sentence(parts)


register(Study(
    name=STUDY, order=65, steps={"subset": step_subset, "losses": step_losses, "summary": step_summary},
    spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names, headline=headline,
))
