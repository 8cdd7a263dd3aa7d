"""The Z' efficiency-vs-pT table applies the tt̄ working-point cut unchanged to Z' jets."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from jettag.evaluation.scores import write_scores
from tests.conftest import REPO


def _load():
    spec = importlib.util.spec_from_file_location("zprime_efficiency", REPO / "benchmarks/zprime_efficiency.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _scores(path: Path, p_b, flavour, pt):
    p_b = np.asarray(p_b, dtype=float)
    n = len(p_b)
    write_scores(path, "t", 0.05, p_b, (1 - p_b) / 2, (1 - p_b) / 2, pt, np.zeros(n), flavour, np.arange(n))


def test_the_ttbar_cut_gives_the_known_zprime_efficiencies(tmp_path: Path):
    # tt̄: 100 b-jets with p_b spread uniformly, so the 77 % cut sits at p_b ~ 0.23
    for sample in ("ttbar", "zprime"):
        (tmp_path / "scores" / sample).mkdir(parents=True)
    _scores(tmp_path / "scores/ttbar/t.h5", np.linspace(0.01, 0.99, 100), np.full(100, 5), np.full(100, 50.0))
    # Z': low-pT b-jets all well above the cut, high-pT b-jets half below it; light jets all below
    p_b = np.r_[np.full(40, 0.9), np.full(20, 0.9), np.full(20, 0.05), np.full(30, 0.02)]
    flavour = np.r_[np.full(80, 5), np.full(30, 0)]
    pt = np.r_[np.full(40, 100.0), np.full(40, 1500.0), np.full(30, 100.0)]
    _scores(tmp_path / "scores/zprime/t.h5", p_b, flavour, pt)
    text = _load().table(tmp_path, ["t"], 77.0, [20, 250, 3000])
    rows = {line.split(" | ")[1]: line for line in text.splitlines()[2:]}
    assert "1.000 ± 0.000 (40)" in rows["b"] and "0.500 ± 0.079 (40)" in rows["b"]
    assert "0.000 ± 0.000 (30)" in rows["light"] and "–" in rows["light"]
