"""ROOT output: one ``jets`` TTree entry per jet, jagged ``track_*`` branches (counter ``jet_nTracks``).

The branch list below is the contract documented in ``docs/branches.md``.
"""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np

TREE = "jets"

#: Per-jet branches: name -> (dtype, unit, meaning).
JET_BRANCHES: dict[str, tuple[str, str, str]] = {
    "eventNumber": ("int64", "", "event number, unique across shards (shard * 10^7 + event index)"),
    "jet_pt": ("float32", "GeV", "jet transverse momentum (anti-kt R = 0.4, visible particles)"),
    "jet_eta": ("float32", "", "jet pseudorapidity"),
    "jet_phi": ("float32", "rad", "jet azimuth"),
    "jet_m": ("float32", "GeV", "jet mass"),
    "HadronConeExclTruthLabelID": ("int32", "", "truth flavour: 5 b, 4 c, 15 tau, 0 light"),
    **{
        f"jet_{h}Hadron_{q}": ("float32", unit, f"{what} of the leading weakly decaying {h}-hadron "
                                                 f"labelling the jet (NaN if none)")
        for h in ("b", "c")
        for q, unit, what in (
            ("pt", "GeV", "pT"), ("eta", "", "pseudorapidity"), ("phi", "rad", "azimuth"),
            ("m", "GeV", "mass"), ("decayX", "mm", "true decay vertex x (w.r.t. the true hard-scatter vertex)"),
            ("decayY", "mm", "true decay vertex y (w.r.t. the true hard-scatter vertex)"), ("decayZ", "mm", "true decay vertex z (w.r.t. the true hard-scatter vertex)"),
        )
    },
}

#: Per-track branches (written as ``track_<name>``): name -> (dtype, unit, meaning).
TRACK_BRANCHES: dict[str, tuple[str, str, str]] = {
    "pt": ("float32", "GeV", "track transverse momentum (true; unchanged along the helix)"),
    "eta": ("float32", "", "track pseudorapidity (true)"),
    "phi": ("float32", "rad", "track azimuth at the perigee (true)"),
    "charge": ("int8", "e", "track charge"),
    "d0": ("float32", "mm", "smeared transverse impact parameter w.r.t. the beam line (ATLAS sign)"),
    "z0SinTheta": ("float32", "mm", "smeared longitudinal impact parameter w.r.t. the reconstructed PV, times sin(theta)"),
    "sigma_d0": ("float32", "mm", "nominal d0 resolution"),
    "sigma_z0SinTheta": ("float32", "mm", "nominal z0 sin(theta) resolution"),
    "sd0": ("float32", "", "lifetime-signed d0 significance (jettag.preprocess.derived)"),
    "sz0": ("float32", "", "lifetime-signed z0 sin(theta) significance"),
    "numberOfInnermostPixelLayerHits": ("int8", "", "hits on the IBL (33 mm)"),
    "numberOfNextToInnermostPixelLayerHits": ("int8", "", "hits on the B-layer (50.5 mm)"),
    "numberOfPixelHits": ("int8", "", "pixel hits, IBL included (0-4)"),
    "numberOfSCTHits": ("int8", "", "SCT hits, two sides per layer (0-8)"),
    "numberOfPixelHoles": ("int8", "", "crossed pixel layers without hit between first and last hit"),
    "numberOfSCTHoles": ("int8", "", "crossed SCT sides without hit between first and last hit"),
    "numberOfPixelSharedHits": ("int8", "", "pixel hits within shared_hit_distance of another track's hit"),
    "numberOfSCTSharedHits": ("int8", "", "SCT hits within shared_hit_distance of another track's hit"),
    "truthOrigin": ("int8", "", "FTAG truth origin, index into jettag.flavours.TRACK_ORIGINS"),
    "prodR": ("float32", "mm", "true production radius w.r.t. the beam line (validation)"),
}

COUNTER = "jet_nTracks"


def branch_types() -> dict:
    track = ", ".join(f"{k}: {v[0]}" for k, v in TRACK_BRANCHES.items())
    return {**{k: v[0] for k, v in JET_BRANCHES.items()}, "track": f"var * {{{track}}}"}


class JetWriter:
    """Append batches of jets to a fresh ROOT file (use inside ``atomic_path``)."""

    def __init__(self, path: Path):
        import uproot

        self._file = uproot.recreate(path)
        self._tree = self._file.mktree(TREE, branch_types(), counter_name=lambda _: COUNTER)
        self.n_jets = 0

    def extend(self, jets: dict[str, np.ndarray], track_counts: np.ndarray, tracks: dict[str, np.ndarray]) -> None:
        data = {k: np.asarray(jets[k], dtype=v[0]) for k, v in JET_BRANCHES.items()}
        flat = {k: np.asarray(tracks[k], dtype=v[0]) for k, v in TRACK_BRANCHES.items()}
        data["track"] = ak.unflatten(ak.zip(flat), np.asarray(track_counts, dtype=np.int64))
        self._tree.extend(data)
        self.n_jets += len(data["jet_pt"])

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
