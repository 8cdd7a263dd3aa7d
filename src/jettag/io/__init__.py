"""Reading ROOT inputs into jettag's canonical jets record (docs/architecture.md, docs/inputs.md).

``read_jets(files, input_spec, step_size)`` yields chunks of jets with fields
``pt, eta, phi, label, eventNumber, tracks`` (tracks: ``pt, eta, phi, charge, d0, z0SinTheta,
sigma_d0, sigma_z0SinTheta``, the hit counts of ``jettag.features.HIT_FIELDS``, ``truthOrigin``).
"""

from jettag.io.files import expand_files
from jettag.io.layouts import LAYOUTS
from jettag.io.mapping import JET_FIELDS, TRACK_FIELDS, resolve_input
from jettag.io.reader import read_all, read_jets
from jettag.io.writer import write_root_atomic

__all__ = [
    "JET_FIELDS",
    "LAYOUTS",
    "TRACK_FIELDS",
    "expand_files",
    "read_all",
    "read_jets",
    "resolve_input",
    "write_root_atomic",
]
