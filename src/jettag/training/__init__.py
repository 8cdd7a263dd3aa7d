"""jettag.training: train a tagger from preprocessed HDF5 (see ``loop.train_model``).

Modules: ``data`` (HDF5 batches), ``loop`` (the training loop), ``callbacks`` (checkpoints,
history, non-finite guard, console output, diagnostics, resuming), ``state`` (what the loop and the
callbacks share), ``step`` (optimiser, objective, evaluation), ``options`` (training options over
the schema's defaults), ``early_stopping``, ``history`` (``history.csv``: writer and the one
reader), ``schedules`` (learning-rate schedules), ``resume`` (checkpoints, resuming),
``diagnostics`` (loss-curve findings), ``lr_range`` (learning-rate range test), ``distributed``
(DDP), ``toydata`` (synthetic data and a stand-in model for tests and benchmarks).
"""

from __future__ import annotations

from pathlib import Path


def train_model(spec: dict, data_dir: Path, output_dir: Path) -> None:
    """Train one tagger (``jettag train``); see ``jettag.training.loop``."""
    from jettag.training.loop import train_model as _train_model

    _train_model(spec, Path(data_dir), Path(output_dir))


__all__ = ["train_model"]
