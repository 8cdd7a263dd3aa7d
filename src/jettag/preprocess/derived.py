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
