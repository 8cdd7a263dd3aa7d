import numpy as np
import pytest

from jettag.plotting import make_plot
from jettag.plotting.vs_pt import binned_efficiency
from tests.fake_scores import fake_scores as _fake_scores


def fake_scores(path, tagger, separation, seed, n=900):
    return _fake_scores(path, tagger, separation, seed, n)


def test_binned_efficiency_numbers():
    pt = np.array([25.0] * 100 + [50.0] * 10)
    passed = np.r_[np.arange(100) < 20, np.zeros(10, bool)]
    eff, err, n = binned_efficiency(passed, pt, [20, 40, 60, 80])
    assert eff[0] == pytest.approx(0.2) and err[0] == pytest.approx(0.04)
    assert eff[1] == 0 and n.tolist() == [100, 10, 0] and np.isnan(eff[2])


def test_vs_pt_writes_pdf_and_png(tmp_path):
    inputs = [fake_scores(tmp_path / "ip3d.h5", "ip3d", 0.7, 1), fake_scores(tmp_path / "dips.h5", "dips", 2.0, 2)]
    spec = {"evaluation": {"reference": "ip3d", "pt_wp": 77, "pt_bins": [20, 50, 100, 200, 400, 1000]}}
    make_plot("vs_pt", spec, inputs, tmp_path / "pt.pdf")
    assert (tmp_path / "pt.pdf").read_bytes()[:4] == b"%PDF"
    assert (tmp_path / "pt.png").read_bytes()[:4] == b"\x89PNG"
