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
