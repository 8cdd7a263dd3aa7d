"""Distributions of the discriminant ``D_b`` per flavour, one panel per tagger, with WP cuts.

Inputs: scores files. Spec keys: label keys (:mod:`jettag.plotting.style`), ``plots.formats``,
``evaluation.reference`` (drawn first) and ``evaluation.working_points`` (cut lines; default
60, 70, 77, 85).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from jettag.evaluation.scores import read_scores_list
from jettag.evaluation.working_points import DEFAULT_WORKING_POINTS, wp_cuts
from jettag.flavours import CLASSES
from jettag.plotting import style

N_BINS = 60
WP_LINESTYLES = (":", "-.", "--", (0, (5, 1)))


def plot_discriminant(spec: dict, inputs: list[Path], output: Path) -> None:
    style.use_style()
    evaluation = spec.get("evaluation") or {}
    wps = [float(w) for w in evaluation.get("working_points", DEFAULT_WORKING_POINTS)]
    scores = read_scores_list(inputs, reference=evaluation.get("reference"))
    n = len(scores)
    ncols = min(n, 2)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(8 * ncols, 6.5 * nrows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, s in zip(axes.flat, scores, strict=False):
        disc = s.discriminant()
        finite = disc[np.isfinite(disc)]
        lo, hi = np.percentile(finite, [0.1, 99.9]) if finite.size else (-1.0, 1.0)
        if hi <= lo:
            lo, hi = lo - 1.0, hi + 1.0
        bins = np.linspace(lo, hi, N_BINS + 1)
        for flav in CLASSES:
            values = np.clip(disc[s.flavour == flav.label], lo, hi)  # under/overflow in edge bins
            if values.size == 0:
                continue
            counts, _ = np.histogram(values, bins=bins)
            density = counts / (values.size * np.diff(bins))
            ax.stairs(density, bins, color=flav.colour, lw=2, label=f"{flav.text} ({values.size})")
        ax.set_yscale("log")
        style.headroom_log(ax, 0.45)
        disc_b = disc[s.flavour == CLASSES[0].label]
        if disc_b.size:
            for k, (wp, cut) in enumerate(zip(wps, wp_cuts(disc_b, wps), strict=True)):
                ax.axvline(cut, ymax=0.6, color="dimgrey", ls=WP_LINESTYLES[k % len(WP_LINESTYLES)],
                           lw=1.5, label=f"{wp:g}% WP")
        ax.set_xlabel(rf"$D_b$ ({s.tagger}, $f_c$ = {s.fc:g})")
        ax.set_ylabel("Normalised number of jets")
        ax.legend(loc="upper right", frameon=False, fontsize=13, ncols=2 if wps else 1)
        style.draw_label(ax, spec, extra=[s.tagger])
    fig.tight_layout()
    style.save_figure(fig, output, style.formats(spec))
