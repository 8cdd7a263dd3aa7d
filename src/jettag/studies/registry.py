"""The table of studies: each study module describes itself with one :class:`Study` and
registers it, and the planning (``jettag.studies.plan``), the rules and ``jettag study`` loop
over this table.

Adding a study ``NAME`` takes a module ``jettag/studies/NAME.py`` that calls
``register(Study(...))`` at import time, its section ``studies.NAME`` in the config schema and
its report caption ``workflow/report/study_NAME.rst``. The modules of this package are found and
imported on first use of the table.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jettag.errors import JettagError

#: ``step(spec, inputs, output, data_dir)``: one ``jettag study NAME STEP`` job.
Step = Callable[[dict, list[Path], Path, Path | None], None]


def _no_scores(cfg: dict) -> list[str]:
    return []


@dataclass(frozen=True)
class Study:
    """What the workflow needs to know about a study.

    * ``steps``: step name -> function; ``summary`` writes ``{stem}.csv`` (plus ``.md``/``.html``
      and the plots), other steps are the study's own fan-out jobs.
    * ``spec(cfg)``: the entries the study adds to its steps' ``--spec`` (besides its config
      section and the plot settings), e.g. the taggers it trains.
    * ``summary_inputs(cfg, spec)``: the files the summary reads (``spec`` is the full step spec).
    * ``plot_names(spec)``: the plots of the summary, ``{stem}_{name}.{format}``.
    * ``extra_scores(cfg)``: scores files the study adds to ``performance.csv`` when enabled.
    * ``order``: the study's place in listings (rules, targets); the table is sorted by it.
    * ``headline(rows)``: one sentence from the rows of the summary table (the report's summary
      page; helpers in :mod:`jettag.studies.headline`).
    """

    name: str
    order: int
    steps: Mapping[str, Step]
    spec: Callable[[dict], dict]
    summary_inputs: Callable[[dict, dict], list[str]]
    plot_names: Callable[[dict], list[str]]
    extra_scores: Callable[[dict], list[str]] = field(default=_no_scores)
    headline: Callable[[list[dict[str, str]]], str] | None = None

    def __post_init__(self):
        if "summary" not in self.steps:
            raise JettagError(f"study '{self.name}' has no 'summary' step")


_TABLE: dict[str, Study] = {}
_DISCOVERED = False


def register(study: Study) -> Study:
    """Add ``study`` to the table (a module registering the same name again replaces it)."""
    _TABLE[study.name] = study
    return study


def unregister(name: str) -> None:
    _TABLE.pop(name, None)


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    package = importlib.import_module("jettag.studies")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"jettag.studies.{module.name}")
    _DISCOVERED = True


def studies() -> dict[str, Study]:
    """Every registered study, by name, in order."""
    _discover()
    return dict(sorted(_TABLE.items(), key=lambda item: (item[1].order, item[0])))


def names() -> tuple[str, ...]:
    return tuple(studies())


def get(name: str) -> Study:
    table = studies()
    if name not in table:
        raise JettagError(f"unknown study '{name}'; studies: {list(table)}")
    return table[name]
