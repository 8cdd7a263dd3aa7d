"""Paired bootstrap statistics of tagger performance on shared test jets.

Every tagger of a comparison is evaluated on the *same* test jets, so the fluctuations of the
test sample are common to both and largely cancel in a ratio. The paired bootstrap keeps that
correlation: one set of resampling weights per replica is drawn once (Poisson(1) weight per jet,
the standard large-sample bootstrap; seeded and reproducible) and every tagger is evaluated with
the same weights.

* :class:`Bootstrap`: replica count, seed and block size (memory stays bounded: the weights of one
  block of replicas at a time).
* :func:`replicas`: light and c rejection at each working point and the AUC, per replica, for
  several taggers at once (vectorised over replicas).
* :func:`interval`: the central 68 % interval of a quantity from its replicas.
* :func:`compare`: the paired ratio of a tagger to a reference with its interval, significance,
  minimum detectable effect (3 sigma) and a verdict; training-seed spread enters where a tagger has
  several seeds (between-seed variance of the mean added to the bootstrap variance, in log space).

In a replica where no background jet passes a cut, the efficiency is taken as half a jet
(``0.5 / sum of weights``) so that the rejection stays finite; :func:`rejection_lower_bound`
gives the one-sided bound quoted when no jet passes in the nominal sample.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from jettag.errors import JettagError
from jettag.flavours import FLAVOURS

#: Significance (in standard deviations) from which a difference counts as real; also the size
#: of the minimum detectable effect.
SIGNIFICANCE = 3.0
#: Central interval quoted for every quantity (68 %: the analogue of one standard deviation).
CENTRAL = 0.68


@dataclass(frozen=True)
class Bootstrap:
    """Paired Poisson bootstrap: ``replicas`` resamplings of the test jets, seeded."""

    replicas: int = 400
    seed: int = 20240611
    block: int = 50

    def weights(self, n_jets: int) -> Iterator[np.ndarray]:
        """Blocks of Poisson(1) weights, shape ``(block, n_jets)``; the same for every call."""
        if self.replicas < 2:
            raise JettagError(f"bootstrap replicas = {self.replicas}: need at least 2")
        rng = np.random.default_rng(self.seed)
        done = 0
        while done < self.replicas:
            size = min(self.block, self.replicas - done)
            yield rng.poisson(1.0, size=(size, n_jets)).astype(np.float64)
            done += size


#: The bootstrap of the schema's defaults (``evaluation.bootstrap``).
DEFAULT_BOOTSTRAP = Bootstrap()


@dataclass(frozen=True)
class Replicas:
    """Bootstrap replicas of one tagger: ``light_rej``/``c_rej`` (R, W), ``auc`` (R,)."""

    light_rej: np.ndarray
    c_rej: np.ndarray
    auc: np.ndarray

    def metric(self, name: str, wp_index: int | None = None) -> np.ndarray:
        values = getattr(self, name)
        return values if values.ndim == 1 else values[:, wp_index]


def _weighted_cuts(disc_b: np.ndarray, w_b: np.ndarray, wps: np.ndarray) -> np.ndarray:
    """Per replica, the cut above which a fraction ``wps/100`` of the (weighted) b-jets lie."""
    order = np.argsort(-disc_b, kind="stable")
    sorted_disc = disc_b[order]
    cum = np.cumsum(w_b[:, order], axis=1)  # (R, n_b), weight at or above each value
    total = cum[:, -1:]
    target = total * (wps[None, :] / 100.0)  # (R, W)
    idx = np.sum(cum[:, None, :] < target[:, :, None], axis=2)  # first index reaching the target
    idx = np.clip(idx, 0, sorted_disc.size - 1)
    # the cut lies just below the last b-jet that passes, so "D > cut" keeps it
    return np.nextafter(sorted_disc[idx], -np.inf)


def _weighted_rejection(disc: np.ndarray, w: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """``sum(w) / sum(w[disc > cut])`` per replica and cut; empty passes count as half a jet."""
    order = np.argsort(disc, kind="stable")
    sorted_disc = disc[order]
    prefix = np.concatenate([np.zeros((w.shape[0], 1)), np.cumsum(w[:, order], axis=1)], axis=1)
    total = prefix[:, -1:]
    below = np.searchsorted(sorted_disc, cuts.ravel(), side="right").reshape(cuts.shape)
    passed = total - np.take_along_axis(prefix, below, axis=1)
    passed = np.maximum(passed, 0.5)
    return total / passed


def _weighted_auc(sig: np.ndarray, bkg: np.ndarray, w_s: np.ndarray, w_b: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUC per replica with per-jet weights; ties count one half."""
    values = np.concatenate([sig, bkg])
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    n_s = sig.size
    is_sig = order < n_s
    w = np.concatenate([w_s, w_b], axis=1)[:, order]
    sig_w = np.add.reduceat(np.where(is_sig, w, 0.0), starts, axis=1)  # per tie group
    bkg_w = np.add.reduceat(np.where(is_sig, 0.0, w), starts, axis=1)
    bkg_below = np.cumsum(bkg_w, axis=1) - bkg_w
    pairs = (sig_w * (bkg_below + 0.5 * bkg_w)).sum(axis=1)
    return pairs / (w_s.sum(axis=1) * w_b.sum(axis=1))


def replicas(
    discs: Mapping[str, np.ndarray], flavour, wps, boot: Bootstrap = Bootstrap()
) -> dict[str, Replicas]:
    """Bootstrap replicas of every tagger of ``discs`` (tagger -> D_b per test jet, same jets)."""
    flavour = np.asarray(flavour)
    wps = np.asarray(wps, dtype=np.float64)
    masks = {name: flavour == FLAVOURS[name].label for name in ("b", "c", "light")}
    if not masks["b"].any():
        raise JettagError("no b-jets among the test jets: rejections need b-jets")
    for tagger, disc in discs.items():
        if np.shape(disc) != flavour.shape:
            raise JettagError(f"tagger '{tagger}': {np.shape(disc)[0]} scores for {flavour.size} test jets")
    out: dict[str, dict[str, list]] = {t: {"light_rej": [], "c_rej": [], "auc": []} for t in discs}
    for w in boot.weights(flavour.size):
        w_b, w_c, w_l = (w[:, masks[k]] for k in ("b", "c", "light"))
        for tagger, disc in discs.items():
            disc = np.asarray(disc, dtype=np.float64)
            cuts = _weighted_cuts(disc[masks["b"]], w_b, wps)
            acc = out[tagger]
            acc["light_rej"].append(_weighted_rejection(disc[masks["light"]], w_l, cuts))
            acc["c_rej"].append(_weighted_rejection(disc[masks["c"]], w_c, cuts))
            acc["auc"].append(_weighted_auc(disc[masks["b"]], disc[masks["light"]], w_b, w_l))
    return {t: Replicas(**{k: np.concatenate(v) for k, v in acc.items()}) for t, acc in out.items()}


def interval(values, level: float = CENTRAL) -> tuple[float, float]:
    """Central ``level`` interval (percentiles) of bootstrap replicas."""
    tail = 50.0 * (1.0 - level)
    lo, hi = np.percentile(np.asarray(values, dtype=np.float64), [tail, 100.0 - tail])
    return float(lo), float(hi)


def rejection_lower_bound(n_background: int, level: float = CENTRAL) -> float:
    """Lower bound on a rejection when none of ``n_background`` jets passes.

    One-sided bound at the upper edge of a central ``level`` interval: the efficiency ``e`` for
    which seeing no passing jet has probability ``(1 - level) / 2``, ``(1 - e)^n = (1 - level)/2``.
    """
    if n_background <= 0:
        return float("nan")
    eff_up = 1.0 - ((1.0 - level) / 2.0) ** (1.0 / n_background)
    return float(1.0 / eff_up)


@dataclass(frozen=True)
class Comparison:
    """A tagger against a reference on the same jets: ratio, its interval and the verdict."""

    value: float
    reference_value: float
    ratio: float
    ratio_lo: float
    ratio_hi: float
    significance: float
    mde: float  # smallest relative effect (e.g. 0.12 = 12 %) the comparison could see at 3 sigma
    verdict: str


def _log_sigma(samples: np.ndarray) -> float:
    lo, hi = interval(np.log(samples))
    return 0.5 * (hi - lo)


def _seed_var(values) -> float:
    """Variance of the log of the seed mean from the spread between seeds (0 for one seed)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        return 0.0
    return float(np.var(np.log(values), ddof=1) / values.size)


def compare(
    value: float | np.ndarray,
    reference_value: float | np.ndarray,
    tagger_replicas: np.ndarray,
    reference_replicas: np.ndarray,
    threshold: float = SIGNIFICANCE,
) -> Comparison:
    """Paired comparison of a metric where higher is better (rejection, AUC).

    ``value``/``reference_value`` are the nominal values, one per training seed (arrays) or a
    single number; ``*_replicas`` the bootstrap replicas, shape ``(R,)`` or ``(seeds, R)`` with the
    replicas of every seed drawn with the same weights. The ratio is that of the seed means; its
    log-space variance is the paired bootstrap variance of the ratio of seed means plus the
    between-seed variance of each mean.
    """
    v = np.atleast_1d(np.asarray(value, dtype=np.float64))
    r = np.atleast_1d(np.asarray(reference_value, dtype=np.float64))
    tr = np.atleast_2d(np.asarray(tagger_replicas, dtype=np.float64)).mean(axis=0)
    rr = np.atleast_2d(np.asarray(reference_replicas, dtype=np.float64)).mean(axis=0)
    mean_v, mean_r = float(v.mean()), float(r.mean())
    ratio = mean_v / mean_r
    sigma = float(np.sqrt(_log_sigma(tr / rr) ** 2 + _seed_var(v) + _seed_var(r)))
    log_ratio = float(np.log(ratio))
    significance = log_ratio / sigma if sigma > 0 else (0.0 if log_ratio == 0 else float("inf") * np.sign(log_ratio))
    mde = float(np.expm1(threshold * sigma))
    if abs(significance) >= threshold:
        verdict = "better" if significance > 0 else "worse"
    else:
        verdict = f"no significant difference (MDE {100 * mde:.2g} %)"
    return Comparison(
        value=mean_v, reference_value=mean_r, ratio=ratio,
        ratio_lo=float(ratio * np.exp(-sigma)), ratio_hi=float(ratio * np.exp(sigma)),
        significance=float(significance), mde=mde, verdict=verdict,
    )
