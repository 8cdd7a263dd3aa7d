"""On-the-fly data augmentation of training jets: rotations in phi and reflections in eta.

A jet and its tracks are rotated together by one random angle in phi (absolute azimuths shift
and wrap to [-pi, pi)), and reflected in eta (z -> -z) with probability 1/2 per jet. Which stored
columns change is data: each feature's :attr:`jettag.features.Feature.symmetry` (``phi``,
``eta_odd`` or ``invariant``). The transform acts on the raw values of the split files, before
the model normalises them; padded track slots stay zero.

The random numbers of a block come from a generator seeded by ``(seed, epoch, block start)``
only, so an epoch's augmented batches do not depend on what came before (a resumed run sees the
same jets) and do not depend on the number of DDP ranks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from jettag.errors import JettagError
from jettag.features import JET_FEATURES, SYMMETRIES, TRACK_FEATURES

#: A fixed entry of the seed sequence, so augmentation draws never coincide with the shuffling's.
_STREAM = 0x5A11


@dataclass(frozen=True)
class Augmentation:
    """What to draw per jet and which columns it changes (indices into the stored arrays)."""

    rotate_phi: bool
    reflect_eta: bool
    track_phi: tuple[int, ...]
    track_eta_odd: tuple[int, ...]
    jet_phi: tuple[int, ...]
    jet_eta_odd: tuple[int, ...]

    @classmethod
    def build(cls, settings: dict | None, track_names, jet_names) -> Augmentation | None:
        """From ``training.augment`` and the column names of the split files; ``None`` when off."""
        settings = settings or {}
        rotate, reflect = bool(settings.get("rotate_phi", False)), bool(settings.get("reflect_eta", False))
        if not (rotate or reflect):
            return None
        tracks = _columns(track_names, TRACK_FEATURES, "track")
        jets = _columns(jet_names, JET_FEATURES, "jet")
        return cls(rotate, reflect, tracks["phi"], tracks["eta_odd"], jets["phi"], jets["eta_odd"])

    def generator(self, seed: int, epoch: int, start: int) -> np.random.Generator:
        return np.random.default_rng([int(seed), int(epoch), int(start), _STREAM])

    def draw(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(angle in [-pi, pi), reflect?) for ``n`` jets; both always drawn, so turning one
        option off does not change the other's random numbers."""
        angle = rng.uniform(-math.pi, math.pi, n).astype(np.float32)
        flip = rng.random(n) < 0.5
        return (angle if self.rotate_phi else np.zeros(n, np.float32),
                flip if self.reflect_eta else np.zeros(n, bool))

    def apply(self, block: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
        """A copy of ``block`` (``tracks``, ``valid``, ``jets``, ...) with every jet transformed."""
        angle, flip = self.draw(len(block["valid"]), rng)
        return transform(block, angle, flip, self)


def transform(block: dict[str, np.ndarray], angle: np.ndarray, flip: np.ndarray,
              aug: Augmentation) -> dict[str, np.ndarray]:
    """Rotate jet ``i`` by ``angle[i]`` in phi and reflect it in eta where ``flip[i]`` (vectorised)."""
    out = dict(block)
    tracks = np.array(block["tracks"], dtype=np.float32, copy=True)
    jets = np.array(block["jets"], dtype=np.float32, copy=True)
    valid = np.asarray(block["valid"], dtype=bool)
    sign = np.where(flip, -1.0, 1.0).astype(np.float32)
    for c in aug.track_phi:
        tracks[..., c] = np.where(valid, wrap(tracks[..., c] + angle[:, None]), 0.0)
    for c in aug.track_eta_odd:
        tracks[..., c] *= sign[:, None]
    for c in aug.jet_phi:
        jets[:, c] = wrap(jets[:, c] + angle)
    for c in aug.jet_eta_odd:
        jets[:, c] *= sign
    out["tracks"], out["jets"] = tracks, jets
    return out


def wrap(phi: np.ndarray) -> np.ndarray:
    """Angles wrapped to [-pi, pi)."""
    return ((phi + np.float32(math.pi)) % np.float32(2 * math.pi) - np.float32(math.pi)).astype(np.float32)


def _columns(names, table: dict, kind: str) -> dict[str, tuple[int, ...]]:
    out: dict[str, list[int]] = {s: [] for s in SYMMETRIES}
    for i, name in enumerate(names):
        feature = table.get(str(name))
        if feature is None:
            raise JettagError(
                f"training.augment: the split files hold the {kind} column '{name}', which is not in "
                f"jettag.features ({sorted(table)}); its behaviour under rotations is unknown: "
                "rerun the `preprocess` rule or turn training.augment off"
            )
        out[feature.symmetry].append(i)
    return {s: tuple(v) for s, v in out.items()}
