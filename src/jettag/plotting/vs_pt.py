"""b efficiency and light/c rejection vs jet pT at a flat-cut working point, per tagger.

The cut of each tagger is the inclusive ``evaluation.pt_wp`` % working point (default 77),
applied unchanged in every pT bin ("flat cut"). Error bars are binomial.

Inputs: scores files. Spec keys: label keys (:mod:`jettag.plotting.style`), ``plots.formats``,
``evaluation.pt_wp``, ``evaluation.pt_bins`` (GeV edges; default 20 ... 1000),
``evaluation.reference`` (drawn first).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

from jettag.evaluation.scores import read_scores_list
from jettag.evaluation.working_points import binomial_error, rejection, wp_cuts
from jettag.flavours import FLAVOURS
from jettag.plotting import style

DEFAULT_PT_BINS = (20, 30, 40, 60, 80, 100, 150, 250, 400, 1000)
DEFAULT_PT_WP = 77.0
MARKERS = ("o", "s", "^", "v", "D", "P", "X", "*")


def binned_efficiency(passed: np.ndarray, pt: np.ndarray, bins) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pT bin: fraction of ``passed``, its binomial error and the number of jets."""
    bins = np.asarray(bins, dtype=np.float64)
    n_all, _ = np.histogram(pt, bins=bins)
    n_pass, _ = np.histogram(pt[passed], bins=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        eff = np.where(n_all > 0, n_pass / np.maximum(n_all, 1), np.nan)
    return eff, binomial_error(eff, n_all), n_all


def plot_vs_pt(spec: dict, inputs: list[Path], output: Path) -> None:
    style.use_style()
    evaluation = spec.get("evaluation") or {}
    wp = float(evaluation.get("pt_wp", DEFAULT_PT_WP))
    bins = np.asarray(evaluation.get("pt_bins", DEFAULT_PT_BINS), dtype=np.float64)
    scores = read_scores_list(inputs, reference=evaluation.get("reference"))
    centres = np.sqrt(bins[:-1] * bins[1:]) if bins[0] > 0 else 0.5 * (bins[:-1] + bins[1:])
    xerr = np.vstack([centres - bins[:-1], bins[1:] - centres])

    fig, axes = plt.subplots(
        3, 1, figsize=(8, 10), sharex=True, gridspec_kw={"height_ratios": [1.3, 1, 1], "hspace": 0.06}
    )
    n = len(scores)
    for i, s in enumerate(scores):
        disc = s.discriminant()
        is_b = s.flavour == FLAVOURS["b"].label
        (cut,) = wp_cuts(disc[is_b], [wp])
        passed = disc > cut
        # small horizontal offsets keep the markers of several taggers apart
        shift = np.exp((i - (n - 1) / 2) * 0.03)
        kw = dict(color=style.tagger_colour(i), marker=MARKERS[i % len(MARKERS)], ls="none", ms=6,
                  capsize=0, elinewidth=1.5)
        eff, err, _ = binned_efficiency(passed[is_b], s.pt[is_b], bins)
        axes[0].errorbar(centres * shift, eff, yerr=err, xerr=xerr if i == 0 else None,
                         label=f"{s.tagger} ($f_c$ = {s.fc:g})", **kw)
        for ax, bkg in zip(axes[1:], ("light", "c"), strict=True):
            sel = s.flavour == FLAVOURS[bkg].label
            e, de, _ = binned_efficiency(passed[sel], s.pt[sel], bins)
            rej, rej_err = rejection(e, de)
            ok = np.isfinite(rej)
            ax.errorbar((centres * shift)[ok], rej[ok], yerr=rej_err[ok],
                        xerr=xerr[:, ok] if i == 0 else None, **kw)
    axes[0].set_ylabel(r"$b$-jet efficiency")
    axes[0].axhline(wp / 100.0, color="grey", ls="--", lw=1)
    lo, hi = axes[0].get_ylim()
    axes[0].set_ylim(max(0.0, lo), min(1.0, hi) + 0.45 * (min(1.0, hi) - max(0.0, lo)))
    axes[0].legend(loc="upper right", frameon=False, fontsize=13)
    style.draw_label(axes[0], spec, extra=[rf"Flat {wp:g}% $b$-jet efficiency cut"])
    axes[1].set_ylabel("Light-flavour\njet rejection")
    axes[2].set_ylabel("$c$-jet\nrejection")
    for ax in axes[1:]:
        ax.set_yscale("log")
    if bins[0] > 0:
        axes[2].set_xscale("log")
        ticks = [t for t in (20, 30, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000) if bins[0] <= t <= bins[-1]]
        axes[2].xaxis.set_major_locator(FixedLocator(ticks))
        axes[2].xaxis.set_major_formatter(ScalarFormatter())
        axes[2].xaxis.set_minor_formatter(NullFormatter())
    axes[2].set_xlim(bins[0], bins[-1])
    axes[2].set_xlabel(r"Jet $p_T$ [GeV]")
    fig.align_ylabels(axes)
    style.save_figure(fig, output, style.formats(spec))
