"""The build context (int_build_context): as_of_date, history_start_date and
first_stray_date recomputed in pandas and compared with the model.

The rule, from docs/definitions.md#build-dates and docs/decisions.md "Dates", written
here again without the model's SQL: as_of_date is var as_of_date, else the latest
purchase date, unless a few rows are dated far after the rest. Over the distinct
purchase dates in date order, the first date more than stray_gap_days days after the
previous one, from which on the purchases are at most stray_max_share of all
purchases, starts the stray tail; as_of_date is then the last purchase date before
it. history_start_date is var history_start_date, else the first purchase date. The
CLV calibration end is var clv_calibration_end, else as_of_date - 182 days.

Purchases come from the raw orders through tests/python/reference.py (the pandas
reference of the staging rules). The demo warehouse is checked as built; small
order files then put the rule on its edges (a gap of exactly stray_gap_days, a tail
of exactly stray_max_share and one order more, a wide gap early in the data with most
purchases after it), each built into its own DuckDB file.
"""

from __future__ import annotations

import csv
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import reference
from conftest import SEEDS_DIR, DbtResult, run_dbt

STRAY_GAP_DAYS = 60  # dbt_project.yml defaults
STRAY_MAX_SHARE = 0.01
CALIBRATION_DAYS = 182
CONTEXT_BUILD = ["build", "--select", "+int_build_context", "--exclude", "resource_type:test", "resource_type:unit_test"]


def expected_context(
    purchase_dates: pd.Series,
    as_of_var: dt.date | None = None,
    history_var: dt.date | None = None,
    gap_days: int = STRAY_GAP_DAYS,
    max_share: float = STRAY_MAX_SHARE,
) -> dict[str, object]:
    """The build context of a list of purchase dates (one entry per purchase)."""
    counts = purchase_dates.value_counts().sort_index()
    dates, purchases = list(counts.index), list(counts.values)
    total = sum(purchases)
    first_stray = None
    for index in range(1, len(dates)):
        tail = sum(purchases[index:])
        if (dates[index] - dates[index - 1]).days > gap_days and tail <= max_share * total:
            first_stray = dates[index]
            as_of_default = dates[index - 1]
            break
    else:
        as_of_default = dates[-1]
    as_of = as_of_var or as_of_default
    return {
        "as_of_date": as_of,
        "history_start_date": history_var or dates[0],
        "first_purchase_date": dates[0],
        "latest_purchase_date": dates[-1],
        "first_stray_date": None if as_of_var else first_stray,
        "as_of_date_source": "var" if as_of_var else ("before_stray_dates" if first_stray else "latest_purchase"),
        "clv_calibration_end_date": as_of - dt.timedelta(days=CALIBRATION_DAYS),
    }


def raw_purchase_dates(raw_orders: Path) -> pd.Series:
    """Purchase dates of every kept purchase in a raw orders file (no as_of_date cut)."""
    kept = reference.clean_orders(reference.read_raw_csv(raw_orders))
    return kept.loc[kept["is_purchase"].astype(bool), "purchase_date"].reset_index(drop=True)


def built_context(connection) -> dict[str, object]:
    frame = connection.execute("select * from intermediate.int_build_context").fetchdf()
    assert len(frame) == 1, frame
    row = frame.iloc[0].to_dict()
    return {
        key: (None if pd.isna(value) else value.date() if hasattr(value, "date") and key.endswith("_date") else value)
        for key, value in row.items()
    }


def compare(built: dict[str, object], expected: dict[str, object]) -> None:
    differing = {key: (built.get(key), value) for key, value in expected.items() if built.get(key) != value}
    assert not differing, f"(model, pandas) differ: {differing}"


# --- the demo warehouse ----------------------------------------------------------

def test_demo_build_context_matches_the_raw_orders(warehouse) -> None:
    raw_orders = SEEDS_DIR / "raw_orders.csv"
    if not raw_orders.exists():
        pytest.skip("demo seeds/raw_orders.csv not generated")
    vars_used = warehouse.execute("select as_of_date_source from intermediate.int_build_context").fetchone()[0]
    if vars_used == "var":
        pytest.skip("the test warehouse was built with var as_of_date")
    built = built_context(warehouse)
    compare(built, expected_context(raw_purchase_dates(raw_orders)))
    assert built["build_date"] >= built["as_of_date"]


# --- small order files on the rule's edges ---------------------------------------

def _orders(directory: Path, name: str, days: list[tuple[dt.date, int]], extra: list[list[str]] = ()) -> Path:
    """A raw orders file: `count` completed purchases on each (day, count), plus extra rows."""
    path = directory / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "member_id", "status", "ordered_at", "paid_at", "amount"])
        number = 0
        for day, count in days:
            for _ in range(count):
                number += 1
                writer.writerow([f"O{number}", f"M{number % 40}", "completed", f"{day} 10:00:00", "", "12.50"])
        writer.writerows(extra)
    return path


def _daily(start: dt.date, days: int, per_day: int) -> list[tuple[dt.date, int]]:
    return [(start + dt.timedelta(days=offset), per_day) for offset in range(days)]


BODY_START = dt.date(2024, 1, 1)
BODY = _daily(BODY_START, 100, 10)  # 1,000 purchases, 2024-01-01 .. 2024-04-09
BODY_END = BODY_START + dt.timedelta(days=99)
# A month of purchases, then a gap of 61 days (> stray_gap_days) before the body: most
# purchases come after that gap, so it starts no stray tail.
EARLY = _daily(dt.date(2023, 10, 1), 1, 5) + [(dt.date(2023, 10, 31), 5)]
# Rows that are no purchase (cancelled; refunded in full) dated after everything: they move no date.
NOT_PURCHASES = [
    ["X1", "M1", "cancelled", "2024-11-02 10:00:00", "", "9.00"],
    ["X2", "M2", "refunded", "2024-11-03 10:00:00", "", "9.00"],
]

CASES: dict[str, dict[str, object]] = {
    # 10 purchases 61 days after the body: 10 / 1,010 of the purchases (<= 1%) -> stray.
    "stray_tail": {
        "days": EARLY + BODY + [(BODY_END + dt.timedelta(days=61), 5), (BODY_END + dt.timedelta(days=62), 5)],
        "vars": {},
        "hand": {"as_of_date": BODY_END, "first_stray_date": BODY_END + dt.timedelta(days=61),
                 "as_of_date_source": "before_stray_dates"},
    },
    # The same tail exactly 60 days after the body: not more than stray_gap_days -> no stray.
    "gap_of_exactly_the_limit": {
        "days": EARLY + BODY + [(BODY_END + dt.timedelta(days=60), 5), (BODY_END + dt.timedelta(days=61), 5)],
        "vars": {"history_start_date": "2023-01-01"},
        "hand": {"as_of_date": BODY_END + dt.timedelta(days=61), "first_stray_date": None,
                 "history_start_date": dt.date(2023, 1, 1), "as_of_date_source": "latest_purchase"},
    },
    # 11 purchases after the gap: 11 / 1,011 > 1% -> not stray either.
    "tail_above_the_share": {
        "days": EARLY + BODY + [(BODY_END + dt.timedelta(days=61), 11)],
        "vars": {},
        "hand": {"as_of_date": BODY_END + dt.timedelta(days=61), "first_stray_date": None,
                 "as_of_date_source": "latest_purchase"},
    },
    # var as_of_date wins: no stray date is reported, the calibration end follows it.
    "as_of_var": {
        "days": EARLY + BODY + [(BODY_END + dt.timedelta(days=61), 5), (BODY_END + dt.timedelta(days=62), 5)],
        "vars": {"as_of_date": "2024-03-31"},
        "hand": {"as_of_date": dt.date(2024, 3, 31), "first_stray_date": None, "as_of_date_source": "var",
                 "clv_calibration_end_date": dt.date(2023, 10, 1)},
    },
}


@pytest.fixture(scope="module")
def context_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[DbtResult, Path]]:
    root = tmp_path_factory.mktemp("build_context")

    def launch(name: str) -> tuple[str, tuple[DbtResult, Path]]:
        case = CASES[name]
        (root / name).mkdir()
        raw_orders = _orders(root / name, "orders", case["days"], NOT_PURCHASES)
        dbt_vars = {"raw_orders": str(raw_orders), **case["vars"]}
        return name, (run_dbt(CONTEXT_BUILD, root / name / "crm.duckdb", dbt_vars), raw_orders)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(launch, CASES))


@pytest.mark.parametrize("name", list(CASES))
def test_build_context_on_the_edges_of_the_stray_rule(context_builds, name: str) -> None:
    result, raw_orders = context_builds[name]
    assert result.returncode == 0, result.output[-3000:]
    case = CASES[name]
    as_of_var = case["vars"].get("as_of_date")
    history_var = case["vars"].get("history_start_date")
    expected = expected_context(
        raw_purchase_dates(raw_orders),
        dt.date.fromisoformat(as_of_var) if as_of_var else None,
        dt.date.fromisoformat(history_var) if history_var else None,
    )
    # The pandas rule agrees with the hand-written expectation of the case...
    assert {key: expected[key] for key in case["hand"]} == case["hand"]
    # ...and the model with the pandas rule.
    with result.connect() as connection:
        compare(built_context(connection), expected)


def test_stray_orders_are_named_in_a_warning(context_builds) -> None:
    result, _ = context_builds["stray_tail"]
    stray_day = BODY_END + dt.timedelta(days=61)
    assert f"as_of_date defaults to {BODY_END}, not {stray_day + dt.timedelta(days=1)}" in result.output
    assert f"(var stray_gap_days) after the rest are ignored: O1011 ({stray_day})" in result.output
    quiet, _ = context_builds["tail_above_the_share"]
    assert "stray purchase" not in quiet.output
