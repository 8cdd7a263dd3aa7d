import h5py
import numpy as np
import pytest

from jettag.errors import JettagError
from jettag.models.splitfile import open_split


def test_open_split_errors_name_the_file_and_the_fix(tmp_path):
    with pytest.raises(JettagError, match=r"none\.h5 does not exist: run preprocessing"):
        open_split(tmp_path / "none.h5", ("tracks",), "run preprocessing")
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5")
    with pytest.raises(JettagError, match="not a readable HDF5 file"):
        open_split(junk, ("tracks",), "x")
    part = tmp_path / "part.h5"
    with h5py.File(part, "w") as f:
        f["tracks"] = np.zeros((2, 3, 4), np.float32)
    with pytest.raises(JettagError, match=r"dataset 'valid' missing \(has \['tracks'\]\)"):
        open_split(part, ("tracks", "valid"), "x")
    with h5py.File(part, "a") as f:  # the failed open closed the file: it can be reopened for writing
        f["valid"] = np.ones((2, 3), bool)
    with open_split(part, ("tracks", "valid"), "x") as f:
        assert f["valid"].shape == (2, 3)
