import numpy as np
import pytest

from jettag.training.lr_range import run_lr_range_test, smoothed, suggest_lr
from jettag.training.toydata import tiny_factory, write_toy_dataset


def test_suggest_lr_on_fabricated_curve():
    lrs = np.logspace(-6, 0, 61)
    x = np.log10(lrs)
    loss = 1.1 - 0.9 / (1 + np.exp(-(x + 3) * 3))  # steepest at lr = 1e-3
    loss[-5:] += np.linspace(0, 5, 5)  # blow-up at the end
    assert suggest_lr(lrs, loss) == pytest.approx(1e-3, rel=0.3)


def test_smoothing_is_bias_corrected():
    assert smoothed([2.0, 2.0, 2.0]) == pytest.approx([2.0, 2.0, 2.0])


def test_lr_range_outputs(tmp_path):
    data = write_toy_dataset(tmp_path / "data", n_train=200, n_val=20, max_tracks=6)
    spec = {"name": "tiny", "hidden": 8, "training": {"batch_size": 20, "block_size": 100}}
    out = run_lr_range_test(spec, data, tmp_path / "lr" / "lr_find.csv", min_lr=1e-5, max_lr=10.0,
                            steps=50, model_factory=tiny_factory)
    assert 1e-5 <= out["suggested_lr"] <= 10.0
    assert np.all(np.diff(out["lr"]) > 0) and out["lr"][0] == pytest.approx(1e-5)
    lines = (tmp_path / "lr" / "lr_find.csv").read_text().splitlines()
    assert lines[0] == "step,lr,loss,smoothed_loss" and 10 < len(lines) <= 51
    for suffix in (".png", ".pdf", ".json"):
        assert (tmp_path / "lr" / f"lr_find{suffix}").stat().st_size > 0
