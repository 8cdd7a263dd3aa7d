"""Working points, efficiencies, rejections with binomial uncertainties, AUC and ROC curves.

All functions take plain arrays of discriminant values (one array per jet flavour) and treat the
jets as unweighted. A jet *passes* a cut when ``D > cut``. The cut of an X % working point is the
``1 - X/100`` quantile of the b-jet discriminant, so X % of the b-jets pass it.

Uncertainties are binomial: ``sigma_eff = sqrt(eff (1 - eff) / N)`` and, for a rejection
``1/eff``, ``sigma_rej = sigma_eff / eff**2``. When no background jet passes a cut the rejection is
``inf`` and its uncertainty ``nan`` (shown as "∞" in formatted tables).
"""

from __future__ import annotations

import numpy as np

from jettag.errors import JettagError

DEFAULT_WORKING_POINTS: tuple[float, ...] = (60.0, 70.0, 77.0, 85.0)
#: b-efficiency grid of ROC curves (the plots show 0.5 - 1).
DEFAULT_ROC_GRID = np.linspace(0.5, 1.0, 101)


def _as_1d(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    if np.isnan(arr).any():
        raise JettagError(f"{name} contains NaN values: the tagger produced invalid scores")
    return arr


def wp_cuts(disc_b, wps) -> np.ndarray:
    """Cut values at which ``wps`` percent (e.g. ``[60, 70, 77, 85]``) of the b-jets pass."""
    disc_b = _as_1d(disc_b, "b-jet discriminant")
    if disc_b.size == 0:
        raise JettagError("no b-jets: working-point cuts need at least one b-jet")
    wps = np.atleast_1d(np.asarray(wps, dtype=np.float64))
    if ((wps <= 0) | (wps >= 100)).any():
        raise JettagError(f"working points {wps.tolist()} must lie strictly between 0 and 100 (percent)")
    return np.quantile(disc_b, 1.0 - wps / 100.0)


def pass_counts(disc, cuts) -> np.ndarray:
    """Number of entries of ``disc`` strictly above each cut (vectorised over ``cuts``)."""
    ordered = np.sort(_as_1d(disc, "discriminant"))
    cuts = np.asarray(cuts, dtype=np.float64)
    return ordered.size - np.searchsorted(ordered, cuts, side="right")


def efficiency(disc, cuts) -> tuple[np.ndarray, np.ndarray]:
    """Fraction of ``disc`` above each cut and its binomial uncertainty (nan when empty)."""
    disc = _as_1d(disc, "discriminant")
    n = disc.size
    passed = pass_counts(disc, cuts)
    with np.errstate(invalid="ignore", divide="ignore"):
        eff = passed / n if n else np.full(np.shape(passed), np.nan)
    return eff, binomial_error(eff, n)


def binomial_error(eff, n) -> np.ndarray:
    """``sqrt(eff (1 - eff) / n)``; nan where ``n == 0``."""
    eff = np.asarray(eff, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.sqrt(np.clip(eff * (1.0 - eff), 0.0, None) / n), np.nan)


def rejection(eff, eff_err) -> tuple[np.ndarray, np.ndarray]:
    """``1/eff`` and ``eff_err / eff**2``; ``(inf, nan)`` where ``eff == 0``."""
    eff = np.asarray(eff, dtype=np.float64)
    eff_err = np.asarray(eff_err, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rej = np.where(eff > 0, 1.0 / eff, np.inf)
        err = np.where(eff > 0, eff_err / eff**2, np.nan)
    rej = np.where(np.isnan(eff), np.nan, rej)
    return rej, err


def rejection_at(disc_bkg, cuts) -> tuple[np.ndarray, np.ndarray]:
    """Background rejection ``1/eff`` above each cut and its binomial uncertainty."""
    return rejection(*efficiency(disc_bkg, cuts))


def auc(disc_sig, disc_bkg) -> float:
    """Area under the ROC curve (probability that a signal jet scores above a background jet).

    Rank-based (Mann-Whitney U) and vectorised; tied values get their average rank, so equal
    scores count one half. nan when either class is empty.
    """
    sig = _as_1d(disc_sig, "signal discriminant")
    bkg = _as_1d(disc_bkg, "background discriminant")
    n_s, n_b = sig.size, bkg.size
    if n_s == 0 or n_b == 0:
        return float("nan")
    values = np.concatenate([sig, bkg])
    uniq, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    first_rank = np.cumsum(counts) - counts + 1  # 1-based rank of the first of each tie group
    average_rank = first_rank + (counts - 1) / 2.0
    rank_sum = average_rank[inverse[:n_s]].sum()
    return float((rank_sum - n_s * (n_s + 1) / 2.0) / (n_s * n_b))


def roc_curve(disc_sig, disc_bkg, sig_eff=DEFAULT_ROC_GRID):
    """Background rejection vs signal efficiency sampled on the grid ``sig_eff``.

    Returns ``(sig_eff, rej, rej_err)``; ``rej`` is ``inf`` where no background jet passes.
    """
    sig_eff = np.asarray(sig_eff, dtype=np.float64)
    sig = _as_1d(disc_sig, "signal discriminant")
    if sig.size == 0:
        raise JettagError("no signal (b) jets: cannot draw a ROC curve")
    cuts = np.quantile(sig, np.clip(1.0 - sig_eff, 0.0, 1.0))
    rej, err = rejection_at(disc_bkg, cuts)
    return sig_eff, rej, err
