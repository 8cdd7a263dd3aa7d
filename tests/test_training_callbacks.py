import json
from types import SimpleNamespace

import pytest
import torch

from jettag.training import callbacks as cb
from jettag.training.distributed import DistInfo
from jettag.training.loop import train
from jettag.training.state import BatchResult
from jettag.training.toydata import tiny_factory, write_toy_dataset


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_toy_dataset(tmp_path_factory.mktemp("toy"), n_train=120, n_val=60, max_tracks=6)


def spec(epochs=2):
    return {"name": "tiny", "hidden": 8,
            "training": {"epochs": epochs, "batch_size": 30, "reference_batch_size": 30, "learning_rate": 1e-2,
                         "block_size": 60, "seed": 3, "early_stopping": {"enabled": False}}}


class Recorder(cb.Callback):
    """Records the hooks it sees, with what the state holds at that moment."""

    def __init__(self, output_dir):
        self.output_dir, self.calls = output_dir, []

    def on_train_start(self, state):
        self.calls.append(("train_start", state.epoch))

    def on_epoch_start(self, state):
        self.calls.append(("epoch_start", state.epoch))

    def on_batch_end(self, state, batch):
        self.calls.append(("batch", batch.index, batch.last, len(state.epoch_losses)))

    def on_validation_end(self, state):
        self.calls.append(("validation", state.row["epoch"], len(state.history["epoch"])))

    def on_epoch_end(self, state):
        self.calls.append(("epoch_end", state.epoch, (state.work / "last.pt").is_file()))

    def on_train_end(self, state):
        self.calls.append(("train_end", (self.output_dir / "best.pt").is_file()))


def test_hooks_run_in_order_with_the_state(data, tmp_path):
    rec = Recorder(tmp_path)
    train(spec(), data, tmp_path, model_factory=tiny_factory, callbacks=[rec], progress=False)
    batches = [("batch", i, i == 3, i + 1) for i in range(4)]  # losses recorded before the user callback
    assert rec.calls == [
        ("train_start", 0),
        ("epoch_start", 0), *batches, ("validation", 1, 0), ("epoch_end", 1, True),
        ("epoch_start", 1), *batches, ("validation", 2, 1), ("epoch_end", 2, True),
        ("train_end", True),  # outputs already published
    ]


class StopAt(cb.Callback):
    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def on_batch_end(self, state, batch):
        if (state.epoch + 1, batch.index) == self.at:
            state.stop = {"epoch": state.epoch + 1, "batch": batch.index}


def test_a_callback_can_stop_the_run(data, tmp_path):
    h = train(spec(3), data, tmp_path, model_factory=tiny_factory, callbacks=[StopAt(2, 1)], progress=False)
    assert h["epoch"] == [1]
    assert torch.load(tmp_path / "last.pt", weights_only=True)["extra"]["training_state"]["epoch"] == 1
    diag = json.loads((tmp_path / "diagnostics.json").read_text())
    assert diag["summary"]["stopped_nonfinite"] == {"epoch": 2, "batch": 1}
    assert (tmp_path / "batch_losses.csv").read_text().count("\n2,") == 2  # batches 0 and 1 of epoch 2


def fake_state(world_size=1, rank=0, device="cpu"):
    run = SimpleNamespace(info=DistInfo(world_size > 1, rank, world_size), device=torch.device(device),
                          progress=False, callbacks=())
    return SimpleNamespace(run=run, epoch=4, epoch_losses=[], stop=None, row=None)


def losses(i, value, last=False):
    t = torch.tensor(value)
    return BatchResult(i, last, t, t + 1.0)


def test_guard_records_losses_at_checks_and_stops_at_the_first_bad_batch():
    state, guard = fake_state(), cb.NonFiniteGuard(check_every=3)
    guard.on_epoch_start(state)
    for i, v in enumerate([1.0, 2.0]):
        guard.on_batch_end(state, losses(i, v))
    assert state.epoch_losses == []  # not checked yet
    guard.on_batch_end(state, losses(2, 3.0))
    assert state.epoch_losses == [1.0, 2.0, 3.0] and state.stop is None
    guard.on_batch_end(state, losses(3, float("inf")))
    guard.on_batch_end(state, losses(4, 5.0, last=True))  # the epoch's end is a check too
    assert state.epoch_losses[:3] == [1.0, 2.0, 3.0] and state.epoch_losses[3] == float("inf")
    assert len(state.epoch_losses) == 4 and state.stop == {"epoch": 5, "batch": 3}
    ok = fake_state()
    ok.row = {"val_loss": float("nan")}
    guard.on_validation_end(ok)
    assert ok.stop == {"epoch": 5, "batch": -1}


def test_default_callbacks_write_only_on_the_main_rank():
    main = [type(c) for c in cb.default_callbacks(fake_state())]
    assert main[:3] == [cb.Resume, cb.NonFiniteGuard, cb.ProgressBar]
    assert main.index(cb.HistoryWriter) < main.index(cb.Diagnostics) < main.index(cb.Publish)
    other = [type(c) for c in cb.default_callbacks(fake_state(world_size=2, rank=1))]
    assert other == [cb.Resume, cb.NonFiniteGuard, cb.ProgressBar, cb.SyncRanks]
    state = fake_state()
    state.run.callbacks = (lambda epoch, history: None,)
    assert isinstance(cb.default_callbacks(state)[-1], cb.EpochFunction)
