"""The performance table: working points, rejections with errors and AUC per tagger.

``performance.csv`` columns (docs/architecture.md): ``tagger, wp, b_eff, light_rej,
light_rej_err, c_rej, c_rej_err, auc, n_test``; one row per tagger and working point.

* ``wp``: nominal working point in percent (e.g. 77); ``b_eff``: the b-efficiency measured at its
  cut (``D_b > cut``), a fraction.
* ``light_rej``/``c_rej``: ``1/eff`` of light/c jets with binomial errors; ``inf`` (error ``nan``)
  when no background jet passes (the Markdown table shows "∞ (no jet passes)").
* ``auc``: b vs light, from ``D_b``; ``n_test``: number of jets in the scores file.

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
from jettag.evaluation.scores import read_scores
from jettag.evaluation.working_points import DEFAULT_WORKING_POINTS, auc, rejection_at, wp_cuts
from jettag.flavours import FLAVOURS

COLUMNS: tuple[str, ...] = (
    "tagger", "wp", "b_eff", "light_rej", "light_rej_err", "c_rej", "c_rej_err", "auc", "n_test",
)


def performance_rows(tagger: str, p_b, p_c, p_u, flavour, fc: float, wps) -> list[dict]:
    """One dict (keys :data:`COLUMNS`) per working point of ``wps`` (percent) for one tagger.

    ``flavour`` holds HadronConeExclTruthLabelID values (5 b, 4 c, 0 light); other flavours only
    count in ``n_test``. JettagError when there is no b-jet or a score is NaN.
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
    rows = []
    for i, wp in enumerate(wps):
        rows.append(
            {
                "tagger": tagger,
                "wp": int(wp) if float(wp).is_integer() else wp,
                "b_eff": float(b_pass[i]),
                "light_rej": float(light_rej[i]),
                "light_rej_err": float(light_err[i]),
                "c_rej": float(c_rej[i]),
                "c_rej_err": float(c_err[i]),
                "auc": area,
                "n_test": int(flavour.size),
            }
        )
    return rows


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
    rows: list[dict] = []
    seen: dict[str, Path] = {}
    for path in scores:
        s = read_scores(path)
        if s.tagger in seen:
            raise JettagError(f"tagger '{s.tagger}' appears twice: {seen[s.tagger]} and {path}")
        seen[s.tagger] = Path(path)
        try:
            rows.extend(performance_rows(s.tagger, s.p_b, s.p_c, s.p_u, s.flavour, s.fc, wps))
        except JettagError as exc:
            raise JettagError(f"{path}: {exc}") from None
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


def format_rejection(rej: float, err: float) -> str:
    """``"123.4 ± 5.6"``; ``"∞ (no jet passes)"`` when no background jet passed the cut."""
    if math.isinf(rej):
        return "∞ (no jet passes)"
    if math.isnan(rej):
        return "n/a"
    digits = 0 if rej >= 100 else 1 if rej >= 10 else 2
    return f"{rej:.{digits}f} ± {err:.{digits}f}"


def rows_to_markdown(rows: list[dict], reference: str | None = None) -> str:
    """The table as GitHub Markdown, reference tagger first, rejections as ``value ± error``."""
    order = sorted(rows, key=lambda r: (r["tagger"] != reference, r["tagger"], float(r["wp"])))
    lines = [
        "| tagger | WP | b-eff. | light rejection | c rejection | AUC | test jets |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in order:
        lines.append(
            f"| {r['tagger']} | {r['wp']} % | {r['b_eff']:.3f} | "
            f"{format_rejection(r['light_rej'], r['light_rej_err'])} | "
            f"{format_rejection(r['c_rej'], r['c_rej_err'])} | "
            f"{r['auc']:.4f} | {r['n_test']} |"
        )
    return "\n".join(lines) + "\n"
