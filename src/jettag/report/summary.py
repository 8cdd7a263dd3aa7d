"""``jettag summary``: the report's landing page, built from a finished run's outputs.

Writes one self-contained HTML fragment (no outside links; the ROC figure inlined as a PNG data
URI): the performance table, the ROC figure and one headline per enabled study. The report's
workflow description (``workflow/report/workflow.rst``) embeds it, so it is the first thing the
report shows; it is also a result of its own in the report's "1. Summary" category.
"""

from __future__ import annotations

import base64
import csv
import html
import mimetypes
from pathlib import Path

from jettag.atomic import write_text_atomic
from jettag.errors import JettagError
from jettag.report.headlines import fmt, headline, num


def read_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise JettagError(f"{path} does not exist: run the workflow before `jettag summary`")
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def performance_table(rows: list[dict[str, str]], wp: str = "77") -> str:
    """One row per tagger: light rejection at every working point, c rejection at ``wp``, AUC."""
    wps = list(dict.fromkeys(r["wp"] for r in rows))
    taggers = list(dict.fromkeys(r["tagger"] for r in rows))
    cell = {(r["tagger"], r["wp"]): r for r in rows}
    c_wp = wp if wp in wps else wps[-1]
    head = (["tagger"] + [f"light rej. {w} %" for w in wps] + [f"c rej. {c_wp} %", "AUC"])
    lines = []
    for t in taggers:
        first = next(r for r in rows if r["tagger"] == t)
        values = [t] + [fmt(num(cell[t, w]["light_rej"]), num(cell[t, w]["light_rej_err"]))
                        if (t, w) in cell else "" for w in wps]
        c = cell.get((t, c_wp), {})
        values += [fmt(num(c.get("c_rej")), num(c.get("c_rej_err"))), fmt(num(first["auc"]))]
        lines.append("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in values) + "</tr>")
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return (f'<table id="jettag-performance">\n<thead><tr>{header}</tr></thead>\n'
            "<tbody>\n" + "\n".join(lines) + "\n</tbody>\n</table>")


def _title(csv_path: Path, study: str) -> str:
    md = csv_path.with_suffix(".md")
    if md.is_file():
        first = md.read_text().lstrip().splitlines()[:1]
        if first and first[0].startswith("#"):
            return first[0].lstrip("#").strip()
    return study


def study_items(studies: list[Path]) -> str:
    items = []
    for path in studies:
        study = path.stem
        sentence = headline(study, read_rows(path), str(path))
        items.append(f'<li id="jettag-study-{html.escape(study)}"><b>{html.escape(_title(path, study))}'
                     f"</b>: {html.escape(sentence)}</li>")
    return "<ul>\n" + "\n".join(items) + "\n</ul>" if items else "<p>No study enabled.</p>"


def write_summary(performance: Path, roc: Path, output: Path, studies: list[Path] | None = None,
                  spec: dict | None = None) -> None:
    """Summary fragment from ``performance.csv``, the ROC PNG and the study tables (CSV)."""
    spec = spec or {}
    rows = read_rows(Path(performance))
    if not rows:
        raise JettagError(f"{performance} has no rows: rerun `snakemake` to rebuild it")
    roc = Path(roc)
    if not roc.is_file():
        raise JettagError(f"{roc} does not exist: the summary needs the ROC figure (plots.formats "
                          "must include png)")
    # Wrapped: the URL parser drops newlines, and docutils (the report's rst) limits line length.
    image = base64.encodebytes(roc.read_bytes()).decode().strip()
    mime = mimetypes.guess_type(roc.name)[0] or "image/png"
    about = ", ".join(f"{k} {html.escape(str(v))}" for k, v in sorted(spec.items()))
    text = "\n".join([
        '<meta charset="utf-8">',
        '<div id="jettag-summary">',
        "<h2>Summary</h2>",
        f"<p>Generated from {html.escape(str(performance))}, {html.escape(str(roc))} and the study "
        f"tables{' (' + about + ')' if about else ''}.</p>",
        f"<h3>Performance ({html.escape(str(rows[0].get('n_test', '?')) if rows else '0')} test jets)</h3>",
        performance_table(rows, str(spec.get("wp", 77))),
        "<h3>ROC curves</h3>",
        f'<img id="jettag-roc" alt="ROC curves" style="max-width:100%;max-height:28rem" '
        f'src="data:{mime};base64,\n{image}">',
        "<h3>Studies</h3>",
        study_items([Path(s) for s in studies or []]),
        "</div>",
        "",
    ])
    write_text_atomic(Path(output), text)
