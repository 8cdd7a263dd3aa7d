"""The b-tagging discriminant ``D_b = ln(p_b / (fc p_c + (1 - fc) p_u))``."""

from __future__ import annotations

import numpy as np

from jettag.errors import JettagError

#: Guard added to numerator and denominator so that zero probabilities give finite values.
EPSILON = 1e-10


def discriminant_b(p_b, p_c, p_u, fc: float) -> np.ndarray:
    """``ln(p_b / (fc p_c + (1 - fc) p_u))`` element-wise, with a tiny epsilon guard.

    ``fc`` is the c-jet fraction in the background hypothesis (0 <= fc <= 1).
    Inputs are array-likes of equal shape; the result is float64.
    """
    if not 0.0 <= float(fc) <= 1.0:
        raise JettagError(f"fc = {fc} is outside [0, 1]: the c-fraction of D_b must be a fraction")
    p_b = np.asarray(p_b, dtype=np.float64)
    p_c = np.asarray(p_c, dtype=np.float64)
    p_u = np.asarray(p_u, dtype=np.float64)
    denominator = fc * p_c + (1.0 - fc) * p_u
    return np.log((p_b + EPSILON) / (denominator + EPSILON))
