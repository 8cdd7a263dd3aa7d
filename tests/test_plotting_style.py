import matplotlib.pyplot as plt
import pytest

from jettag.errors import JettagError
from jettag.plotting import style


def test_split_label():
    assert style.split_label("ATLAS Simulation Internal") == ("ATLAS", "Simulation Internal")
    assert style.split_label("Simulation") == ("", "Simulation")
    assert style.split_label("Private work") == ("", "Private work")


def test_label_lines_default_claims_no_collaboration():
    lines = style.label_lines({"sample": "ttbar", "jets": {"pt_min": 20, "pt_max": 1e6, "abs_eta_max": 2.5}})
    assert lines[0] == r"$\sqrt{s}$ = 13 TeV, $t\bar{t}$"
    assert lines[1] == r"$p_T$ > 20 GeV, $|\eta|$ < 2.5"
    assert style.label_lines({"label_extra": "", "selection": "my cuts"}, extra=["x"]) == ["my cuts", "x"]
    spec = {"preprocess": {"jets": {"pt_min": 20.0, "pt_max": 250.0, "abs_eta_max": 2.5}}}
    assert style.label_lines(spec)[1] == r"20 < $p_T$ < 250 GeV, $|\eta|$ < 2.5"


def test_draw_label_texts():
    style.use_style()
    fig, ax = plt.subplots()
    style.draw_label(ax, {"label_extra": "extra line"})
    texts = [t.get_text() for t in ax.texts]
    assert "Simulation" in texts and "extra line" in texts and "ATLAS" not in " ".join(texts)
    plt.close(fig)
    fig, ax = plt.subplots()
    style.draw_label(ax, {"label": "ATLAS Simulation Internal"})
    assert {"ATLAS", "Simulation Internal"} <= {t.get_text() for t in ax.texts}
    plt.close(fig)


def test_save_figure_writes_every_format(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    written = style.save_figure(fig, tmp_path / "sub" / "p.pdf", ["pdf", "png", "svg"])
    assert [p.name for p in written] == ["p.pdf", "p.png", "p.svg"]
    assert (tmp_path / "sub" / "p.pdf").read_bytes()[:4] == b"%PDF"
    assert (tmp_path / "sub" / "p.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["p.pdf", "p.png", "p.svg"]
    assert not plt.fignum_exists(fig.number)


def test_output_paths_and_formats():
    assert [p.name for p in style.output_paths("a/roc.png", ["pdf", "png"])] == ["roc.png", "roc.pdf"]
    assert style.formats({}) == ["pdf", "png"]
    with pytest.raises(JettagError, match="formats"):
        style.formats({"plots": {"formats": ["gif"]}})
