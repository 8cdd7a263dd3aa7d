"""Helpers shared by the studies: tables (CSV, Markdown, HTML), metrics of scores, histories, plots.

Every study writes one table as ``{stem}.csv`` with twins ``{stem}.md`` and ``{stem}.html`` for the
report, and plots named ``{stem}_{plot}.{format}`` beside it (see :func:`plot_path`).
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jettag.atomic import write_text_atomic
from jettag.errors import JettagError
from jettag.flavours import FLAVOURS
from jettag.training.history import History, read_history, tagger_of_history  # noqa: F401 - re-exported

DEFAULT_WP = 77.0


# --------------------------------------------------------------------------------------------
# tables


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.6g}"
    return str(value)


def rows_to_csv(rows: Sequence[dict], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def read_csv(path: str | Path) -> list[dict]:
    """Rows of a CSV file with numbers converted to float (where they parse)."""
    path = Path(path)
    if not path.is_file():
        raise JettagError(f"{path} does not exist")
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        conv = {}
        for k, v in row.items():
            try:
                conv[k] = float(v)
            except (TypeError, ValueError):
                conv[k] = v
        out.append(conv)
    return out


def fmt(value, digits: int = 3) -> str:
    """A number for a formatted table: 3 significant digits, ``∞``, ``n/a``."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    value = float(value)
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value != 0 and (abs(value) >= 10 ** (digits + 2) or abs(value) < 10 ** (-digits)):
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}g}" if abs(value) < 10**digits else f"{value:.0f}"


def fmt_err(value, err) -> str:
    """``"123 ± 5"`` with the error's precision; ``∞`` when no background jet passes."""
    value = float(value)
    if math.isinf(value):
        return "∞ (no jet passes)"
    if math.isnan(value):
        return "n/a"
    if err is None or not math.isfinite(float(err)) or float(err) <= 0:
        return fmt(value)
    err = float(err)
    decimals = max(0, 1 - int(math.floor(math.log10(err))))
    decimals = min(decimals, 6)
    return f"{value:.{decimals}f} ± {err:.{decimals}f}"


def write_table(
    output: str | Path,
    rows: Sequence[dict],
    columns: Sequence[str],
    display: Sequence[tuple[str, object]],
    title: str,
    notes: Iterable[str] = (),
) -> None:
    """Write ``output`` (CSV, ``columns``) and its ``.md`` and ``.html`` twins.

    ``display``: ``(header, key or callable(row) -> str)`` pairs of the formatted tables.
    """
    output = Path(output)
    write_text_atomic(output, rows_to_csv(rows, columns))
    cells = []
    for row in rows:
        line = []
        for _, how in display:
            line.append(how(row) if callable(how) else fmt(row.get(how)))
        cells.append(line)
    headers = [h for h, _ in display]
    notes = list(notes)
    md = [f"### {title}", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    md += ["| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in cells]
    if notes:
        md += [""] + [f"* {n}" for n in notes]
    write_text_atomic(output.with_suffix(".md"), "\n".join(md) + "\n")
    h = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8"><style>'
        "table{border-collapse:collapse;font-family:sans-serif;font-size:13px}"
        "th,td{border:1px solid #bbb;padding:3px 8px;text-align:right}"
        "th{background:#eee}td:first-child{text-align:left}"
        f"</style><title>{html.escape(title)}</title></head><body>",
        f"<h3>{html.escape(title)}</h3>",
        "<table><thead><tr>" + "".join(f"<th>{html.escape(x)}</th>" for x in headers) + "</tr></thead><tbody>",
    ]
    h += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in line) + "</tr>" for line in cells]
    h.append("</tbody></table>")
    if notes:
        h.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    h.append("</body></html>")
    write_text_atomic(output.with_suffix(".html"), "\n".join(h) + "\n")


def table_outputs(stem: str) -> dict[str, str]:
    """The three table files of a study step whose ``--output`` is ``{stem}.csv``."""
    return {"csv": f"{stem}.csv", "md": f"{stem}.md", "html": f"{stem}.html"}


def plot_path(output: str | Path, name: str, fmt_: str) -> Path:
    """``{dir}/{stem}_{name}.{fmt}`` beside a step's ``--output`` ``{dir}/{stem}.csv``."""
    output = Path(output)
    return output.with_name(f"{output.stem}_{name}.{fmt_}")


# --------------------------------------------------------------------------------------------
# scores and metrics


@dataclass
class Metrics:
    """Performance of one tagger at one working point, with binomial errors."""

    tagger: str
    wp: float
    b_eff: float
    light_rej: float
    light_rej_err: float
    c_rej: float
    c_rej_err: float
    auc: float
    n_test: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def metrics(tagger: str, p_b, p_c, p_u, flavour, fc: float, wps=(DEFAULT_WP,)) -> list[Metrics]:
    """The performance table's rows (``jettag.evaluation.performance.performance_rows``)."""
    from jettag.evaluation.performance import performance_rows

    rows = performance_rows(tagger, p_b, p_c, p_u, flavour, fc, list(wps))
    return [Metrics(**{k: r[k] for k in Metrics.__dataclass_fields__}) for r in rows]


def scores_metrics(scores, wps=(DEFAULT_WP,), mask=None, tagger: str | None = None) -> list[Metrics]:
    """:func:`metrics` of a ``jettag.evaluation.scores.Scores`` (optionally a jet ``mask``)."""
    sel = slice(None) if mask is None else np.asarray(mask, dtype=bool)
    return metrics(
        tagger or scores.tagger, scores.p_b[sel], scores.p_c[sel], scores.p_u[sel], scores.flavour[sel],
        scores.fc, wps,
    )


def read_scores(path):
    from jettag.evaluation.scores import read_scores as _read

    return _read(path)


def discriminant(p_b, p_c, p_u, fc: float) -> np.ndarray:
    from jettag.evaluation.discriminant import discriminant_b

    return discriminant_b(p_b, p_c, p_u, fc)


def roc(disc, flavour, background: str = "light", grid=None):
    """``(b_eff, rejection)`` of ``background`` on a b-efficiency grid (0.5 - 1 by default)."""
    from jettag.evaluation.working_points import DEFAULT_ROC_GRID, roc_curve

    flavour = np.asarray(flavour)
    eff, rej, _ = roc_curve(
        disc[flavour == FLAVOURS["b"].label], disc[flavour == FLAVOURS[background].label],
        DEFAULT_ROC_GRID if grid is None else grid,
    )
    return eff, rej


def rejection_difference(rej_a, err_a, rej_b, err_b) -> tuple[float, float]:
    """``rej_a - rej_b`` and its error, the two errors added in quadrature.

    Both rejections are measured on the same test jets, so the errors are correlated and the
    quadrature sum is conservative (an upper bound for positively correlated taggers).
    """
    diff = float(rej_a) - float(rej_b)
    err = math.hypot(float(err_a), float(err_b))
    return diff, err


def significance_flag(diff: float, err: float, n_sigma: float) -> str:
    if not math.isfinite(diff) or not math.isfinite(err):
        return "n/a"
    if err == 0:
        return "significant" if diff != 0 else "within noise"
    return "significant" if abs(diff) > n_sigma * err else "within noise"


# --------------------------------------------------------------------------------------------
# histories (``results/models/{tagger}/history.csv``)

# ``History``, ``read_history`` and ``tagger_of_history`` are the training package's history reader.


# --------------------------------------------------------------------------------------------
# inputs of a step


#: The columns every study table gives its comparisons (paired, :func:`paired_light`).
PAIRED_COLUMNS = ("ratio", "ratio_lo", "ratio_hi", "significance", "verdict")


def paired_light(scores: dict, pairs: Sequence[tuple[str, str]], wp: float = DEFAULT_WP,
                 members: dict[str, Sequence[str]] | None = None, metric: str = "light_rej") -> dict[str, dict]:
    """Paired comparison (same test jets, same bootstrap weights) of each (tagger, reference).

    ``scores``: score name -> ``Scores`` on the same jets; ``members``: a name -> its seeds.
    Returns tagger -> the :data:`PAIRED_COLUMNS` (and ``reference``) of ``metric`` at ``wp``.
    """
    if not pairs:
        return {}
    first = next(iter(scores.values()))
    for name, s in scores.items():
        if not np.array_equal(s.eventNumber, first.eventNumber):
            raise JettagError(f"paired comparison: the scores of '{name}' are not on the same test jets")
    discs = {name: s.discriminant() for name, s in scores.items()}
    return paired_discs(discs, first.flavour, pairs, wp, members, metric)


def paired_discs(discs: dict, flavour, pairs: Sequence[tuple[str, str]], wp: float = DEFAULT_WP,
                 members: dict[str, Sequence[str]] | None = None, metric: str = "light_rej") -> dict[str, dict]:
    """:func:`paired_light` of discriminants already on the same jets (e.g. a selection of them)."""
    from jettag.evaluation.comparisons import compare_discs

    if not pairs:
        return {}
    rows = compare_discs(discs, flavour, pairs, [wp], members, metrics=[metric])
    return {r["tagger"]: {k: r[k] for k in ("reference", *PAIRED_COLUMNS)} for r in rows}


def no_comparison() -> dict:
    """The :data:`PAIRED_COLUMNS` of a row that is not compared (a reference)."""
    return {k: "" for k in PAIRED_COLUMNS}


def ratio_text(row: dict) -> str:
    """``"1.12 [1.05, 1.19] (better)"`` for a table cell; ``"-"`` for a row without comparison."""
    if not row.get("verdict"):
        return "-"
    return (f"{fmt(row['ratio'])} [{fmt(row['ratio_lo'])}, {fmt(row['ratio_hi'])}] "
            f"({row['verdict']})")


def read_step_json(path: str | Path, step: str) -> dict:
    """A study step's JSON result; one clear error naming the step when it is missing."""
    path = Path(path)
    if not path.is_file():
        raise JettagError(f"{path} does not exist: run the {step} step first")
    return json.loads(path.read_text())


def by_tagger(paths: Iterable[str | Path], suffix: str = ".h5", prefix: str = "") -> dict[str, Path]:
    """Map tagger name -> path for the step inputs named ``{prefix}{tagger}{suffix}`` (scores:
    ``{tagger}.h5``; a study step's results, e.g. ``losses_{tagger}.json``)."""
    out = {}
    for p in paths:
        p = Path(p)
        if p.name.startswith(prefix) and p.name.endswith(suffix):
            out[p.stem.removeprefix(prefix)] = p
    return out


def scores_by_sample(paths: Iterable[str | Path]) -> dict[tuple[str, str], Path]:
    """``(sample, tagger) -> path`` for inputs ``.../scores/{sample}/{tagger}.h5``."""
    out = {}
    for p in paths:
        p = Path(p)
        if p.suffix == ".h5":
            out[(p.parent.name, p.stem)] = p
    return out


def histories(paths: Iterable[str | Path]) -> dict[str, Path]:
    return {tagger_of_history(p): Path(p) for p in paths if Path(p).name == "history.csv"}


def cumulative_steps(history_path: str | Path, n_epochs: int) -> np.ndarray:
    """Optimiser steps done at the end of each epoch, from ``batch_losses.csv`` beside the history.

    Falls back to the epoch number when that file is absent (steps then count epochs).
    """
    path = Path(history_path).with_name("batch_losses.csv")
    if not path.is_file():
        return np.arange(1.0, n_epochs + 1)
    with path.open(newline="") as f:
        epochs = np.array([int(r["epoch"]) for r in csv.DictReader(f)], dtype=np.int64)
    counts = np.bincount(epochs, minlength=n_epochs + 1)[1 : n_epochs + 1]
    return np.cumsum(counts).astype(np.float64)


# --------------------------------------------------------------------------------------------
# plots


def new_figure(figsize=(7.5, 6.0)):
    import matplotlib

    matplotlib.use("Agg")
    from jettag.plotting.style import use_style

    use_style()
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)


def finish(fig, ax, spec: dict, output: str | Path, name: str, extra: Sequence[str] = ()) -> list[Path]:
    """Draw the experiment label and save every configured format of plot ``name``."""
    from jettag.plotting import style

    if ax is not None:
        style.draw_label(ax, spec, extra)
    fmts = style.formats(spec)
    return style.save_figure(fig, plot_path(output, name, fmts[0]), fmts)


def plot_files(stem: str, names: Iterable[str], formats: Sequence[str]) -> list[str]:
    return [f"{stem}_{n}.{f}" for n in names for f in formats]
