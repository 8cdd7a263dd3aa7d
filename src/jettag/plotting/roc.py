"""ROC curves: light- and c-jet rejection vs b-jet efficiency, ratio panels to the reference.

Inputs: scores files (one per tagger). Spec keys: the label keys of :mod:`jettag.plotting.style`,
``plots.formats`` and ``evaluation.reference`` (tagger of the ratio panels; when it is not among
the inputs the first input is the reference and the ratio axis says so).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from jettag.evaluation.scores import read_scores_list
from jettag.evaluation.working_points import roc_curve
from jettag.flavours import FLAVOURS
from jettag.plotting import style

B_EFF_GRID = np.linspace(0.5, 1.0, 101)
BACKGROUNDS = (("light", "-", "Light-flavour jet rejection"), ("c", "--", r"$c$-jet rejection"))


def reference_name(spec: dict) -> str | None:
    return (spec.get("evaluation") or {}).get("reference", spec.get("reference"))


def plot_roc(spec: dict, inputs: list[Path], output: Path) -> None:
    style.use_style()
    ref_name = reference_name(spec)
    scores = read_scores_list(inputs, reference=ref_name)
    ref = scores[0]
    curves = {}
    for s in scores:
        disc = s.discriminant()
        is_b = s.flavour == FLAVOURS["b"].label
        curves[s.tagger] = {
            bkg: roc_curve(disc[is_b], disc[s.flavour == FLAVOURS[bkg].label], B_EFF_GRID)
            for bkg, _, _ in BACKGROUNDS
        }

    fig, (ax, *ratio_axes) = plt.subplots(
        3, 1, figsize=(8, 9), sharex=True, gridspec_kw={"height_ratios": [3.2, 1, 1], "hspace": 0.06}
    )
    for i, s in enumerate(scores):
        for bkg, ls, _ in BACKGROUNDS:
            eff, rej, _ = curves[s.tagger][bkg]
            finite = np.isfinite(rej)
            ax.plot(eff[finite], rej[finite], ls=ls, color=style.tagger_colour(i), lw=2)
    ax.set_yscale("log")
    ax.set_ylabel("Background rejection")
    ax.set_ylim(bottom=1.0)
    style.headroom_log(ax, 0.35)
    handles = [
        Line2D([], [], color=style.tagger_colour(i), lw=2, label=f"{s.tagger} ($f_c$ = {s.fc:g})"
               + (r" (rejection $\infty$)" if _all_infinite(curves[s.tagger]) else ""))
        for i, s in enumerate(scores)
    ]
    handles += [Line2D([], [], color="grey", ls=ls, lw=2, label=text) for _, ls, text in BACKGROUNDS]
    ax.legend(handles=handles, loc="upper right", frameon=False, fontsize=14)
    style.draw_label(ax, spec)

    ref_text = ref.tagger if ref.tagger == ref_name or ref_name is None else f"{ref.tagger} (first)"
    for rax, (bkg, ls, _) in zip(ratio_axes, BACKGROUNDS, strict=True):
        eff_r, rej_r, err_r = curves[ref.tagger][bkg]
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = err_r / rej_r
        ok = np.isfinite(rej_r) & np.isfinite(rel)
        rax.fill_between(eff_r[ok], 1 - rel[ok], 1 + rel[ok], color="grey", alpha=0.3, lw=0)
        for i, s in enumerate(scores):
            eff, rej, _ = curves[s.tagger][bkg]
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = rej / rej_r
            finite = np.isfinite(ratio)
            rax.plot(eff[finite], ratio[finite], ls=ls, color=style.tagger_colour(i), lw=2)
        rax.set_ylabel(f"{'light' if bkg == 'light' else '$c$'} rej.\n/ {ref_text}", fontsize=13)
        rax.axhline(1.0, color="grey", lw=0.8)
        _ratio_limits(rax, [r for line in rax.get_lines() for r in line.get_ydata()])
    ratio_axes[-1].set_xlabel(r"$b$-jet efficiency")
    ratio_axes[-1].set_xlim(B_EFF_GRID[0], B_EFF_GRID[-1])
    fig.align_ylabels([ax, *ratio_axes])
    style.save_figure(fig, output, style.formats(spec))


def _ratio_limits(ax, values) -> None:
    """Linear around 1 for modest ratios; log when taggers differ by more than a factor 4."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return
    lo, hi = min(values.min(), 1.0), max(values.max(), 1.0)
    if hi / lo > 4:
        ax.set_yscale("log")
        ax.set_ylim(lo / 1.5, hi * 1.5)
    else:
        pad = 0.1 * (hi - lo) if hi > lo else 0.1
        ax.set_ylim(max(0.0, lo - pad), hi + pad)


def _all_infinite(curves: dict) -> bool:
    """True when no background jet passes any cut of the grid (perfect separation)."""
    return all(np.isinf(rej).all() for _, rej, _ in curves.values())
