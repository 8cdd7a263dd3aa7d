"""The transfer study: random small sample over every mass point, paired comparisons, loss curves."""

import csv

import h5py
import numpy as np
import pytest

from jettag.studies import datasets, transfer
from tests.test_studies_aggregation import fake_history, fake_scores

MASSES = np.array([500.0, 1000.0, 2000.0, 3000.0, 4000.0])


def _mass_ordered_sample(tmp_path, n_per_mass=2000):
    """A Z'-like training split written mass after mass (file order = mass order), two jets per event."""
    mass = np.repeat(MASSES, n_per_mass)
    events = np.repeat(np.arange(mass.size // 2, dtype=np.int64) * 7 + 3, 2)
    for split in ("train", "val"):
        with h5py.File(tmp_path / f"{split}.h5", "w") as f:
            f["eventNumber"] = events if split == "train" else events[:100] + 10**7
            f["mass"] = mass if split == "train" else mass[:100]
            f["label"] = np.zeros(mass.size if split == "train" else 100, dtype=np.int8)
    (tmp_path / "norm.json").write_text("{}")
    return [tmp_path / "train.h5", tmp_path / "val.h5", tmp_path / "norm.json"]


def test_small_sample_holds_every_mass_in_proportion(tmp_path):
    inputs = _mass_ordered_sample(tmp_path)
    n_small = 1000
    n = datasets.make_random_subset(inputs, tmp_path / "small/train.h5", n_small, seed=1, chunk_size=777)
    assert n_small <= n <= n_small + 1  # whole events: at most one extra jet
    with h5py.File(tmp_path / "small/train.h5") as f:
        mass, events = f["mass"][:], f["eventNumber"][:]
    # whole events only
    _, counts = np.unique(events, return_counts=True)
    assert (counts == 2).all()
    # every mass point in proportion (1/5 each), within 3 binomial standard deviations (of events)
    n_events = n / 2
    for m in MASSES:
        frac = np.count_nonzero(mass == m) / n
        assert abs(frac - 0.2) < 3 * np.sqrt(0.2 * 0.8 / n_events), (m, frac)
    # the first N jets in file order would be the lowest mass only: the subset is not that
    assert np.count_nonzero(mass == MASSES[0]) < 0.4 * n
    # seeded: reproducible, another seed gives another draw
    datasets.make_random_subset(inputs, tmp_path / "again/train.h5", n_small, seed=1)
    datasets.make_random_subset(inputs, tmp_path / "other/train.h5", n_small, seed=2)
    with h5py.File(tmp_path / "again/train.h5") as a, h5py.File(tmp_path / "other/train.h5") as b:
        assert np.array_equal(a["eventNumber"][:], events)
        assert len(set(b["eventNumber"][:]) & set(events)) < 0.5 * n_events
    assert (tmp_path / "small/val.h5").is_file() and (tmp_path / "small/norm.json").is_file()


def test_small_sample_larger_than_the_split_takes_everything(tmp_path):
    inputs = _mass_ordered_sample(tmp_path, n_per_mass=10)
    assert datasets.make_random_subset(inputs, tmp_path / "s/train.h5", 10**6) == 50


def _spec(tmp_path):
    runs = {"source": "m--seed1", "target": "m--zprime", "finetune": "m--seed1--finetune-zprime",
            "scratch": "m--scratch-zprime"}
    quality = {"source": 2.0, "target": 2.5, "finetune": 2.4, "scratch": 1.0}
    inputs = []
    for role, tagger in runs.items():
        for sample in ("ttbar", "zprime"):
            if role in ("finetune", "scratch") and sample == "ttbar":
                continue
            inputs.append(fake_scores(tmp_path / "scores" / sample / f"{tagger}.h5", tagger, quality[role],
                                      n=4000, seed=hash(role) % 100))
    for role in ("finetune", "scratch"):
        h = fake_history(tmp_path / "models" / runs[role] / "history.csv", [1.0, 0.8, 0.7], [1.0, 0.9, 0.85])
        (h.parent / "batch_losses.csv").write_text(
            "epoch,batch,loss\n" + "".join(f"{e},{b},0.5\n" for e in (1, 2, 3) for b in range(4)))
        inputs.append(h)
    spec = {"runs": {"m": runs}, "source": "ttbar", "target": "zprime", "plots": {"formats": ["png"]},
            "label": "", "label_extra": "", "sample": "ttbar", "n_small": 200, "wp": 77}
    return spec, inputs


def test_summary_compares_finetune_with_scratch_paired(tmp_path):
    from jettag.studies import common

    spec, inputs = _spec(tmp_path)
    out = tmp_path / "t" / "transfer.csv"
    transfer.step_summary(spec, inputs, out)
    rows = common.read_csv(out)
    ft = next(r for r in rows if r["role"] == "finetune" and r["selection"] == "all")
    assert ft["reference"] == "m--scratch-zprime"
    assert ft["verdict"] == "better" and ft["ratio"] > 1 and ft["ratio_lo"] < ft["ratio"] < ft["ratio_hi"]
    assert ft["epochs_run"] == 3 and ft["optimiser_steps"] == 12
    src_on_target = next(r for r in rows if r["role"] == "source" and r["evaluated_on"] == "zprime"
                         and r["selection"] == "all")
    assert src_on_target["reference"] == "m--zprime"
    assert next(r for r in rows if r["role"] == "scratch")["verdict"] == ""
    for name in transfer.plot_names(spec):
        assert (tmp_path / "t" / f"transfer_{name}.png").is_file()
    text = transfer.headline(list(csv.DictReader(out.open())))
    assert "better" in text and "fine-tuned" in text


@pytest.mark.parametrize("n_small", [200, 2000])
def test_plan_points_small_runs_at_the_random_subset(n_small):
    from jettag import config
    from jettag.taggers import plan_tagger
    from tests.conftest import planning_config

    raw = planning_config()
    raw["studies"]["transfer"] = {**raw["studies"]["transfer"], "n_small": n_small, "epochs": 17}
    cfg = config.resolve(raw)
    for tagger in ("dips--scratch-zprime", "dips--finetune-zprime"):
        plan = plan_tagger(cfg, tagger)
        assert plan.data_dir == f"results/studies/transfer/data/zprime_n{n_small}"
        assert plan.spec["training"]["epochs"] == 17  # the same budget for both runs
        assert plan.spec["training"]["early_stopping"]["enabled"]
