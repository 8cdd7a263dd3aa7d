"""The jobs and files of each study, from a resolved config (used by workflow/rules/studies.smk).

Each study has a summary step ``jettag study STUDY summary`` whose ``--output`` is
``{results}/studies/{study}/{study}.csv`` (twins ``.md``/``.html``, plots ``{study}_{name}.{fmt}``).
Its inputs are scores files (``{results}/scores/{sample}/{tagger}.h5``, made by the ordinary
``evaluate`` rule from ``train`` jobs of tagger variants), histories and study-specific files;
what each study needs comes from its :class:`jettag.studies.registry.Study`.
"""

from __future__ import annotations

from jettag.paths import ResultPaths
from jettag.studies import registry
from jettag.studies.base import section


def enabled(cfg: dict) -> list[str]:
    return [s for s in registry.names() if section(cfg, s).get("enabled", False)]


def stem(cfg: dict, study: str) -> str:
    return ResultPaths.of(cfg).study_stem(study)


def step_spec(cfg: dict, study: str) -> dict:
    """The ``--spec`` of a study's steps: its config section, plot settings and the job lists."""
    entry = registry.get(study)
    spec = {
        **section(cfg, study),
        "label": cfg["label"], "label_extra": cfg["label_extra"], "plots": cfg["plots"],
        "sample": cfg["train_sample"], "working_points": cfg["evaluation"]["working_points"],
    }
    spec.update(entry.spec(cfg))
    return spec


def summary_inputs(cfg: dict, study: str) -> list[str]:
    return registry.get(study).summary_inputs(cfg, step_spec(cfg, study))


def plot_stems(cfg: dict, study: str) -> list[str]:
    """Plot paths without the format suffix (one per plot)."""
    names = registry.get(study).plot_names(step_spec(cfg, study))
    return [f"{stem(cfg, study)}_{n}" for n in names]


def extra_scores(cfg: dict) -> list[str]:
    """Scores files the enabled studies add to performance.csv (e.g. the ensembles' taggers)."""
    return [path for s in enabled(cfg) for path in registry.get(s).extra_scores(cfg)]


def targets(cfg: dict, study: str) -> list[str]:
    return [f"{stem(cfg, study)}.csv"]
