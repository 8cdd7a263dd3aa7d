"""Kinematic reweighting of c and light jets to the b-jet (pT, |eta|) spectrum.

Streaming: ``FlavourHistograms`` fills per-flavour 2D histograms chunk by chunk (train split);
``weight_maps`` turns them into per-bin weights

    w_f(bin) = (h_b(bin) / N_b) / (h_f(bin) / N_f)        (0 where h_f is empty; b-jets get 1)

so every flavour's weighted spectrum equals the b-jet spectrum and the mean weight of each flavour
is ~1 (exactly the b-jet fraction in bins the flavour populates): the class balance in the loss is
the raw one. Values outside the bin edges fall in the first/last bin.

``mode: resample`` instead draws, per non-b flavour, as many jets as it has, with replacement and
probability proportional to the weight (b-jets are kept as they are) - streaming, with a
sequential binomial split of the draws over chunks, reproducible from a seed.
"""

from __future__ import annotations

import numpy as np

REFERENCE_LABEL = 5  # b


def _bin_index(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)


class FlavourHistograms:
    """Per-flavour-label 2D histograms of (pT, |eta|), filled chunk by chunk."""

    def __init__(self, pt_bins, abs_eta_bins):
        self.pt_edges = np.asarray(pt_bins, dtype=np.float64)
        self.eta_edges = np.asarray(abs_eta_bins, dtype=np.float64)
        self.shape = (len(self.pt_edges) - 1, len(self.eta_edges) - 1)
        self.hists: dict[int, np.ndarray] = {}

    def flat_bin(self, pt, abs_eta) -> np.ndarray:
        return _bin_index(np.asarray(pt), self.pt_edges) * self.shape[1] + _bin_index(
            np.asarray(abs_eta), self.eta_edges
        )

    def add(self, pt, abs_eta, label) -> None:
        label = np.asarray(label)
        b = self.flat_bin(pt, abs_eta)
        size = self.shape[0] * self.shape[1]
        for lab in np.unique(label):
            h = np.bincount(b[label == lab], minlength=size).reshape(self.shape)
            key = int(lab)
            self.hists[key] = self.hists.get(key, 0) + h


def weight_maps(hists: FlavourHistograms, reference: int = REFERENCE_LABEL) -> dict[int, np.ndarray]:
    """Per-label 2D weight maps to the ``reference`` flavour's spectrum (see module docstring)."""
    maps: dict[int, np.ndarray] = {}
    ref = hists.hists.get(reference)
    for lab, h in hists.hists.items():
        if lab == reference or ref is None:
            maps[lab] = np.ones(hists.shape)
            continue
        ref_density = ref / ref.sum()
        density = h / max(h.sum(), 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            maps[lab] = np.where(h > 0, ref_density / density, 0.0)
    return maps


def lookup(hists: FlavourHistograms, maps: dict[int, np.ndarray], pt, abs_eta, label) -> np.ndarray:
    """float32 weight of every jet (1 for labels without a map)."""
    label = np.asarray(label)
    b = hists.flat_bin(pt, abs_eta)
    w = np.ones(len(label), dtype=np.float32)
    for lab, m in maps.items():
        sel = label == lab
        w[sel] = m.ravel()[b[sel]]
    return w


class StreamingResampler:
    """Draw ``n_f`` jets of each non-reference flavour with replacement, probability ∝ weight.

    ``totals[label] = (n_jets, total_weight)`` over the whole train split (from the histograms).
    Chunks must be fed in one fixed order; ``counts(weights, labels)`` returns how many copies of
    each jet to write (reference-flavour jets: 1 each).
    """

    def __init__(self, totals: dict[int, tuple[int, float]], seed: int, reference: int = REFERENCE_LABEL):
        self.rng = np.random.default_rng(seed)
        self.reference = reference
        self.left = {lab: [int(n), float(w)] for lab, (n, w) in totals.items()}

    def counts(self, weights: np.ndarray, labels: np.ndarray) -> np.ndarray:
        out = np.zeros(len(labels), dtype=np.int64)
        for lab in np.unique(labels):
            sel = np.flatnonzero(labels == lab)
            lab = int(lab)
            if lab == self.reference or lab not in self.left:
                out[sel] = 1
                continue
            n_left, w_left = self.left[lab]
            w = np.asarray(weights[sel], dtype=np.float64)
            wc = float(w.sum())
            if n_left <= 0 or wc <= 0:
                continue
            p = 1.0 if wc >= w_left else wc / w_left
            k = int(self.rng.binomial(n_left, p))
            out[sel] = self.rng.multinomial(k, w / wc)
            self.left[lab] = [n_left - k, max(w_left - wc, 0.0)]
        return out


def totals(hists: FlavourHistograms, maps: dict[int, np.ndarray]) -> dict[int, tuple[int, float]]:
    """``label -> (n_jets, sum of weights)`` over the histogrammed jets."""
    return {lab: (int(h.sum()), float((h * maps[lab]).sum())) for lab, h in hists.hists.items()}
