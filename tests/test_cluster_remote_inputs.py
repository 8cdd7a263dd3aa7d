"""Remote (XRootD) inputs: what can be checked without an XRootD server (docs/clusters.md).

* uproot turns a ``root://`` URL into a clear "install fsspec-xrootd" error when that package is
  missing, instead of a confusing file-not-found;
* an fsspec URL (``file://``) reads the same jets as the local path, so uproot's fsspec route works;
* nothing XRootD-related is needed for local runs: importing jettag's readers loads neither
  fsspec_xrootd nor the XRootD bindings;
* jettag's reader (local paths only) names a ``root://`` input in its error, and the workflow is
  pointed at staging/Snakemake storage instead (documented, not testable here).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

uproot = pytest.importorskip("uproot")

URL = "root://eospublic.cern.ch//eos/opendata/cms/nonexistent/file.root"


@pytest.fixture()
def root_file(tmp_path):
    path = tmp_path / "jets.root"
    with uproot.recreate(path) as f:
        f["jets"] = {"pt": np.array([25.0, 40.0, 100.0]), "eta": np.array([0.1, -1.2, 2.0])}
    return path


@pytest.mark.skipif(importlib.util.find_spec("fsspec_xrootd") is not None,
                    reason="fsspec-xrootd is installed; the missing-package error cannot occur")
def test_root_url_without_fsspec_xrootd_gives_clear_error():
    with pytest.raises(ImportError, match="fsspec-xrootd"):
        uproot.open(URL)


def test_file_url_through_fsspec_reads_the_same(root_file):
    fsspec_source = uproot.source.fsspec.FSSpecSource
    with uproot.open(root_file) as local, \
            uproot.open(f"file://{root_file}", handler=fsspec_source) as remote:
        assert type(remote.file.source).__name__ == "FSSpecSource"
        np.testing.assert_array_equal(local["jets/pt"].array(library="np"),
                                      remote["jets/pt"].array(library="np"))
    # uproot.iterate (what chunked readers use) takes URLs too.
    chunks = list(uproot.iterate({f"file://{root_file}": "jets"}, ["pt"], step_size=2,
                                 handler=fsspec_source, library="np"))
    assert sum(len(c["pt"]) for c in chunks) == 3


def test_local_runs_need_no_xrootd():
    code = ("import sys, jettag.io, jettag.io.reader; "
            "bad = [m for m in ('fsspec_xrootd', 'XRootD', 'pyxrootd') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_jettag_reader_names_a_remote_url_it_cannot_open():
    from jettag.errors import JettagError
    from jettag.io import reader

    expand = getattr(reader, "expand_inputs", None) or getattr(reader, "expand_files", None)
    if expand is None:
        pytest.skip("jettag.io.reader has no input-expansion function under the expected name")
    with pytest.raises(JettagError, match="root://|eospublic"):
        expand([URL])
