import h5py
import numpy as np
import pytest

from jettag.preprocess.writer import OutputSet, SplitWriter


def block(n, start, L=3, F=2):
    return {
        "tracks": np.full((n, L, F), 1.0, np.float32), "valid": np.ones((n, L), bool),
        "jets": np.zeros((n, 4), np.float32), "label": np.zeros(n, np.int8),
        "flavour": np.full(n, 5, np.int32), "eventNumber": np.arange(start, start + n),
        "weight": np.ones(n, np.float32), "track_origin": np.zeros((n, L), np.int8),
    }


@pytest.mark.parametrize("compression", ["none", "lzf"])
def test_append_in_uneven_blocks(tmp_path, compression):
    path = tmp_path / "x.h5"
    w = SplitWriter(path, track_features=["a", "b"], jet_features=["pt", "eta", "abs_eta", "log_pt"],
                    max_tracks=3, attrs={"split": "train"}, compression=compression, chunk_jets=4)
    start = 0
    for n in (3, 0, 10, 1, 7):
        w.append(block(n, start))
        start += n
    assert w.close() == 21
    with h5py.File(path) as f:
        assert f.attrs["n_jets"] == 21 and f.attrs["split"] == "train"
        assert f["eventNumber"][:].tolist() == list(range(21))
        assert f["tracks"].shape == (21, 3, 2) and f["tracks"].chunks == (4, 3, 2)
        assert list(f["tracks"].attrs["features"]) == ["a", "b"]
        assert f["label"].dtype == np.int8 and f["track_origin"].dtype == np.int8


def test_output_set_all_or_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with OutputSet(tmp_path) as out:
            out.tmp("a.txt").write_text("a")
            out.tmp("b.txt").write_text("b")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with OutputSet(tmp_path) as out:
        out.tmp("a.txt").write_text("a")
        out.commit()
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
