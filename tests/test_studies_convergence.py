"""Steps to a validation-loss target, their seed comparison and the loss-curve plot."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jettag.studies import common, convergence


def _run(val, steps_per_epoch=10, seconds_per_epoch=2.0):
    n = len(val)
    epochs = np.arange(1, n + 1, dtype=float)
    history = common.History("t", epochs, np.asarray(val) + 0.01, np.asarray(val, dtype=float),
                             epochs * seconds_per_epoch)
    return convergence.Run(history, epochs * steps_per_epoch)


def test_steps_to_target_are_interpolated_between_epochs():
    run = _run([1.0, 0.5, 0.4])
    steps, secs, epoch = run.to_reach(0.6)  # 80 % of the way from epoch 1 (10 steps) to 2 (20)
    assert steps == pytest.approx(18.0) and secs == pytest.approx(3.6) and epoch == 2
    assert all(math.isnan(x) for x in run.to_reach(0.1))


def test_steps_comparison_carries_the_seed_spread():
    slow = convergence.steps_comparison([40.0, 42.0, 38.0], [20.0, 21.0, 19.0])
    assert slow["steps_ratio"] == pytest.approx(2.0) and slow["steps_verdict"] == "slower"
    same = convergence.steps_comparison([20.0, 30.0], [25.0, 22.0])
    assert same["steps_verdict"].startswith("no significant difference (MDE")
    assert convergence.steps_comparison([20.0], [25.0])["steps_verdict"] == "no seed spread (one seed)"
    assert convergence.mean_spread([1.0, 3.0, math.nan]) == (2.0, pytest.approx(math.sqrt(2)))


def test_the_loss_plot_draws_one_line_per_seed_and_the_target(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    drawn = {}
    monkeypatch.setattr(common, "finish", lambda fig, ax, spec, output, name, extra=(): drawn.update(
        lines=[(ln.get_label(), list(ln.get_ydata())) for ln in ax.get_lines()], name=name))
    runs = {"a": [_run([1.0, 0.5]), _run([0.9, 0.6])], "b": [_run([0.8, 0.7])]}
    convergence.plot_val_loss({}, "dips", runs, 0.55, tmp_path / "x.csv", {"a": "variant a"})
    labels = [label for label, _ in drawn["lines"]]
    assert drawn["name"] == "val_loss_dips"
    assert labels.count("variant a") == 1 and "b" in labels and "target" in labels
    assert [1.0, 0.5] in [y for _, y in drawn["lines"]] and [0.55, 0.55] in [y for _, y in drawn["lines"]]
