import numpy as np

from jettag.evaluation.scores import write_scores
from jettag.plotting import make_plot


def fake_scores(path, tagger, separation, seed, n=600):
    rng = np.random.default_rng(seed)
    flavour = rng.choice([5, 4, 0], size=n)
    cls = np.select([flavour == 5, flavour == 4], [0, 1], 2)
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), cls] += separation
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    write_scores(path, tagger, 0.05, p[:, 0], p[:, 1], p[:, 2], rng.uniform(20, 400, n),
                 rng.uniform(-2.5, 2.5, n), flavour, np.arange(n))
    return path


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
