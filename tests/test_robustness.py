"""Robustness catalogue, end to end through the CLI (``jettag.cli.main``).

Every bad input gives exit status 2 and one stderr line (no traceback) naming the file or the
config key, and leaves no output that looks complete. Unit-level versions of many cases live in
tests/test_io_reader.py (not ROOT, truncated, empty tree, missing tree/branch, wrong depth,
unequal lengths), tests/test_preprocess_run.py (NaN, zero sigma, missing flavour, zero-track
jets), tests/test_config.py (schema errors) and tests/test_models_init.py (tampered
checkpoints refused, ``weights_only`` loading); here they are checked as a user meets them.
Also: SIGKILL at a random moment, then a rerun, gives the outputs of an uninterrupted run; the
smoke workflow is reproducible; every output records software versions and its config hash.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import awkward as ak
import h5py
import numpy as np
import pytest
import torch

from jettag.cli import main
from jettag.io import toy, write_root_atomic
from jettag.preprocess import synthetic
from jettag.provenance import PACKAGES, provenance

PREPROCESS = {"chunk_size": 500, "max_tracks": 8}


def _jets(n=600, seed=1, **kw):
    return synthetic.make_jets(n, seed=seed, **kw)


def _write(path: Path, jets) -> Path:
    synthetic.write_jetwise(path, jets)
    return path


def _with_track_field(jets, field, fn):
    flat = ak.flatten(jets["tracks"])
    x = fn(ak.to_numpy(flat[field]).copy())
    return ak.with_field(jets, ak.unflatten(ak.with_field(flat, x, field), ak.num(jets["tracks"])), "tracks")


def _set(x, idx, value):
    x[idx] = value
    return x


def _preprocess(tmp_path, inputs, spec=PREPROCESS, input_spec=None):
    argv = ["preprocess", "--spec", json.dumps(spec), "--inputs", *map(str, inputs),
            "--output-dir", str(tmp_path / "out")]
    if input_spec is not None:
        argv += ["--input-spec", json.dumps(input_spec)]
    return main(argv)


# ---------------------------------------------------------------------------------------------
# bad inputs: one line, names the file, no output


def case_not_root(d):
    p = d / "notes.root"
    p.write_text("this is a text file, not ROOT\n" * 20)
    return [p], None, {}, "notes.root"


def case_truncated(d):
    p = _write(d / "trunc.root", _jets())
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return [p], None, {}, "trunc.root"


def case_corrupt(d):
    p = _write(d / "corrupt.root", _jets())
    data = bytearray(p.read_bytes())
    rng = np.random.default_rng(0)
    lo = len(data) // 4
    data[lo : len(data) - 200] = rng.integers(0, 256, len(data) - 200 - lo, dtype=np.uint8).tobytes()
    p.write_bytes(bytes(data))
    return [p], None, {}, "corrupt.root"


def case_empty_tree(d):
    j = _jets()
    return [_write(d / "empty.root", j[:0])], None, {}, "empty.root"


def case_missing_tree(d):
    return [_write(d / "a.root", _jets())], {"tree": "Events"}, {}, "a.root"


def case_missing_branch(d):
    return [_write(d / "a.root", _jets())], {"tracks": {"d0": "track_IP2D"}}, {}, "input.tracks.d0"


def case_wrong_depth(d):
    return [_write(d / "a.root", _jets())], {"layout": "eventwise_nested"}, {}, "a.root"


def case_wrong_type(d):
    b = toy.jetwise_branches(30, seed=2)
    b["jet_name"] = np.array(["j"] * 30)
    write_root_atomic(d / "strings.root", "jets", b)
    return [d / "strings.root"], {"jets": {"pt": "jet_name"}}, {}, "'jet_name' holds string values"


def case_jet_branch_nested(d):
    return [_write(d / "a.root", _jets())], {"jets": {"pt": "track_pt"}}, {}, "input.jets.pt"


def case_unequal_lengths(d):
    b = toy.jetwise_branches(30, seed=2)
    b["other_d0"] = toy.jetwise_branches(30, seed=5)["track"].d0
    write_root_atomic(d / "uneq.root", "jets", b)
    return [d / "uneq.root"], {"tracks": {"d0": "other_d0"}}, {}, "uneq.root"


def case_nan(d):
    j = _with_track_field(_jets(), "d0", lambda x: _set(x, [5, 90], np.nan))
    return [_write(d / "nan.root", j)], None, {}, "nan.root"


def case_inf(d):
    j = ak.with_field(_jets(), _set(ak.to_numpy(_jets()["pt"]).copy(), [7], np.inf), "pt")
    return [_write(d / "inf.root", j)], None, {}, "inf.root"


def case_flavour_absent(d):
    j = _jets()
    return [_write(d / "noc.root", j[j["label"] != 4])], None, {}, "noc.root"


def case_schema(d):
    return [_write(d / "a.root", _jets())], None, {"max_tracks": "many"}, "max_tracks"


def case_schema_unknown_key(d):
    return [_write(d / "a.root", _jets())], None, {"jets": {"pt_minimum": 20}}, "pt_minimum"


def case_second_file_bad(d):
    good = _write(d / "good.root", _jets())
    bad = d / "bad.root"
    bad.write_bytes(good.read_bytes()[:1000])
    return [good, bad], None, {}, "bad.root"


CASES = {name[5:]: fn for name, fn in list(globals().items()) if name.startswith("case_")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_clear_line_and_no_output(case, tmp_path, capsys):
    inputs, input_spec, spec, needle = CASES[case](tmp_path)
    rc = _preprocess(tmp_path, inputs, {**PREPROCESS, **spec}, input_spec)
    err = capsys.readouterr().err.strip()
    lines = [ln for ln in err.splitlines() if not ln.startswith("Warning") and "warn" not in ln.lower()]
    assert rc == 2, err
    assert len(lines) == 1 and lines[0].startswith("jettag preprocess: error: "), err
    assert "Traceback" not in err and needle in lines[0], err
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# awkward but valid inputs: must work


def _read(out: Path, split: str, *names):
    with h5py.File(out / f"{split}.h5") as f:
        return [f[n][:] for n in names]


def test_zero_track_jets_are_kept(tmp_path):
    j = _jets()
    counts = ak.num(j["tracks"]).to_numpy()
    empty = np.arange(len(j)) % 5 == 0
    keep = np.repeat(~empty, counts)
    tracks = ak.unflatten(ak.flatten(j["tracks"])[keep], np.where(empty, 0, counts))
    j = ak.with_field(j, tracks, "tracks")
    assert _preprocess(tmp_path, [_write(tmp_path / "z.root", j)]) == 0
    valid, tr = _read(tmp_path / "out", "train", "valid", "tracks")
    assert (~valid.any(1)).sum() >= 0.15 * len(valid)
    assert not tr[~valid].any() and np.isfinite(tr).all()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["tracks_per_jet"]["histogram"][0] >= (~valid.any(1)).sum()


def test_more_tracks_than_padding_are_truncated(tmp_path):
    j = _jets(400, mean_tracks=40)
    assert _preprocess(tmp_path, [_write(tmp_path / "many.root", j)], {**PREPROCESS, "max_tracks": 5}) == 0
    valid, tr = _read(tmp_path / "out", "train", "valid", "tracks")
    assert valid.shape[1] == 5 and valid.all(1).mean() > 0.9
    sd0 = tr[..., 0]
    assert (np.diff(np.where(valid, sd0, -np.inf), axis=1) <= 0).all()  # the highest-sd0 tracks kept
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["tracks_per_jet"]["n_jets_truncated"] > 0.9 * sum(summary["jets_per_split"].values())


def test_unknown_labels_are_dropped_and_counted(tmp_path):
    j = _jets()
    label = ak.to_numpy(j["label"]).copy()
    label[::7] = 7  # not a HadronConeExclTruthLabelID jettag knows
    j = ak.with_field(j, label, "label")
    assert _preprocess(tmp_path, [_write(tmp_path / "lab.root", j)], {**PREPROCESS, "jets": {"abs_eta_max": 10}}) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["cutflow"]["jets_unknown_label"] == int((label == 7).sum())
    for split in ("train", "val", "test"):
        (flav,) = _read(tmp_path / "out", split, "flavour")
        assert 7 not in flav


# ---------------------------------------------------------------------------------------------
# SIGKILL at a random moment, rerun: identical to an uninterrupted run


def _cli(*argv) -> list[str]:
    return [sys.executable, "-c", "import sys; from jettag.cli import main; sys.exit(main(sys.argv[1:]))", *argv]


def _env():
    return {**os.environ, "OMP_NUM_THREADS": "1"}


def _run(argv, timeout=300):
    proc = subprocess.run(_cli(*argv), env=_env(), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _kill_after(argv, delay: float, ready=lambda: True) -> tuple[int, bool]:
    """Start the verb, wait until ``ready()`` (the job is under way), then SIGKILL it after
    ``delay`` seconds. Returns (exit status, whether it was killed while running)."""
    proc = subprocess.Popen(_cli(*argv), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None and not ready():
        time.sleep(0.02)
    try:
        proc.wait(timeout=delay)
        return proc.returncode, False
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return proc.returncode, True


def _h5_equal(a: Path, b: Path) -> None:
    with h5py.File(a) as fa, h5py.File(b) as fb:
        assert sorted(fa) == sorted(fb)
        for k in fa:
            np.testing.assert_array_equal(fa[k][...], fb[k][...], err_msg=f"{a.name}:{k}")
        assert {k: str(v) for k, v in fa.attrs.items()} == {k: str(v) for k, v in fb.attrs.items()}


def _looks_final(path: Path) -> bool:
    return not path.name.startswith(".") and not path.name.endswith(".tmp")


@pytest.fixture(scope="module")
def big_sample(tmp_path_factory):
    d = tmp_path_factory.mktemp("kill")
    return _write(d / "big.root", _jets(30000, seed=3))


def test_preprocess_killed_and_rerun_equals_uninterrupted(big_sample, tmp_path):
    spec = json.dumps({"chunk_size": 2000, "max_tracks": 10})
    argv = lambda out: ["preprocess", "--spec", spec, "--inputs", str(big_sample), "--output-dir", str(out)]  # noqa: E731
    t0 = time.perf_counter()
    _run(argv(tmp_path / "ref"))
    duration = time.perf_counter() - t0
    rng = random.Random(1234)
    killed = []
    for attempt in range(2):
        out = tmp_path / f"cut{attempt}"
        writing = lambda out=out: out.exists() and any(out.glob(".train.h5.*.tmp"))  # noqa: E731
        rc, was_killed = _kill_after(argv(out), rng.uniform(0.0, 0.5) * duration, writing)
        killed.append(was_killed)
        # an interrupted run leaves either nothing final or complete files, never a truncated one
        for p in filter(_looks_final, out.iterdir() if out.exists() else []):
            if p.suffix == ".h5":
                _h5_equal(p, tmp_path / "ref" / p.name)
            else:
                assert p.read_text() == (tmp_path / "ref" / p.name).read_text()
        _run(argv(out))
        names = sorted(p.name for p in out.iterdir())
        assert names == ["norm.json", "summary.json", "test.h5", "train.h5", "val.h5"], (rc, names)
        for split in ("train", "val", "test"):
            _h5_equal(out / f"{split}.h5", tmp_path / "ref" / f"{split}.h5")
        assert (out / "norm.json").read_text() == (tmp_path / "ref" / "norm.json").read_text()
    assert any(killed), "the job finished before it could be killed: make the sample larger"


@pytest.fixture(scope="module")
def train_data(tmp_path_factory):
    d = tmp_path_factory.mktemp("train")
    src = _write(d / "s.root", _jets(4000, seed=5))
    assert main(["preprocess", "--spec", json.dumps(PREPROCESS), "--inputs", str(src),
                 "--output-dir", str(d / "data")]) == 0
    return d / "data"


TRAIN = {"type": "deepsets", "name": "dips",
         "training": {"epochs": 8, "batch_size": 64, "seed": 3, "num_threads": 1, "device": "cpu",
                      "early_stopping": {"enabled": False}}}
HISTORY_DETERMINISTIC = ("epoch", "train_loss", "val_loss", "train_acc", "val_acc", "lr", "val_loss_err")


def _history(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return [{k: r[k] for k in HISTORY_DETERMINISTIC} for r in csv.DictReader(f)]


def _state(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


def test_training_killed_and_resumed_equals_uninterrupted(train_data, tmp_path):
    argv = lambda out: ["train", "--spec", json.dumps(TRAIN), "--data-dir", str(train_data),  # noqa: E731
                        "--output-dir", str(out)]
    t0 = time.perf_counter()
    _run(argv(tmp_path / "ref"))
    duration = time.perf_counter() - t0
    out = tmp_path / "cut"
    rng = random.Random(99)
    epoch = duration / (TRAIN["training"]["epochs"] + 4)  # rough: startup counts as a few epochs
    state = out / ".partial" / "last.pt"
    _, killed = _kill_after(argv(out), rng.uniform(0.5, 3.0) * epoch, state.exists)
    assert killed, "the training finished before it could be killed: give it more epochs"
    torch.load(state, map_location="cpu", weights_only=True)  # interrupted: last epoch resumable
    assert not (out / "best.pt").exists() and not (out / "last.pt").exists()  # nothing looks finished
    for p in filter(_looks_final, out.iterdir() if out.exists() else []):
        if p.suffix == ".pt":  # a checkpoint in place is always complete and loadable
            torch.load(p, map_location="cpu", weights_only=True)
    _run(argv(out))
    for name in ("best.pt", "last.pt"):
        a, b = _state(tmp_path / "ref" / name), _state(out / name)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), name
    assert _history(out / "history.csv") == _history(tmp_path / "ref" / "history.csv")
    assert [p.name for p in out.iterdir() if not _looks_final(p)] == []  # stale temp files cleaned


def test_stale_temp_files_of_dead_processes_are_cleaned(tmp_path):
    from jettag.atomic import atomic_path

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f".x.h5.{dead}.tmp"
    stale.write_bytes(b"half")
    alive = tmp_path / f".x.h5.{os.getppid()}.tmp"  # a running process: left alone
    alive.write_bytes(b"busy")
    with atomic_path(tmp_path / "x.h5") as tmp:
        tmp.write_bytes(b"done")
    assert not stale.exists() and alive.exists() and (tmp_path / "x.h5").read_bytes() == b"done"


# ---------------------------------------------------------------------------------------------
# provenance: versions and config hash with every output


def test_provenance_helper():
    p = provenance({"a": 1})
    assert p["jettag_version"] and p["python_version"] and len(p["config_hash"]) == 16
    assert all(f"{name}_version" in p for name in PACKAGES)
    assert provenance({"a": 1}) == p and provenance({"a": 2})["config_hash"] != p["config_hash"]
    assert "config_hash" not in provenance()
    assert all(isinstance(v, str) for v in p.values())


def test_every_output_records_versions_and_config_hash(train_data, tmp_path):
    from jettag.models import load_checkpoint

    for split in ("train", "val", "test"):
        with h5py.File(train_data / f"{split}.h5") as f:
            assert f.attrs["torch_version"] and f.attrs["uproot_version"] and f.attrs["config_hash"]
    assert json.loads((train_data / "summary.json").read_text())["provenance"]["numpy_version"]
    spec = {**TRAIN, "training": {**TRAIN["training"], "epochs": 1}}
    assert main(["train", "--spec", json.dumps(spec), "--data-dir", str(train_data),
                 "--output-dir", str(tmp_path / "m")]) == 0
    _, info = load_checkpoint(tmp_path / "m" / "best.pt")
    assert info["provenance"]["torch_version"] == torch.__version__ and info["provenance"]["config_hash"]
    assert main(["evaluate", "--checkpoint", str(tmp_path / "m" / "best.pt"), "--data", str(train_data / "test.h5"),
                 "--output", str(tmp_path / "s.h5"), "--tagger", "dips"]) == 0
    with h5py.File(tmp_path / "s.h5") as f:
        assert f.attrs["h5py_version"] == h5py.__version__ and f.attrs["config_hash"]


# ---------------------------------------------------------------------------------------------
# reproducibility: two smoke runs from scratch on CPU


@pytest.mark.slow
def test_smoke_workflow_is_reproducible(smoke_run, tmp_path_factory):
    from tests.conftest import copy_repo, run_snakemake

    # The second run stops at the performance table (generation, preprocessing, the main taggers
    # and the ensembles it includes); the studies' own trainings use the same code paths.
    second = copy_repo(tmp_path_factory.mktemp("smoke2") / "repo")
    perf = "results/metrics/performance.csv"
    proc = run_snakemake(second, targets=(perf,))
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (second / perf).read_bytes() == (smoke_run / perf).read_bytes()
    scores = sorted((second / "results" / "scores").rglob("*.h5"))
    assert {p.stem for p in scores} >= {"ip3d", "dips", "rnnip", "gn2", "dips_ensemble"}
    for b in scores:
        _h5_equal(smoke_run / b.relative_to(second), b)
