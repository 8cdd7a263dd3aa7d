"""Synthetic canonical jets for tests and benchmarks (not physics: just realistic shapes/ranges).

``make_jets`` builds a canonical awkward jets record (docs/architecture.md); ``write_jetwise``
writes it as a jet-wise ROOT tree with the generator's branch names (``jet_*``, ``track_*``).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from jettag.features import HIT_FIELDS

JET_BRANCHES = {"pt": "jet_pt", "eta": "jet_eta", "phi": "jet_phi",
                "label": "HadronConeExclTruthLabelID", "eventNumber": "eventNumber"}


def make_jets(n_jets: int, seed: int = 0, mean_tracks: float = 15.0) -> ak.Array:
    """``n_jets`` random jets with Poisson(mean_tracks) tracks each, all flavours mixed."""
    rng = np.random.default_rng(seed)
    label = rng.choice(np.array([5, 4, 0, 15]), size=n_jets, p=[0.3, 0.2, 0.45, 0.05]).astype(np.int32)
    pt = (20.0 + rng.exponential(60.0 + 20.0 * (label == 5), n_jets)).astype(np.float32)
    eta = rng.uniform(-2.7, 2.7, n_jets).astype(np.float32)
    phi = rng.uniform(-np.pi, np.pi, n_jets).astype(np.float32)
    event = (np.arange(n_jets) // 4).astype(np.int64)
    counts = rng.poisson(mean_tracks, n_jets)
    nt = int(counts.sum())
    jet = np.repeat(np.arange(n_jets), counts)
    heavy = (label[jet] == 5) | (label[jet] == 4)
    tpt = (0.4 + rng.exponential(4.0, nt)).astype(np.float32)
    teta = (eta[jet] + rng.normal(0, 0.15, nt)).astype(np.float32)
    tphi = (phi[jet] + rng.normal(0, 0.15, nt)).astype(np.float32)
    sigma_d0 = (0.01 + 0.07 / tpt).astype(np.float32)
    sigma_z0 = (0.03 + 0.1 / tpt).astype(np.float32)
    d0 = (rng.normal(0, 1, nt) * sigma_d0 * (1 + 4 * heavy)).astype(np.float32)
    z0 = (rng.normal(0, 1, nt) * sigma_z0 * (1 + 2 * heavy)).astype(np.float32)
    fields = {
        "pt": tpt, "eta": teta, "phi": tphi,
        "charge": rng.choice(np.array([-1.0, 1.0], dtype=np.float32), nt),
        "d0": d0, "z0SinTheta": z0, "sigma_d0": sigma_d0, "sigma_z0SinTheta": sigma_z0,
    }
    hits = {
        "numberOfInnermostPixelLayerHits": rng.integers(0, 2, nt, endpoint=True),
        "numberOfNextToInnermostPixelLayerHits": rng.integers(0, 2, nt, endpoint=True),
        "numberOfPixelHits": rng.integers(1, 6, nt, endpoint=True),
        "numberOfSCTHits": rng.integers(5, 10, nt, endpoint=True),
        "numberOfPixelHoles": rng.choice(3, nt, p=[0.9, 0.08, 0.02]),
        "numberOfSCTHoles": rng.choice(3, nt, p=[0.9, 0.08, 0.02]),
        "numberOfPixelSharedHits": rng.choice(3, nt, p=[0.9, 0.08, 0.02]),
        "numberOfSCTSharedHits": rng.choice(3, nt, p=[0.9, 0.08, 0.02]),
    }
    fields.update({h: hits[h].astype(np.int32) for h in HIT_FIELDS})
    fields["truthOrigin"] = np.where(heavy, rng.integers(0, 5, nt, endpoint=True), 0).astype(np.int32)
    tracks = ak.unflatten(ak.zip(fields), counts)
    return ak.zip({"pt": pt, "eta": eta, "phi": phi, "label": label, "eventNumber": event,
                   "tracks": tracks}, depth_limit=1)


def write_jetwise(path, jets: ak.Array, tree: str = "jets") -> None:
    """Write canonical ``jets`` as a jet-wise ROOT tree (``jet_*`` and ``track_*`` branches)."""
    import uproot

    branches = {b: ak.to_numpy(jets[k]) for k, b in JET_BRANCHES.items()}
    branches["track"] = jets["tracks"]  # written as track_<name>, counter jet_nTracks
    with uproot.recreate(path) as f:
        tree = f.mktree(tree, {k: v.type if isinstance(v, ak.Array) else v.dtype
                               for k, v in branches.items()},
                        counter_name=lambda _: "jet_nTracks")
        tree.extend(branches)
