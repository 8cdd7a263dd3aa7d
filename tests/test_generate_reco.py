"""Particles -> jet tracks: the ideal preset is the constituent generator, the realistic one
associates every track of the event by the ATLAS cone."""

import numpy as np
import pytest

from jettag.generate import association, jets, pileup, pythia, reco, truth
from jettag.generate.shard import ChargeTable, resolve_spec


@pytest.fixture(scope="module")
def batch():
    py = pythia.make_pythia("ttbar", 13000.0, 4242)
    parts = pythia.next_batch(py, 30)
    j = jets.cluster(parts)
    j = j.select(np.abs(j.eta) < 2.5)
    return parts, j, ChargeTable(py.particleData), truth.heavy_flavour(parts.id)


def run(batch, detector, mu=None, seed=1):
    parts, j, charge, kind = batch
    spec = resolve_spec({"detector": detector, "pileup": {"mu": mu}})
    lib = pileup.make_library(20, 0.45, 13000.0, 5) if spec["pileup"]["mu"] > 0 else None
    ctx = reco.BatchContext(spec["detector"], spec["pileup"]["mu"], lib, np.random.default_rng(seed))
    return reco.reconstruct(parts, j, charge, kind, ctx)


def test_ideal_tracks_are_charged_constituents(batch):
    parts, j, _, _ = batch
    counts, tracks, vtx = run(batch, "ideal")
    assert not np.any(vtx[2])  # no beam spot
    n_charged = [np.sum((parts.pt[c] > 0.5) & (np.abs(parts.id[c]) != 22) & (parts.id[c] != 111))
                 for c in np.split(j.constituents, j.cons_offsets[1:-1])]
    assert (counts <= np.array(n_charged)).all() and counts.sum() > 0.5 * np.sum(n_charged)
    assert tracks["truthOrigin"].min() >= 2


def test_realistic_tracks_lie_in_their_jet_cone(batch):
    _, j, _, _ = batch
    counts, tracks, _ = run(batch, "realistic", mu=20.0)
    jet = np.repeat(np.arange(len(j)), counts)
    dphi = (tracks["phi"] - j.phi[jet] + np.pi) % (2 * np.pi) - np.pi
    dr = np.hypot(tracks["eta"] - j.eta[jet], dphi)
    # perigee phi differs from the production phi by the bending: allow a little
    assert np.mean(dr < association.cone_size(j.pt[jet]) + 0.05) > 0.99
    assert np.isin(0, tracks["truthOrigin"])  # pile-up enters the cones
