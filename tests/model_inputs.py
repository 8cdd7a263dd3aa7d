"""Inputs shared by the model tests: the full feature lists, a normalisation and a small batch."""

import torch

from jettag.features import JET_FEATURES, TRACK_FEATURES

FEAT = list(TRACK_FEATURES)
JETF = list(JET_FEATURES)
NORM = {
    "track": {n: {"mean": 0.1 * i, "std": 1.0 + 0.1 * i} for i, n in enumerate(FEAT)},
    "jet": {n: {"mean": 0.5, "std": 2.0} for n in JETF},
}


def batch(b=6, length=7, seed=0):
    """Jets with 0, 1, ``length``, 3, 5 and 2 valid tracks (valid first, padding zero)."""
    g = torch.Generator().manual_seed(seed)
    n = torch.tensor([0, 1, length, 3, 5, 2][:b])
    valid = torch.arange(length)[None] < n[:, None]
    tracks = torch.randn(b, length, len(FEAT), generator=g) * valid[..., None]
    jets = torch.randn(b, len(JETF), generator=g)
    return tracks, valid, jets
