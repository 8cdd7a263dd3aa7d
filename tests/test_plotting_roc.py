import numpy as np
import pytest

from jettag.errors import JettagError
from jettag.evaluation.scores import write_scores
from jettag.plotting import make_plot
from tests.fake_scores import fake_scores

SPEC = {"label": "Simulation", "sample": "ttbar", "evaluation": {"reference": "ip3d"},
        "plots": {"formats": ["pdf", "png"]}}


def test_roc_writes_pdf_and_png(tmp_path):
    inputs = [fake_scores(tmp_path / "dips.h5", "dips", 2.0, 1), fake_scores(tmp_path / "ip3d.h5", "ip3d", 0.7, 2)]
    make_plot("roc", SPEC, inputs, tmp_path / "plots" / "roc.pdf")
    assert (tmp_path / "plots" / "roc.pdf").read_bytes()[:4] == b"%PDF"
    assert (tmp_path / "plots" / "roc.png").read_bytes()[:4] == b"\x89PNG"


def test_roc_without_reference_and_perfect_tagger(tmp_path):
    # the reference is absent (first input used) and a perfect tagger has infinite rejection
    n = 300
    flavour = np.array([5, 4, 0] * (n // 3))
    p_b = np.where(flavour == 5, 0.98, 0.01)
    write_scores(tmp_path / "perfect.h5", "perfect", 0.05, p_b, (1 - p_b) / 2, (1 - p_b) / 2,
                 np.full(n, 50.0), np.zeros(n), flavour, np.arange(n))
    make_plot("roc", {}, [tmp_path / "perfect.h5", fake_scores(tmp_path / "d.h5", "dips", 2.0, 1)],
              tmp_path / "roc.png")
    assert (tmp_path / "roc.png").exists() and (tmp_path / "roc.pdf").exists()


def test_roc_missing_file(tmp_path):
    with pytest.raises(JettagError, match="does not exist"):
        make_plot("roc", SPEC, [tmp_path / "nope.h5"], tmp_path / "roc.pdf")


def _read(paths):
    from jettag.evaluation.scores import read_scores

    return [read_scores(p) for p in paths]


def test_bands_bracket_the_curves_and_self_ratio_is_exactly_one(tmp_path):
    from jettag.evaluation.statistics import Bootstrap
    from jettag.plotting.roc import B_EFF_GRID, roc_bands
    from tests.test_studies_aggregation import fake_scores as same_jets

    scores = _read([same_jets(tmp_path / "ip3d.h5", "ip3d", 0.7, n=3000, seed=2),
                    same_jets(tmp_path / "dips.h5", "dips", 2.0, n=3000, seed=1)])
    bands, ratios = roc_bands(scores, "ip3d", B_EFF_GRID, Bootstrap(replicas=60, seed=3))
    for tagger in ("ip3d", "dips"):
        for bkg in ("light", "c"):
            b = bands[tagger][bkg]
            ok = np.isfinite(b.value)
            assert ok.sum() > 50
            assert np.all(b.lo[ok] <= b.value[ok]) and np.all(b.value[ok] <= b.hi[ok])
            assert np.all(b.hi[ok] > b.lo[ok])  # a real band
    for bkg in ("light", "c"):
        own = ratios["ip3d"][bkg]
        ok = np.isfinite(own.value)
        assert np.allclose(own.value[ok], 1.0) and np.allclose(own.lo[ok], 1.0) and np.allclose(own.hi[ok], 1.0)
        r = ratios["dips"][bkg]
        ok = np.isfinite(r.value) & np.isfinite(r.lo)
        assert np.all(r.lo[ok] <= r.value[ok]) and np.all(r.value[ok] <= r.hi[ok])


def test_paired_ratio_band_is_narrower_than_the_unpaired_one(tmp_path):
    """Two taggers that differ on a few jets only: the paired band of their ratio is far narrower
    than the rejection bands added in quadrature."""
    from jettag.evaluation.statistics import Bootstrap
    from jettag.plotting.roc import roc_bands

    n = 6000
    rng = np.random.default_rng(5)
    flavour = rng.choice([5, 4, 0], size=n)
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), np.select([flavour == 5, flavour == 4], [0, 1], 2)] += 1.5
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    q = p.copy()
    changed = rng.random(n) < 0.05
    q[changed] = p[changed][:, [1, 0, 2]]  # a different tagger on 5 % of the jets
    for name, probs in (("a", p), ("b", q)):
        write_scores(tmp_path / f"{name}.h5", name, 0.05, probs[:, 0], probs[:, 1], probs[:, 2],
                     np.full(n, 50.0), np.zeros(n), flavour, np.arange(n))
    bands, ratios = roc_bands(_read([tmp_path / "a.h5", tmp_path / "b.h5"]), "a", [0.7, 0.77],
                              Bootstrap(replicas=100, seed=1))
    paired = np.log(ratios["b"]["light"].hi / ratios["b"]["light"].lo)
    unpaired = np.hypot(np.log(bands["a"]["light"].hi / bands["a"]["light"].lo),
                        np.log(bands["b"]["light"].hi / bands["b"]["light"].lo))
    assert np.all(paired < 0.5 * unpaired)


def test_taggers_on_other_jets_get_a_ratio_without_band(tmp_path):
    from jettag.evaluation.statistics import Bootstrap
    from jettag.plotting.roc import roc_bands

    scores = _read([fake_scores(tmp_path / "a.h5", "a", 1.0, 1), fake_scores(tmp_path / "b.h5", "b", 2.0, 2, n=900)])
    bands, ratios = roc_bands(scores, "a", [0.7], Bootstrap(replicas=20))
    assert set(bands) == {"a", "b"} and set(ratios) == {"a", "b"}
    assert np.isfinite(ratios["b"]["light"].value).all() and np.isnan(ratios["b"]["light"].lo).all()
