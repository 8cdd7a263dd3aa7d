"""Double descent on a toy with a known answer, and the noisy training set.

Toy: noisy linear regression in ``D`` Gaussian features, fitted by min-norm least squares on the
first ``p`` features (closed form, ``numpy.linalg.lstsq``) from ``n`` samples. Theory: the training
error vanishes from ``p = n`` on (interpolation), the test error diverges there and falls again
for ``p > n`` (the second descent).
"""

import h5py
import numpy as np
import pytest

from jettag.errors import JettagError
from jettag.flavours import CLASSES
from jettag.studies import descent_curve as dc

N, D, NOISE = 60, 600, 0.5
PS = [5, 15, 30, 45, 55, 60, 66, 80, 120, 240, 600]


def toy(seed=0):
    rng = np.random.default_rng(seed)
    beta = rng.normal(size=D) / np.sqrt(D) * 3.0
    x, xt = rng.normal(size=(N, D)), rng.normal(size=(4000, D))
    y, yt = x @ beta + NOISE * rng.normal(size=N), xt @ beta + NOISE * rng.normal(size=4000)
    train_err, test = [], []
    for p in PS:
        w = np.linalg.lstsq(x[:, :p], y, rcond=None)[0]
        train_err.append(np.mean((x[:, :p] @ w - y) ** 2) / np.mean(y**2))
        test.append((xt[:, :p] @ w - yt) ** 2)
    return np.array(train_err), np.array(test)


def test_threshold_where_theory_puts_it():
    train_err, _ = toy()
    assert dc.interpolation_threshold(PS, train_err, 1e-8) == N  # p = n samples
    assert all(e > 1e-3 for p, e in zip(PS, train_err, strict=True) if p < N)
    assert np.isnan(dc.interpolation_threshold(PS, np.full(len(PS), 0.5), 0.01))


def test_second_descent_found_at_the_threshold():
    train_err, test = toy()
    d = dc.second_descent(PS, test, dc.interpolation_threshold(PS, train_err, 1e-8), replicas=100)
    assert d.verdict == "second descent"
    assert PS[d.peak] == N  # the test error peaks at the interpolation threshold
    assert PS[d.after] > N and d.drop > 3 * d.drop_err
    assert PS[d.before] < N and d.rise > 3 * d.rise_err
    assert "second descent, from 60 parameters" in d.text(PS)


def test_no_peak_on_a_monotone_curve_and_no_second_descent_on_a_u_shape():
    rng = np.random.default_rng(1)
    ps = [1, 2, 4, 8, 16, 32]
    falling = np.array([rng.normal(1.0 / (k + 1), 0.05, 3000) for k in range(6)])
    assert dc.second_descent(ps, falling, 8.0, replicas=50).verdict == "no peak"
    u_shape = np.array([rng.normal(m, 0.05, 3000) for m in (1.0, 0.5, 0.4, 0.6, 0.8, 0.9)])
    d = dc.second_descent(ps, u_shape, 16.0, replicas=50)
    assert d.verdict == "no second descent" and ps[d.peak] == 32
    # a point's own error (seed spread) large enough hides the rise
    assert dc.second_descent(ps, u_shape, 16.0, replicas=50, point_err=np.full(6, 1.0)).verdict == "no peak"


def test_paired_difference_error_is_the_standard_error():
    rng = np.random.default_rng(2)
    a = rng.normal(0.0, 1.0, 5000)
    d, e = dc.paired_difference(a + 0.1, a, replicas=100)
    assert d == pytest.approx(0.1) and e < 1e-9  # perfectly paired: no error
    d, e = dc.paired_difference(rng.normal(0.0, 1.0, 5000), a, replicas=400, seed=3)
    assert e == pytest.approx(np.sqrt(2 / 5000), rel=0.15)


def test_flip_labels_exact_fraction_always_a_different_class():
    labels = np.random.default_rng(3).integers(0, 3, 1001).astype(np.int8)
    new, flipped = dc.flip_labels(labels, 0.2, seed=7)
    assert flipped.sum() == round(0.2 * 1001) and (new != labels).sum() == flipped.sum()
    assert np.all(new[flipped] != labels[flipped]) and np.all(new[~flipped] == labels[~flipped])
    assert set(np.unique(new)) <= {0, 1, 2} and new.dtype == labels.dtype
    again, _ = dc.flip_labels(labels, 0.2, seed=7)
    other, _ = dc.flip_labels(labels, 0.2, seed=8)
    assert np.array_equal(new, again) and not np.array_equal(new, other)
    # both other classes are drawn
    assert len({(a, b) for a, b in zip(labels[flipped], new[flipped], strict=True)}) == 6
    with pytest.raises(JettagError, match="label_noise"):
        dc.flip_labels(labels, 1.0, seed=1)


def _split(path, n, first_event):
    rng = np.random.default_rng(first_event)
    label = rng.integers(0, 3, n).astype(np.int8)
    with h5py.File(path, "w") as f:
        f["tracks"] = rng.normal(size=(n, 4, 2)).astype(np.float32)
        f["valid"] = np.ones((n, 4), bool)
        f["jets"] = rng.normal(size=(n, 2)).astype(np.float32)
        f["label"] = label
        f["flavour"] = np.array([c.label for c in CLASSES], np.int32)[label]
        f["eventNumber"] = np.arange(first_event, first_event + n, dtype=np.int64)
        f["weight"] = np.ones(n, np.float32)


def test_noisy_subset(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    _split(src / "train.h5", 3000, 0)
    _split(src / "val.h5", 1500, 10**6)
    (src / "norm.json").write_text("{}")
    inputs = [src / "train.h5", src / "val.h5", src / "norm.json"]
    out = tmp_path / "a" / "train.h5"
    counts = dc.make_noisy_subset(inputs, out, 1000, 400, 0.25, seed=4, chunk_size=700)
    assert counts == {"n_train": 1000, "n_val": 400, "n_flipped": 250}
    with h5py.File(out) as f, h5py.File(src / "train.h5") as s:
        label, clean, flav = f["label"][:], f["label_clean"][:], f["flavour"][:]
        assert np.array_equal(clean, s["label"][:][np.isin(s["eventNumber"][:], f["eventNumber"][:])])
        assert (label != clean).sum() == 250 and f.attrs["n_flipped"] == 250
        assert np.array_equal(flav, np.array([c.label for c in CLASSES])[label])  # flavour follows
    with h5py.File(out.with_name("val.h5")) as f, h5py.File(src / "val.h5") as s:
        sel = np.isin(s["eventNumber"][:], f["eventNumber"][:])
        assert "label_clean" not in f and np.array_equal(f["label"][:], s["label"][:][sel])  # untouched
    assert out.with_name("norm.json").read_text() == "{}"
    again = tmp_path / "b" / "train.h5"
    dc.make_noisy_subset(inputs, again, 1000, 400, 0.25, seed=4)
    with h5py.File(out) as f, h5py.File(again) as g:
        assert np.array_equal(f["label"][:], g["label"][:])
        assert np.array_equal(f["eventNumber"][:], g["eventNumber"][:])
