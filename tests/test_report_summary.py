"""jettag.report: the summary page and the study headlines, from small hand-made tables."""

from __future__ import annotations

import base64
import csv
from pathlib import Path

import pytest

from jettag.cli import main
from jettag.errors import JettagError
from jettag.report import write_summary
from jettag.report.headlines import fmt, headline
from jettag.studies import registry

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def _csv(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _performance(tmp_path: Path) -> Path:
    rows = [{"tagger": t, "wp": wp, "b_eff": 0.77, "light_rej": lr, "light_rej_err": 3.0,
             "c_rej": 4.5, "c_rej_err": 0.25, "auc": 0.95, "n_test": 1000}
            for t, lr in (("ip3d", 20), ("dips", 90)) for wp in (70, 77)]
    return _csv(tmp_path / "performance.csv", rows)


def test_fmt_rounds_to_the_error():
    assert fmt(866.0, 306.0) == "866 ± 306"
    assert fmt(3.98, 0.18) == "3.98 ± 0.18"
    assert fmt(float("inf")) == "∞" and fmt(float("nan")) == "n/a"


def test_summary_has_table_image_and_one_headline_per_study(tmp_path):
    roc = tmp_path / "roc.png"
    roc.write_bytes(PNG)
    kfold = _csv(tmp_path / "kfold" / "kfold.csv", [
        {"model": "dips", "wp": "77", "metric": "light_rej", "fold1": 10, "fold2": 12,
         "mean": 11, "std": 1.4, "rel_std": 0.13}])
    (tmp_path / "kfold" / "kfold.md").write_text("### K-fold cross-validation\n")
    out = tmp_path / "summary.html"
    write_summary(_performance(tmp_path), roc, out, studies=[kfold], spec={"wp": 77})
    text = out.read_text()
    assert text.count("<tr>") == 3  # header, ip3d, dips
    assert "<td>dips</td><td>90.0 ± 3.0</td><td>90.0 ± 3.0</td><td>4.50 ± 0.25</td>" in text
    assert 'id="jettag-roc"' in text and "data:image/png;base64," in text
    assert max(map(len, text.splitlines())) < 1000  # the report's rst limits line length
    assert "<b>K-fold cross-validation</b>: dips light rejection at 77 %: 11.0 ± 1.4" in text


def test_missing_input_is_a_clear_error(tmp_path):
    with pytest.raises(JettagError, match="does not exist: run the workflow"):
        write_summary(tmp_path / "nope.csv", tmp_path / "roc.png", tmp_path / "out.html")


def test_headline_registry_and_fallback():
    with_headline = {name for name, study in registry.studies().items() if study.headline}
    assert with_headline >= {"ablation", "ensembles", "kfold", "search", "transfer"}
    assert headline("unknown", [{"a": "1"}], "t.csv") == "1 rows in t.csv."
    assert "no headline" in headline("kfold", [{"metric": "light_rej"}], "k.csv")


def test_cli_verb(tmp_path):
    roc = tmp_path / "roc.png"
    roc.write_bytes(PNG)
    out = tmp_path / "s.html"
    assert main(["summary", "--performance", str(_performance(tmp_path)), "--roc", str(roc),
                 "--output", str(out)]) == 0
    assert "No study enabled." in out.read_text()
