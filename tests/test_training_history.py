import numpy as np
import pytest

from jettag.errors import JettagError
from jettag.plotting import loss
from jettag.studies import common
from jettag.training.history import (
    HISTORY_COLUMNS,
    History,
    empty_history,
    read_history,
    write_history,
)


def test_write_then_read_round_trip(tmp_path):
    history = empty_history()
    for epoch, (t, v) in enumerate([(1.0, 0.9), (0.8, 0.85)], 1):
        row = {"epoch": epoch, "train_loss": t, "val_loss": v, "train_acc": 0.5, "val_acc": 0.6, "lr": 1e-3,
               "seconds": 2.0, "jets_per_s": 100.0, "val_loss_err": 0.01}
        for c in HISTORY_COLUMNS:
            history[c].append(row[c])
    out = tmp_path / "models" / "dips"
    out.mkdir(parents=True)
    write_history(out, history, [[1.2, 1.1], [0.9]])
    assert (out / "batch_losses.csv").read_text() == "epoch,batch,loss\n1,0,1.2\n1,1,1.1\n2,0,0.9\n"
    h = read_history(out / "history.csv")
    assert h.tagger == "dips"
    assert h.epoch.tolist() == [1, 2] and h["epoch"] is h.epoch
    assert h.train_loss.tolist() == [1.0, 0.8] and h["val_loss"].tolist() == [0.9, 0.85]
    assert h.wall_time.tolist() == [2.0, 4.0]  # per-epoch seconds accumulated
    assert h["val_acc"].tolist() == [0.6, 0.6] and "lr" in h and "foo" not in h
    assert h.best == 1 and h.epochs_to_reach(0.88) == (2.0, 4.0)
    assert all(np.isnan(h.epochs_to_reach(0.1)))
    with pytest.raises(KeyError):
        h["foo"]


def test_optional_columns_and_bad_cells(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("train_loss,val_loss,wall_time\n1.0,nan,10\n0.5,,25\n")
    h = read_history(path)
    assert h.epoch.tolist() == [1.0, 2.0]
    assert np.isnan(h.val_loss).all() and h.best == 0
    assert h.wall_time.tolist() == [10.0, 25.0]  # already cumulative
    path.write_text("epoch,train_loss,val_loss\n1,1.0,0.9\n")
    assert np.isnan(read_history(path).wall_time).all()


def test_errors_name_the_file(tmp_path):
    with pytest.raises(JettagError, match="does not exist"):
        read_history(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("epoch,train_loss,val_loss\n")
    with pytest.raises(JettagError, match="empty.csv.*no epochs"):
        read_history(tmp_path / "empty.csv")
    (tmp_path / "bad.csv").write_text("epoch,foo\n1,2\n")
    with pytest.raises(JettagError, match=r"bad.csv: columns \['train_loss', 'val_loss'\] are missing"):
        read_history(tmp_path / "bad.csv")


def test_one_reader_for_the_package():
    assert common.read_history is read_history and common.History is History
    assert loss.read_history is read_history
    h = History("m", np.arange(1.0, 3.0), np.array([1.0, 0.5]), np.array([0.9, 0.7]), np.array([1.0, 2.0]))
    assert h.best == 1 and h["val_loss"].tolist() == [0.9, 0.7] and "val_acc" not in h
