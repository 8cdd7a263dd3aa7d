"""`jettag export-ftag`: any sample jettag reads -> FTAG HDF5, read back with atlas-ftag-tools."""

from __future__ import annotations

import awkward as ak
import numpy as np
from ftag.hdf5 import H5Reader

from jettag.cli import main
from jettag.io import read_all
from jettag.io.ftag_hdf5 import JET_DTYPE, TRACK_DTYPE
from tests.conftest import realdata


def test_export_round_trip_through_atlas_ftag_tools(tmp_path):
    src = realdata("uproot-issue-798.root")
    out = tmp_path / "physlite.h5"
    assert main(["export-ftag", "--spec", '{"input": {"layout": "physlite"}}', "--inputs", str(src),
                 "--max-tracks", "8", "--output", str(out)]) == 0
    canon = read_all([str(src)], {"layout": "physlite"})
    reader = H5Reader(out, batch_size=1000, shuffle=False)
    data = reader.load({"jets": list(JET_DTYPE.names), "tracks": list(TRACK_DTYPE.names)})
    jets, tracks = data["jets"], data["tracks"]
    assert len(jets) == len(canon) == 372
    assert np.allclose(jets["pt"], np.asarray(canon.pt) * 1e3, rtol=1e-6)
    assert np.array_equal(jets["HadronConeExclTruthLabelID"], np.asarray(canon.label))
    assert np.array_equal(jets["eventNumber"], np.asarray(canon.eventNumber))
    valid = tracks["valid"]
    assert np.array_equal(valid.sum(axis=1), np.minimum(np.asarray(ak.num(canon.tracks)), 8))
    first = ak.pad_none(canon.tracks[:, :8], 8, clip=True)
    for ftag_name, ours in (("d0", "d0"), ("z0SinTheta", "z0SinTheta"), ("d0Uncertainty", "sigma_d0"),
                            ("numberOfPixelHits", "numberOfPixelHits")):
        want = np.asarray(ak.fill_none(first[ours], 0))
        assert np.allclose(tracks[ftag_name][valid], want[valid], rtol=1e-6), ftag_name
    assert not tracks["d0"][~valid].any()  # padding is zero

    # and back into jettag through the ftag_hdf5 layout: the same canonical jets
    back = read_all([str(out)], {"layout": "ftag_hdf5", "jets": {"phi": "jets.phi"},
                                 "tracks": {"phi": {"add": ["tracks.dphi", "jets.phi"]}}})
    assert np.allclose(np.asarray(back.pt), np.asarray(canon.pt), rtol=1e-6)
    for name in ("pt", "eta", "charge", "d0", "sigma_z0SinTheta", "numberOfSCTHits"):
        a, b = ak.flatten(back.tracks[name]), ak.flatten(canon.tracks[:, :8][name])
        assert np.allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6), name
    dphi = ak.flatten(back.tracks.phi - canon.tracks[:, :8].phi)
    assert np.allclose(np.sin(np.asarray(dphi)), 0, atol=1e-5)


def test_export_of_the_generator_files(tmp_path):
    gen = tmp_path / "s0.root"
    assert main(["generate", "--spec", '{"process": "ttbar", "n_events": 20, "seed": 5}',
                 "--output", str(gen), "--no-progress"]) == 0
    out = tmp_path / "gen.h5"
    assert main(["export-ftag", "--inputs", str(gen), "--output", str(out)]) == 0
    data = H5Reader(out, shuffle=False).load({"jets": ["pt", "HadronConeExclTruthLabelID"]})
    canon = read_all([str(gen)])
    assert np.allclose(data["jets"]["pt"], np.asarray(canon.pt) * 1e3, rtol=1e-6)



def test_export_rule_is_a_named_target_outside_all(smoke_run):
    from tests.conftest import run_snakemake

    named = run_snakemake(smoke_run, "-n", "export_ftag")
    assert named.returncode == 0, named.stderr[-2000:]
    jobs = named.stdout + named.stderr
    assert "export_ftag_sample" in jobs and "rule generate" not in jobs  # only the export jobs
    default = run_snakemake(smoke_run, "-n")
    assert default.returncode == 0
    assert "export_ftag" not in default.stdout + default.stderr
