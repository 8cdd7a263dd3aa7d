"""On-the-fly augmentation: the symmetry table against the derived features, the seeded loader."""

import math

import numpy as np
import pytest

from jettag.features import JET_FEATURES, TRACK_FEATURES
from jettag.preprocess.derived import jet_features, track_features
from jettag.training.augment import Augmentation, transform, wrap
from jettag.training.data import H5Batches
from jettag.training.toydata import write_toy_dataset

FULL = {"rotate_phi": True, "reflect_eta": True}
TRACK_FEATURES_LIST = list(TRACK_FEATURES)


def _raw(n, rng):
    """Flat per-track raw quantities (one track per jet) and their jets."""
    trk = {"pt": rng.uniform(1, 50, n), "eta": rng.uniform(-2.4, 2.4, n), "phi": rng.uniform(-math.pi, math.pi, n),
           "d0": rng.normal(0, 0.1, n), "z0SinTheta": rng.normal(0, 0.2, n), "sigma_d0": rng.uniform(0.01, 0.05, n),
           "sigma_z0SinTheta": rng.uniform(0.02, 0.1, n)}
    trk.update({h: rng.integers(0, 4, n).astype(float) for h in
                [f for f in TRACK_FEATURES if f.startswith("numberOf")]})
    jet = {"pt": rng.uniform(20, 300, n), "eta": trk["eta"] + rng.normal(0, 0.1, n),
           "phi": wrap((trk["phi"] + rng.normal(0, 0.1, n)).astype(np.float32)).astype(np.float64)}
    return trk, jet


def _block(trk, jet):
    f = track_features(trk, jet["pt"], jet["eta"], jet["phi"])
    j = jet_features(jet["pt"], jet["eta"])
    n = len(jet["pt"])
    return {"tracks": np.stack([f[k] for k in TRACK_FEATURES], -1)[:, None, :].astype(np.float32),
            "valid": np.ones((n, 1), bool), "jets": np.stack([j[k] for k in JET_FEATURES], -1).astype(np.float32)}


def test_the_symmetry_table_moves_the_columns_as_the_physics_does():
    # recomputing every feature from rotated / reflected raw tracks gives the transformed columns
    rng = np.random.default_rng(4)
    trk, jet = _raw(400, rng)
    aug = Augmentation.build(FULL, list(TRACK_FEATURES), list(JET_FEATURES))
    angle = rng.uniform(-math.pi, math.pi, 400)
    rot_trk = {**trk, "phi": wrap((trk["phi"] + angle).astype(np.float32)).astype(np.float64)}
    rot_jet = {**jet, "phi": wrap((jet["phi"] + angle).astype(np.float32)).astype(np.float64)}
    ref_trk = {**trk, "eta": -trk["eta"], "z0SinTheta": -trk["z0SinTheta"]}
    ref_jet = {**jet, "eta": -jet["eta"]}
    moved = {"rotate": (transform(_block(trk, jet), angle.astype(np.float32), np.zeros(400, bool), aug),
                        _block(rot_trk, rot_jet)),
             "reflect": (transform(_block(trk, jet), np.zeros(400, np.float32), np.ones(400, bool), aug),
                         _block(ref_trk, ref_jet))}
    phi = list(TRACK_FEATURES).index("phi")
    for name, (got, want) in moved.items():
        for key in ("tracks", "jets"):
            diff = got[key] - want[key]
            if key == "tracks":  # azimuths agree modulo 2 pi
                diff[..., phi] = wrap(diff[..., phi])
            assert np.abs(diff).max() < 2e-3, (name, key)
    # and the rotation really moved the absolute azimuth, the reflection the eta-odd columns
    assert np.abs(wrap(moved["rotate"][0]["tracks"][..., phi] - _block(trk, jet)["tracks"][..., phi])).mean() > 1
    assert aug.track_phi == (phi,) and aug.jet_eta_odd == (list(JET_FEATURES).index("eta"),)
    assert {list(TRACK_FEATURES)[c] for c in aug.track_eta_odd} == {"deta", "eta", "z0SinTheta"}


def test_off_unless_asked_and_padding_stays_zero():
    assert Augmentation.build(None, list(TRACK_FEATURES), list(JET_FEATURES)) is None
    assert Augmentation.build({"rotate_phi": False}, list(TRACK_FEATURES), list(JET_FEATURES)) is None
    aug = Augmentation.build({"rotate_phi": True}, list(TRACK_FEATURES), list(JET_FEATURES))
    block = {"tracks": np.zeros((3, 4, len(TRACK_FEATURES)), np.float32), "valid": np.zeros((3, 4), bool),
             "jets": np.ones((3, len(JET_FEATURES)), np.float32)}
    block["valid"][:, 0] = True
    out = aug.apply(block, np.random.default_rng(1))
    assert np.all(out["tracks"][:, 1:] == 0) and np.any(out["tracks"][:, 0] != 0)
    assert np.array_equal(out["jets"], block["jets"])  # no reflection asked: jet eta untouched
    assert np.all(block["tracks"] == 0)  # the input block is not modified


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_toy_dataset(tmp_path_factory.mktemp("toy"), n_train=230, n_val=50, max_tracks=5)


def _epoch(loader, epoch):
    loader.set_epoch(epoch)
    return [b for b in loader]


def _cat(batches, key):
    return np.concatenate([getattr(b, key).numpy() for b in batches])


def test_augmenting_loader_is_seeded_and_reproducible(data):
    aug = Augmentation.build(FULL, list(TRACK_FEATURES), list(JET_FEATURES))

    def loader(seed, augment=aug, prefetch=1):
        return H5Batches(data / "train.h5", 20, seed=seed, block_size=60, augment=augment, prefetch=prefetch)

    a, b = _epoch(loader(3), 1), _epoch(loader(3, prefetch=0), 1)
    assert all(np.array_equal(x.tracks, y.tracks) and np.array_equal(x.jets, y.jets) for x, y in zip(a, b, strict=True))
    fresh = loader(3)
    _epoch(fresh, 0)  # a resumed run starts at epoch 1 without epoch 0: same batches
    assert np.array_equal(_cat(_epoch(fresh, 1), "tracks"), _cat(a, "tracks"))
    assert not np.array_equal(_cat(_epoch(loader(4), 1), "tracks"), _cat(a, "tracks"))
    # same jets in the same order as without augmentation; only phi and the eta-odd columns move
    plain = _epoch(loader(3, augment=None), 1)
    assert np.array_equal(_cat(plain, "label"), _cat(a, "label"))
    moved = {TRACK_FEATURES_LIST[c] for c in (*aug.track_phi, *aug.track_eta_odd)}
    for c, name in enumerate(TRACK_FEATURES_LIST):
        same = np.array_equal(_cat(plain, "tracks")[..., c], _cat(a, "tracks")[..., c])
        assert same == (name not in moved), name
    sign = _cat(a, "jets")[:, 1] / _cat(plain, "jets")[:, 1]
    assert np.allclose(np.abs(sign), 1) and 0.35 < np.mean(sign < 0) < 0.65  # reflected half the time



def test_training_augments_the_training_batches_only(data, tmp_path):
    from jettag.training.callbacks import Callback
    from jettag.training.loop import train
    from jettag.training.toydata import TinyTagger

    seen = {}

    class Record(Callback):
        def on_train_start(self, state):
            seen["train"], seen["val"] = state.train_loader.augment, state.val_loader.augment

    spec = {"name": "toy", "type": "deepsets",
            "training": {"epochs": 1, "batch_size": 64, "device": "cpu", "augment": FULL,
                         "early_stopping": {"enabled": False}}}
    train(spec, data, tmp_path / "m", model_factory=lambda s, n, f, j: TinyTagger(n, f, j), callbacks=[Record()],
          progress=False)
    assert isinstance(seen["train"], Augmentation) and seen["train"].rotate_phi and seen["train"].reflect_eta
    assert seen["val"] is None
