import json

import pytest

from jettag.errors import JettagError
from jettag.plotting import make_plot
from jettag.plotting.loss import read_diagnostics, read_history


def write_history(directory, val_losses, acc=True):
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["epoch,train_loss,val_loss" + (",train_acc,val_acc,lr" if acc else "")]
    for i, v in enumerate(val_losses):
        lines.append(f"{i},{1.0 - 0.05 * i},{v}" + (f",{0.5 + 0.01 * i},{0.5},0.001" if acc else ""))
    (directory / "history.csv").write_text("\n".join(lines) + "\n")
    return directory / "history.csv"


def test_history_and_diagnostics(tmp_path):
    h = read_history(write_history(tmp_path / "dips", [0.9, 0.7, 0.8]))
    assert h["val_loss"].tolist() == [0.9, 0.7, 0.8]
    (tmp_path / "d.json").write_text(json.dumps({"sentences": ["A.", {"message": "B."}], "best_epoch": 1}))
    assert read_diagnostics(tmp_path / "d.json") == (["A.", "B."], 1)
    (tmp_path / "l.json").write_text(json.dumps(["only one."]))
    assert read_diagnostics(tmp_path / "l.json") == (["only one."], None)
    assert read_diagnostics(tmp_path / "missing.json") == ([], None)
    # the form jettag.training writes
    payload = {"summary": {"best_epoch": 3, "epochs_run": 5},
               "findings": [{"kind": "overfitting", "severity": "warning", "message": "Overfits.", "epoch": 3}]}
    (tmp_path / "t.json").write_text(json.dumps(payload))
    assert read_diagnostics(tmp_path / "t.json") == (["[warning] Overfits."], 3)


def test_loss_writes_pdf_and_png(tmp_path):
    a = write_history(tmp_path / "models" / "dips", [0.9, 0.7, 0.75, 0.8])
    b = write_history(tmp_path / "models" / "rnn", [0.95, 0.8, 0.7], acc=False)
    diag = a.parent / "diagnostics.json"
    diag.write_text(json.dumps({"summary": {"best_epoch": 0}, "findings": [{"severity": "warning", "message": "Overfits."}]}))
    make_plot("loss", {"label": "Simulation"}, [a, diag, b], tmp_path / "plots" / "loss.pdf")
    assert (tmp_path / "plots" / "loss.pdf").read_bytes()[:4] == b"%PDF"
    assert (tmp_path / "plots" / "loss.png").read_bytes()[:4] == b"\x89PNG"


def test_loss_errors(tmp_path):
    with pytest.raises(JettagError, match="does not exist"):
        make_plot("loss", {}, [tmp_path / "x" / "history.csv"], tmp_path / "loss.pdf")
    (tmp_path / "bad.csv").write_text("epoch,foo\n1,2\n")
    with pytest.raises(JettagError, match="missing"):
        read_history(tmp_path / "bad.csv")
