"""``jettag export-ftag``: write a sample jettag reads (any layout, or the generator's files) as an ATLAS
flavour-tagging HDF5 file (training-dataset-dumper layout, ``jettag.io.ftag_hdf5``), for salt, UPP
and puma."""

from __future__ import annotations

from pathlib import Path

from jettag.errors import JettagError


def export_sample(output: Path, spec: dict | None = None, config: Path | None = None,
                  sample: str | None = None, inputs: list[str] | None = None,
                  max_tracks: int = 40) -> int:
    """``spec``: ``{"input": mapping}`` (empty: the generator's jet-wise files); or ``config`` and
    ``sample`` (the sample's ``input`` and, unless ``inputs`` is given, its ``files``)."""
    from jettag.apply import spec_from_config
    from jettag.io.ftag_hdf5 import export_ftag

    if (config is None) != (sample is None):
        raise JettagError("export-ftag: give --config FILE together with --sample NAME")
    spec = dict(spec or {})
    if config is not None:
        if spec:
            raise JettagError("export-ftag: give either --spec or --config/--sample, not both")
        spec, files = spec_from_config(Path(config), sample)
        inputs = inputs or files
    unknown = set(spec) - {"input", "preprocess"}
    if unknown:
        raise JettagError(f"export-ftag spec: unknown key(s) {sorted(unknown)}; use input")
    if not inputs:
        raise JettagError("export-ftag: no input files: pass --inputs (or a sample with files)")
    n = export_ftag(spec.get("input"), list(inputs), Path(output), max_tracks=max_tracks)
    print(f"jettag export-ftag: {n} jets -> {output} (FTAG HDF5: datasets jets, tracks)")
    return n
