"""The two-step preprocessing (one part per input file, then the merge) gives bitwise the outputs
of the one-process ``run_preprocessing``; parts are atomic and tied to their spec."""

import json

import h5py
import numpy as np
import pytest

from jettag.errors import JettagError
from jettag.preprocess import run_preprocessing, synthetic
from jettag.preprocess.parts import iter_part, merge_parts, preprocess_file

SPEC = {"chunk_size": 300, "max_tracks": 12, "compression": "lzf"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("parts")
    paths = []
    for k, n in enumerate((900, 650, 1000)):  # several chunks per file, a partial last chunk
        path = d / f"shard{k}.root"
        synthetic.write_jetwise(path, synthetic.make_jets(n, seed=20 + k, mean_tracks=9.0))
        paths.append(str(path))
    return d, paths


def two_step(d, paths, spec, name):
    parts = []
    for k, path in enumerate(paths):
        part = d / name / "parts" / f"file{k}.h5"
        preprocess_file(spec, None, path, part, progress=False)
        parts.append(str(part))
    merge_parts(spec, parts, d / name / "out", "toy", progress=False)
    return d / name / "out", parts


def assert_identical(a, b):
    for split in ("train", "val", "test"):
        with h5py.File(a / f"{split}.h5", "r") as fa, h5py.File(b / f"{split}.h5", "r") as fb:
            assert sorted(fa) == sorted(fb)
            assert dict(fa.attrs).keys() == dict(fb.attrs).keys()
            for key in fa.attrs:
                assert np.array_equal(fa.attrs[key], fb.attrs[key]), (split, key)
            for key in fa:
                x, y = fa[key][()], fb[key][()]
                assert x.dtype == y.dtype and x.shape == y.shape, (split, key)
                assert x.tobytes() == y.tobytes(), (split, key)  # bitwise
                assert fa[key].compression == fb[key].compression
                assert list(fa[key].attrs) == list(fb[key].attrs)
    for name in ("norm.json", "summary.json"):
        assert (a / name).read_text() == (b / name).read_text(), name


@pytest.mark.parametrize("mode", ["reweight", "resample"])
def test_two_step_is_bitwise_the_one_process_path(inputs, mode):
    d, paths = inputs
    spec = {**SPEC, "reweight": {"mode": mode}}
    ref = d / f"ref_{mode}"
    run_preprocessing(spec, None, paths, ref, "toy", progress=False)
    out, parts = two_step(d, paths, spec, mode)
    assert_identical(ref, out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["inputs"] == paths
    n_split = sum(summary["jets_per_split"].values())
    n_parts = sum(len(c[s][0]["label"]) for p in parts for c in iter_part(p) for s in ("train", "val", "test"))
    if mode == "reweight":
        assert n_split == n_parts  # every selected jet written once
    # the normalisation comes from the train split only
    with h5py.File(out / "train.h5", "r") as f:
        if mode == "reweight":
            tracks = f["tracks"][()][f["valid"][()]]
            norm = json.loads((out / "norm.json").read_text())
            assert norm["track"]["sd0"]["mean"] == pytest.approx(tracks[:, 0].astype(float).mean(), rel=1e-6)


def test_part_of_another_spec_is_refused(inputs):
    d, paths = inputs
    part = d / "other" / "file0.h5"
    preprocess_file({**SPEC, "max_tracks": 5}, None, paths[0], part, progress=False)
    with pytest.raises(JettagError, match="another preprocess config"):
        merge_parts(SPEC, [str(part)], d / "other" / "out", progress=False)
    assert not (d / "other" / "out" / "summary.json").exists()


def test_killed_per_file_job_leaves_no_part(inputs, monkeypatch):
    d, paths = inputs
    from jettag.preprocess import parts as module

    calls = {"n": 0}
    real = module.process_chunk

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # as if killed while writing the second chunk
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "process_chunk", dying)
    part = d / "killed" / "file0.h5"
    with pytest.raises(KeyboardInterrupt):
        preprocess_file(SPEC, None, paths[0], part, progress=False)
    assert not part.exists() and list(part.parent.iterdir()) == []


def test_missing_part_is_a_clear_error(inputs):
    d, _ = inputs
    with pytest.raises(JettagError, match="does not exist"):
        merge_parts(SPEC, [str(d / "nope.h5")], d / "x", progress=False)


def test_part_is_compact(inputs):
    """A part holds the kept track rows, not the padded arrays: smaller than the split files."""
    d, paths = inputs
    out, parts = two_step(d, paths[:1], SPEC | {"compression": "none"}, "compact")
    with h5py.File(parts[0], "r") as f:
        group = f["c000000/train"]
        assert "tracks" not in group and group["rows"].shape[0] == int(group["n_kept"][()].sum())
        assert group["rows"].shape[0] == len(group["origin_rows"])
    padded = sum((out / f"{s}.h5").stat().st_size for s in ("train", "val", "test"))
    assert (d / "compact" / "parts" / "file0.h5").stat().st_size < padded / 2
