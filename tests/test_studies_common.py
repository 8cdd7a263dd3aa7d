"""Study-step inputs found by name, and their JSON results read back with a clear error."""

from __future__ import annotations

import pytest

from jettag.atomic import write_json_atomic
from jettag.errors import JettagError
from jettag.studies import common


def test_by_tagger_strips_the_prefix_and_keeps_only_matching_files(tmp_path):
    paths = [tmp_path / n for n in ("dips.h5", "losses_dips--dd8.json", "losses_dips.csv",
                                    "sharpness_dips--bs128.json", "dips--seed2.h5")]
    assert common.by_tagger(paths) == {"dips": paths[0], "dips--seed2": paths[4]}
    assert common.by_tagger(paths, ".json", prefix="losses_") == {"dips--dd8": paths[1]}
    assert common.by_tagger(paths, ".json", prefix="sharpness_") == {"dips--bs128": paths[3]}


def test_step_json_round_trip_and_missing_file(tmp_path):
    write_json_atomic(tmp_path / "losses_dips.json", {"train_loss": 0.25, "n_jets": 7})
    assert common.read_step_json(tmp_path / "losses_dips.json", "x") == {"train_loss": 0.25, "n_jets": 7}
    assert (tmp_path / "losses_dips.json").read_text().endswith("}\n")
    with pytest.raises(JettagError, match="run the bias_variance losses step first"):
        common.read_step_json(tmp_path / "absent.json", "bias_variance losses")
