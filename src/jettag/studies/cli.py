"""``jettag study STUDY STEP``: dispatch one step of a study (fan-out job or aggregation)."""

from __future__ import annotations

import importlib
from pathlib import Path

from jettag.errors import JettagError

#: study -> step -> (module, function). Trainings and scores of variants are ordinary
#: ``train``/``evaluate`` jobs; only the steps below are study-specific.
STEPS: dict[str, dict[str, tuple[str, str]]] = {
    "ensembles": {"combine": ("ensembles", "step_combine"), "summary": ("ensembles", "step_summary")},
    "saliency": {"compute": ("saliency", "step_compute"), "summary": ("saliency", "step_summary")},
    "ablation": {"permutation": ("ablation", "step_permutation"), "summary": ("ablation", "step_summary")},
    "kfold": {"split": ("kfold", "step_split"), "summary": ("kfold", "step_summary")},
    "search": {"overfit": ("search", "step_overfit"), "summary": ("search", "step_summary")},
    "bias_variance": {"subset": ("bias_variance", "step_subset"), "summary": ("bias_variance", "step_summary")},
    "features": {"summary": ("feature_choice", "step_summary")},
    "transfer": {"summary": ("transfer", "step_summary")},
}


def run_study_step(study: str, step: str, spec: dict | None, inputs, output, data_dir=None) -> None:
    if study not in STEPS:
        raise JettagError(f"unknown study '{study}'; studies: {sorted(STEPS)}")
    if step not in STEPS[study]:
        raise JettagError(f"study '{study}' has no step '{step}'; steps: {sorted(STEPS[study])}")
    module, func = STEPS[study][step]
    fn = getattr(importlib.import_module(f"jettag.studies.{module}"), func)
    fn(spec or {}, [Path(p) for p in inputs or []], Path(output), data_dir)
