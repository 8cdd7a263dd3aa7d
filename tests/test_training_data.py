import numpy as np
import pytest
import torch

from jettag.errors import JettagError
from jettag.training.data import H5Batches, TensorBatches, check_inputs, load_all
from jettag.training.toydata import write_toy_dataset


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_toy_dataset(tmp_path_factory.mktemp("toy"), n_train=230, n_val=50, max_tracks=5)


def ids(batches):
    return [b.jets[:, 0].numpy().copy() for b in batches]  # jet pt: unique per jet


def test_missing_inputs_name_file_and_rule(tmp_path):
    with pytest.raises(JettagError, match=r"train\.h5.*preprocess"):
        check_inputs(tmp_path)
    write_toy_dataset(tmp_path, 10, 10)
    (tmp_path / "norm.json").unlink()
    with pytest.raises(JettagError, match=r"norm\.json.*preprocess"):
        check_inputs(tmp_path)


def test_every_jet_once_per_epoch_and_seeded_order(data):
    loader = H5Batches(data / "train.h5", 20, seed=3, block_size=60)
    assert len(loader) == 12
    all_pt = load_all(data / "train.h5").jets[:, 0].numpy()
    loader.set_epoch(0)
    e0 = ids(loader)
    assert [len(x) for x in e0].count(20) == 11
    assert np.array_equal(np.sort(np.concatenate(e0)), np.sort(all_pt))
    assert not np.array_equal(np.concatenate(e0), all_pt)  # shuffled
    loader.set_epoch(1)
    e1 = np.concatenate(ids(loader))
    assert not np.array_equal(np.concatenate(e0), e1)
    again = H5Batches(data / "train.h5", 20, seed=3, block_size=60, prefetch=0)
    again.set_epoch(1)
    assert np.array_equal(np.concatenate(ids(again)), e1)  # order depends on (seed, epoch) only


def test_unshuffled_keeps_file_order_and_max_jets(data):
    loader = H5Batches(data / "train.h5", 32, shuffle=False, max_jets=100)
    got = np.concatenate(ids(loader))
    assert np.array_equal(got, load_all(data / "train.h5", 100).jets[:, 0].numpy())
    b = next(iter(loader))
    assert b.tracks.dtype == torch.float32 and b.valid.dtype == torch.bool
    assert b.label.dtype == torch.int64 and b.track_origin.dtype == torch.int64
    assert b.weight.shape == (32,)


def test_ddp_slices_make_up_the_global_batch(data):
    full = H5Batches(data / "train.h5", 20, seed=1, block_size=40, drop_last=True)
    r0 = H5Batches(data / "train.h5", 20, seed=1, block_size=40, rank=0, world_size=2)
    r1 = H5Batches(data / "train.h5", 20, seed=1, block_size=40, rank=1, world_size=2)
    assert len(full) == len(r0) == len(r1) == 11
    for f, a, b in zip(ids(full), ids(r0), ids(r1), strict=True):
        assert len(a) == len(b) == 10
        assert np.array_equal(f, np.concatenate([a, b]))
    with pytest.raises(JettagError, match="divisible"):
        H5Batches(data / "train.h5", 21, world_size=2)


def test_stride_shards_are_disjoint_and_complete(data):
    parts = [np.concatenate(ids(H5Batches(data / "val.h5", 8, shuffle=False, rank=r, world_size=2,
                                          shard="stride"))) for r in (0, 1)]
    all_pt = load_all(data / "val.h5").jets[:, 0].numpy()
    assert np.array_equal(np.sort(np.concatenate(parts)), np.sort(all_pt))


def test_tensor_batches(data):
    t = TensorBatches(load_all(data / "val.h5"), 16, seed=0)
    sizes = [len(b) for b in t]
    assert sizes == [16, 16, 16, 2]


def test_batches_drop_slots_that_are_padding_everywhere():
    import torch

    from jettag.training.data import Batch

    valid = torch.tensor([[True, True, False, False, False], [True, False, False, False, False]])
    b = Batch(tracks=torch.randn(2, 5, 3), valid=valid, jets=torch.zeros(2, 2),
              label=torch.zeros(2, dtype=torch.int64), weight=torch.ones(2),
              track_origin=torch.full((2, 5), -1))
    t = b.trimmed()
    assert t.tracks.shape == (2, 2, 3) and t.valid.shape == (2, 2) and t.track_origin.shape == (2, 2)
    assert torch.equal(t.tracks, b.tracks[:, :2])
    empty = Batch(tracks=torch.randn(1, 4, 3), valid=torch.zeros(1, 4, dtype=torch.bool),
                  jets=torch.zeros(1, 2), label=torch.zeros(1, dtype=torch.int64),
                  weight=torch.ones(1), track_origin=torch.full((1, 4), -1))
    assert empty.trimmed().tracks.shape == (1, 1, 3)
