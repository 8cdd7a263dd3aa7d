"""One sentence per study for the summary page: the study's own ``Study.headline`` of the rows
of its summary table (``results/studies/<s>/<s>.csv``); a study without one gets a generic
sentence naming its table.
"""

from __future__ import annotations

from jettag.studies import registry
from jettag.studies.headline import fmt, num

__all__ = ["fmt", "headline", "num"]


def headline(study: str, rows: list[dict[str, str]], table: str) -> str:
    func = registry.studies().get(study)
    func = func.headline if func is not None else None
    if func is None:
        return f"{len(rows)} rows in {table}."
    try:
        return func(rows)
    except (KeyError, ValueError, IndexError) as exc:
        return f"{len(rows)} rows in {table} (no headline: column {exc} missing)."
