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


def test_pt_bands_bracket_values_and_self_ratio_is_one(tmp_path):
    from jettag.evaluation.scores import read_scores
    from jettag.evaluation.statistics import Bootstrap
    from jettag.plotting.vs_pt import pt_bands
    from tests.test_studies_aggregation import fake_scores as same_jets

    scores = [read_scores(same_jets(tmp_path / f"{t}.h5", t, q, n=6000, seed=i))
              for i, (t, q) in enumerate((("ip3d", 0.8), ("dips", 2.0)))]
    bins = [20, 100, 250, 500]
    values, ratios = pt_bands(scores, "ip3d", 77, bins, Bootstrap(replicas=80, seed=2))
    for tagger in ("ip3d", "dips"):
        for k in ("b", "light", "c"):
            b = values[tagger][k]
            assert np.isfinite(b.value).all()
            assert np.all(b.lo <= b.value) and np.all(b.value <= b.hi) and np.all(b.hi > b.lo)
    # b-efficiency per bin matches the direct count at the flat cut
    eff = values["dips"]["b"].value
    assert np.all((eff > 0.5) & (eff < 1.0))
    for k in ("light", "c"):
        own = ratios["ip3d"][k]
        assert np.allclose(own.value, 1) and np.allclose(own.lo, 1) and np.allclose(own.hi, 1)
        r = ratios["dips"][k]
        assert np.all(r.value > 1) and np.all(r.lo <= r.value) and np.all(r.value <= r.hi)
