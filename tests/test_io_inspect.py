"""jettag.io.inspect: listing and the proposed mapping works when pasted back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jettag.errors import JettagError
from jettag.io import read_all, toy, write_root_atomic
from jettag.io.inspect import inspect_file

NANO = Path(__file__).parents[2] / "shared" / "realdata" / "nano106X_on_mini106X_2017_mc_NANO.root"


def proposal(text: str) -> dict:
    body = text.split("# proposed mapping", 1)[1].split("\n", 1)[1]
    return yaml.safe_load(
        "\n".join(line for line in body.splitlines() if not line.startswith("#"))
    )["input"]


def test_jetwise_toy_proposal_is_the_default(tmp_path, capsys):
    write_root_atomic(tmp_path / "a.root", "jets", toy.jetwise_branches(5))
    inspect_file(tmp_path / "a.root")
    out = capsys.readouterr().out
    assert "tree 'jets': 5 entries" in out and "track_d0" in out
    spec = proposal(out)
    assert spec["layout"] == "jetwise"
    assert spec["jets"]["label"] == "HadronConeExclTruthLabelID"
    assert spec["tracks"]["sigma_z0SinTheta"] == "track_sigma_z0SinTheta"
    assert len(read_all([tmp_path / "a.root"], spec)) == 5


def test_not_root(tmp_path):
    (tmp_path / "x.root").write_text("nope")
    with pytest.raises(JettagError, match="not a ROOT file"):
        inspect_file(tmp_path / "x.root")


@pytest.mark.realdata
@pytest.mark.skipif(not NANO.is_file(), reason=f"real data file {NANO} is absent")
def test_cms_proposal_is_usable(capsys):
    inspect_file(NANO)
    spec = proposal(capsys.readouterr().out)
    assert spec["layout"] == "eventwise_indexed"
    assert spec["link"] == {"index": "JetPFCands_jetIdx"}
    assert spec["jets"]["label"] == "Jet_hadronFlavour"
    assert spec["tracks"]["d0"] == {"branch": "JetPFCands_d0", "unit": "cm"}
    jets = read_all([NANO], spec)
    assert len(jets) == 884
