"""Synthetic preprocessed data in the documented HDF5 layout, and a tiny stand-in tagger.

For tests and benchmarks of the training code: ``write_toy_dataset`` writes ``train.h5``,
``val.h5`` and ``norm.json`` whose classes are separable through ``sd0`` (b > c > light);
``TinyTagger`` follows the model forward contract of ``docs/architecture.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import torch
from torch import nn

from jettag.features import JET_FEATURES, TRACK_FEATURES

N_ORIGINS = 6


def make_toy_arrays(n: int, max_tracks: int = 10, seed: int = 0, sort_by_label: bool = False,
                    separation: float = 1.5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    names = list(TRACK_FEATURES)
    label = rng.integers(0, 3, n).astype(np.int8)
    if sort_by_label:
        label = np.sort(label)
    n_trk = rng.integers(1, max_tracks + 1, n)
    valid = np.arange(max_tracks)[None, :] < n_trk[:, None]
    tracks = rng.normal(size=(n, max_tracks, len(names))).astype(np.float32)
    shift = np.array([2.0, 1.0, 0.0], np.float32)[label] * separation
    tracks[:, :, names.index("sd0")] += shift[:, None]
    tracks[~valid] = 0.0
    origin = np.where(label[:, None] == 0, 1, 0) * np.ones((1, max_tracks), int)
    origin = np.where(valid, origin, -1).astype(np.int8)
    pt = rng.uniform(20, 200, n).astype(np.float32)
    eta = rng.uniform(-2.5, 2.5, n).astype(np.float32)
    jets = np.stack([pt, eta, np.abs(eta), np.log(pt)], axis=1).astype(np.float32)
    return {
        "tracks": tracks, "valid": valid, "jets": jets, "label": label,
        "flavour": np.array([5, 4, 0], np.int32)[label], "eventNumber": np.arange(n, dtype=np.int64),
        "weight": rng.uniform(0.5, 1.5, n).astype(np.float32), "track_origin": origin,
    }


def write_toy_h5(path: Path, arrays: dict[str, np.ndarray], chunk: int = 1024) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(arrays["label"])
    with h5py.File(path, "w") as f:
        for key, value in arrays.items():
            f.create_dataset(key, data=value, chunks=(min(chunk, n), *value.shape[1:]))
        f["tracks"].attrs["features"] = list(TRACK_FEATURES)
        f["jets"].attrs["features"] = list(JET_FEATURES)
        f.attrs.update({"jettag_version": "toy", "config_hash": "toy", "sample": "toy",
                        "split": path.stem, "n_jets": n})


def norm_from(arrays: dict[str, np.ndarray]) -> dict:
    trk = arrays["tracks"][arrays["valid"]]
    jets = arrays["jets"]
    return {
        "track": {k: {"mean": float(trk[:, i].mean()), "std": float(trk[:, i].std() or 1.0)}
                  for i, k in enumerate(TRACK_FEATURES)},
        "jet": {k: {"mean": float(jets[:, i].mean()), "std": float(jets[:, i].std() or 1.0)}
                for i, k in enumerate(JET_FEATURES)},
    }


def write_toy_dataset(data_dir: Path, n_train: int = 300, n_val: int = 200, max_tracks: int = 10,
                      seed: int = 0, sort_by_label: bool = False, separation: float = 1.5) -> Path:
    data_dir = Path(data_dir)
    train = make_toy_arrays(n_train, max_tracks, seed, sort_by_label, separation)
    val = make_toy_arrays(n_val, max_tracks, seed + 1, False, separation)
    val["weight"][:] = 1.0
    write_toy_h5(data_dir / "train.h5", train)
    write_toy_h5(data_dir / "val.h5", val)
    (data_dir / "norm.json").write_text(json.dumps(norm_from(train)))
    return data_dir


class TinyTagger(nn.Module):
    """A minimal Deep-Sets tagger with the jettag forward contract (stand-in for tests)."""

    def __init__(self, norm: dict, feature_names, jet_feature_names, hidden: int = 16,
                 aux: bool = False, dropout: float = 0.0):
        super().__init__()
        feature_names, jet_feature_names = list(feature_names), list(jet_feature_names)
        self.register_buffer("t_mean", torch.tensor([norm["track"][k]["mean"] for k in feature_names]))
        self.register_buffer("t_std", torch.tensor([norm["track"][k]["std"] for k in feature_names]))
        self.register_buffer("j_mean", torch.tensor([norm["jet"][k]["mean"] for k in jet_feature_names]))
        self.register_buffer("j_std", torch.tensor([norm["jet"][k]["std"] for k in jet_feature_names]))
        nf, nj = len(feature_names), len(jet_feature_names)
        self.phi = nn.Sequential(nn.Linear(nf, hidden), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, hidden), nn.ReLU())
        self.rho = nn.Sequential(nn.Linear(hidden + nj, hidden), nn.ReLU(), nn.Linear(hidden, 3))
        self.aux = nn.Linear(hidden, N_ORIGINS) if aux else None
        self.track_feature_names = feature_names

    def forward(self, tracks, valid, jets):
        x = (tracks - self.t_mean) / self.t_std
        h = self.phi(x) * valid.unsqueeze(-1).to(x.dtype)
        pooled = h.sum(1)
        j = (jets - self.j_mean) / self.j_std
        out = {"logits": self.rho(torch.cat([pooled, j.to(pooled.dtype)], dim=1))}
        if self.aux is not None:
            out["track_logits"] = self.aux(h)
        return out


def tiny_factory(spec, norm, feature_names, jet_feature_names):
    """A ``model_factory`` for ``train``: reads ``hidden``, ``aux`` and ``dropout`` from the spec."""
    return TinyTagger(norm, feature_names, jet_feature_names, hidden=int(spec.get("hidden", 16)),
                      aux=bool(spec.get("aux", False)), dropout=float(spec.get("dropout", 0.0)))
