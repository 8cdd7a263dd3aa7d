
from jettag.plotting import make_plot
from tests.fake_scores import fake_scores


def test_discriminant_writes_pdf_and_png(tmp_path):
    inputs = [fake_scores(tmp_path / f"t{i}.h5", f"t{i}", 1.0 + i, i) for i in range(3)]
    spec = {"evaluation": {"working_points": [70, 77], "reference": "t1"}, "label": "ATLAS Simulation Internal"}
    make_plot("discriminant", spec, inputs, tmp_path / "disc.pdf")
    assert (tmp_path / "disc.pdf").read_bytes()[:4] == b"%PDF"
    assert (tmp_path / "disc.png").read_bytes()[:4] == b"\x89PNG"


def test_discriminant_single_tagger_png_first(tmp_path):
    make_plot("discriminant", {"plots": {"formats": ["png"]}}, [fake_scores(tmp_path / "a.h5", "a", 2.0, 0)],
              tmp_path / "disc.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.h5", "disc.png"]
