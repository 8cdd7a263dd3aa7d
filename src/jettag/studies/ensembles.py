"""Deep ensembles and snapshot ensembles.

* Deep ensemble of a model: members ``{model}--seed{s}`` (the first member is the model itself when
  no ``studies.training`` override applies); the ensemble's tagger ``{model}_ensemble`` averages
  the members' class probabilities.
* Snapshot ensemble: ``{model}--snap1 ... --snapK``, K chained SGDR cycles (cycle k starts from the
  weights at the end of cycle k-1, learning rate restarted); ``{model}_snapshot`` averages them.
  With K = number of seeds and one cycle as long as one member's training, both ensembles cost
  the same number of epochs (the table lists the epochs actually run).

Steps: ``combine`` (average member scores into a standard scores file) and ``summary`` (table,
ROC curves with the members' spread, correlation of the members' discriminants).

Each ensemble's light rejection is compared with the mean of its members, paired on the same test
jets (bootstrap) with the members' spread (``ratio, significance, verdict``).
"""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np

from jettag.atomic import atomic_path
from jettag.errors import JettagError
from jettag.studies import base, common
from jettag.studies import headline as hl
from jettag.studies.registry import Study, register
from jettag.tagger_names import seed_tagger


def ensemble_name(model: str, kind: str = "ensemble") -> str:
    return f"{model}_{kind}"


def members(cfg: dict, model: str) -> list[str]:
    n = int(base.section(cfg, "ensembles").get("seeds", 3))
    first = base.base_seed(cfg, model)
    return [seed_tagger(cfg, model, first + k) for k in range(n)]


def snapshots(cfg: dict, model: str) -> list[str]:
    section = base.section(cfg, "ensembles")
    snap = section.get("snapshot") or {}
    if not snap.get("enabled", True):
        return []
    k = int(snap.get("cycles") or section.get("seeds", 3))
    return [f"{model}--snap{i}" for i in range(1, k + 1)]


def average_probabilities(prob_list: list[np.ndarray]) -> np.ndarray:
    """Mean of the members' ``(N, 3)`` probabilities (an ensemble of one is that member)."""
    if not prob_list:
        raise JettagError("an ensemble needs at least one member")
    shape = prob_list[0].shape
    for p in prob_list:
        if p.shape != shape:
            raise JettagError(f"ensemble members disagree in shape: {p.shape} vs {shape}")
    return np.mean(np.stack(prob_list, axis=0), axis=0)


def step_combine(spec: dict, inputs, output: Path, data_dir=None) -> None:
    """Average the member scores files ``inputs`` into the scores file ``output``."""
    from jettag import __version__

    tagger = spec.get("tagger") or Path(output).stem
    if not inputs:
        raise JettagError(f"ensemble '{tagger}': no member scores given")
    loaded = [common.read_scores(p) for p in inputs]
    ref = loaded[0]
    for s in loaded[1:]:
        if len(s) != len(ref) or not np.array_equal(s.eventNumber, ref.eventNumber) or not np.array_equal(
            s.flavour, ref.flavour
        ):
            raise JettagError(
                f"ensemble '{tagger}': {s.path} and {ref.path} score different jets; "
                "members must be evaluated on the same test file"
            )
        if not math.isclose(s.fc, ref.fc):
            raise JettagError(f"ensemble '{tagger}': members use different fc ({s.fc} vs {ref.fc})")
    probs = average_probabilities([np.stack([s.p_b, s.p_c, s.p_u], axis=1).astype(np.float64) for s in loaded])
    with atomic_path(output) as tmp, h5py.File(tmp, "w") as f:
        for i, name in enumerate(("p_b", "p_c", "p_u")):
            f.create_dataset(name, data=probs[:, i].astype(np.float32))
        f.create_dataset("pt", data=ref.pt.astype(np.float32))
        f.create_dataset("eta", data=ref.eta.astype(np.float32))
        f.create_dataset("flavour", data=ref.flavour.astype(np.int32))
        f.create_dataset("eventNumber", data=ref.eventNumber.astype(np.int64))
        f.attrs["tagger"] = tagger
        f.attrs["fc"] = float(ref.fc)
        f.attrs["members"] = [s.tagger for s in loaded]
        f.attrs["jettag_version"] = __version__


def discriminant_correlation(discs: list[np.ndarray]) -> np.ndarray:
    """Pearson correlation matrix of the members' D_b over the same jets."""
    if len(discs) < 2:
        return np.ones((len(discs), len(discs)))
    return np.corrcoef(np.stack(discs, axis=0))


COLUMNS = (
    "model", "tagger", "kind", "n_members", "epochs", "light_rej", "light_rej_err", "c_rej",
    "c_rej_err", "auc", "light_rej_spread", "gain_vs_mean_member", "mean_member_correlation", "reference",
    *common.PAIRED_COLUMNS,
)


def summarise(model: str, member_metrics: list[common.Metrics], ensemble: common.Metrics, kind: str,
              epochs: float, correlation: float) -> list[dict]:
    """Rows of one ensemble: each member, the mean member (with spread) and the ensemble."""
    rows = []
    rej = np.array([m.light_rej for m in member_metrics], dtype=float)
    crej = np.array([m.c_rej for m in member_metrics], dtype=float)
    auc = np.array([m.auc for m in member_metrics], dtype=float)
    member_kind = "member" if kind == "deep ensemble" else "snapshot"
    for m in member_metrics:
        rows.append({"model": model, "tagger": m.tagger, "kind": member_kind, "n_members": 1,
                     "light_rej": m.light_rej, "light_rej_err": m.light_rej_err, "c_rej": m.c_rej,
                     "c_rej_err": m.c_rej_err, "auc": m.auc})
    n = len(member_metrics)
    spread = float(np.std(rej, ddof=1)) if n > 1 else 0.0
    mean_rej = float(np.mean(rej))
    rows.append({"model": model, "tagger": f"mean {member_kind}", "kind": f"mean {member_kind}",
                 "n_members": n, "light_rej": mean_rej, "light_rej_err": spread / math.sqrt(n),
                 "c_rej": float(np.mean(crej)),
                 "c_rej_err": (float(np.std(crej, ddof=1)) / math.sqrt(n)) if n > 1 else 0.0,
                 "auc": float(np.mean(auc)), "light_rej_spread": spread})
    rows.append({"model": model, "tagger": ensemble.tagger, "kind": kind, "n_members": n, "epochs": epochs,
                 "light_rej": ensemble.light_rej, "light_rej_err": ensemble.light_rej_err,
                 "c_rej": ensemble.c_rej, "c_rej_err": ensemble.c_rej_err, "auc": ensemble.auc,
                 "gain_vs_mean_member": ensemble.light_rej / mean_rej - 1.0 if mean_rej > 0 else math.nan,
                 "mean_member_correlation": correlation})
    return rows


def plot_names(spec: dict) -> list[str]:
    return [f"{kind}_{m}" for m in spec["members"] for kind in ("roc", "correlation")]


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:
    wp = float(spec.get("wp", common.DEFAULT_WP))
    scores = common.by_tagger(inputs, ".h5")
    hists = common.histories(inputs)
    rows: list[dict] = []
    for model, member_names in spec["members"].items():
        groups = [("deep ensemble", member_names, ensemble_name(model))]
        snaps = (spec.get("snapshots") or {}).get(model) or []
        if snaps:
            groups.append(("snapshot ensemble", snaps, ensemble_name(model, "snapshot")))
        curves = {}
        for kind, names, ens in groups:
            missing = [n for n in [*names, ens] if n not in scores]
            if missing:
                raise JettagError(f"ensembles summary: scores of {missing} not among the inputs")
            loaded = [common.read_scores(scores[n]) for n in names]
            ens_scores = common.read_scores(scores[ens])
            mm = [common.scores_metrics(s, [wp])[0] for s in loaded]
            discs = [s.discriminant() for s in loaded]
            corr = discriminant_correlation(discs)
            off = corr[~np.eye(len(discs), dtype=bool)]
            epochs = sum(len(common.read_history(hists[n]).epoch) for n in names if n in hists)
            group_rows = summarise(model, mm, common.scores_metrics(ens_scores, [wp])[0], kind,
                                   epochs if epochs else math.nan, float(off.mean()) if off.size else 1.0)
            mean_name = group_rows[-2]["tagger"]
            cmp = common.paired_light(dict(zip(names, loaded, strict=True)) | {ens: ens_scores},
                                      [(ens, mean_name)], wp, members={mean_name: list(names)})
            for r in group_rows:
                r.update(cmp.get(r["tagger"]) or {"reference": "", **common.no_comparison()})
            rows += group_rows
            curves[kind] = (loaded, ens_scores, corr)
        _plot_roc(spec, model, curves, output)
        _plot_correlation(spec, model, curves["deep ensemble"][2], member_names, output)
    display = [
        ("model", "model"), ("tagger", "tagger"), ("kind", "kind"), ("epochs", "epochs"),
        (f"light rej. ({wp:g} %)", lambda r: common.fmt_err(r["light_rej"], r["light_rej_err"])),
        (f"c rej. ({wp:g} %)", lambda r: common.fmt_err(r["c_rej"], r["c_rej_err"])),
        ("AUC", lambda r: f"{r['auc']:.4f}"),
        ("gain vs mean member", lambda r: "" if r.get("gain_vs_mean_member") is None
         else f"{100 * r['gain_vs_mean_member']:+.1f} %"),
        ("mean corr. of members' D_b", lambda r: "" if r.get("mean_member_correlation") is None
         else f"{r['mean_member_correlation']:.3f}"),
        ("light rej. ratio to mean member [68 %] (paired)", common.ratio_text),
    ]
    notes = [
        "Ensembles average the members' class probabilities.",
        "The error of a 'mean member' row is the standard error of the member mean; its spread "
        "(light_rej_spread in the CSV) is the members' standard deviation.",
        "Ratio to the mean member: paired bootstrap on the same test jets with the members' spread; "
        "verdict at 3 standard deviations, else the minimum detectable effect (MDE).",
        "Equal compute: the snapshot ensemble's cycles run as many epochs as one member each; "
        "'epochs' counts the epochs actually run (early stopping may end members sooner).",
    ]
    common.write_table(output, rows, COLUMNS, display, "Deep and snapshot ensembles", notes)


def _plot_roc(spec, model, curves, output):
    from jettag.plotting.style import headroom_log, tagger_colour

    fig, ax = common.new_figure()
    for i, (kind, (loaded, ens, _)) in enumerate(curves.items()):
        colour = tagger_colour(2 * i + 1)
        rejs = []
        for s in loaded:
            eff, rej = common.roc(s.discriminant(), s.flavour)
            rejs.append(np.where(np.isfinite(rej), rej, np.nan))
        rejs = np.array(rejs)
        with np.errstate(all="ignore"):
            lo, hi = np.nanmin(rejs, axis=0), np.nanmax(rejs, axis=0)
        label = "members" if kind == "deep ensemble" else "snapshots"
        ax.fill_between(eff, lo, hi, color=colour, alpha=0.25, label=f"{model} {label} (min-max)")
        eff, rej = common.roc(ens.discriminant(), ens.flavour)
        ax.plot(eff, rej, color=colour, label=f"{kind} ({len(loaded)})")
    ax.set_yscale("log")
    ax.set_xlabel("$b$-jet efficiency")
    ax.set_ylabel("light-flavour jet rejection")
    ax.set_xlim(0.5, 1.0)
    headroom_log(ax)
    ax.legend(loc="upper right")
    common.finish(fig, ax, spec, output, f"roc_{model}", [f"{model}: ensembles"])


def _plot_correlation(spec, model, corr, names, output):
    fig, ax = common.new_figure((7.5, 6.5))
    im = ax.imshow(corr, vmin=min(0.5, float(corr.min())), vmax=1.0, cmap="viridis")
    ax.set_xticks(range(len(names)))
    ax.set_yticks(range(len(names)))
    short = [n.split("--")[-1] if "--" in n else n for n in names]
    ax.set_xticklabels(short, rotation=45, ha="right", fontsize=10)
    ax.set_yticklabels(short, fontsize=10)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, f"{corr[i, j]:.3f}", ha="center", va="center", color="w", fontsize=9)
    fig.colorbar(im, ax=ax, label="Pearson correlation of $D_b$")
    ax.set_title(f"{model}: ensemble members", fontsize=12)
    common.finish(fig, None, spec, output, f"correlation_{model}")


# --------------------------------------------------------------------------------------------
# planning


def combine_inputs(cfg: dict, sample: str, model: str, kind: str) -> list[str]:
    """The member scores the ``combine`` step averages into ``{model}_{kind}`` on ``sample``."""
    if kind == "ensemble":
        taggers = members(cfg, model)
    elif kind == "snapshot":
        taggers = snapshots(cfg, model)
    else:
        raise JettagError(f"unknown ensemble kind '{kind}'")
    return [base.scores(cfg, t, sample) for t in taggers]


def plan_spec(cfg: dict) -> dict:
    models = base.study_models(cfg, "ensembles")
    return {"members": {m: members(cfg, m) for m in models}, "snapshots": {m: snapshots(cfg, m) for m in models}}


def summary_inputs(cfg: dict, spec: dict) -> list[str]:
    out = []
    for m, member_taggers in spec["members"].items():
        snaps = spec["snapshots"][m]
        out += [base.scores(cfg, t) for t in member_taggers] + [base.scores(cfg, ensemble_name(m))]
        out += [base.history(cfg, t) for t in member_taggers]
        if snaps:
            out += [base.scores(cfg, t) for t in snaps] + [base.scores(cfg, ensemble_name(m, "snapshot"))]
            out += [base.history(cfg, t) for t in snaps]
    return out


def extra_scores(cfg: dict) -> list[str]:
    """The ensembles' taggers, added to performance.csv."""
    out = []
    for m in base.study_models(cfg, "ensembles"):
        out.append(base.scores(cfg, ensemble_name(m)))
        if snapshots(cfg, m):
            out.append(base.scores(cfg, ensemble_name(m, "snapshot")))
    return out


def headline(rows: list[dict[str, str]]) -> str:
    parts = []
    for row in rows:
        if row["kind"] in ("deep ensemble", "snapshot ensemble"):
            gain = hl.num(row["gain_vs_mean_member"])
            text = (f"{row['model']} {row['kind']}: light rejection {hl.rejection_text(row)}, "
                    f"{gain * 100:+.1f} % vs the mean member" if not math.isnan(gain)
                    else f"{row['model']} {row['kind']}: light rejection {hl.rejection_text(row)}")
            if row.get("verdict"):
                text += f" ({row['verdict']})"
            parts.append(text)
    return hl.sentence(parts)


register(Study(
    name="ensembles", order=10, steps={"combine": step_combine, "summary": step_summary},
    spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names, extra_scores=extra_scores,
    headline=headline,
))
