"""The ensembles summary: the ensemble paired with the mean of its members."""

from jettag.studies import common, ensembles
from tests.test_studies_aggregation import fake_history, fake_scores


def test_ensemble_of_identical_members_equals_the_mean_member(tmp_path):
    names = ["m", "m--seed2", "m--seed3"]
    # identical members: the ensemble is each of them, the ratio exactly 1, no seed spread
    inputs = [fake_scores(tmp_path / f"s/ttbar/{n}.h5", n, 2.0, seed=0) for n in names]
    ens = tmp_path / "s/ttbar/m_ensemble.h5"
    ensembles.step_combine({}, inputs, ens)
    inputs += [ens, fake_history(tmp_path / "models/m/history.csv", [1, 0.5], [1, 0.6])]
    spec = {"members": {"m": names}, "snapshots": {"m": []}, "plots": {"formats": ["png"]}}
    out = tmp_path / "st/ensembles.csv"
    ensembles.step_summary(spec, inputs, out)
    row = common.read_csv(out)[-1]
    assert row["tagger"] == "m_ensemble" and row["reference"] == "mean member"
    assert abs(row["ratio"] - 1) < 1e-3 and row["verdict"].startswith("no significant difference")


def test_ensemble_of_scattered_members_carries_their_spread(tmp_path):
    names = ["m", "m--seed2", "m--seed3"]
    inputs = [fake_scores(tmp_path / f"s/ttbar/{n}.h5", n, q, seed=i)
              for i, (n, q) in enumerate(zip(names, [1.5, 2.0, 2.5], strict=True))]
    ens = tmp_path / "s/ttbar/m_ensemble.h5"
    ensembles.step_combine({}, inputs, ens)
    spec = {"members": {"m": names}, "snapshots": {"m": []}, "plots": {"formats": ["png"]}}
    out = tmp_path / "st/ensembles.csv"
    ensembles.step_summary(spec, [*inputs, ens], out)
    row = common.read_csv(out)[-1]
    # the members' spread is large: the interval is wide (at least the seed standard error)
    assert row["ratio_hi"] / row["ratio_lo"] > 1.2
