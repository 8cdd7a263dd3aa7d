"""jettag.studies: studies built from trainings of tagger variants (see docs/studies.md).

One module per study, named as in the config (``ensembles``, ``saliency``, ``ablation``,
``kfold``, ``search``, ``bias_variance``, ``features``, ``transfer``), each registering a
:class:`~jettag.studies.registry.Study` in ``registry``; ``plan`` (the jobs and outputs of each
study, used by workflow/rules/studies.smk), ``base`` (planning helpers), ``datasets`` (fold and
subset directories), ``common`` (tables, metrics, plots), ``cli``. Tagger names and what they
train: :mod:`jettag.taggers`.
"""
