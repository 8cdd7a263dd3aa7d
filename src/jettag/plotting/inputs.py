"""Input feature distributions per flavour, valid tracks only, as preprocessing wrote them.

Inputs: one preprocessed HDF5 split (normally ``train.h5``; datasets ``tracks`` with attr
``features``, ``valid``, and ``label`` or ``flavour``), optionally followed by ``norm.json``: with
it the features are shown normalised, ``(x - mean) / std``, as the models see them. Jets are read
in chunks of ``CHUNK_JETS``, at most ``plots.n_jets_inputs`` of them (the first ones).

Spec keys: label keys (:mod:`jettag.plotting.style`), ``plots.formats``, ``plots.n_jets_inputs``
(default 200000) and ``features`` (optional list of track feature names or groups, default every
feature in the file). One figure; its first cell holds the label and the legend.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import h5py
import matplotlib.pyplot as plt
import numpy as np

from jettag.errors import JettagError
from jettag.features import TRACK_FEATURES, resolve_track_features
from jettag.flavours import CLASS_INDEX, CLASSES
from jettag.plotting import style

CHUNK_JETS = 5000
DEFAULT_N_JETS = 200_000
N_BINS = 50
NCOLS = 4


def _binning(values: np.ndarray) -> np.ndarray:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.linspace(-1.0, 1.0, N_BINS + 1)
    if np.all(values == np.round(values)) and values.max() - values.min() <= 60:
        return np.arange(values.min() - 0.5, values.max() + 1.5, 1.0)
    lo, hi = np.percentile(values, [0.1, 99.9])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, N_BINS + 1)


def _decode(names) -> list[str]:
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names]


def feature_histograms(path: Path, features: list[str] | None, n_jets: int, norm: dict | None = None):
    """Histograms of valid-track features per class, read in bounded chunks.

    Returns ``(features, bins, counts)`` with ``bins[name]`` edges and ``counts[name]`` of shape
    ``(3, n_bins)`` (class order b, c, light); under/overflow go to the edge bins.
    """
    path = Path(path)
    if not path.is_file():
        raise JettagError(f"data file {path} does not exist: run `jettag preprocess` first")
    with h5py.File(path, "r") as f:
        for name in ("tracks", "valid"):
            if name not in f:
                raise JettagError(f"{path}: dataset '{name}' is missing; re-run `jettag preprocess`")
        names = _decode(f["tracks"].attrs.get("features", []))
        if not names:
            raise JettagError(f"{path}: tracks has no 'features' attribute; re-run `jettag preprocess`")
        wanted = list(resolve_track_features(features)) if features else names
        absent = [w for w in wanted if w not in names]
        if absent:
            raise JettagError(f"{path}: features {absent} are not in the file ({names})")
        columns = [names.index(w) for w in wanted]
        n_total = min(int(f["tracks"].shape[0]), int(n_jets))
        bins: dict[str, np.ndarray] = {}
        counts: dict[str, np.ndarray] = {}
        for start in range(0, n_total, CHUNK_JETS):
            stop = min(start + CHUNK_JETS, n_total)
            tracks = f["tracks"][start:stop][..., columns].astype(np.float64)
            valid = f["valid"][start:stop].astype(bool)
            if "label" in f:
                cls = f["label"][start:stop].astype(np.int64)
            elif "flavour" in f:
                cls = np.array([CLASS_INDEX.get(int(x), -1) for x in f["flavour"][start:stop]])
            else:
                raise JettagError(f"{path}: neither 'label' nor 'flavour' is present")
            track_cls = np.broadcast_to(cls[:, None], valid.shape)[valid]
            values = tracks[valid]  # (n_valid_tracks, n_features)
            for j, name in enumerate(wanted):
                x = values[:, j]
                if name not in bins:
                    bins[name] = _binning(x)
                    counts[name] = np.zeros((len(CLASSES), bins[name].size - 1))
                edges = bins[name]
                x = np.clip(x, edges[0], edges[-1])
                for k in range(len(CLASSES)):
                    counts[name][k] += np.histogram(x[track_cls == k], bins=edges)[0]
    if norm is not None:
        # normalisation is linear: histogram raw values, move the bin edges
        for name in bins:
            stats = (norm.get("track") or {}).get(name)
            if stats:
                bins[name] = (bins[name] - stats["mean"]) / (stats["std"] if stats["std"] > 0 else 1.0)
    if not bins:
        raise JettagError(f"{path}: no jets with valid tracks to plot")
    return wanted, bins, counts


def plot_inputs(spec: dict, inputs: list[Path], output: Path) -> None:
    style.use_style()
    inputs = [Path(p) for p in inputs]
    data = [p for p in inputs if p.suffix in (".h5", ".hdf5")]
    if len(data) != 1:
        raise JettagError(f"the inputs plot needs exactly one HDF5 split, got {[str(p) for p in data]}")
    norm_files = [p for p in inputs if p.suffix == ".json"]
    norm = None
    if norm_files:
        if not norm_files[0].is_file():
            raise JettagError(f"normalisation file {norm_files[0]} does not exist")
        norm = json.loads(norm_files[0].read_text())
    n_jets = int((spec.get("plots") or {}).get("n_jets_inputs", DEFAULT_N_JETS))
    features, bins, counts = feature_histograms(data[0], spec.get("features"), n_jets, norm)

    n_cells = len(features) + 1
    nrows = math.ceil(n_cells / NCOLS)
    fig, axes = plt.subplots(nrows, NCOLS, figsize=(5 * NCOLS, 4.2 * nrows), squeeze=False)
    cells = list(axes.flat)
    for ax in cells[n_cells:]:
        ax.set_visible(False)
    for ax, name in zip(cells[1:], features, strict=False):
        edges = bins[name]
        for k, flav in enumerate(CLASSES):
            total = counts[name][k].sum()
            if total > 0:
                ax.stairs(counts[name][k] / (total * np.diff(edges)), edges, color=flav.colour, lw=1.5)
        ax.set_yscale("log")
        ax.set_xlim(edges[0], edges[-1])
        feature = TRACK_FEATURES.get(name)
        text = feature.text if feature else name
        if norm is not None:
            text = f"{text} (normalised)"
        ax.set_xlabel(text, fontsize=12 if len(text) < 30 else 9)
        ax.set_ylabel("Normalised tracks", fontsize=11)
        ax.tick_params(labelsize=10)
    info = cells[0]
    info.axis("off")
    n_tracks = sum(int(c.sum()) for c in counts[features[0]])
    for flav in CLASSES:
        info.plot([], [], color=flav.colour, lw=2, label=flav.text)
    info.legend(loc="lower left", frameon=False, fontsize=14)
    style.draw_label(info, spec, extra=[f"{n_tracks} valid tracks", "Track inputs per flavour"],
                     fontsize=14)
    fig.tight_layout()
    style.save_figure(fig, output, style.formats(spec))
