"""b efficiency and light/c rejection vs jet pT at a flat-cut working point, per tagger.

The cut of each tagger is the inclusive ``evaluation.pt_wp`` % working point (default 77),
applied unchanged in every pT bin ("flat cut"). Error bars are the central 68 % bootstrap
intervals (:func:`pt_bands`; Poisson weights per jet, the cut held at its nominal value), and the
ratio panels show each tagger's rejection over the reference's with its paired band: taggers on
the same test jets are resampled with the same weights, so the band holds only what differs
between them (a tagger over itself is 1 with zero width). Taggers on other jets get the ratio
without band.

Inputs: scores files. Spec keys: label keys (:mod:`jettag.plotting.style`), ``plots.formats``,
``evaluation.pt_wp``, ``evaluation.pt_bins`` (GeV edges; default 20 ... 1000),
``evaluation.reference`` (drawn first), ``evaluation.bootstrap``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

from jettag.evaluation.paired import bootstrap_of, group_scores
from jettag.evaluation.scores import Scores, read_scores_list
from jettag.evaluation.statistics import DEFAULT_BOOTSTRAP, Bootstrap
from jettag.evaluation.working_points import binomial_error, wp_cuts
from jettag.flavours import FLAVOURS
from jettag.plotting import style
from jettag.plotting.roc import Band, _around, _half_width, _ratio_limits

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


def _bin_sums(w: np.ndarray, bin_index: np.ndarray, n_bins: int) -> np.ndarray:
    """Per replica, the sum of weights ``w`` (R, n) of the jets in each bin -> (R, n_bins)."""
    out = np.zeros((w.shape[0], n_bins + 2))
    np.add.at(out.T, bin_index, w.T)
    return out[:, 1:-1]


def pt_bands(scores: list[Scores], reference: str, wp: float, bins, boot: Bootstrap = DEFAULT_BOOTSTRAP) -> tuple[dict, dict]:
    """Per tagger and pT bin: b-efficiency and light/c rejection bands at the flat ``wp`` cut, and
    the paired ratio bands of the rejections to ``reference``.

    Returns ``(values, ratios)``: ``values[tagger]["b"|"light"|"c"]`` and
    ``ratios[tagger]["light"|"c"]`` are :class:`~jettag.plotting.roc.Band` s, one entry per bin.
    """
    bins = np.asarray(bins, dtype=np.float64)
    n_bins = bins.size - 1
    values: dict[str, dict[str, Band]] = {}
    ratios: dict[str, dict[str, Band]] = {}
    nominal: dict[str, dict[str, np.ndarray]] = {}
    for group in group_scores(scores):
        flavour = group.flavour
        pt = np.asarray(next(iter(group.scores.values())).pt, dtype=np.float64)
        bin_index = np.digitize(pt, bins)  # 0 underflow, n_bins + 1 overflow
        masks = {k: flavour == FLAVOURS[k].label for k in ("b", "light", "c")}
        passed = {}
        for tagger, disc in group.discs.items():
            (cut,) = wp_cuts(disc[masks["b"]], [wp])
            passed[tagger] = disc > cut
        reps: dict[str, dict[str, list]] = {t: {k: [] for k in masks} for t in group.discs}
        for w in boot.weights(flavour.size):
            totals = {k: _bin_sums(w * masks[k], bin_index, n_bins) for k in masks}
            for tagger in group.discs:
                for k in masks:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        eff = _bin_sums(w * (masks[k] & passed[tagger]), bin_index, n_bins) / totals[k]
                        # no passing jet in a replica: half a jet, as for the inclusive rejections
                        reps[tagger][k].append(eff if k == "b" else np.where(eff > 0, eff, 0.5 / totals[k]))
        for tagger in group.discs:
            nominal[tagger], values[tagger] = {}, {}
            for k in masks:
                eff, _, _ = binned_efficiency(passed[tagger][masks[k]], pt[masks[k]], bins)
                rep = np.concatenate(reps[tagger][k])
                with np.errstate(invalid="ignore", divide="ignore"):
                    central = eff if k == "b" else 1.0 / eff
                    log_rep = np.log(rep) if k == "b" else -np.log(rep)
                nominal[tagger][k] = central
                reps[tagger][k] = log_rep
                values[tagger][k] = _around(np.where(np.isfinite(central), central, np.nan), _half_width(log_rep))
        if reference in group.discs:
            for tagger in group.discs:
                ratios[tagger] = {}
                for k in ("light", "c"):
                    with np.errstate(invalid="ignore", divide="ignore"):
                        value = _finite_ratio(nominal[tagger][k], nominal[reference][k])
                        log_ratio = reps[tagger][k] - reps[reference][k]
                    ratios[tagger][k] = _around(value, _half_width(log_ratio))
    for tagger in nominal:
        if tagger not in ratios and reference in nominal:
            with np.errstate(invalid="ignore", divide="ignore"):
                ratios[tagger] = {k: Band(_finite_ratio(nominal[tagger][k], nominal[reference][k]), np.full(n_bins, np.nan),
                                          np.full(n_bins, np.nan)) for k in ("light", "c")}
    return values, ratios


def _finite_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b`` where both are finite and positive (a rejection with no passing jet has no ratio)."""
    ok = np.isfinite(a) & np.isfinite(b) & (b > 0)
    return np.where(ok, a / np.where(ok, b, 1.0), np.nan)


def plot_vs_pt(spec: dict, inputs: list[Path], output: Path) -> None:
    style.use_style()
    evaluation = spec.get("evaluation") or {}
    wp = float(evaluation.get("pt_wp", DEFAULT_PT_WP))
    bins = np.asarray(evaluation.get("pt_bins", DEFAULT_PT_BINS), dtype=np.float64)
    scores = read_scores_list(inputs, reference=evaluation.get("reference"))
    ref = scores[0]
    boot = bootstrap_of(evaluation)
    values, ratios = pt_bands(scores, ref.tagger, wp, bins, boot)
    centres = np.sqrt(bins[:-1] * bins[1:]) if bins[0] > 0 else 0.5 * (bins[:-1] + bins[1:])
    xerr = np.vstack([centres - bins[:-1], bins[1:] - centres])

    fig, axes = plt.subplots(
        5, 1, figsize=(8, 13), sharex=True,
        gridspec_kw={"height_ratios": [1.3, 1, 0.6, 1, 0.6], "hspace": 0.06},
    )
    panels = {"b": axes[0], "light": axes[1], "c": axes[3]}
    ratio_axes = {"light": axes[2], "c": axes[4]}
    n = len(scores)
    for i, s in enumerate(scores):
        # small horizontal offsets keep the markers of several taggers apart
        shift = np.exp((i - (n - 1) / 2) * 0.03)
        kw = dict(color=style.tagger_colour(i), marker=MARKERS[i % len(MARKERS)], ls="none", ms=6,
                  capsize=0, elinewidth=1.5)
        for k, ax in panels.items():
            _points(ax, centres * shift, values[s.tagger][k], xerr if i == 0 else None, kw,
                    label=f"{s.tagger} ($f_c$ = {s.fc:g})" if k == "b" else None)
        for k, ax in ratio_axes.items():
            r = ratios.get(s.tagger, {}).get(k)
            if r is not None:
                _points(ax, centres * shift, r, None, kw)
    axes[0].set_ylabel(r"$b$-jet efficiency")
    axes[0].axhline(wp / 100.0, color="grey", ls="--", lw=1)
    lo, hi = axes[0].get_ylim()
    axes[0].set_ylim(max(0.0, lo), min(1.0, hi) + 0.45 * (min(1.0, hi) - max(0.0, lo)))
    axes[0].legend(loc="upper right", frameon=False, fontsize=13)
    style.draw_label(axes[0], spec, extra=[rf"Flat {wp:g}% $b$-jet efficiency cut",
                                           f"68 % bootstrap intervals ({boot.replicas} replicas)"])
    axes[1].set_ylabel("Light-flavour\njet rejection")
    axes[3].set_ylabel("$c$-jet\nrejection")
    for ax in (axes[1], axes[3]):
        ax.set_yscale("log")
    for k, ax in ratio_axes.items():
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_ylabel(f"/ {ref.tagger}", fontsize=12)
        _ratio_limits(ax, [v for r in ratios.values() for v in (r[k].lo, r[k].hi, r[k].value)
                           for v in np.ravel(v)])
    if bins[0] > 0:
        axes[-1].set_xscale("log")
        ticks = [t for t in (20, 30, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000) if bins[0] <= t <= bins[-1]]
        axes[-1].xaxis.set_major_locator(FixedLocator(ticks))
        axes[-1].xaxis.set_major_formatter(ScalarFormatter())
        axes[-1].xaxis.set_minor_formatter(NullFormatter())
    axes[-1].set_xlim(bins[0], bins[-1])
    axes[-1].set_xlabel(r"Jet $p_T$ [GeV]")
    fig.align_ylabels(axes)
    style.save_figure(fig, output, style.formats(spec))


def _points(ax, x, band: Band, xerr, kw, label=None) -> None:
    """Markers at the band's values with asymmetric error bars to its edges (finite bins only)."""
    ok = np.isfinite(band.value)
    if not ok.any():
        return
    lo = np.where(np.isfinite(band.lo), band.value - band.lo, 0.0)
    hi = np.where(np.isfinite(band.hi), band.hi - band.value, 0.0)
    ax.errorbar(x[ok], band.value[ok], yerr=np.vstack([lo[ok], hi[ok]]),
                xerr=None if xerr is None else xerr[:, ok], label=label, **kw)
