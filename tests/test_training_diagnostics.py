import json

import numpy as np

from jettag.training import diagnostics as d

RNG = np.random.default_rng(0)


def batches(n_epochs=5, n_batches=40, start=1.0, noise=0.02, pattern=None):
    out = []
    for e in range(n_epochs):
        level = start * 0.8**e
        x = level + noise * RNG.normal(size=n_batches)
        if pattern is not None:
            x = x + pattern
        out.append(x)
    return out


def kinds(findings):
    return {f.kind for f in findings}


def test_healthy_history_has_no_findings():
    h = {"train_loss": [1.0, 0.8, 0.64, 0.52, 0.42], "val_loss": [1.0, 0.82, 0.67, 0.56, 0.47],
         "val_loss_err": [0.005] * 5}
    assert d.diagnose(h, batches()) == []


def test_nan_names_epoch_and_batch():
    b = batches(3)
    b[2][17] = np.nan
    b[2] = b[2][:18]
    f = d.find_nonfinite([1.0, 0.8, np.nan], [1.0, 0.8, np.nan], b)
    assert f.epoch == 3 and f.batch == 17
    assert "epoch 3, batch 17" in f.message and "epoch 2" in f.message and "learning_rate" in f.message
    f = d.find_nonfinite([1.0], [1.0], [], stop={"epoch": 1, "batch": 4})
    assert "no usable checkpoint" in f.message


def test_divergence():
    b = [1.0 * 1.15 ** np.arange(i * 20, i * 20 + 20) for i in range(3)]
    f = d.find_divergence([1, 2, 3], b)
    assert f is not None and f.kind == "divergence"
    assert d.find_divergence([1.0, 0.9], batches(2)) is None
    # a single spike that recovers is not divergence
    spiky = batches(3)
    spiky[1][5:8] = 10.0
    assert d.find_divergence([1.0, 0.9, 0.8], spiky) is None


def test_overfitting_start_epoch():
    train = [1.0, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]
    val = [1.0, 0.85, 0.80, 0.82, 0.86, 0.90, 0.95]
    f = d.find_overfitting(train, val, [0.005] * 7)
    assert f.epoch == 4 and "epoch 4" in f.message and "best.pt is from epoch 3" in f.message
    # within the statistical error: not flagged
    assert d.find_overfitting(train, [1.0, 0.85, 0.80, 0.801, 0.802, 0.803, 0.804], [0.05] * 7) is None


def test_flat_loss_not_falling():
    flat = [np.full(40, 1.0986) + 0.01 * RNG.normal(size=40) for _ in range(4)]
    f = d.find_not_falling([1.0986, 1.0987, 1.0985, 1.0986], flat)
    assert f.kind == "not_falling" and "learning rate" in f.message
    assert d.find_not_falling([1.0, 0.8], batches(2)) is None


def test_periodic_structure_is_found_with_period():
    pattern = 0.1 * np.sin(2 * np.pi * np.arange(40) / 10)
    f = d.find_periodic(batches(pattern=pattern))
    assert f is not None and "shuffle" in f.message
    assert d.periodicity(batches(pattern=pattern))[2] == 10
    assert all(d.find_periodic(batches(n_epochs=4)) is None for _ in range(20))  # noise alone
    rs = [d.periodicity(batches(n_epochs=4))[0] for _ in range(20)]
    assert abs(np.median(rs)) < 0.1


def test_small_validation_set():
    val = [0.90, 0.89, 0.895, 0.888, 0.891]
    f = d.find_small_validation(val, [0.05] * 5, n_val=1000)
    assert f is not None and "preprocess.splits.val" in f.message and "min_delta" in f.message
    assert d.find_small_validation([1.0, 0.8, 0.6, 0.5], [0.01] * 4) is None


def test_write_diagnostics(tmp_path):
    fs = [d.Finding("periodic", "warning", "x.")]
    d.write_diagnostics(fs, tmp_path, {"best_epoch": 2})
    payload = json.loads((tmp_path / "diagnostics.json").read_text())
    assert payload["summary"]["best_epoch"] == 2 and payload["findings"][0]["kind"] == "periodic"
    assert "periodic" in (tmp_path / "diagnostics.txt").read_text()
    d.write_diagnostics([], tmp_path)
    assert "No problems" in (tmp_path / "diagnostics.txt").read_text()
