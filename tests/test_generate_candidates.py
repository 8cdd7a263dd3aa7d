"""The track-candidate table."""

import numpy as np

from jettag.generate.candidates import Candidates


def test_make_select_concat_and_kinematics():
    a = Candidates.make([0, 1], [1.0, 0.0], [0.0, 2.0], [0.0, 5.0], [3.0, 0.0], [4.0, 1.0], [0.0, 1.0],
                        [1.0, -1.0], 2, [7, 9], [True, False])
    np.testing.assert_allclose(a.pt, [5.0, 1.0])
    np.testing.assert_allclose(a.eta, [0.0, np.arcsinh(1.0)])
    np.testing.assert_allclose(a.theta, [np.pi / 2, np.pi / 4])
    np.testing.assert_allclose(a.prod_r, [1.0, 2.0])
    assert a.origin.dtype == np.int8 and (a.origin == 2).all()
    b = Candidates.make([3], [0.0], [0.0], [0.0], [0.1], [0.0], [0.0], [0.0], 0)
    c = Candidates.concat(a, b)
    assert len(c) == 3 and c.particle.tolist() == [7, 9, -1] and c.hadron.tolist() == [True, False, True]
    np.testing.assert_array_equal(c.acceptance(0.5, 2.5), [True, True, False])
    assert c.select(np.array([2])).event.tolist() == [3]
