"""Anti-kt jet clustering of a whole batch of events with FastJet's vectorised awkward interface."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass

import awkward as ak
import numpy as np

from jettag.generate.truth import NEUTRINOS


@dataclass
class Jets:
    """Flat jets of a batch; constituents of jet ``j`` are ``constituents[cons_offsets[j]:cons_offsets[j+1]]``
    (global particle indices)."""

    event: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    cons_offsets: np.ndarray
    constituents: np.ndarray

    @property
    def pt(self):
        return np.hypot(self.px, self.py)

    @property
    def eta(self):
        return np.arcsinh(self.pz / np.maximum(self.pt, 1e-12))

    @property
    def phi(self):
        return np.arctan2(self.py, self.px)

    @property
    def m(self):
        return np.sqrt(np.maximum(self.e**2 - self.px**2 - self.py**2 - self.pz**2, 0.0))

    def __len__(self):
        return len(self.event)

    def select(self, mask: np.ndarray) -> Jets:
        counts = np.diff(self.cons_offsets)
        keep_cons = np.repeat(mask, counts)
        new_counts = counts[mask]
        offsets = np.zeros(len(new_counts) + 1, dtype=np.int64)
        np.cumsum(new_counts, out=offsets[1:])
        return Jets(self.event[mask], self.px[mask], self.py[mask], self.pz[mask], self.e[mask],
                    offsets, self.constituents[keep_cons])


def visible_final_state(parts) -> np.ndarray:
    """Global indices of stable visible particles (final state, no neutrinos)."""
    return np.flatnonzero((parts.status > 0) & ~np.isin(np.abs(parts.id), NEUTRINOS))


@contextlib.contextmanager
def _quiet_fastjet():
    """FastJet prints its banner to stdout (C level) on first use; keep stdout clean."""
    try:
        fd = os.dup(1)
    except OSError:  # pragma: no cover - no real stdout
        yield
        return
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)
            yield
        finally:
            os.dup2(fd, 1)
            os.close(fd)


_BANNER_DONE = False


def cluster(parts, radius: float = 0.4, pt_min: float = 20.0) -> Jets:
    """Cluster visible final-state particles of every event in ``parts`` with anti-kt; jets with
    pT > ``pt_min`` GeV, sorted by pT within each event."""
    global _BANNER_DONE
    import fastjet

    vis = visible_final_state(parts)
    counts = np.bincount(parts.event[vis], minlength=parts.n_events)
    flat = ak.zip({"px": parts.px[vis], "py": parts.py[vis], "pz": parts.pz[vis], "E": parts.e[vis]},
                  with_name="Momentum4D")
    events = ak.unflatten(flat, counts)
    jetdef = fastjet.JetDefinition(fastjet.antikt_algorithm, radius)
    if _BANNER_DONE:
        cs = fastjet.ClusterSequence(events, jetdef)
        jets = cs.inclusive_jets(min_pt=pt_min)
    else:
        with _quiet_fastjet():
            cs = fastjet.ClusterSequence(events, jetdef)
            jets = cs.inclusive_jets(min_pt=pt_min)
        _BANNER_DONE = True
    cidx = cs.constituent_index(min_pt=pt_min)

    n_jets = np.asarray(ak.num(jets, axis=1))
    jet_event = np.repeat(np.arange(parts.n_events, dtype=np.int64), n_jets)
    flat_jets = ak.flatten(jets, axis=1)
    px, py = np.asarray(flat_jets.px, float), np.asarray(flat_jets.py, float)
    pz, e = np.asarray(flat_jets.pz, float), np.asarray(flat_jets.E, float)

    cons_per_jet = ak.flatten(cidx, axis=1)
    n_cons = np.asarray(ak.num(cons_per_jet, axis=1), dtype=np.int64)
    local = np.asarray(ak.flatten(cons_per_jet, axis=1), dtype=np.int64)
    vis_offsets = np.zeros(parts.n_events + 1, dtype=np.int64)
    np.cumsum(counts, out=vis_offsets[1:])
    constituents = vis[vis_offsets[np.repeat(jet_event, n_cons)] + local]
    cons_offsets = np.zeros(len(n_cons) + 1, dtype=np.int64)
    np.cumsum(n_cons, out=cons_offsets[1:])

    # pT order within each event (fastjet's inclusive_jets order is not guaranteed)
    pt = np.hypot(px, py)
    order = np.lexsort((-pt, jet_event))
    out = Jets(jet_event, px, py, pz, e, cons_offsets, constituents)
    if np.any(order != np.arange(len(order))):
        out = _reorder(out, order)
    return out


def _reorder(jets: Jets, order: np.ndarray) -> Jets:
    counts = np.diff(jets.cons_offsets)[order]
    starts = jets.cons_offsets[:-1][order]
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    idx = np.repeat(starts - offsets[:-1], counts) + np.arange(counts.sum())
    return Jets(jets.event[order], jets.px[order], jets.py[order], jets.pz[order], jets.e[order],
                offsets, jets.constituents[idx])
