"""Tiny random inputs in each layout, for tests and examples (not physics).

Each function returns ``branches`` ready for ``jettag.io.write_root_atomic``; the jet-wise one uses
the generator's branch names (the default mapping of layout ``jetwise``).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from jettag.features import HIT_FIELDS

TRACK_FLOATS = ("pt", "eta", "phi", "charge", "d0", "z0SinTheta", "sigma_d0", "sigma_z0SinTheta")


def _tracks(rng, counts) -> dict[str, np.ndarray]:
    n = int(np.sum(counts))
    out = {
        "pt": rng.exponential(5.0, n) + 0.5,
        "eta": rng.uniform(-2.5, 2.5, n),
        "phi": rng.uniform(-np.pi, np.pi, n),
        "charge": rng.choice([-1.0, 1.0], n),
        "d0": rng.normal(0, 0.05, n),
        "z0SinTheta": rng.normal(0, 0.1, n),
        "sigma_d0": rng.uniform(0.01, 0.05, n),
        "sigma_z0SinTheta": rng.uniform(0.02, 0.1, n),
    }
    out = {k: v.astype(np.float32) for k, v in out.items()}
    for h in HIT_FIELDS:
        out[h] = rng.integers(0, 9, n).astype(np.int32)
    out["truthOrigin"] = rng.integers(0, 6, n).astype(np.int32)
    return out


def jetwise_branches(
    n_jets: int = 20, seed: int = 0, max_tracks: int = 6, truth_origin: bool = True
) -> dict:
    """Generator-style jet-wise branches: ``jet_pt, ..., track_<field>`` (shared counter)."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, max_tracks + 1, n_jets)
    trk = _tracks(rng, counts)
    if not truth_origin:
        del trk["truthOrigin"]
    return {
        "jet_pt": rng.uniform(20, 200, n_jets).astype(np.float32),
        "jet_eta": rng.uniform(-2.5, 2.5, n_jets).astype(np.float32),
        "jet_phi": rng.uniform(-np.pi, np.pi, n_jets).astype(np.float32),
        "HadronConeExclTruthLabelID": rng.choice([0, 4, 5, 15], n_jets).astype(np.int32),
        "eventNumber": (np.arange(n_jets) // 2).astype(np.int64),
        "track": ak.zip({k: ak.unflatten(v, counts) for k, v in trk.items()}),
    }


def nested_branches(
    n_events: int = 10, seed: int = 0, max_jets: int = 4, max_tracks: int = 5
) -> dict:
    """Event-wise nested: ``jet_*`` as vector<T> per event, ``track_*`` as vector<vector<T>>.

    Branch names are those of the default mapping (as the generator's); ``eventNumber`` per event.
    """
    rng = np.random.default_rng(seed)
    njet = rng.integers(0, max_jets + 1, n_events)
    total = int(njet.sum())
    ntrk = rng.integers(0, max_tracks + 1, total)
    trk = _tracks(rng, ntrk)
    out = {
        "eventNumber": (1000 + np.arange(n_events)).astype(np.int64),
        "jet_pt": ak.unflatten(rng.uniform(20, 200, total).astype(np.float32), njet),
        "jet_eta": ak.unflatten(rng.uniform(-2.5, 2.5, total).astype(np.float32), njet),
        "jet_phi": ak.unflatten(rng.uniform(-3, 3, total).astype(np.float32), njet),
        "HadronConeExclTruthLabelID": ak.unflatten(
            rng.choice([0, 4, 5], total).astype(np.int32), njet
        ),
    }
    for k, v in trk.items():
        out[f"track_{k}"] = ak.unflatten(ak.unflatten(v, ntrk), njet)
    return out


def indexed_branches(
    n_events: int = 10, seed: int = 0, max_jets: int = 4, max_cands: int = 6
) -> dict:
    """NanoAOD-style: ``Jet_*`` and ``JetPFCands_*`` per event, ``JetPFCands_jetIdx`` links.

    Constituents are in random order (not grouped by jet); a third of them are neutral
    (charge 0, d0 = -1); lengths in cm as in NanoAOD.
    """
    rng = np.random.default_rng(seed)
    njet = rng.integers(0, max_jets + 1, n_events)
    ncand = np.where(njet > 0, rng.integers(0, max_cands + 1, n_events) * np.maximum(njet, 1), 0)
    total_j, total_c = int(njet.sum()), int(ncand.sum())
    jet_idx = np.concatenate(
        [
            rng.integers(0, nj, nc) if nj else np.zeros(0, int)
            for nj, nc in zip(njet, ncand, strict=True)
        ]
    ).astype(np.int32)
    charge = rng.choice([-1, 0, 1], total_c).astype(np.int32)
    out = {
        "event": (500 + np.arange(n_events)).astype(np.uint64),
        "Jet": ak.zip(
            {
                "pt": ak.unflatten(rng.uniform(20, 200, total_j).astype(np.float32), njet),
                "eta": ak.unflatten(rng.uniform(-2.5, 2.5, total_j).astype(np.float32), njet),
                "phi": ak.unflatten(rng.uniform(-3, 3, total_j).astype(np.float32), njet),
                "hadronFlavour": ak.unflatten(
                    rng.choice([0, 4, 5], total_j).astype(np.int32), njet
                ),
            }
        ),
    }
    eta = rng.uniform(-2.5, 2.5, total_c).astype(np.float32)
    cands = {
        "pt": rng.exponential(5.0, total_c).astype(np.float32) + 0.5,
        "eta": eta,
        "phi": rng.uniform(-3, 3, total_c).astype(np.float32),
        "charge": charge,
        "d0": np.where(charge != 0, rng.normal(0, 0.005, total_c), -1).astype(np.float32),
        "d0Err": np.where(charge != 0, rng.uniform(0.001, 0.003, total_c), -1).astype(np.float32),
        "dz": np.where(charge != 0, rng.normal(0, 0.01, total_c), -1).astype(np.float32),
        "dzErr": np.where(charge != 0, rng.uniform(0.002, 0.005, total_c), -1).astype(np.float32),
        "jetIdx": jet_idx,
    }
    out["JetPFCands"] = ak.zip({k: ak.unflatten(v, ncand) for k, v in cands.items()})
    return out
