"""Double descent: a noisy training set, the interpolation threshold and the second descent.

* :func:`flip_labels` / :func:`make_noisy_subset`: a reduced training directory whose training jets
  carry a fixed fraction of wrong labels (each flipped label replaced by another class at random,
  seeded), with an untouched, reduced validation split.
* :func:`interpolation_threshold`: the smallest model (parameter count) whose training error falls
  below a tolerance; :func:`second_descent`: whether the test curve peaks near that threshold and
  falls again at larger sizes by more than its statistical error (paired bootstrap over the test
  samples, plus an optional per-point error such as the seed spread).

The functions are generic in the model: the tests check them on min-norm least squares, where the
threshold lies at as many parameters as training samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from jettag.atomic import atomic_path
from jettag.errors import JettagError
from jettag.flavours import CLASSES
from jettag.studies.datasets import (
    DEFAULT_CHUNK,
    _event_numbers,
    _inputs,
    copy_selected,
    seeded_uniform,
)

N_CLASSES = len(CLASSES)


def flip_labels(labels, fraction: float, seed: int, n_classes: int = N_CLASSES) -> tuple[np.ndarray, np.ndarray]:
    """``round(fraction * n)`` labels, chosen at random (seeded), each replaced by a different class.

    Returns the new labels and the mask of flipped entries.
    """
    labels = np.asarray(labels)
    if not 0.0 <= fraction < 1.0:
        raise JettagError(f"studies.double_descent.label_noise = {fraction}: must lie in [0, 1)")
    n = labels.shape[0]
    k = int(round(fraction * n))
    rng = np.random.default_rng([int(seed), 0xD0D])
    flipped = np.zeros(n, dtype=bool)
    flipped[rng.choice(n, size=k, replace=False)] = True
    out = labels.copy()
    shift = rng.integers(1, n_classes, size=k)
    out[flipped] = ((labels[flipped].astype(np.int64) + shift) % n_classes).astype(labels.dtype)
    return out, flipped


def _threshold(path: Path, n_jets: int, seed: int, chunk_size: int) -> float:
    u = seeded_uniform(_event_numbers(path, chunk_size), seed)
    return np.inf if u.size <= n_jets else float(np.sort(u)[n_jets - 1])


def make_noisy_subset(inputs, output: str | Path, n_train: int, n_val: int, noise: float, seed: int = 1,
                      chunk_size: int = DEFAULT_CHUNK) -> dict:
    """About ``n_train`` training and ``n_val`` validation jets (random whole events, seeded).

    A fraction ``noise`` of the training labels is flipped (:func:`flip_labels`; ``label`` and
    ``flavour`` changed together, the original kept as ``label_clean``); validation labels are
    untouched. ``output`` is the ``train.h5``; ``val.h5`` and the sample's ``norm.json`` go beside
    it. Returns the counts.
    """
    if n_train < 1 or n_val < 1:
        raise JettagError(f"studies.double_descent: train_jets = {n_train}, val_jets = {n_val}; need >= 1 each")
    src = _inputs(inputs)
    out = Path(output)
    t_train = _threshold(src["train"], n_train, seed, chunk_size)
    t_val = _threshold(src["val"], n_val, seed + 1, chunk_size)
    with atomic_path(out) as tmp:
        n = copy_selected([src["train"]], tmp, lambda e: seeded_uniform(e, seed) <= t_train, chunk_size, "train")
        with h5py.File(tmp, "r+") as f:
            clean = f["label"][:]
            noisy, flipped = flip_labels(clean, noise, seed)
            f["label"][:] = noisy
            if "flavour" in f:
                flavour = f["flavour"][:]
                flavour[flipped] = np.array([c.label for c in CLASSES], dtype=flavour.dtype)[noisy[flipped]]
                f["flavour"][:] = flavour
            f.create_dataset("label_clean", data=clean)
            f.attrs["label_noise"] = float(noise)
            f.attrs["n_flipped"] = int(flipped.sum())
    n_v = copy_selected([src["val"]], out.with_name("val.h5"), lambda e: seeded_uniform(e, seed + 1) <= t_val,
                        chunk_size, "val")
    with atomic_path(out.with_name("norm.json")) as tmp:
        tmp.write_bytes(src["norm"].read_bytes())
    if n == 0 or n_v == 0:
        raise JettagError(f"studies.double_descent: {n} training and {n_v} validation jets; preprocess more jets")
    return {"n_train": n, "n_val": n_v, "n_flipped": int(flipped.sum())}


# --------------------------------------------------------------------------------------------
# the curve


def interpolation_threshold(n_params, train_error, tolerance: float) -> float:
    """The smallest parameter count whose training error is below ``tolerance`` (nan if none)."""
    n_params = np.asarray(n_params, dtype=np.float64)
    train_error = np.asarray(train_error, dtype=np.float64)
    below = n_params[np.isfinite(train_error) & (train_error < tolerance)]
    return float(below.min()) if below.size else math.nan


def paired_difference(a, b, replicas: int = 200, seed: int = 1) -> tuple[float, float]:
    """``mean(a - b)`` over paired samples and its bootstrap standard error (seeded)."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    n = d.size
    if n < 2:
        return (float(d.mean()) if n else math.nan), math.nan
    rng = np.random.default_rng(seed)
    step = max(1, 2_000_000 // n)  # bounded memory: at most ~2 M indices per draw
    means = []
    for start in range(0, int(replicas), step):
        idx = rng.integers(0, n, size=(min(step, int(replicas) - start), n))
        means.append(d[idx].mean(axis=1))
    means = np.concatenate(means)
    return float(d.mean()), float(means.std(ddof=1)) if means.size > 1 else math.nan


@dataclass(frozen=True)
class Descent:
    """The shape of a test curve around the interpolation threshold.

    ``verdict``: ``second descent`` (a peak that rises above the best smaller model and falls
    again at larger sizes, both by more than ``n_sigma`` errors), ``no second descent`` (a
    significant peak, no significant fall after it), ``no peak`` (no significant rise to the
    curve's maximum near the threshold), ``no interpolation`` (set by the caller when no model
    reaches the threshold) or ``n/a``.
    """

    verdict: str
    peak: int = -1  # index of the peak
    before: int = -1  # lowest point before the peak
    after: int = -1  # lowest point after the peak
    rise: float = math.nan  # peak minus the lowest point before it
    rise_err: float = math.nan
    drop: float = math.nan  # peak minus the lowest point after it
    drop_err: float = math.nan

    def text(self, n_params, what: str = "test loss") -> str:
        if self.verdict == "n/a" or self.peak < 0:
            return f"{what}: n/a"
        p = [int(x) for x in n_params]
        rise = f"rise {self.rise:.3g} ± {self.rise_err:.2g}" if self.before >= 0 else "no smaller model"
        drop = f"fall {self.drop:.3g} ± {self.drop_err:.2g}" if self.after >= 0 else "no larger model"
        start = f", from {p[self.peak]} parameters" if self.verdict == "second descent" else ""
        return f"{what}: {self.verdict}{start} (peak at {p[self.peak]} parameters: {rise}, {drop})"


def second_descent(n_params, per_sample, threshold: float, window: float = 4.0, n_sigma: float = 3.0,
                   replicas: int = 200, seed: int = 1, point_err=None) -> Descent:
    """Look for a peak of the test curve within a factor ``window`` of ``threshold`` and a fall after it.

    ``per_sample``: (points, samples) losses of each point on the same test samples (points in
    increasing ``n_params``); ``point_err``: an extra error per point (e.g. the seed spread of its
    mean), added in quadrature to the paired errors.
    """
    n_params = np.asarray(n_params, dtype=np.float64)
    per_sample = np.asarray(per_sample, dtype=np.float64)
    if per_sample.ndim != 2 or per_sample.shape[0] != n_params.size or n_params.size < 3:
        return Descent("n/a")
    if np.any(np.diff(n_params) < 0):
        raise JettagError("second_descent: points must be sorted by parameter count")
    extra = np.zeros(n_params.size) if point_err is None else np.nan_to_num(np.asarray(point_err, dtype=float))
    means = per_sample.mean(axis=1)
    if math.isfinite(threshold) and threshold > 0:
        near = np.flatnonzero((n_params >= threshold / window) & (n_params <= threshold * window))
    else:
        near = np.arange(n_params.size)
    if near.size == 0:
        return Descent("n/a")
    peak = int(near[np.argmax(means[near])])

    def compare(other: int) -> tuple[float, float]:
        d, e = paired_difference(per_sample[peak], per_sample[other], replicas, seed)
        return d, math.hypot(e, extra[peak], extra[other])

    before = int(np.argmin(means[:peak])) if peak > 0 else -1
    after = peak + 1 + int(np.argmin(means[peak + 1 :])) if peak < n_params.size - 1 else -1
    rise, rise_err = compare(before) if before >= 0 else (math.nan, math.nan)
    drop, drop_err = compare(after) if after >= 0 else (math.nan, math.nan)
    if not (before >= 0 and rise > n_sigma * rise_err):
        verdict = "no peak"
    elif after >= 0 and drop > n_sigma * drop_err:
        verdict = "second descent"
    else:
        verdict = "no second descent"
    return Descent(verdict, peak, before, after, rise, rise_err, drop, drop_err)
