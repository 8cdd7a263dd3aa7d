"""Minimal reruns: after the smoke run, a config change makes the dry-run list only the jobs
that the changed section feeds (Snakemake's default rerun triggers: params, input, code, ...).
The dry-runs run on the finished smoke run itself; nothing is executed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import run_snakemake

OTHER_TAGGERS = ("ip3d", "rnnip", "gn2")
ALWAYS = {"resolved_config", "summary", "all"}  # the config file itself and the landing page


def planned_jobs(workdir: Path, *configs: Path) -> list[tuple[str, dict[str, str]]]:
    """(rule, wildcards) of every job a dry-run with the smoke config plus ``configs`` plans."""
    proc = run_snakemake(workdir, "-n", "--configfile", "config/smoke.yaml", *map(str, configs))
    assert proc.returncode == 0, proc.stderr[-3000:]
    jobs: list[tuple[str, dict[str, str]]] = []
    for line in (proc.stdout + proc.stderr).splitlines():
        if m := re.match(r"^(?:local)?rule (\w+):$", line):
            jobs.append((m.group(1), {}))
        elif (m := re.match(r"^\s+wildcards: (.*)$", line)) and jobs:
            jobs[-1][1].update(kv.split("=", 1) for kv in m.group(1).split(", "))
    return jobs


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "change.yaml"
    path.write_text(text)
    return path


@pytest.mark.slow
def test_finished_smoke_run_has_nothing_to_do(smoke_run):
    assert planned_jobs(smoke_run) == []


@pytest.mark.slow
def test_changing_one_model_reruns_only_that_model(smoke_run, tmp_path):
    jobs = planned_jobs(smoke_run, _config(tmp_path, "models:\n  dips: {type: deepsets, dropout: 0.05}\n"))
    rules = {rule for rule, _ in jobs}
    assert ("train", {"tagger": "dips"}) in jobs
    assert not rules & {"generate", "preprocess"}, sorted(rules)
    taggers = {w["tagger"] for _, w in jobs if "tagger" in w}
    models = {w["model"] for _, w in jobs if "model" in w}
    assert all(t == "dips" or t.startswith("dips--") for t in taggers), sorted(taggers)
    assert models <= {"dips"}
    assert not any(t.startswith(OTHER_TAGGERS) for t in taggers)


@pytest.mark.slow
def test_changing_one_study_reruns_only_that_study(smoke_run, tmp_path):
    change = "studies:\n  kfold: {enabled: true, models: [dips], folds: 3}\n"
    jobs = planned_jobs(smoke_run, _config(tmp_path, change))
    assert jobs, "a new fold count must rerun the K-fold study"
    for rule, wildcards in jobs:
        kfold_job = "kfold" in rule or "fold" in wildcards.get("tagger", "")
        assert kfold_job or rule in ALWAYS, (rule, wildcards)
    assert "study_kfold_summary" in {rule for rule, _ in jobs}
