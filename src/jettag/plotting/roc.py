"""ROC curves: light- and c-jet rejection vs b-jet efficiency, ratio panels to the reference.

Inputs: scores files (one per tagger). Spec keys: the label keys of :mod:`jettag.plotting.style`,
``plots.formats``, ``evaluation.reference`` (tagger of the ratio panels; when it is not among
the inputs the first input is the reference and the ratio axis says so) and
``evaluation.bootstrap`` (replicas, seed).

Bands (:func:`roc_bands`): every tagger's rejection carries its central 68 % bootstrap band, and
each ratio to the reference its paired band: the taggers on the same test jets are resampled with
the same weights (:mod:`jettag.evaluation.statistics`), so the band of a ratio holds only what
differs between the two taggers (the ratio of a tagger to itself is 1 with a zero-width band). The
bands are drawn around the nominal curve with the bootstrap's log-space half-width, so they always
bracket it. Taggers on other jets than the reference get their ratio without a band.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from jettag.evaluation.paired import bootstrap_of, group_scores
from jettag.evaluation.scores import Scores, read_scores_list
from jettag.evaluation.statistics import CENTRAL, DEFAULT_BOOTSTRAP, Bootstrap, replicas
from jettag.evaluation.working_points import roc_curve
from jettag.flavours import FLAVOURS
from jettag.plotting import style

B_EFF_GRID = np.linspace(0.5, 1.0, 101)
BACKGROUNDS = (("light", "-", "Light-flavour jet rejection"), ("c", "--", r"$c$-jet rejection"))
#: Largest (replicas x grid points x b-jets) array of one bootstrap block (memory bound).
MAX_BLOCK_CELLS = 20_000_000


@dataclass(frozen=True)
class Band:
    """A curve on the b-efficiency grid with its band: ``value``, ``lo``, ``hi`` (nan where undefined)."""

    value: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


def _half_width(log_replicas: np.ndarray) -> np.ndarray:
    """Half the central 68 % interval of log replicas ``(R, W)``, per grid point (nan if undefined)."""
    tail = 50.0 * (1.0 - CENTRAL)
    log_replicas = np.where(np.isfinite(log_replicas), log_replicas, np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan grid points: no band there
        lo, hi = np.nanpercentile(log_replicas, [tail, 100.0 - tail], axis=0)
    return 0.5 * (hi - lo)


def _around(value: np.ndarray, sigma: np.ndarray) -> Band:
    ok = np.isfinite(value) & (value > 0) & np.isfinite(sigma)
    lo = np.where(ok, value * np.exp(-np.where(ok, sigma, 0.0)), np.nan)
    hi = np.where(ok, value * np.exp(np.where(ok, sigma, 0.0)), np.nan)
    return Band(value, lo, hi)


def roc_bands(scores: list[Scores], reference: str, grid=B_EFF_GRID,
              boot: Bootstrap = DEFAULT_BOOTSTRAP) -> tuple[dict, dict]:
    """Rejection bands and paired ratio bands to ``reference`` of every tagger, per background.

    Returns ``(rejection, ratio)``: ``rejection[tagger][bkg]`` and ``ratio[tagger][bkg]`` are
    :class:`Band` s on ``grid`` (a taggers on other jets than the reference's: its ratio without a
    band, lo and hi nan).
    """
    grid = np.asarray(grid, dtype=np.float64)
    rejection: dict[str, dict[str, Band]] = {}
    ratio: dict[str, dict[str, Band]] = {}
    nominal: dict[str, dict[str, np.ndarray]] = {}
    for group in group_scores(scores):
        n_b = int(np.count_nonzero(group.flavour == FLAVOURS["b"].label))
        block = max(1, min(boot.block, MAX_BLOCK_CELLS // max(1, grid.size * n_b)))
        reps = replicas(group.discs, group.flavour, 100.0 * grid,
                        Bootstrap(replicas=boot.replicas, seed=boot.seed, block=block))
        for tagger, disc in group.discs.items():
            is_b = group.flavour == FLAVOURS["b"].label
            nominal[tagger] = {bkg: roc_curve(disc[is_b], disc[group.flavour == FLAVOURS[bkg].label], grid)[1]
                               for bkg, _, _ in BACKGROUNDS}
            rejection[tagger] = {bkg: _around(nominal[tagger][bkg],
                                              _half_width(np.log(getattr(reps[tagger], f"{bkg}_rej"))))
                                 for bkg, _, _ in BACKGROUNDS}
        if reference not in group.discs:
            continue
        for tagger in group.discs:
            ratio[tagger] = {}
            for bkg, _, _ in BACKGROUNDS:
                with np.errstate(invalid="ignore", divide="ignore"):
                    value = nominal[tagger][bkg] / nominal[reference][bkg]
                    log_ratio = (np.log(getattr(reps[tagger], f"{bkg}_rej"))
                                 - np.log(getattr(reps[reference], f"{bkg}_rej")))
                ratio[tagger][bkg] = _around(value, _half_width(log_ratio))
    for tagger in nominal:
        if tagger not in ratio and reference in nominal:  # other jets: the ratio without a band
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio[tagger] = {bkg: Band(v / nominal[reference][bkg], np.full(grid.size, np.nan),
                                           np.full(grid.size, np.nan)) for bkg, v in nominal[tagger].items()}
    return rejection, ratio


def reference_name(spec: dict) -> str | None:
    return (spec.get("evaluation") or {}).get("reference", spec.get("reference"))


def plot_roc(spec: dict, inputs: list[Path], output: Path) -> None:
    style.use_style()
    ref_name = reference_name(spec)
    scores = read_scores_list(inputs, reference=ref_name)
    ref = scores[0]
    boot = bootstrap_of(spec.get("evaluation") or spec)
    bands, ratios = roc_bands(scores, ref.tagger, B_EFF_GRID, boot)

    fig, (ax, *ratio_axes) = plt.subplots(
        3, 1, figsize=(8, 9), sharex=True, gridspec_kw={"height_ratios": [3.2, 1, 1], "hspace": 0.06}
    )
    for i, s in enumerate(scores):
        for bkg, ls, _ in BACKGROUNDS:
            b = bands[s.tagger][bkg]
            finite = np.isfinite(b.value)
            ax.plot(B_EFF_GRID[finite], b.value[finite], ls=ls, color=style.tagger_colour(i), lw=2)
            ok = np.isfinite(b.lo) & np.isfinite(b.hi)
            ax.fill_between(B_EFF_GRID[ok], b.lo[ok], b.hi[ok], color=style.tagger_colour(i), alpha=0.2, lw=0)
    ax.set_yscale("log")
    ax.set_ylabel("Background rejection")
    ax.set_ylim(bottom=1.0)
    style.headroom_log(ax, 0.35)
    handles = [
        Line2D([], [], color=style.tagger_colour(i), lw=2, label=f"{s.tagger} ($f_c$ = {s.fc:g})"
               + (r" (rejection $\infty$)" if _all_infinite(bands[s.tagger]) else ""))
        for i, s in enumerate(scores)
    ]
    handles += [Line2D([], [], color="grey", ls=ls, lw=2, label=text) for _, ls, text in BACKGROUNDS]
    ax.legend(handles=handles, loc="upper right", frameon=False, fontsize=14)
    style.draw_label(ax, spec, extra=[f"Bands: 68 % bootstrap ({boot.replicas} replicas)"])

    ref_text = ref.tagger if ref.tagger == ref_name or ref_name is None else f"{ref.tagger} (first)"
    for rax, (bkg, ls, _) in zip(ratio_axes, BACKGROUNDS, strict=True):
        own = bands[ref.tagger][bkg]
        ok = np.isfinite(own.lo) & np.isfinite(own.hi)
        with np.errstate(invalid="ignore", divide="ignore"):
            # the reference's own statistical band, relative to it (grey)
            rax.fill_between(B_EFF_GRID[ok], (own.lo / own.value)[ok], (own.hi / own.value)[ok], color="grey",
                             alpha=0.3, lw=0)
        for i, s in enumerate(scores):
            r = ratios.get(s.tagger, {}).get(bkg)
            if r is None:
                continue
            finite = np.isfinite(r.value)
            rax.plot(B_EFF_GRID[finite], r.value[finite], ls=ls, color=style.tagger_colour(i), lw=2)
            band = np.isfinite(r.lo) & np.isfinite(r.hi)
            if s.tagger != ref.tagger:
                rax.fill_between(B_EFF_GRID[band], r.lo[band], r.hi[band], color=style.tagger_colour(i),
                                 alpha=0.25, lw=0)
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
        from matplotlib.ticker import FuncFormatter

        ax.set_yscale("log")
        ax.set_ylim(lo / 1.5, hi * 1.5)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    else:
        pad = 0.1 * (hi - lo) if hi > lo else 0.1
        ax.set_ylim(max(0.0, lo - pad), hi + pad)


def _all_infinite(bands: dict) -> bool:
    """True when no background jet passes any cut of the grid (perfect separation)."""
    return all(np.isinf(b.value).all() for b in bands.values())
