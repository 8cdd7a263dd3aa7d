import math

import numpy as np
import pytest
import torch

from jettag.errors import JettagError
from jettag.training.schedules import StepScheduler, lr_curve, scaled_learning_rate


def test_lr_scaling():
    assert scaled_learning_rate(1e-3, 512, 256, "linear") == pytest.approx(2e-3)
    assert scaled_learning_rate(1e-3, 1024, 256, "sqrt") == pytest.approx(2e-3)
    assert scaled_learning_rate(1e-3, 64, 256, "linear") == pytest.approx(2.5e-4)
    assert scaled_learning_rate(1e-3, 1024, 256, "none") == pytest.approx(1e-3)
    with pytest.raises(JettagError, match="lr_scaling"):
        scaled_learning_rate(1e-3, 1, 1, "cubic")


def test_constant():
    assert np.all(lr_curve(50, 10, {"name": "constant"}, 0.1) == 0.1)


def test_onecycle_peaks_at_warmup_end():
    lr = lr_curve(200, 20, {"name": "onecycle", "warmup_fraction": 0.25, "min_lr_fraction": 0.01})
    assert int(np.argmax(lr)) == 50
    assert lr[50] == pytest.approx(1.0)
    assert lr[0] == pytest.approx(0.01)
    assert np.all(np.diff(lr[:51]) > 0) and np.all(np.diff(lr[50:]) < 0)
    assert lr[-1] == pytest.approx(0.01, abs=1e-3)


def test_cosine_decays_to_floor():
    lr = lr_curve(100, 10, {"name": "cosine", "min_lr_fraction": 0.1})
    assert lr[0] == pytest.approx(1.0)
    assert np.all(np.diff(lr) < 0)
    assert lr[50] == pytest.approx(0.55, abs=0.01)
    assert lr[-1] == pytest.approx(0.1, abs=1e-3)


def test_sgdr_restarts():
    sched = {"name": "sgdr", "restart_epochs": 2, "restart_mult": 2, "min_lr_fraction": 0.0}
    lr = lr_curve(140, 10, sched)
    jumps = np.flatnonzero(np.diff(lr) > 0) + 1
    assert list(jumps) == [20, 60]  # cycles of 20, 40, 80 steps
    assert lr[0] == lr[20] == lr[60] == pytest.approx(1.0)
    assert lr[10] == pytest.approx(0.5)
    assert lr[40] == pytest.approx(0.5)


def test_step_scheduler_sets_lr_and_round_trips():
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([p], lr=0.0)
    s = StepScheduler(opt, 0.2, 10, 5, {"name": "cosine", "min_lr_fraction": 0.0})
    assert opt.param_groups[0]["lr"] == pytest.approx(0.2)
    for _ in range(5):
        s.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    s2 = StepScheduler(opt, 0.2, 10, 5, {"name": "cosine", "min_lr_fraction": 0.0})
    s2.load_state_dict(s.state_dict())
    assert s2.last_step == 5 and opt.param_groups[0]["lr"] == pytest.approx(0.2 * 0.5 * (1 + math.cos(math.pi / 2)))
