"""The CRM dashboard (dashboards/, `make dashboard`) built and opened in a real browser.

The session builds the site with `make dashboard` from the test warehouse into a
temporary folder (npm ci runs when dashboards/node_modules is missing or older than
the lock file), serves it from a local http.server on 127.0.0.1 and opens every page
in headless Chromium (Debian's `chromium`, installed by `make browser`, driven by
playwright with executable_path: playwright cannot download its own browser here).

Checked on each page: no request leaves 127.0.0.1, no console error or page error,
every chart drew marks for its rows, no snake_case code on screen. On the weekly
monitor, the KPI tiles match sums computed here from marts.orders, and choosing a
store changes them to that store's sums. Full-page screenshots are saved in
warehouse/dashboard_screenshots/.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

from conftest import PROJECT_DIR

SCREENSHOTS = PROJECT_DIR / "warehouse" / "dashboard_screenshots"
PAGES = {
    "index.html": ["weekly-trend", "kpi-table", "store-comparison"],
    "customers.html": ["rfm-segments", "value-pareto", "stage-mix", "cohort-heatmap"],
    "planning.html": ["gap-waterfall", "campaign-lift", "store-archetypes"],
}
KPI_TILES = [f"{period}-{kpi}" for period in ("week", "month") for kpi in ("revenue", "buyers", "orders", "aov")]
SNAKE_CASE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")

# What each chart card holds once drawn: its rows, the marks Plot drew in its SVG,
# the rows of an HTML table, its size, and every text a reader sees.
INSPECT = """
() => {
    const charts = Array.from(document.querySelectorAll('.chart[data-chart]')).map(card => {
        const box = card.getBoundingClientRect();
        return {
            key: card.dataset.chart,
            rows: Number(card.dataset.rows),
            title: (card.querySelector('h2') || {}).textContent || '',
            marks: card.querySelectorAll(
                'svg g[aria-label="bar"] rect, svg g[aria-label="rect"] rect, svg g[aria-label="line"] path, '
                + 'svg g[aria-label="area"] path, svg g[aria-label="dot"] circle, svg g[aria-label="cell"] rect'
            ).length,
            tableRows: card.querySelectorAll('table tbody tr').length,
            noData: !!card.querySelector('p.no-data'),
            width: box.width,
            height: box.height,
        };
    });
    const main = document.querySelector('#observablehq-main') || document.body;
    const texts = [main.innerText]
        .concat(Array.from(main.querySelectorAll('svg text')).map(node => node.textContent))
        .concat(Array.from(main.querySelectorAll('select option')).map(node => node.textContent));
    const tiles = Object.fromEntries(Array.from(document.querySelectorAll('[data-kpi]')).map(
        tile => [tile.dataset.kpi, tile.querySelector('[data-kpi-value]').textContent]));
    return {charts, texts, tiles};
}
"""


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("Chromium is not installed: run `make browser` (apt-get install chromium)")


@pytest.fixture(scope="session")
def dashboard_site(warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make dashboard` of the test warehouse into a folder of this session."""
    if not shutil.which("npm"):
        pytest.fail("npm is not installed: the dashboard needs Node.js 20+ and npm")
    site = tmp_path_factory.mktemp("dashboard") / "site"
    completed = subprocess.run(
        ["make", "--no-print-directory", "dashboard", f"CRM_DUCKDB_PATH={warehouse_path}", f"DASHBOARD_OUT={site}"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=900, check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    for page in PAGES:
        assert (site / page).exists(), f"make dashboard wrote no {page}: {sorted(p.name for p in site.iterdir())}"
    return site


@pytest.fixture(scope="session")
def site_url(dashboard_site: Path):
    handler = functools.partial(QuietHandler, directory=str(dashboard_site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


class Visit:
    """One page open in Chromium, with what it logged and requested."""

    def __init__(self, browser, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1440, "height": 1000})
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda message: self.errors.append(f"console.{message.type}: {message.text}")
                     if message.type in ("error", "assert") else None)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.route("**/*", self._only_local)
        self.page.goto(url, wait_until="networkidle")
        self.wait_for_charts()

    def _only_local(self, route) -> None:
        host = urlparse(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def wait_for_charts(self) -> None:
        self.page.wait_for_function(
            "() => { const cards = document.querySelectorAll('.chart[data-chart]');"
            " return cards.length > 0 && Array.from(cards).every(card =>"
            " card.querySelector('svg, table, p.no-data')); }",
            timeout=60_000,
        )
        self.page.wait_for_timeout(300)

    def inspect(self) -> dict:
        return self.page.evaluate(INSPECT)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path


def money(text: str) -> float:
    return float(text.replace(",", ""))


def last_complete_week(as_of: dt.date) -> tuple[dt.date, dt.date]:
    start = as_of - dt.timedelta(days=as_of.weekday())  # Monday of the as_of week
    if as_of.weekday() != 6:
        start -= dt.timedelta(days=7)
    return start, start + dt.timedelta(days=6)


def last_complete_month(as_of: dt.date) -> tuple[dt.date, dt.date]:
    if (as_of + dt.timedelta(days=1)).day == 1:
        end = as_of
    else:
        end = as_of.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def purchases_between(warehouse, first: dt.date, last: dt.date, store_id: str | None = None) -> dict:
    """Net sales, buyers and orders of purchases in [first, last], from marts.orders."""
    frame = warehouse.execute(
        "select customer_id, store_id, purchase_date, net_amount from marts.orders"
        " where is_purchase and customer_id is not null"
    ).df()
    frame = frame[(frame["purchase_date"].dt.date >= first) & (frame["purchase_date"].dt.date <= last)]
    if store_id is not None:
        frame = frame[frame["store_id"] == store_id]
    return {
        "revenue": float(frame["net_amount"].astype(float).sum()),
        "buyers": int(frame["customer_id"].nunique()),
        "orders": len(frame),
    }


@pytest.mark.parametrize("page_name", list(PAGES))
def test_every_chart_renders_without_errors_or_outside_requests(browser, site_url: str, page_name: str) -> None:
    visit = Visit(browser, f"{site_url}/{page_name}")
    seen = visit.inspect()
    visit.screenshot(page_name.replace(".html", ".png"))
    visit.page.close()
    assert not visit.errors, visit.errors
    assert not visit.outside, f"{page_name} requested outside 127.0.0.1: {visit.outside}"
    assert [chart["key"] for chart in seen["charts"]] == PAGES[page_name]
    for chart in seen["charts"]:
        key = chart["key"]
        assert chart["title"].strip(), key
        assert chart["rows"] > 0 and not chart["noData"], f"{key}: no data: {chart}"
        assert chart["marks"] > 0 or chart["tableRows"] > 0, f"{key}: nothing drawn: {chart}"
        assert chart["width"] > 300 and chart["height"] > 150, f"{key}: too small: {chart}"
    codes = sorted({code for text in seen["texts"] for code in SNAKE_CASE.findall(text)})
    assert not codes, f"{page_name} shows snake_case codes instead of labels: {codes}"
    if page_name == "index.html":
        assert sorted(seen["tiles"]) == sorted(KPI_TILES)


def test_kpi_tiles_match_the_orders_and_follow_the_store_filter(browser, site_url: str, warehouse) -> None:
    as_of = warehouse.execute("select max(as_of_date) from marts.orders").fetchone()[0]
    week = last_complete_week(as_of)
    month = last_complete_month(as_of)
    # the store with the most purchases in the month, so its numbers are not zero
    store_id, store_name = warehouse.execute(
        """
        select orders.store_id, stores.store_name
        from marts.orders as orders
        inner join marts.stores as stores on orders.store_id = stores.store_id
        where orders.is_purchase and orders.purchase_date between ? and ?
        group by all
        order by count(*) desc, orders.store_id
        limit 1
        """,
        [month[0], month[1]],
    ).fetchone()

    visit = Visit(browser, f"{site_url}/index.html")
    before = visit.inspect()["tiles"]
    expected = {"week": purchases_between(warehouse, *week), "month": purchases_between(warehouse, *month)}
    for period, numbers in expected.items():
        assert money(before[f"{period}-revenue"]) == pytest.approx(numbers["revenue"], abs=0.5), period
        assert money(before[f"{period}-buyers"]) == numbers["buyers"], period
        assert money(before[f"{period}-orders"]) == numbers["orders"], period

    visit.page.locator("[data-filters] select").first.select_option(label=store_name)
    visit.page.wait_for_function(
        "(old) => document.querySelector('[data-kpi=\"month-revenue\"] [data-kpi-value]').textContent !== old",
        arg=before["month-revenue"], timeout=30_000,
    )
    visit.wait_for_charts()
    seen = visit.inspect()
    after = seen["tiles"]
    visit.screenshot("index_one_store.png")
    visit.page.close()
    assert not visit.errors, visit.errors
    assert not visit.outside, visit.outside
    store_expected = {
        "week": purchases_between(warehouse, *week, store_id=store_id),
        "month": purchases_between(warehouse, *month, store_id=store_id),
    }
    for period, numbers in store_expected.items():
        assert money(after[f"{period}-revenue"]) == pytest.approx(numbers["revenue"], abs=0.5), (period, store_id)
        assert money(after[f"{period}-orders"]) == numbers["orders"], (period, store_id)
    assert after["month-revenue"] != before["month-revenue"]
    codes = sorted({code for text in seen["texts"] for code in SNAKE_CASE.findall(text)})
    assert not codes, f"one store's monitor shows snake_case codes instead of labels: {codes}"


def test_export_leaves_out_rows_without_full_history(dashboard_site: Path, warehouse) -> None:
    """No chart is fed rows flagged (or known) to lack history."""
    data = PROJECT_DIR / "dashboards" / "src" / "data"
    customers = json.loads((data / "customers.json").read_text(encoding="utf-8"))
    planning = json.loads((data / "planning.json").read_text(encoding="utf-8"))
    first_purchase = warehouse.execute("select min(purchase_date) from marts.orders where is_purchase").fetchone()[0]
    snapshots = sorted(set(customers["stage_mix"]["snapshot_date"]))
    assert snapshots, "no lifecycle snapshot left"
    assert dt.date.fromisoformat(snapshots[0]) >= first_purchase + dt.timedelta(days=customers["history_days"])
    incomplete_cohorts = warehouse.execute(
        "select count(*) from marts.cohort_retention where period_number > 0 and not is_complete"
    ).fetchone()[0]
    complete_cohorts = warehouse.execute(
        "select count(*) from marts.cohort_retention where period_number > 0 and is_complete"
    ).fetchone()[0]
    assert len(customers["cohorts"]["cohort_start"]) == complete_cohorts, incomplete_cohorts
    flagged = set(warehouse.execute(
        "select year, store_id, customer_group from marts.gap_analysis where not has_full_history"
    ).fetchall())
    exported = {(row["year"], row["store_id"], row["customer_group"]) for row in planning["gap"]}
    assert exported, "no gap analysis row left"
    assert not exported & flagged, sorted(exported & flagged, key=str)[:5]
    # Like for like: the year not complete at as_of_date is there only as its year to date.
    year_to_date = warehouse.execute(
        "select distinct year from marts.gap_analysis where period_type = 'ytd' and has_full_history"
    ).fetchall()
    exported_types = {(row["year"], row["period_type"]) for row in planning["gap"]}
    for (year,) in year_to_date:
        assert {kind for exported_year, kind in exported_types if exported_year == year} == {"ytd"}, year


def test_export_refuses_a_missing_warehouse(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "dashboards" / "export_data.py"),
         "--warehouse", str(tmp_path / "nowhere.duckdb"), "--out", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=120, check=False, env={**os.environ},
    )
    assert completed.returncode == 1
    assert "make build" in completed.stderr and "nowhere.duckdb" in completed.stderr
