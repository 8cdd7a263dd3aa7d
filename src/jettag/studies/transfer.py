"""Transfer between samples: tt̄ <-> Z', and fine-tuning vs training from scratch on a small Z' set.

Runs per model (``source`` = the training sample, ``target`` = ``studies.transfer.target``):

* ``{model}`` (or its seed variant): trained on the source;
* ``{model}--{target}``: trained on the target sample;
* ``{model}--finetune-{target}``: initialised from the source-trained model, trained on
  ``n_small`` target jets at ``finetune_lr_factor`` times the learning rate;
* ``{model}--scratch-{target}``: trained from scratch on the same ``n_small`` target jets.

The small sample is a seeded random subset of whole events of the target's training split (step
``subset``, :func:`jettag.studies.datasets.make_random_subset`), so every mass point of a Z'
sample written mass after mass is in it in proportion. Both small-sample runs get the same epoch
budget (``epochs``) with early stopping; the table reports their optimiser steps and epochs, the
plot ``loss_{model}`` their loss curves vs optimiser steps.

Every run is scored on the test splits of both samples; on the target sample the table also
shows high-pT jets only (``pt > high_pt_min`` GeV). Comparisons (paired bootstrap on the same test
jets, ``ratio, significance, verdict``): fine-tuned vs from scratch, and on each sample the model
trained on the other sample vs the one trained on it. Performance vs jet pT of the main taggers is
in the main plots (``results/plots/vs_pt``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from jettag.errors import JettagError
from jettag.studies import base, common
from jettag.studies import headline as hl
from jettag.studies.registry import Study, register
from jettag.tagger_names import join_tagger, seed_tagger

ROLES = ("source", "target", "finetune", "scratch")
ROLE_TEXT = {"source": "trained on {source}", "target": "trained on {target}",
             "finetune": "{source} model fine-tuned on small {target}", "scratch": "small {target} from scratch"}

COLUMNS = ("model", "role", "tagger", "trained_on", "evaluated_on", "selection", "n_jets", "light_rej",
           "light_rej_err", "c_rej", "c_rej_err", "auc", "epochs_run", "optimiser_steps", "reference",
           *common.PAIRED_COLUMNS)
#: Which run each role is compared with, per evaluated sample ("own": the run trained on it).
REFERENCE = {"finetune": "scratch", "source": "own", "target": "own"}


def step_subset(spec: dict, inputs, output: Path, data_dir=None) -> None:
    """The small target sample: ``n_small`` jets drawn at random over whole events."""
    from jettag.studies import datasets

    datasets.make_random_subset(inputs, output, int(spec["n_small"]), int(spec.get("subset_seed", 1)),
                                int(spec.get("chunk_size", datasets.DEFAULT_CHUNK)))


def summarise(model: str, role: str, tagger: str, trained_on: str, evaluated_on: str, selection: str,
              m: common.Metrics, n_jets: int) -> dict:
    return {"model": model, "role": role, "tagger": tagger, "trained_on": trained_on,
            "evaluated_on": evaluated_on, "selection": selection, "n_jets": n_jets,
            "light_rej": m.light_rej, "light_rej_err": m.light_rej_err, "c_rej": m.c_rej,
            "c_rej_err": m.c_rej_err, "auc": m.auc}


def plot_names(spec: dict) -> list[str]:
    return [f"roc_{m}" for m in spec["runs"]] + [f"loss_{m}" for m in spec["runs"]]


def _reference(role: str, sample: str, runs: dict, source: str, target: str) -> str | None:
    ref = REFERENCE.get(role)
    if ref == "own":
        own = runs.get("source" if sample == source else "target")
        return own if own != runs[role] else None
    return runs.get(ref) if ref else None


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:
    wp = float(spec.get("wp", common.DEFAULT_WP))
    source, target = spec["source"], spec["target"]
    pt_min = float(spec.get("high_pt_min", 250.0))
    files = common.scores_by_sample(inputs)
    hists = common.histories(inputs)
    rows = []
    for model, runs in spec["runs"].items():
        curves = {}
        for sample in (source, target):
            loaded = {}
            for role in ROLES:
                tagger = runs.get(role)
                if tagger is None:
                    continue
                if (sample, tagger) not in files:
                    if role in ("finetune", "scratch") and sample == source:
                        continue
                    raise JettagError(f"transfer summary: scores of '{tagger}' on '{sample}' not among the inputs")
                loaded[role] = common.read_scores(files[(sample, tagger)])
            first = next(iter(loaded.values()))
            selections = [("all", np.ones(len(first), dtype=bool))]
            if sample == target:
                selections.append((f"pT > {pt_min:g} GeV", first.pt > pt_min))
            for sel_name, mask in selections:
                if not np.any(first.flavour[mask] == 5):
                    continue
                pairs = [(runs[r], ref) for r in loaded
                         if (ref := _reference(r, sample, runs, source, target)) and
                         any(runs[q] == ref for q in loaded)]
                discs = {runs[r]: s.discriminant()[mask] for r, s in loaded.items()}
                cmp = common.paired_discs(discs, first.flavour[mask], pairs, wp)
                for role, s in loaded.items():
                    tagger = runs[role]
                    m = common.scores_metrics(s, [wp], mask)[0]
                    row = summarise(model, role, tagger, ROLE_TEXT[role].format(source=source, target=target),
                                    sample, sel_name, m, int(np.count_nonzero(mask)))
                    row.update(cmp.get(tagger) or {"reference": "", **common.no_comparison()})
                    row.update(_training_effort(hists.get(tagger)))
                    rows.append(row)
            if sample == target:
                for role, s in loaded.items():
                    curves[role] = (s, s.pt > pt_min, ROLE_TEXT[role].format(source=source, target=target))
        _plot(spec, model, curves, pt_min, output)
        _plot_losses(spec, model, runs, hists, output, target)
    display = [
        ("model", "model"), ("training", "trained_on"), ("evaluated on", "evaluated_on"),
        ("jets", "selection"), ("test jets", "n_jets"),
        (f"light rej. ({wp:g} %)", lambda r: common.fmt_err(r["light_rej"], r["light_rej_err"])),
        ("c rej.", lambda r: common.fmt_err(r["c_rej"], r["c_rej_err"])),
        ("AUC", lambda r: f"{r['auc']:.4f}"),
        ("epochs / steps", lambda r: f"{common.fmt(r['epochs_run'])} / {common.fmt(r['optimiser_steps'])}"
         if r.get("epochs_run") != "" else "-"),
        ("light rej. ratio to", lambda r: r["reference"] or "-"),
        ("ratio [68 %] (verdict)", common.ratio_text),
    ]
    notes = [
        f"Working point {wp:g} % defined on the b-jets of each evaluated selection.",
        f"Fine-tuning and from-scratch runs use the same {spec.get('n_small', 2000)} {target} training "
        "jets, a seeded random subset of whole events (every mass point in proportion), and the same "
        f"epoch budget ({spec.get('epochs', 30)}) with early stopping; loss curves in the loss plot.",
        "Ratios: paired bootstrap on the same test jets (fine-tuned vs from scratch; a model trained on "
        "the other sample vs the one trained on the evaluated sample); verdict at 3 standard deviations, "
        "else the minimum detectable effect (MDE).",
        "Performance vs jet pT of the main taggers: results/plots/vs_pt (main report).",
    ]
    common.write_table(output, rows, COLUMNS, display, f"Transfer between {source} and {target}", notes)


def _training_effort(history: Path | None) -> dict:
    if history is None:
        return {"epochs_run": "", "optimiser_steps": ""}
    h = common.read_history(history)
    steps = common.cumulative_steps(history, len(h.epoch))
    return {"epochs_run": len(h.epoch), "optimiser_steps": int(steps[-1]) if steps.size else 0}


def _plot_losses(spec, model, runs, hists, output, target):
    """Training and validation loss vs optimiser steps of the two small-sample runs."""
    from jettag.plotting.style import headroom_linear, tagger_colour

    fig, ax = common.new_figure()
    for i, role in enumerate(("finetune", "scratch")):
        path = hists.get(runs.get(role))
        if path is None:
            continue
        h = common.read_history(path)
        steps = common.cumulative_steps(path, len(h.epoch))
        text = ROLE_TEXT[role].format(source=spec["source"], target=target)
        ax.plot(steps, h.train_loss, "-", color=tagger_colour(i), label=f"{text}: training")
        ax.plot(steps, h.val_loss, "o--", color=tagger_colour(i), label=f"{text}: validation")
    ax.set_xlabel("optimiser steps")
    ax.set_ylabel("loss")
    headroom_linear(ax, 0.45)
    ax.legend(loc="upper right", fontsize=9)
    common.finish(fig, ax, dict(spec, sample=target), output, f"loss_{model}",
                  [f"{model}, {spec.get('n_small', 2000)} {target} jets"])


def _plot(spec, model, curves, pt_min, output):
    from jettag.plotting.style import headroom_log, tagger_colour

    fig, ax = common.new_figure()
    for i, (_role, (s, mask, text)) in enumerate(curves.items()):
        if not np.any(s.flavour[mask] == 5) or not np.any(s.flavour[mask] == 0):
            continue
        disc = s.discriminant()[mask]
        eff, rej = common.roc(disc, s.flavour[mask])
        ax.plot(eff, rej, color=tagger_colour(i), label=text)
    ax.set_yscale("log")
    ax.set_xlim(0.5, 1.0)
    ax.set_xlabel("$b$-jet efficiency")
    ax.set_ylabel("light-flavour jet rejection")
    headroom_log(ax)
    ax.legend(loc="upper right", fontsize=10)
    spec = dict(spec, sample=spec["target"])
    common.finish(fig, ax, spec, output, f"roc_{model}", [f"{model}, jet $p_T$ > {pt_min:g} GeV"])


# --------------------------------------------------------------------------------------------
# planning


def samples(cfg: dict) -> tuple[str, str]:
    """The (source, target) samples of the study, checked against the config."""
    section = base.section(cfg, "transfer")
    source = section.get("source") or cfg["train_sample"]
    target = section.get("target", "zprime")
    for name, s in (("source", source), ("target", target)):
        if s not in cfg["samples"]:
            raise JettagError(
                f"studies.transfer.{name}: sample '{s}' is not defined under 'samples' ({sorted(cfg['samples'])}); "
                "add it (e.g. samples.zprime: {generator: {process: zprime}}) or disable the transfer study"
            )
    if source != cfg["train_sample"]:
        raise JettagError("studies.transfer.source must be the train_sample (the main models are trained on it)")
    if source == target:
        raise JettagError("studies.transfer: source and target samples must differ")
    return source, target


def plan_spec(cfg: dict) -> dict:
    source, target = samples(cfg)
    runs = {}
    for model in base.study_models(cfg, "transfer"):
        full = seed_tagger(cfg, model, base.base_seed(cfg, model))
        runs[model] = {"source": full, "target": join_tagger(model, [target]),
                       "finetune": join_tagger(full, [f"finetune-{target}"]),
                       "scratch": join_tagger(model, [f"scratch-{target}"])}
    return {"runs": runs, "source": source, "target": target}


def summary_inputs(cfg: dict, spec: dict) -> list[str]:
    out = []
    for runs in spec["runs"].values():
        for role in ("source", "target"):
            out += [base.scores(cfg, runs[role], spec["source"]), base.scores(cfg, runs[role], spec["target"])]
        out += [base.scores(cfg, runs["finetune"], spec["target"]), base.scores(cfg, runs["scratch"], spec["target"])]
        out += [base.history(cfg, runs["finetune"]), base.history(cfg, runs["scratch"])]
    return out


def headline(rows: list[dict[str, str]]) -> str:
    parts = []
    for r in rows:
        if r["selection"] != "all" or not r.get("verdict"):
            continue
        parts.append(f"{r['model']} {r['trained_on']} on {r['evaluated_on']}: light rejection "
                     f"{hl.rejection_text(r)}, {hl.verdict_text(r, 'ratio')}")
    return hl.sentence(parts)


register(Study(
    name="transfer", order=80, steps={"subset": step_subset, "summary": step_summary},
    spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names,
    headline=headline,
))
