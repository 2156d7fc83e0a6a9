"""The CRM report (scripts/report.py) opened in a real browser.

The report is generated from the test warehouse into a temporary folder and opened
in headless Chromium (Debian's `chromium`, installed by `make browser`, driven by
playwright with executable_path: playwright cannot download its own browser here).
Every chart section must hold a rendered plotly chart with data, the page must log
no console error and no page error, and it must not fetch anything from the
network (plotly.js is embedded). A full-page screenshot is saved next to the report
and copied to warehouse/report.png. A warehouse whose marts are empty (or missing)
must give a visible "no data" note per chart instead of a crash.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import sync_playwright

from conftest import PROJECT_DIR

SCRIPT = PROJECT_DIR / "scripts" / "report.py"
_spec = importlib.util.spec_from_file_location("crm_report", SCRIPT)
report = importlib.util.module_from_spec(_spec)
sys.modules["crm_report"] = report
_spec.loader.exec_module(report)

CHART_KEYS = [chart.key for chart in report.CHARTS]
REQUIRED_CHARTS = {
    "cohort_retention", "lifecycle_stages", "rfm_grid", "kpi_weekly",
    "value_pareto", "gap_waterfall", "campaign_lift", "store_archetypes",
}
# What each section looks like once plotly has drawn it: the chart's traces as
# plotly.js holds them (decoded data) and the marks it drew in the SVG.
INSPECT_SECTIONS = """
() => Array.from(document.querySelectorAll('section.chart')).map(section => {
    const plot = section.querySelector('.js-plotly-plot');
    const traces = plot && plot._fullData ? plot._fullData.filter(trace => trace.visible !== false) : [];
    const points = traces.reduce((total, trace) => {
        const sizes = ['x', 'y', 'z'].map(axis => (trace[axis] && trace[axis].length) || 0);
        return total + Math.max(...sizes);
    }, 0);
    const box = section.getBoundingClientRect();
    const note = section.querySelector('p.no-data');
    return {
        key: section.dataset.chart,
        status: section.dataset.status,
        title: (section.querySelector('h2') || {}).textContent || '',
        explanation: (section.querySelector('p.explanation') || {}).textContent || '',
        hasMainSvg: !!section.querySelector('svg.main-svg'),
        traces: traces.length,
        points: points,
        marks: section.querySelectorAll(
            'path.point, path.js-line, .hm image, g.heatmaplayer image, g.waterfalllayer path'
        ).length,
        width: box.width,
        height: box.height,
        noteVisible: !!note && note.getBoundingClientRect().height > 0 && getComputedStyle(note).display !== 'none',
    };
})
"""


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("Chromium is not installed: run `make browser` (apt-get install chromium)")


def generate(warehouse: Path, out: Path) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--warehouse", str(warehouse), "--out", str(out)],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert out.exists()
    return completed


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


def open_report(browser, path: Path, screenshot: Path | None = None) -> tuple[list[dict], list[str], list[str]]:
    """Load the page; return the sections, the console/page errors and any network request."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: errors.append(f"console.{message.type}: {message.text}")
            if message.type in ("error", "assert") else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))

    def block_network(route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            requests.append(route.request.url)
            route.abort()

    page.route("**/*", block_network)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot')).every(plot => plot._fullLayout)",
        timeout=60_000,
    )
    page.wait_for_timeout(500)  # let plotly finish its async text and legend layout
    sections = page.evaluate(INSPECT_SECTIONS)
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return sections, errors, requests


@pytest.fixture(scope="module")
def demo_report(warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    generate(warehouse_path, out)
    return out


def test_report_is_a_single_self_contained_file(demo_report: Path) -> None:
    text = demo_report.read_text(encoding="utf-8")
    script_tags = re.findall(r"<script[^>]*>", text)
    assert script_tags and not any("src=" in tag for tag in script_tags), script_tags[:5]
    markup = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.DOTALL)
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", markup), "the page links to outside files"
    assert len(text) > 3_000_000  # plotly.js itself is embedded
    assert REQUIRED_CHARTS <= set(CHART_KEYS)
    for key in CHART_KEYS:
        assert f'id="chart-{key}" data-chart="{key}" data-status="plotted"' in text, key


def test_every_chart_renders_with_data_in_chromium(browser, demo_report: Path) -> None:
    screenshot = demo_report.with_suffix(".png")
    sections, errors, requests = open_report(browser, demo_report, screenshot)
    if os.environ.get("CRM_REPORT_SCREENSHOT", "1") != "0":
        shutil.copyfile(screenshot, PROJECT_DIR / "warehouse" / "report.png")
    assert not errors, errors
    assert not requests, f"the report fetched from the network: {requests}"
    assert [section["key"] for section in sections] == CHART_KEYS
    for section in sections:
        key = section["key"]
        assert section["status"] == "plotted", key
        assert section["title"] and section["explanation"], key
        assert section["hasMainSvg"], f"{key}: plotly drew no SVG"
        assert section["traces"] > 0 and section["points"] > 0, f"{key}: the chart has no data: {section}"
        assert section["marks"] > 0, f"{key}: no trace marks in the SVG: {section}"
        assert section["width"] > 300 and section["height"] > 250, f"{key}: too small: {section}"
    assert screenshot.stat().st_size > 50_000


def test_empty_and_missing_marts_give_visible_no_data_notes(
    browser, warehouse_path: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.duckdb"
    shutil.copyfile(warehouse_path, empty)
    with duckdb.connect(str(empty)) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' and table_type = 'BASE TABLE'"
        ).fetchall()
        for (table,) in tables:
            connection.execute(f'delete from marts."{table}"')
        connection.execute("drop table marts.campaign_performance")
    out = tmp_path / "empty.html"
    completed = generate(empty, out)
    assert "no data for" in completed.stdout
    text = out.read_text(encoding="utf-8")
    assert "campaign_performance" in text  # the missing table is named in its note
    sections, errors, requests = open_report(browser, out)
    assert not errors, errors
    assert not requests
    assert [section["key"] for section in sections] == CHART_KEYS
    for section in sections:
        assert section["status"] == "no-data", section["key"]
        assert section["noteVisible"], f"{section['key']}: the no-data note is not visible"
