"""The performance table: working points, rejections with errors and AUC per tagger.

``performance.csv`` columns (docs/architecture.md): ``tagger, wp, b_eff, light_rej,
light_rej_err, c_rej, c_rej_err, auc, n_test, light_rej_lo, light_rej_hi, c_rej_lo, c_rej_hi,
auc_lo, auc_hi, note``; one row per tagger and working point.

* ``wp``: nominal working point in percent (e.g. 77); ``b_eff``: the b-efficiency measured at its
  cut (``D_b > cut``), a fraction.
* ``light_rej``/``c_rej``: ``1/eff`` of light/c jets with binomial errors. When no background jet
  passes, the rejection is the lower bound of
  :func:`~jettag.evaluation.statistics.rejection_lower_bound` (its error 0) and ``note`` says so;
  the table never holds ``inf`` or ``nan``.
* ``auc``: b vs light, from ``D_b``; ``n_test``: number of jets in the scores file.
* ``*_lo``/``*_hi``: central 68 % paired-bootstrap intervals (every tagger on the same test jets
  is resampled with the same weights, ``evaluation.bootstrap``); for a rejection bound ``lo`` is the
  bound.

Besides the CSV, ``output.with_suffix(".md")`` holds the same table formatted for the report.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from jettag.atomic import write_text_atomic
from jettag.errors import JettagError
from jettag.evaluation.discriminant import discriminant_b
from jettag.evaluation.paired import bootstrap_of, group_replicas, load_groups
from jettag.evaluation.statistics import (
    DEFAULT_BOOTSTRAP,
    Bootstrap,
    Replicas,
    interval,
    rejection_lower_bound,
    replicas,
)
from jettag.evaluation.working_points import DEFAULT_WORKING_POINTS, auc, rejection_at, wp_cuts
from jettag.flavours import FLAVOURS

COLUMNS: tuple[str, ...] = (
    "tagger", "wp", "b_eff", "light_rej", "light_rej_err", "c_rej", "c_rej_err", "auc", "n_test",
    "light_rej_lo", "light_rej_hi", "c_rej_lo", "c_rej_hi", "auc_lo", "auc_hi", "note",
)


def performance_rows(tagger: str, p_b, p_c, p_u, flavour, fc: float, wps, reps: Replicas | None = None,
                     boot: Bootstrap = DEFAULT_BOOTSTRAP) -> list[dict]:
    """One dict (keys :data:`COLUMNS`) per working point of ``wps`` (percent) for one tagger.

    ``flavour`` holds HadronConeExclTruthLabelID values (5 b, 4 c, 0 light); other flavours only
    count in ``n_test``. ``reps``: the tagger's bootstrap replicas (shared with the other taggers
    of the table); drawn here with ``boot`` when not given. JettagError when there is no b-jet or a
    score is NaN.
    """
    p_b, p_c, p_u = (np.asarray(a, dtype=np.float64) for a in (p_b, p_c, p_u))
    flavour = np.asarray(flavour)
    for name, arr in (("p_b", p_b), ("p_c", p_c), ("p_u", p_u)):
        if np.isnan(arr).any():
            raise JettagError(f"tagger '{tagger}': {int(np.isnan(arr).sum())} NaN values in {name}")
    disc = discriminant_b(p_b, p_c, p_u, fc)
    is_b = flavour == FLAVOURS["b"].label
    is_c = flavour == FLAVOURS["c"].label
    is_light = flavour == FLAVOURS["light"].label
    if not is_b.any():
        raise JettagError(f"tagger '{tagger}': the scores hold no b-jets (flavour 5); working points need b-jets")
    wps = [float(w) for w in wps]
    cuts = wp_cuts(disc[is_b], wps)
    b_pass = np.array([(disc[is_b] > cut).mean() for cut in cuts])
    light_rej, light_err = rejection_at(disc[is_light], cuts)
    c_rej, c_err = rejection_at(disc[is_c], cuts)
    area = auc(disc[is_b], disc[is_light])
    if reps is None:
        reps = replicas({tagger: disc}, flavour, wps, boot)[tagger]
    auc_lo, auc_hi = interval(reps.auc) if is_light.any() else (area, area)
    rows = []
    for i, wp in enumerate(wps):
        notes: list[str] = []
        row = {
            "tagger": tagger,
            "wp": int(wp) if float(wp).is_integer() else wp,
            "b_eff": float(b_pass[i]),
            "auc": area,
            "n_test": int(flavour.size),
            "auc_lo": auc_lo,
            "auc_hi": auc_hi,
        }
        for name, rej, err, n_bkg in (("light", light_rej, light_err, int(is_light.sum())),
                                      ("c", c_rej, c_err, int(is_c.sum()))):
            row.update(_rejection_columns(name, float(rej[i]), float(err[i]), n_bkg,
                                          reps.metric(f"{name}_rej", i), notes))
        row["note"] = "; ".join(notes)
        rows.append(row)
    return rows


def _rejection_columns(name: str, rej: float, err: float, n_bkg: int, reps: np.ndarray,
                       notes: list[str]) -> dict:
    """Rejection, binomial error and bootstrap interval; a lower bound when no jet passes."""
    key = f"{name}_rej"
    if n_bkg == 0:
        notes.append(f"no {name} jets among the test jets: {key} not measured (0)")
        return {key: 0.0, f"{key}_err": 0.0, f"{key}_lo": 0.0, f"{key}_hi": 0.0}
    lo, hi = interval(reps)
    if math.isinf(rej):
        bound = rejection_lower_bound(n_bkg)
        notes.append(f"no {name} jet of {n_bkg} passes: {key} is a 68 % lower bound")
        return {key: bound, f"{key}_err": 0.0, f"{key}_lo": bound, f"{key}_hi": max(hi, bound)}
    return {key: rej, f"{key}_err": err, f"{key}_lo": lo, f"{key}_hi": hi}


def write_performance_table(spec: dict, scores: list[Path], output: Path) -> None:
    """Write ``performance.csv`` (and a Markdown twin) for the scores files ``scores``.

    ``spec`` is the resolved ``evaluation`` config section; this reads ``working_points``
    (default 60, 70, 77, 85) and ``reference`` (listed first in the Markdown table).
    Each tagger's ``fc`` comes from its scores file.
    """
    spec = spec or {}
    output = Path(output)
    wps = spec.get("working_points", list(DEFAULT_WORKING_POINTS))
    if not scores:
        raise JettagError("no scores files given: pass at least one --scores file")
    boot = bootstrap_of(spec)
    rows: list[dict] = []
    for group in load_groups(scores):
        try:
            reps = group_replicas(group, wps, boot)
        except JettagError as exc:
            raise JettagError(f"{', '.join(str(s.path) for s in group.scores.values())}: {exc}") from None
        for tagger, s in group.scores.items():
            try:
                rows.extend(performance_rows(tagger, s.p_b, s.p_c, s.p_u, s.flavour, s.fc, wps, reps[tagger]))
            except JettagError as exc:
                raise JettagError(f"{s.path}: {exc}") from None
    write_text_atomic(output, rows_to_csv(rows))
    write_text_atomic(output.with_suffix(".md"), rows_to_markdown(rows, reference=spec.get("reference")))


def rows_to_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_value(row[k]) for k in COLUMNS})
    return buffer.getvalue()


def _csv_value(value):
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.6g}"
    return value


def format_rejection(rej: float, err: float, lo: float | None = None, hi: float | None = None,
                     bound: bool = False) -> str:
    """``"123.4 ± 5.6 [118.0, 129.5]"`` (binomial error, bootstrap interval); ``"> 546 (no jet
    passes)"`` for a lower bound; ``"∞ (no jet passes)"`` for a bare infinity."""
    if math.isinf(rej):
        return "∞ (no jet passes)"
    if math.isnan(rej):
        return "n/a"
    digits = 0 if rej >= 100 else 1 if rej >= 10 else 2
    if bound:
        return f"> {rej:.{digits}f} (no jet passes)"
    text = f"{rej:.{digits}f} ± {err:.{digits}f}"
    if lo is not None and hi is not None:
        text += f" [{lo:.{digits}f}, {hi:.{digits}f}]"
    return text


def rows_to_markdown(rows: list[dict], reference: str | None = None) -> str:
    """The table as GitHub Markdown, reference tagger first, rejections as ``value ± error``."""
    order = sorted(rows, key=lambda r: (r["tagger"] != reference, r["tagger"], float(r["wp"])))
    lines = [
        "| tagger | WP | b-eff. | light rejection | c rejection | AUC | test jets | note |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in order:
        note = r.get("note", "")
        rej = {
            k: format_rejection(r[f"{k}_rej"], r[f"{k}_rej_err"], r.get(f"{k}_rej_lo"), r.get(f"{k}_rej_hi"),
                                bound=f"no {k} jet of" in note)
            for k in ("light", "c")
        }
        area = f"{r['auc']:.4f}"
        if "auc_lo" in r:
            area += f" [{r['auc_lo']:.4f}, {r['auc_hi']:.4f}]"
        lines.append(
            f"| {r['tagger']} | {r['wp']} % | {r['b_eff']:.3f} | {rej['light']} | {rej['c']} | "
            f"{area} | {r['n_test']} | {note} |"
        )
    lines.append("")
    lines.append("Rejection: value ± binomial error [central 68 % paired-bootstrap interval].")
    return "\n".join(lines) + "\n"
