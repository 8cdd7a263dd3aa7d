"""Helpers for the one-sentence headline of a study (``Study.headline``): numbers as text.

A study's ``headline(rows)`` turns the rows of its summary table (dicts of strings, as read from
``{stem}.csv``) into the sentence the report's summary page shows.
"""

from __future__ import annotations

import math

Rows = list[dict[str, str]]


def num(text: str | None) -> float:
    try:
        return float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan


def fmt(value: float, err: float | None = None) -> str:
    """Three significant digits (inf and nan spelled out), with its error when given."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞"
    if err is None or math.isnan(err) or math.isinf(err) or err <= 0:
        return f"{value:.3g}"
    digits = max(0, 1 - math.floor(math.log10(err)))  # two significant digits of the error
    return f"{value:.{digits}f} ± {err:.{digits}f}"


def rejection_text(row: dict[str, str], key: str = "light_rej") -> str:
    return fmt(num(row.get(key)), num(row.get(f"{key}_err")))


def by_key(rows: Rows, key: str = "model") -> dict[str, Rows]:
    out: dict[str, Rows] = {}
    for row in rows:
        out.setdefault(row.get(key, ""), []).append(row)
    return out


def sentence(parts: list[str]) -> str:
    return "; ".join(p for p in parts if p) + "." if parts else "no rows."


def verdict_text(row: dict[str, str], what: str = "light rejection") -> str:
    """``"light rejection 1.12 x [1.05, 1.19] the reference: better"`` from a row's paired columns."""
    if not row.get("verdict"):
        return ""
    return (f"{what} {fmt(num(row.get('ratio')))} x [{fmt(num(row.get('ratio_lo')))}, "
            f"{fmt(num(row.get('ratio_hi')))}] {row.get('reference') or 'the reference'}: {row['verdict']}")
