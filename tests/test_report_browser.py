"""The HTML report of the smoke run, opened in headless Chromium: the landing page shows the
summary (performance table, ROC figure, study headlines), rendered and not blank.

Needs a Chromium binary (Debian: `apt-get install chromium`; .ci/run installs it); skips with
the reason otherwise. The report is a JavaScript app, so the DOM is read after a virtual-time
budget that lets it render.
"""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import run_snakemake

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=10000", "--window-size=1400,1000"]


def _browser() -> str:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    pytest.skip(f"no headless browser ({', '.join(BROWSERS)}) on PATH: apt-get install chromium")


class RenderedPage(HTMLParser):
    """Elements outside <script> (what the app rendered, not the data it carries)."""

    def __init__(self) -> None:
        super().__init__()
        self.script = 0
        self.ids: dict[str, dict] = {}
        self.table_rows: list[list[str]] = []
        self._table = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.script += tag == "script"
        if self.script:
            return
        if "id" in a:
            self.ids[a["id"]] = a
        self._table |= a.get("id") == "jettag-performance"
        if self._table and tag == "tr":
            self.table_rows.append([])

    def handle_endtag(self, tag):
        self.script -= tag == "script"
        if tag == "table":
            self._table = False

    def handle_data(self, data):
        if self._table and not self.script and self.table_rows and data.strip():
            self.table_rows[-1].append(data.strip())


def _chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180)


def _colours(png: bytes, box=None) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if box:
        image = image.crop(box)
    return len(image.getcolors(maxcolors=1 << 24))


@pytest.mark.slow
def test_report_opens_on_the_summary_in_a_browser(smoke_run, tmp_path):
    browser = _browser()
    report = tmp_path / "report.html"
    proc = run_snakemake(smoke_run, "--report", str(report))
    assert proc.returncode == 0, proc.stderr[-3000:]
    url = report.as_uri()

    dom = _chromium(browser, tmp_path / "profile", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = RenderedPage()
    page.feed(dom.stdout)
    assert "jettag-summary" in page.ids, "the landing page does not show the summary"
    # The table: a header and one row per tagger of performance.csv, with numbers in it.
    taggers = {line.split(",")[0] for line in
               (smoke_run / "results/metrics/performance.csv").read_text().splitlines()[1:]}
    header, *rows = page.table_rows
    assert header[0] == "tagger" and {r[0] for r in rows} == taggers
    assert all(len(r) == len(header) for r in rows)
    # The ROC figure: an inlined PNG that is a real plot, not one colour.
    src = page.ids["jettag-roc"]["src"]
    assert src.startswith("data:image/png;base64,")
    assert _colours(base64.b64decode(src.split(",", 1)[1])) > 10
    # One headline per enabled study.
    studies = [p.name for p in (smoke_run / "results/studies").iterdir() if p.is_dir()]
    assert studies and all(f"jettag-study-{s}" in page.ids for s in studies)

    shot = tmp_path / "report.png"
    proc = _chromium(browser, tmp_path / "profile2", f"--screenshot={shot}", url)
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    # The content area (right of the menu, top of the page) is drawn, not blank.
    assert _colours(shot.read_bytes(), box=(300, 0, 1000, 1000)) > 50
