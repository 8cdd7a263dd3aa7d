import math

import numpy as np
import pytest

from jettag.errors import JettagError
from jettag.evaluation.discriminant import discriminant_b


def test_hand_values():
    # ln(0.6 / (0.1*0.3 + 0.9*0.1)) = ln(0.6 / 0.12) = ln 5
    d = discriminant_b([0.6], [0.3], [0.1], fc=0.1)
    assert d[0] == pytest.approx(math.log(5.0), rel=1e-8)
    # fc = 0: only light in the denominator; fc = 1: only c
    assert discriminant_b(0.5, 0.25, 0.25, 0.0) == pytest.approx(math.log(2.0))
    assert discriminant_b(0.2, 0.4, 0.4, 1.0) == pytest.approx(math.log(0.5))


def test_vectorised_and_zero_probabilities_are_finite():
    d = discriminant_b(np.array([1.0, 0.0]), np.array([0.0, 0.5]), np.array([0.0, 0.5]), 0.05)
    assert np.isfinite(d).all()
    assert d[0] > 20 and d[1] < -20


def test_fc_out_of_range():
    with pytest.raises(JettagError, match="fc"):
        discriminant_b(0.5, 0.25, 0.25, 1.5)
