import pytest

from jettag import cli
from jettag.errors import JettagError
from jettag.plotting import PLOTS, make_plot, plot_function, register_plot


def test_builtin_kinds():
    assert {"roc", "discriminant", "vs_pt", "loss", "inputs"} <= set(PLOTS)
    for kind in ("roc", "discriminant", "vs_pt", "loss", "inputs"):
        assert callable(plot_function(kind))


def test_unknown_kind_lists_kinds(tmp_path):
    with pytest.raises(JettagError, match="unknown plot kind 'nope'.*discriminant.*roc"):
        make_plot("nope", {}, [tmp_path / "x"], tmp_path / "o.pdf")


def test_register_and_dispatch(tmp_path):
    calls = []
    register_plot("dummy", lambda spec, inputs, output: calls.append((spec, inputs, output)))
    try:
        with pytest.raises(JettagError, match="already registered"):
            register_plot("dummy", print)
        code = cli.main(["plot", "dummy", "--spec", '{"label": "x"}', "--inputs", "a.h5", "b.h5",
                         "--output", str(tmp_path / "o.pdf")])
        assert code == 0
        assert calls[0][0] == {"label": "x"} and [p.name for p in calls[0][1]] == ["a.h5", "b.h5"]
    finally:
        PLOTS.pop("dummy", None)


def test_cli_reports_missing_input(tmp_path, capsys):
    code = cli.main(["plot", "roc", "--inputs", str(tmp_path / "missing.h5"), "--output", str(tmp_path / "r.pdf")])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err
