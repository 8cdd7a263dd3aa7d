"""The double-descent study: planning, the test loss/error of scores, and a summary with a known peak."""

import json
import math

import numpy as np
import pytest

from jettag import config
from jettag.evaluation.scores import read_scores, write_scores
from jettag.studies import common, double_descent
from tests.conftest import planning_config
from tests.fake_scores import fake_scores

WIDTHS = (2, 4, 8, 16, 32)
PARAMS = {2: 100, 4: 300, 8: 1000, 16: 3500, 32: 12000}


def test_plan_names_seeds_and_files():
    cfg = config.merge(planning_config(), {"studies": {"double_descent": {
        "enabled": True, "widths": [8, 2, 32], "seeds": 2, "train_jets": 500, "label_noise": 0.1}}})
    spec = double_descent.plan_spec(cfg)
    assert spec["points"] == {"dips": {"2": ["dips--dd2", "dips--dd2--seed2"], "8": ["dips--dd8", "dips--dd8--seed2"],
                                       "32": ["dips--dd32", "dips--dd32--seed2"]}}
    assert double_descent.data_dir(cfg) == "results/studies/double_descent/data/n500_noise0.1"
    inputs = double_descent.summary_inputs(cfg, spec)
    assert "results/studies/double_descent/scores/dips--dd8--seed2.h5" in inputs
    assert "results/studies/double_descent/losses_dips--dd32.json" in inputs and len(inputs) == 12
    assert double_descent.losses_inputs(cfg, "dips--dd8") == [
        "results/models/dips--dd8/last.pt", "results/studies/double_descent/data/n500_noise0.1/train.h5",
        "results/studies/double_descent/data/n500_noise0.1/val.h5", "results/data/ttbar/test.h5"]


def test_test_loss_and_error_of_scores(tmp_path):
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4]])
    flavour = np.array([5, 4, 0, 15])  # the tau jet is left out
    write_scores(tmp_path / "s.h5", "t", 0.05, p[:, 0], p[:, 1], p[:, 2], np.ones(4), np.zeros(4), flavour,
                 np.arange(4))
    loss, wrong = double_descent.test_per_jet(read_scores(tmp_path / "s.h5"))
    assert loss == pytest.approx(-np.log([0.7, 0.6, 0.2]), rel=1e-6)
    assert wrong.tolist() == [0.0, 0.0, 1.0]
    assert not double_descent.constant_output(read_scores(fake_scores(tmp_path / "f.h5", "f", 1.0, seed=1)))
    q = np.full(50, 1 / 3)  # a dead model: one output for every jet, no working point
    write_scores(tmp_path / "c.h5", "c", 0.05, q, q, q, np.ones(50), np.zeros(50), np.full(50, 5), np.arange(50))
    assert double_descent.constant_output(read_scores(tmp_path / "c.h5"))


SEPARATION = {2: 1.2, 4: 1.6, 8: 0.4, 16: 1.4, 32: 1.9}  # worst at width 8


def _inputs(tmp_path, train_error):
    inputs = []
    for w in WIDTHS:
        t = f"dips--dd{w}"
        (tmp_path / "scores").mkdir(exist_ok=True)
        inputs.append(fake_scores(tmp_path / "scores" / f"{t}.h5", t, SEPARATION[w], seed=5, n=4000))
        fit = {"n_params": PARAMS[w], "train_loss": train_error[w], "train_error": train_error[w],
               "train_error_err": 0.001, "train_n_jets": 400, "val_loss": 1.0, "val_error": 0.4}
        (tmp_path / f"losses_{t}.json").write_text(json.dumps(fit))
        inputs.append(tmp_path / f"losses_{t}.json")
    spec = {"points": {"dips": {str(w): [f"dips--dd{w}"] for w in WIDTHS}}, "train_jets": 400, "label_noise": 0.2,
            "epochs": 5, "bootstrap_replicas": 50, "plots": {"formats": ["png"]}, "label": "", "label_extra": "",
            "sample": "s"}
    return spec, inputs


def test_summary_finds_threshold_and_second_descent(tmp_path):
    # the training error first vanishes at width 8, where the test error peaks
    spec, inputs = _inputs(tmp_path, {2: 0.4, 4: 0.2, 8: 0.005, 16: 0.0, 32: 0.0})
    out = tmp_path / "double_descent.csv"
    double_descent.step_summary(spec, inputs, out)
    rows = common.read_csv(out)
    assert [int(r["width"]) for r in rows] == list(WIDTHS)
    r = rows[0]
    assert r["threshold_params"] == 1000 and r["theory_params"] == 1200  # 400 jets x 3 classes
    assert r["error_verdict"] == "second descent" and r["loss_verdict"] == "second descent"
    assert r["descent_start_params"] == 1000
    assert "interpolation threshold" in rows[2]["role"] and "test error peak" in rows[2]["role"]
    assert "second minimum" in rows[4]["role"]
    # the peak's test error is the highest, with a binomial error
    errs = [r["test_error"] for r in rows]
    assert max(errs) == errs[2] and rows[2]["test_error_err"] == pytest.approx(
        math.sqrt(errs[2] * (1 - errs[2]) / 4000), rel=1e-4)
    assert rows[2]["verdict"] == "worse"  # light rejection of the peak vs the largest width, paired
    assert (tmp_path / "double_descent_curve_dips.png").stat().st_size > 10000
    text = double_descent.headline([{k: str(v) for k, v in r.items()} for r in rows])
    assert text.startswith("dips interpolates from 1000 parameters (theory 1200); test error: second descent, "
                           "from 1000 parameters")


def test_no_verdict_without_interpolation(tmp_path):
    spec, inputs = _inputs(tmp_path, dict.fromkeys(WIDTHS, 0.3))
    out = tmp_path / "double_descent.csv"
    double_descent.step_summary(spec, inputs, out)
    rows = common.read_csv(out)
    assert {r["error_verdict"] for r in rows} == {"no interpolation"} and rows[0]["descent_start_params"] == ""
    assert "never interpolates" in double_descent.headline([{k: str(v) for k, v in r.items()} for r in rows])


def test_the_curve_plots_train_and_test_error_and_marks_the_thresholds(tmp_path, monkeypatch):
    from jettag.plotting import style

    saved = []
    monkeypatch.setattr(style, "save_figure", lambda fig, output, formats=(): saved.append(fig) or [])
    spec, inputs = _inputs(tmp_path, {2: 0.4, 4: 0.2, 8: 0.005, 16: 0.0, 32: 0.0})
    double_descent.step_summary(spec, inputs, tmp_path / "double_descent.csv")
    rows = common.read_csv(tmp_path / "double_descent.csv")
    (fig,) = saved
    top, bottom = fig.axes
    # bottom panel: train and test error in percent against the parameter counts
    series = {c.get_label(): c.lines[0] for c in bottom.containers}  # errorbar: data line first
    train, test = series["train error (noisy labels)"], series["test error"]
    assert list(train.get_xdata()) == [PARAMS[w] for w in WIDTHS]
    np.testing.assert_allclose(np.asarray(train.get_ydata(), dtype=float), [40, 20, 0.5, 0, 0])
    np.testing.assert_allclose(np.asarray(test.get_ydata(), dtype=float), [100 * r["test_error"] for r in rows])
    # the measured interpolation threshold (solid) and n_train x 3 (dashed) on both panels
    for ax in (top, bottom):
        vlines = {ln.get_label(): ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_label().startswith(("interp", "$n"))}
        assert vlines == {"interpolation (measured)": 1000, r"$n_\mathrm{train} \times 3$": 1200}
    assert bottom.get_xscale() == top.get_xscale() == "log"
