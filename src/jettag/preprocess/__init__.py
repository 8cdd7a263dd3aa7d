"""jettag.preprocess: selection, derived features, sorting/padding, splits, reweighting and
normalisation of jets into the HDF5 files of docs/architecture.md."""

from __future__ import annotations


def run_preprocessing(spec, input_spec, inputs, output_dir, sample="sample", **kwargs):
    """See :func:`jettag.preprocess.run.run_preprocessing` (imported lazily: the CLI stays fast)."""
    from jettag.preprocess.run import run_preprocessing as _run

    return _run(spec, input_spec, inputs, output_dir, sample, **kwargs)


__all__ = ["run_preprocessing"]
