"""From the particles of a batch to the reconstructed tracks of its jets.

Order of the steps (each a no-op, drawing no random numbers, when switched off, so that the
``ideal`` preset reproduces the plain constituent-track generator exactly):

1. hard-scatter candidates: charged final-state particles with pT > 0.5 GeV, |eta| < 2.5, moved to
   their interaction point in the luminous region (jettag.generate.vertex);
2. material: photon conversions and hadronic interactions (jettag.generate.material);
3. pile-up overlay (jettag.generate.pileup) and fake tracks (jettag.generate.tracking);
4. silicon hits of all candidates together (shared and merged clusters see every track);
5. tracking efficiency and merged-cluster losses;
6. reconstructed primary vertex, its resolution from the number of hard-scatter candidates;
7. track-to-jet association (jettag.generate.association);
8. helical perigee w.r.t. the beam line (d0) and the reconstructed PV (z0), smearing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jettag.generate import association, detector, helix, material, pileup, tracking, truth, vertex
from jettag.generate.candidates import Candidates
from jettag.preprocess.derived import signed_d0_significance, signed_z0_significance

TRACK_PT_MIN, TRACK_ETA_MAX = 0.5, 2.5
PHOTON_PT_MIN = 1.0
LEPTONS = (11, 13)
HS_ORIGINS_MIN = 2  # origins >= primary come from the hard scatter
#: Cone association: candidates farther than this from every jet are dropped before the hit
#: emulation (the largest ATLAS cone, at jet pT = 20 GeV, is 0.45).
NEAR_JET_DR = 0.5


@dataclass(frozen=True)
class BatchContext:
    """What the track emulation needs besides the particles: config, pile-up library, RNG."""

    det: dict
    mu: float
    library: pileup.Library | None
    rng: np.random.Generator


def hard_scatter_candidates(parts, charge_of, kind, vtx) -> tuple[Candidates, Candidates]:
    """(charged candidates, photons with pT > PHOTON_PT_MIN) of the hard scatter at its vertex."""
    final = np.flatnonzero(parts.status > 0)
    charge = charge_of(parts.id[final])
    pt = parts.pt[final]
    eta = np.arcsinh(parts.pz[final] / np.maximum(pt, 1e-12))
    vx, vy, vz = vtx

    def table(idx, q, origin, hadron):
        ev = parts.event[idx]
        return Candidates.make(ev, parts.x[idx] + vx[ev], parts.y[idx] + vy[ev], parts.z[idx] + vz[ev],
                               parts.px[idx], parts.py[idx], parts.pz[idx], q, origin, idx, hadron)

    sel = (charge != 0) & (pt > TRACK_PT_MIN) & (np.abs(eta) < TRACK_ETA_MAX)
    cand = final[sel]
    charged = table(cand, charge[sel], truth.track_origins(parts, cand, kind),
                    ~np.isin(np.abs(parts.id[cand]), LEPTONS))
    gam = final[(parts.id[final] == 22) & (pt > PHOTON_PT_MIN) & (np.abs(eta) < TRACK_ETA_MAX)]
    photons = table(gam, np.zeros(len(gam)), truth.track_origins(parts, gam, kind), np.zeros(len(gam), bool))
    return charged, photons


def _material(c: Candidates, photons: Candidates | None, det: dict, rng) -> Candidates:
    """Hadronic interactions of ``c`` and conversions of ``photons`` (pile-up: charged only)."""
    scale = det["material_scale"]
    if scale <= 0:
        return c
    radii = det["material_radii"]
    survive, had = material.hadronic(c, radii, scale * np.asarray(det["material_x_over_lambda"]), rng)
    conv = None
    if photons is not None:
        conv = material.conversions(photons, radii, scale * np.asarray(det["material_x_over_x0"]), rng)
    return Candidates.concat(c.select(survive), had, conv)


def reconstruct(parts, jets, charge_of, kind, ctx: BatchContext):
    """Tracks of ``jets``: returns (per-jet track counts, dict of flat track arrays ordered by jet)."""
    det, rng, n_ev = ctx.det, ctx.rng, parts.n_events
    vtx = vertex.beamspot(n_ev, det, rng)
    cand, photons = hard_scatter_candidates(parts, charge_of, kind, vtx)
    cand = _material(cand, photons, det, rng)
    cone = det["association"] == "cone"

    def near(c: Candidates, dr_max: float = NEAR_JET_DR) -> Candidates:
        if not cone:
            return c
        return c.select(association.near_jets(c.event, c.eta, np.arctan2(c.py, c.px),
                                              jets.event, jets.eta, jets.phi, dr_max))

    if ctx.mu > 0 and ctx.library is not None:
        keep = None
        if cone:
            def keep(ev, eta, phi):
                return association.near_jets(ev, eta, phi, jets.event, jets.eta, jets.phi, NEAR_JET_DR + 0.2)
        pu = pileup.overlay(ctx.library, n_ev, ctx.mu, det, rng, keep)
        cand = Candidates.concat(cand, _material(pu, None, det, rng))
    if det["fake_fraction"] > 0:
        cand = Candidates.concat(cand, tracking.fakes(np.bincount(cand.event, minlength=n_ev), vtx[2], det, rng))
    if len(cand) and (det["material_scale"] > 0 or ctx.mu > 0):
        cand = cand.select(cand.acceptance(TRACK_PT_MIN, TRACK_ETA_MAX))
    n_hs = np.bincount(cand.event[cand.origin >= HS_ORIGINS_MIN], minlength=n_ev)
    cand = near(cand)  # only tracks that can reach a jet cone (or share its hits) are emulated further

    pattern = detector.hit_pattern(cand.event, cand.x, cand.y, cand.z, cand.px, cand.py, cand.pz, rng,
                                   inefficiency=det["layer_inefficiency"], shared_distance=det["shared_hit_distance"])
    found = tracking.efficient(cand, det, rng)
    if det["merge_distance_rphi"] > 0 and det["merge_layers"] > 0:
        merged = tracking.merged_clusters(cand.event, pattern["hit"], pattern["phi"], pattern["z"],
                                          detector.SURFACE_RADII, det["merge_distance_rphi"],
                                          det["merge_distance_z"], det["merge_layers"])
        pattern["shared"][:, : det["merge_layers"]] |= merged
        if det["merge_loss"] > 0:
            found &= ~(merged.any(axis=1) & (rng.random(len(cand)) < det["merge_loss"]))
    rows = np.flatnonzero(found)
    cand = cand.select(rows)

    pv_z = vertex.reconstruct_pv(vtx[2], n_hs, det, rng)

    if cone:
        t, j = association.cone(cand.event, cand.eta, np.arctan2(cand.py, cand.px),
                                jets.event, jets.eta, jets.phi, jets.pt)
    else:
        t, j = association.constituents(cand.particle, jets.cons_offsets, jets.constituents, len(parts.id))
    counts = np.bincount(j, minlength=len(jets))
    c = cand.select(t)
    per = helix.helix_perigee(c.x, c.y, c.z, c.px, c.py, c.pz, c.charge, det["field_t"])
    pt, eta, phi = c.pt, c.eta, per.phi0
    theta = 2.0 * np.arctan(np.exp(-eta))
    sig_d0, sig_z0 = detector.ip_resolution(pt, theta, det)
    d0, z0st = detector.smear_ip(per.d0, (per.z0 - pv_z[c.event]) * np.sin(theta), sig_d0, sig_z0, rng,
                                 det["tail_fraction"], det["tail_scale"])
    j_eta, j_phi = jets.eta, jets.phi
    tracks = {
        "pt": pt, "eta": eta, "phi": phi, "charge": c.charge,
        "d0": d0, "z0SinTheta": z0st, "sigma_d0": sig_d0, "sigma_z0SinTheta": sig_z0,
        "sd0": signed_d0_significance(d0, sig_d0, phi, j_phi[j]),
        "sz0": signed_z0_significance(z0st, sig_z0, eta, j_eta[j]),
        **detector.hit_counts(pattern, rows[t]),
        "truthOrigin": c.origin,
        "prodR": c.prod_r,
    }
    return counts, tracks, vtx
