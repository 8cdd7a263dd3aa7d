"""jettag.generate: the embedded default sample generator (Pythia8 + FastJet + detector emulation).

Modules: ``pythia`` (event generation, seeds), ``jets`` (anti-kt clustering), ``truth`` (flavour
labels, track origin), ``presets`` (detector presets), ``reco`` (particles -> jet tracks, in
order:) ``vertex`` (beam spot, PV), ``candidates`` (the track-candidate table), ``material``
(conversions, hadronic interactions), ``pileup`` (minimum-bias library and overlay), ``tracking``
(efficiency, merged clusters, fakes), ``detector`` (hits, resolution), ``helix`` (perigee in the
field), ``association`` (track-to-jet); ``validation`` (comparison statistics with real files),
``writer`` (ROOT output), ``shard`` (the per-shard loop). Entry point: :func:`generate_shard`.
See docs/detector.md.
"""

from jettag.generate.shard import generate_shard

__all__ = ["generate_shard"]
