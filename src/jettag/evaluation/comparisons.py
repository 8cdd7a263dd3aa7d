"""Paired comparisons of taggers against a reference: ``results/metrics/comparisons.csv``.

One row per (tagger, reference, wp, metric) with the columns of :data:`COLUMNS`. Every tagger of a
comparison is evaluated on the same test jets with the same bootstrap weights
(:mod:`jettag.evaluation.paired`); a tagger trained with several seeds (``members``: name -> the
score names of its seeds) enters with the mean over its seeds and the seed spread
(:func:`jettag.evaluation.statistics.compare`). The AUC has one row per tagger (``wp`` empty).

:func:`compare_discs` is the one entry point for every table that compares taggers (this file and
the study tables).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from jettag.atomic import write_text_atomic
from jettag.errors import JettagError
from jettag.evaluation.paired import bootstrap_of, load_groups
from jettag.evaluation.statistics import (
    DEFAULT_BOOTSTRAP,
    Bootstrap,
    Comparison,
    compare,
    rejection_lower_bound,
    replicas,
)
from jettag.evaluation.working_points import DEFAULT_WORKING_POINTS, auc, rejection_at, wp_cuts
from jettag.flavours import FLAVOURS

COLUMNS: tuple[str, ...] = (
    "tagger", "reference", "wp", "metric", "value", "reference_value", "ratio", "ratio_lo", "ratio_hi",
    "significance", "verdict",
)
METRICS: tuple[str, ...] = ("light_rej", "c_rej", "auc")


def nominal(disc: np.ndarray, flavour: np.ndarray, wps) -> dict[str, np.ndarray]:
    """Nominal light/c rejection per working point and AUC; a lower bound when no jet passes."""
    is_b, is_c, is_l = (flavour == FLAVOURS[k].label for k in ("b", "c", "light"))
    cuts = wp_cuts(disc[is_b], wps)
    out: dict[str, np.ndarray] = {}
    for key, mask in (("light_rej", is_l), ("c_rej", is_c)):
        rej = rejection_at(disc[mask], cuts)[0] if mask.any() else np.zeros(len(cuts))
        out[key] = np.where(np.isinf(rej), rejection_lower_bound(int(mask.sum())), rej)
    out["auc"] = np.array(auc(disc[is_b], disc[is_l]))
    return out


def compare_discs(
    discs: Mapping[str, np.ndarray],
    flavour,
    pairs: Sequence[tuple[str, str]],
    wps=(77.0,),
    members: Mapping[str, Sequence[str]] | None = None,
    metrics: Sequence[str] = METRICS,
    boot: Bootstrap = DEFAULT_BOOTSTRAP,
) -> list[dict]:
    """Rows of :data:`COLUMNS` for every (tagger, reference) of ``pairs``.

    ``discs``: score name -> D_b on the shared test jets; ``members``: a tagger name -> the score
    names of its seeds (default: the tagger itself). Bootstrap weights are drawn once for all.
    """
    flavour = np.asarray(flavour)
    wps = [float(w) for w in wps]
    members = {name: list(members.get(name, [name])) if members else [name]
               for pair in pairs for name in pair}
    needed = sorted({m for names in members.values() for m in names})
    missing = [m for m in needed if m not in discs]
    if missing:
        raise JettagError(f"comparison needs the scores of {missing}; have {sorted(discs)}")
    used = {m: np.asarray(discs[m], dtype=np.float64) for m in needed}
    reps = replicas(used, flavour, wps, boot)
    nominals = {m: nominal(d, flavour, wps) for m, d in used.items()}
    rows = []
    for tagger, reference in pairs:
        for metric in metrics:
            for i, wp in ([(None, None)] if metric == "auc" else list(enumerate(wps))):
                def stack(name, _metric=metric, _i=i):
                    names = members[name]
                    values = np.array([nominals[m][_metric] if _i is None else nominals[m][_metric][_i]
                                       for m in names], dtype=np.float64)
                    return values, np.stack([reps[m].metric(_metric, _i) for m in names])
                (v, vr), (r, rr) = stack(tagger), stack(reference)
                rows.append(row(tagger, reference, wp, metric, compare(v, r, vr, rr)))
    return rows


def row(tagger: str, reference: str, wp, metric: str, c: Comparison) -> dict:
    wp_value = "" if wp is None else (int(wp) if float(wp).is_integer() else wp)
    return {
        "tagger": tagger, "reference": reference, "wp": wp_value, "metric": metric,
        "value": c.value, "reference_value": c.reference_value, "ratio": c.ratio,
        "ratio_lo": c.ratio_lo, "ratio_hi": c.ratio_hi, "significance": _finite(c.significance),
        "verdict": c.verdict,
    }


def _finite(x: float) -> float:
    """Significance of an exact (zero-variance) difference: clipped to +-99 so the table stays finite."""
    return float(np.clip(x, -99.0, 99.0)) if not math.isnan(x) else 0.0


def write_comparisons(spec: dict, scores: list[Path], output: Path) -> None:
    """``comparisons.csv``: every tagger of ``scores`` against ``spec['reference']`` and against each
    tagger of ``spec['compare_to']``.

    ``spec``: the ``evaluation`` section (``working_points``, ``reference``, ``compare_to``,
    ``bootstrap``) plus optionally ``members`` (tagger -> score names of its seeds, e.g.
    ``{"dips": ["dips", "dips--mainseed2"]}``). Score names that are a seed of another tagger are
    not compared on their own.
    """
    spec = spec or {}
    wps = spec.get("working_points", list(DEFAULT_WORKING_POINTS))
    references = list(dict.fromkeys([spec.get("reference"), *(spec.get("compare_to") or [])]))
    members = {k: list(v) for k, v in (spec.get("members") or {}).items()}
    seed_of = {m for k, names in members.items() for m in names if m != k}
    boot = bootstrap_of(spec)
    rows: list[dict] = []
    found = False
    for group in load_groups(scores):
        complete = {k for k, names in members.items() if all(m in group.discs for m in names)}
        names = [t for t in group.discs if t not in seed_of] + sorted(complete - set(group.discs))
        pairs = []
        for reference in references:
            if reference not in group.discs and reference not in members:
                continue
            found = found or reference == references[0]
            pairs += [(t, reference) for t in dict.fromkeys(names)
                      if t != reference and (t in complete or t not in members)]
        if pairs:
            rows.extend(compare_discs(group.discs, group.flavour, pairs, wps, members, boot=boot))
    if not found:
        raise JettagError(
            f"evaluation.reference = '{references[0]}' is not among the scored taggers: set it to one of the models"
        )
    write_text_atomic(Path(output), rows_to_csv(rows))


def rows_to_csv(rows: list[dict], columns: Sequence[str] = COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: f"{r[k]:.6g}" if isinstance(r[k], float) else r[k] for k in columns})
    return buffer.getvalue()
