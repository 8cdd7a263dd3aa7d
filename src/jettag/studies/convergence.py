"""Convergence speed over seeds: optimiser steps and seconds to a validation-loss target.

Shared by the studies that compare how fast variants train (``features``, ``augmentation``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jettag.evaluation.statistics import SIGNIFICANCE
from jettag.studies import common


@dataclass(frozen=True)
class Run:
    """One training of a variant: its history and optimiser steps at the end of each epoch."""

    history: common.History
    steps: np.ndarray

    def to_reach(self, target: float) -> tuple[float, float, float]:
        """(steps, seconds, epochs) until the validation loss first falls to ``target``; nan if never.

        The loss is measured once per epoch; between the epoch before and the epoch that reaches
        the target, steps and seconds are interpolated linearly in the validation loss, so runs
        that cross the target in the same epoch are still told apart.
        """
        val = self.history.val_loss
        hit = np.nonzero(val <= target)[0]
        if hit.size == 0:
            return math.nan, math.nan, math.nan
        i = int(hit[0])
        steps, secs = float(self.steps[i]), float(self.history.wall_time[i])
        if i > 0 and val[i - 1] > val[i]:
            f = (val[i - 1] - target) / (val[i - 1] - val[i])  # in (0, 1]
            steps = float(self.steps[i - 1] + f * (self.steps[i] - self.steps[i - 1]))
            secs = float(self.history.wall_time[i - 1] + f * (self.history.wall_time[i] - self.history.wall_time[i - 1]))
        return steps, secs, float(self.history.epoch[i])


def mean_spread(values) -> tuple[float, float]:
    v = np.asarray([x for x in values if math.isfinite(x)], dtype=np.float64)
    if v.size == 0:
        return math.nan, math.nan
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def steps_comparison(steps: list[float], reference: list[float], threshold: float = SIGNIFICANCE) -> dict:
    """Ratio of mean steps to the reference's, its error (seed spread of both means), verdict.

    Fewer steps is faster: ``faster``/``slower`` when the ratio differs from 1 by ``threshold``
    standard deviations, else ``no significant difference (MDE x %)``.
    """
    (m, sd), (r, rsd) = mean_spread(steps), mean_spread(reference)
    n, nr = sum(math.isfinite(x) for x in steps), sum(math.isfinite(x) for x in reference)
    if not (math.isfinite(m) and math.isfinite(r)) or r <= 0 or m <= 0:
        return {"steps_ratio": math.nan, "steps_ratio_err": math.nan, "steps_significance": math.nan,
                "steps_verdict": "not reached"}
    sigma = math.sqrt((sd / m) ** 2 / n + (rsd / r) ** 2 / nr)  # of log(ratio)
    ratio = m / r
    sig = math.log(ratio) / sigma if sigma > 0 else (0.0 if ratio == 1 else math.copysign(99.0, math.log(ratio)))
    if n < 2 or nr < 2:
        verdict = "no seed spread (one seed)"
    elif abs(sig) >= threshold:
        verdict = "slower" if sig > 0 else "faster"
    else:
        verdict = f"no significant difference (MDE {100 * math.expm1(threshold * sigma):.2g} %)"
    return {"steps_ratio": ratio, "steps_ratio_err": ratio * sigma, "steps_significance": sig,
            "steps_verdict": verdict}


def read_run(path: Path) -> Run:
    h = common.read_history(path)
    return Run(h, common.cumulative_steps(path, len(h.epoch)))


def pm(value, spread) -> str:
    if not math.isfinite(float(value)):
        return "not reached"
    return f"{common.fmt(value)} ± {common.fmt(spread)}"


def seed_mean(variant: str, taggers: list[str], per_seed: list[common.Metrics]) -> common.Metrics:
    """The seeds' mean rejections and AUC; the error of the mean from the seed spread (one seed:
    its binomial error)."""
    if len(per_seed) == 1:
        return per_seed[0]
    values = {k: np.array([getattr(m, k) for m in per_seed], dtype=np.float64)
              for k in ("light_rej", "c_rej", "auc", "b_eff")}
    n = len(per_seed)
    first = per_seed[0]
    return common.Metrics(tagger=taggers[0], wp=first.wp, b_eff=float(values["b_eff"].mean()),
                          light_rej=float(values["light_rej"].mean()),
                          light_rej_err=float(values["light_rej"].std(ddof=1) / math.sqrt(n)),
                          c_rej=float(values["c_rej"].mean()),
                          c_rej_err=float(values["c_rej"].std(ddof=1) / math.sqrt(n)),
                          auc=float(values["auc"].mean()), n_test=first.n_test)


def plot_val_loss(spec: dict, model: str, runs: dict, target: float, output, descriptions: dict) -> None:
    """Validation loss vs optimiser steps of each variant (one line per seed), the target marked."""
    from jettag.plotting.style import headroom_linear, tagger_colour

    fig, ax = common.new_figure()
    for i, (variant, rs) in enumerate(runs.items()):
        for k, r in enumerate(rs):
            ax.plot(r.steps, r.history.val_loss, "o-", color=tagger_colour(i), alpha=0.8, ms=3,
                    label=descriptions.get(variant, variant) if k == 0 else None)
    ax.axhline(target, color="grey", ls=":", label="target")
    ax.set_xlabel("optimiser steps")
    ax.set_ylabel("validation loss")
    headroom_linear(ax, 0.45)
    ax.legend(loc="upper right", fontsize=10)
    common.finish(fig, ax, spec, output, f"val_loss_{model}", [f"{model}, one line per seed"])
