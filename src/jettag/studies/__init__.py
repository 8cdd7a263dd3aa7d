"""jettag.studies: studies built from trainings of tagger variants (see docs/studies.md).

Modules: ``variants`` (tagger names -> what to train), ``plan`` (the jobs and outputs of each
study, used by workflow/rules/studies.smk), one module per study (``ensembles``, ``saliency``,
``ablation``, ``kfold``, ``search``, ``bias_variance``, ``feature_choice``, ``transfer``),
``datasets`` (fold and subset directories), ``common`` (tables, metrics, plots), ``cli``.
"""

STUDIES: tuple[str, ...] = (
    "ensembles", "saliency", "ablation", "kfold", "search", "bias_variance", "features", "transfer",
)
