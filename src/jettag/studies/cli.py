"""``jettag study STUDY STEP``: dispatch one step of a study (fan-out job or aggregation).

Trainings and scores of variants are ordinary ``train``/``evaluate`` jobs; only the steps each
study registers (:class:`jettag.studies.registry.Study`) are study-specific.
"""

from __future__ import annotations

from pathlib import Path

from jettag.errors import JettagError
from jettag.studies import registry


def run_study_step(study: str, step: str, spec: dict | None, inputs, output, data_dir=None) -> None:
    steps = registry.get(study).steps
    if step not in steps:
        raise JettagError(f"study '{study}' has no step '{step}'; steps: {sorted(steps)}")
    steps[step](spec or {}, [Path(p) for p in inputs or []], Path(output), data_dir)
