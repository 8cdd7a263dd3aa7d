"""jettag.generate: the embedded default sample generator (Pythia8 + FastJet + detector emulation).

Modules: ``pythia`` (event generation, seeds), ``jets`` (anti-kt clustering), ``truth`` (flavour
labels, track origin), ``detector`` (impact parameters, hits), ``writer`` (ROOT output), ``shard``
(the per-shard loop). Entry point: :func:`generate_shard`.
"""

from jettag.generate.shard import generate_shard

__all__ = ["generate_shard"]
