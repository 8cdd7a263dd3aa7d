"""Track candidates: every charged particle of a batch that may become a track, as one flat table.

Hard-scatter particles, material-interaction secondaries, pile-up particles and fakes are all
rows of a :class:`Candidates` table (positions in the detector frame, mm; momenta in GeV).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class Candidates:
    event: np.ndarray  # int64, event index in the batch
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    charge: np.ndarray  # float, units of e
    origin: np.ndarray  # int8, jettag.flavours.TRACK_ORIGINS
    particle: np.ndarray  # int64, hard-scatter particle index (-1: not a hard-scatter particle)
    hadron: np.ndarray  # bool, may interact hadronically (not e, mu)

    def __len__(self) -> int:
        return len(self.event)

    @property
    def pt(self) -> np.ndarray:
        return np.hypot(self.px, self.py)

    @property
    def eta(self) -> np.ndarray:
        return np.arcsinh(self.pz / np.maximum(self.pt, 1e-12))

    @property
    def theta(self) -> np.ndarray:
        return np.arctan2(self.pt, self.pz)

    @property
    def prod_r(self) -> np.ndarray:
        return np.hypot(self.x, self.y)

    def select(self, mask) -> Candidates:
        return Candidates(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})

    @staticmethod
    def concat(*parts: Candidates) -> Candidates:
        parts = [p for p in parts if p is not None]
        return Candidates(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Candidates)})

    @staticmethod
    def make(event, x, y, z, px, py, pz, charge, origin, particle=None, hadron=None) -> Candidates:
        n = len(event)
        return Candidates(
            np.asarray(event, np.int64), *(np.asarray(a, float) for a in (x, y, z, px, py, pz, charge)),
            np.broadcast_to(np.asarray(origin, np.int8), (n,)).copy(),
            np.full(n, -1, np.int64) if particle is None else np.asarray(particle, np.int64),
            np.ones(n, bool) if hadron is None else np.asarray(hadron, bool),
        )

    def acceptance(self, pt_min: float, abs_eta_max: float) -> np.ndarray:
        return (self.charge != 0) & (self.pt > pt_min) & (np.abs(self.eta) < abs_eta_max)
