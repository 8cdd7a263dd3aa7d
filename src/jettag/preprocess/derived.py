"""Derived track features: lifetime-signed impact-parameter significances, Delta R, log ratios.

Functions accept numpy arrays or awkward arrays (they only use ufuncs), so the generator and the
preprocessing share one definition of the sign conventions.
"""

from __future__ import annotations

import numpy as np


def delta_phi(phi1, phi2):
    """phi1 - phi2 wrapped to [-pi, pi)."""
    return (phi1 - phi2 + np.pi) % (2 * np.pi) - np.pi


def delta_r(eta1, phi1, eta2, phi2):
    return np.sqrt((eta1 - eta2) ** 2 + delta_phi(phi1, phi2) ** 2)


def lifetime_sign_d0(d0, trk_phi, jet_phi):
    """+1 if the point of closest approach lies in the jet hemisphere, else -1.

    ATLAS convention: the PCA is at (x, y) = (-d0 sin(phi), d0 cos(phi)), so
    jet . PCA = d0 sin(phi_jet - phi_trk).
    """
    return np.where(d0 * np.sin(jet_phi - trk_phi) >= 0, 1.0, -1.0)


def lifetime_sign_z0(z0, trk_eta, jet_eta):
    return np.where((jet_eta - trk_eta) * z0 >= 0, 1.0, -1.0)


def signed_d0_significance(d0, sigma_d0, trk_phi, jet_phi):
    return np.abs(d0) / sigma_d0 * lifetime_sign_d0(d0, trk_phi, jet_phi)


def signed_z0_significance(z0sintheta, sigma_z0sintheta, trk_eta, jet_eta):
    return np.abs(z0sintheta) / sigma_z0sintheta * lifetime_sign_z0(z0sintheta, trk_eta, jet_eta)


# --------------------------------------------------------------------------------------------
# Feature tables used by preprocessing (flat numpy arrays: one entry per track / per jet)

#: Smallest Delta R used inside log(Delta R): a track exactly on the jet axis gives a finite value.
DR_FLOOR = 1.0e-6


def track_features(trk: dict, jet_pt, jet_eta, jet_phi) -> dict[str, np.ndarray]:
    """Every feature of ``jettag.features.TRACK_FEATURES`` from flat per-track arrays.

    ``trk`` maps canonical track names (``pt, eta, phi, d0, z0SinTheta, sigma_d0,
    sigma_z0SinTheta`` and the hit counts) to arrays; ``jet_pt, jet_eta, jet_phi`` hold the
    parent jet's values for every track. Returns ``name -> array`` in ``TRACK_FEATURES`` order.
    """
    from jettag.features import HIT_FIELDS, TRACK_FEATURES

    pt, eta, phi = trk["pt"], trk["eta"], trk["phi"]
    d0, z0 = trk["d0"], trk["z0SinTheta"]
    deta = eta - jet_eta
    dphi = delta_phi(phi, jet_phi)
    dr = np.sqrt(deta**2 + dphi**2)
    pt_frac = pt / jet_pt
    out = {
        "sd0": signed_d0_significance(d0, trk["sigma_d0"], phi, jet_phi),
        "sz0": signed_z0_significance(z0, trk["sigma_z0SinTheta"], eta, jet_eta),
        "log_pt_frac": np.log(pt_frac),
        "log_dr": np.log(np.maximum(dr, DR_FLOOR)),
        **{h: trk[h] for h in HIT_FIELDS},
        "pt_frac": pt_frac,
        "dr": dr,
        "deta": deta,
        "dphi": dphi,
        "eta": eta,
        "phi": phi,
        "log_pt": np.log(pt),
        "d0": d0,
        "z0SinTheta": z0,
    }
    assert tuple(out) == tuple(TRACK_FEATURES), "derived features out of sync with TRACK_FEATURES"
    return out


def jet_features(pt, eta) -> dict[str, np.ndarray]:
    """Every feature of ``jettag.features.JET_FEATURES``: pt, eta, abs_eta, log_pt."""
    return {"pt": pt, "eta": eta, "abs_eta": np.abs(eta), "log_pt": np.log(pt)}
