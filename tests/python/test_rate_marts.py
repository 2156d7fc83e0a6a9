"""Cohort retention, rates and weekly / monthly KPI marts recomputed in pandas.

Every row of every mart of issue 5 (cohort_retention, cohort_retention_by_channel,
cohort_retention_by_store, cohort_retention_days, repurchase_rates,
reactivation_rates, kpi_weekly, kpi_lifecycle_weekly, kpi_monthly, and issue 21's
customer_retention) is recomputed
from the raw orders CSV with tests/python/reference.py (staging, purchases and
occasions) and the brute-force definitions of docs/definitions.md below: per period,
per customer, by filtering dates. They share nothing with the SQL (which counts
customers from +1 / -1 changes at occasion dates), so a bug on either side shows up
as a difference. Counts must match exactly, rates within 1e-9, money exactly.

Three warehouses are checked: the demo build (the `warehouse` fixture) and two
builds of the hand fixture in fixtures/rates (year ends, same-day orders, gaps on
stage and band boundaries, unknown channel and store) with cohort_grain week and
quarter.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import reference
from conftest import FIXTURES_DIR, SEEDS_DIR, DbtResult, run_dbt

RATES = FIXTURES_DIR / "rates"
# The stage names come from the warehouse (int_lifecycle_stages_listed, made from the
# one list in macros/lifecycle.sql) and must equal the tests' own statement of them
# (reference.STAGES); the boundaries are the documented default of var
# lifecycle_boundaries, checked here independently of the SQL.
STAGE_BOUNDARIES = reference.STAGE_BOUNDARIES
RETENTION_WINDOWS = [30, 45, 90, 180, 365]
CUSTOMER_RETENTION_WINDOWS = [90, 180, 365]
RECENCY_BANDS = [45, 90, 140]
REPURCHASE_WINDOW = 45
ACTIVE_WINDOW = 365
TOLERANCE = 1e-9
MARTS_SELECTION = "+path:models/marts/cohort +path:models/marts/kpi int_lifecycle_stages_listed"


# --------------------------------------------------------------------------- dates


def period_start(day: dt.date, grain: str) -> dt.date:
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())  # Monday
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if grain == "year":
        return dt.date(day.year, 1, 1)
    raise ValueError(grain)


def next_period(start: dt.date, grain: str) -> dt.date:
    if grain == "week":
        return start + dt.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_end(start: dt.date, grain: str) -> dt.date:
    return next_period(start, grain) - dt.timedelta(days=1)


def periods(first_day: dt.date, as_of: dt.date, grain: str) -> list[dt.date]:
    """Starts of every period from the one holding first_day to the one holding as_of."""
    starts, start = [], period_start(first_day, grain)
    while start <= as_of:
        starts.append(start)
        start = next_period(start, grain)
    return starts


def lifecycle_stages(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The stage names in order, from the warehouse's stage list."""
    rows = connection.execute(
        "select lifecycle_stage from intermediate.int_lifecycle_stages_listed order by stage_index"
    ).fetchall()
    names = [row[0] for row in rows]
    assert names == reference.STAGES, f"the warehouse's stage list {names} is not the definitions' {reference.STAGES}"
    return names


def stage(recency_days: int, stages: list[str]) -> str:
    for name, boundary in zip(stages, STAGE_BOUNDARIES):
        if recency_days < boundary:
            return name
    return stages[-1]


def band(recency_days: int) -> str:
    lowers = [0, *RECENCY_BANDS]
    for lower, upper in zip(lowers, RECENCY_BANDS):
        if recency_days < upper:
            return f"{lower}-{upper}"
    return f"{lowers[-1]}+"


def ratio(numerator: object, denominator: object) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return float(numerator) / float(denominator)


# ----------------------------------------------------------------------- reference


class Reference:
    """Purchases and occasions from the raw CSV, and every mart recomputed from them."""

    def __init__(self, raw_orders: Path, as_of: dt.date | None, stages: list[str]) -> None:
        self.stages = stages
        kept = reference.clean_orders(reference.read_raw_csv(raw_orders))
        bought, self.as_of = reference.purchases(kept, as_of)
        self.purchases = bought
        self.occasions = reference.occasions(bought)
        self.first_day = min(self.occasions["purchase_date"])
        occasions = self.occasions
        self.dates_by_customer: dict[str, list[dt.date]] = (
            occasions.groupby("customer_id")["purchase_date"].apply(lambda dates: sorted(dates)).to_dict()
        )
        self.first_purchase = {customer: dates[0] for customer, dates in self.dates_by_customer.items()}
        first_orders = bought.assign(
            paid_or_ordered=bought["paid_at"].where(bought["paid_at"].notna(), bought["ordered_at"])
        ).sort_values(["customer_id", "purchase_date", "paid_or_ordered", "ordered_at", "order_id"])
        first_orders = first_orders.drop_duplicates("customer_id")
        self.acquisition = {
            "acquisition_channel": {
                row.customer_id: row.channel if row.channel is not None else "unknown"
                for row in first_orders.itertuples()
            },
            "first_store_id": {
                row.customer_id: row.store_id if row.store_id is not None else "unknown"
                for row in first_orders.itertuples()
            },
        }

    # -- helpers ------------------------------------------------------------------

    def occasions_between(self, first: dt.date, last: dt.date) -> pd.DataFrame:
        frame = self.occasions
        return frame[(frame["purchase_date"] >= first) & (frame["purchase_date"] <= last)]

    def orders_between(self, first: dt.date, last: dt.date, customers: set[str] | None = None) -> tuple[int, Decimal]:
        frame = self.purchases
        frame = frame[(frame["purchase_date"] >= first) & (frame["purchase_date"] <= last)]
        if customers is not None:
            frame = frame[frame["customer_id"].isin(customers)]
        return len(frame), sum(frame["net_amount"], Decimal("0.00"))

    def state_on(self, day: dt.date) -> dict[str, tuple[int, int]]:
        """customer -> (occasions on or before day, recency_days as of day)."""
        state = {}
        for customer, dates in self.dates_by_customer.items():
            count = bisect.bisect_right(dates, day)
            if count:
                state[customer] = (count, (day - dates[count - 1]).days)
        return state

    # -- cohorts ------------------------------------------------------------------

    def cohort_retention(self, grain: str, dimension: str | None = None) -> list[dict]:
        """One row per [dimension x] cohort x period_number
        (docs/definitions.md#cohorts-and-retention)."""
        def group_of(customer: str) -> tuple:
            value = self.acquisition[dimension][customer] if dimension else None
            return value, period_start(self.first_purchase[customer], grain)

        sizes: dict[tuple, int] = {}
        for customer in self.first_purchase:
            sizes[group_of(customer)] = sizes.get(group_of(customer), 0) + 1
        active: dict[tuple, set[str]] = {}
        for customer, day in zip(self.occasions["customer_id"], self.occasions["purchase_date"]):
            active.setdefault((*group_of(customer), period_start(day, grain)), set()).add(customer)
        money: dict[tuple, list] = {}
        for customer, day, amount in zip(
            self.purchases["customer_id"], self.purchases["purchase_date"], self.purchases["net_amount"]
        ):
            totals = money.setdefault((*group_of(customer), period_start(day, grain)), [0, Decimal("0.00")])
            totals[0] += 1
            totals[1] += amount
        rows = []
        for (value, cohort), size in sizes.items():
            cumulative = Decimal("0.00")
            for number, start in enumerate(periods(cohort, self.as_of, grain)):
                end = period_end(start, grain)
                active_customers = len(active.get((value, cohort, start), set()))
                orders_count, revenue = money.get((value, cohort, start), [0, Decimal("0.00")])
                cumulative += revenue
                row = {
                    "cohort_start": cohort,
                    "period_number": number,
                    "cohort_size": size,
                    "active_customers": active_customers,
                    "retention_rate": ratio(active_customers, size),
                    "orders_count": orders_count,
                    "revenue": revenue,
                    "cumulative_revenue_per_customer": ratio(cumulative, size),
                    "is_complete": end <= self.as_of,
                    "cohort_grain": grain,
                    "period_start": start,
                    "period_end": end,
                }
                if dimension:
                    row[dimension] = value
                rows.append(row)
        return rows

    def cohort_retention_days(self, grain: str) -> list[dict]:
        cohorts: dict[dt.date, list[str]] = {}
        for customer, first in self.first_purchase.items():
            cohorts.setdefault(period_start(first, grain), []).append(customer)
        rows = []
        for cohort, members in cohorts.items():
            for window in RETENTION_WINDOWS:
                eligible = retained = 0
                for customer in members:
                    first = self.first_purchase[customer]
                    if first + dt.timedelta(days=window) <= self.as_of:
                        eligible += 1
                        dates = self.dates_by_customer[customer]
                        retained += any(first < date <= first + dt.timedelta(days=window) for date in dates)
                rows.append({
                    "cohort_start": cohort,
                    "window_days": window,
                    "eligible_customers": eligible,
                    "retained_customers": retained,
                    "retention_rate": ratio(retained, eligible),
                    "cohort_size": len(members),
                    "is_complete": eligible == len(members),
                    "cohort_grain": grain,
                })
        return rows

    # -- rates --------------------------------------------------------------------

    def repurchase_rates(self) -> list[dict]:
        rows = []
        for grain in ("month", "quarter", "year"):
            for start in periods(self.first_day, self.as_of, grain):
                end = period_end(start, grain)
                counts = self.occasions_between(start, end).groupby("customer_id").size().to_dict()
                for customer_type in ("all", "new", "returning"):
                    buyers = [
                        customer for customer in counts
                        if customer_type == "all"
                        or (customer_type == "new") == (start <= self.first_purchase[customer])
                    ]
                    repeat = sum(1 for customer in buyers if counts[customer] >= 2)
                    rows.append({
                        "period_grain": grain,
                        "period_start": start,
                        "customer_type": customer_type,
                        "buyers": len(buyers),
                        "repeat_buyers": repeat,
                        "repurchase_rate": ratio(repeat, len(buyers)),
                        "period_end": end,
                        "is_complete": end <= self.as_of,
                    })
        return rows

    def reactivation_rates(self) -> list[dict]:
        rows = []
        for start in periods(self.first_day, self.as_of, "month"):
            end = period_end(start, "month")
            eve = start - dt.timedelta(days=1)
            stages = {customer: stage(recency, self.stages) for customer, (_, recency) in self.state_on(eve).items()}
            bought = set(self.occasions_between(start, end)["customer_id"])
            for from_stage in self.stages:
                at_start = {customer for customer, name in stages.items() if name == from_stage}
                purchasers = len(at_start & bought)
                rows.append({
                    "period_grain": "month",
                    "period_start": start,
                    "from_stage": from_stage,
                    "customers_at_start": len(at_start),
                    "purchasers": purchasers,
                    "reactivation_rate": ratio(purchasers, len(at_start)),
                    "rate_name": {"sleeping": "wake_up_rate", "lost": "win_back_rate"}.get(
                        from_stage, "reactivation_rate"
                    ),
                    "period_end": end,
                    "is_complete": end <= self.as_of,
                })
        return rows

    # -- KPI ----------------------------------------------------------------------

    def kpi_weekly(self) -> list[dict]:
        rows = []
        previous: dict | None = None
        for start in periods(self.first_day, self.as_of, "week"):
            end = start + dt.timedelta(days=6)
            orders_count, revenue = self.orders_between(start, end)
            buyers = set(self.occasions_between(start, end)["customer_id"])
            repeat = len(buyers & self.repeat_buyers_45d(min(end, self.as_of)))
            row = {
                "week_start": start,
                "week_end": end,
                "buyers": len(buyers),
                "repeat_buyers": repeat,
                "orders_count": orders_count,
                "revenue": revenue,
                "aov": ratio(revenue, orders_count),
                "repurchase_rate_45d": ratio(repeat, len(buyers)),
                "is_complete": end <= self.as_of,
            }
            row["repurchase_rate_change"] = ratio(
                row["repurchase_rate_45d"], previous["repurchase_rate_45d"] if previous else None
            )
            row["aov_change"] = ratio(row["aov"], previous["aov"] if previous else None)
            row["combined_change"] = (
                row["repurchase_rate_change"] * row["aov_change"]
                if row["repurchase_rate_change"] is not None and row["aov_change"] is not None
                else None
            )
            rows.append(row)
            previous = row
        return rows

    def repeat_buyers_45d(self, last_day: dt.date) -> set[str]:
        """Customers with two or more occasions in [last_day - 44, last_day]."""
        window = self.occasions_between(last_day - dt.timedelta(days=REPURCHASE_WINDOW - 1), last_day)
        counts = window.groupby("customer_id").size()
        return set(counts[counts >= 2].index)

    def kpi_lifecycle_weekly(self) -> list[dict]:
        lowers = [0, *RECENCY_BANDS]
        labels = [band(lower) for lower in lowers]
        history_days = max(RECENCY_BANDS[-1], REPURCHASE_WINDOW)
        weekly_spend: dict[dt.date, dict[str, list]] = {}  # week -> customer -> [orders, revenue]
        for customer, day, amount in zip(
            self.purchases["customer_id"], self.purchases["purchase_date"], self.purchases["net_amount"]
        ):
            totals = weekly_spend.setdefault(period_start(day, "week"), {}).setdefault(customer, [0, Decimal("0.00")])
            totals[0] += 1
            totals[1] += amount
        rows = []
        for start in periods(self.first_day, self.as_of, "week"):
            end = start + dt.timedelta(days=6)
            eve = start - dt.timedelta(days=1)
            segments: dict[tuple[str, str], set[str]] = {}
            for customer, (count, recency) in self.state_on(eve).items():
                customer_type = "new" if count == 1 else "returning"
                segments.setdefault((customer_type, band(recency)), set()).add(customer)
                segments.setdefault((customer_type, "all"), set()).add(customer)
            spend = weekly_spend.get(start, {})
            repeaters = self.repeat_buyers_45d(min(end, self.as_of))
            for customer_type in ("new", "returning"):
                for index, label in enumerate([*labels, "all"]):
                    segment = segments.get((customer_type, label), set())
                    purchasers = segment & set(spend)
                    repeat = purchasers & repeaters
                    orders_count = sum(spend[customer][0] for customer in purchasers)
                    revenue = sum((spend[customer][1] for customer in purchasers), Decimal("0.00"))
                    repeat_orders = sum(spend[customer][0] for customer in repeat)
                    repeat_revenue = sum((spend[customer][1] for customer in repeat), Decimal("0.00"))
                    is_band = label != "all"
                    rows.append({
                        "week_start": start,
                        "week_end": end,
                        "customer_type": customer_type,
                        "recency_band": label,
                        "recency_min_days": lowers[index] if is_band else 0,
                        "recency_max_days": lowers[index + 1] if is_band and index + 1 < len(lowers) else None,
                        "customers_at_start": len(segment),
                        "purchasers": len(purchasers),
                        "purchase_rate": ratio(len(purchasers), len(segment)),
                        "orders_count": orders_count,
                        "revenue": revenue,
                        "aov": ratio(revenue, orders_count),
                        "repeat_buyers": len(repeat),
                        "repurchase_rate_45d": ratio(len(repeat), len(purchasers)),
                        "repeat_buyer_orders_count": repeat_orders,
                        "repeat_buyer_revenue": repeat_revenue,
                        "repeat_buyer_aov": ratio(repeat_revenue, repeat_orders),
                        "has_full_history": eve >= self.first_day + dt.timedelta(days=history_days),
                        "is_complete": end <= self.as_of,
                    })
        return rows

    def customer_retention(self) -> list[dict]:
        """The seed's retention rate: base = buyers of the period from their last occasion
        in it; retained = another occasion within N days
        (docs/definitions.md#cohorts-and-retention)."""
        rows = []
        for grain in ("month", "week"):
            for start in periods(self.first_day, self.as_of, grain):
                end = period_end(start, grain)
                in_period = self.occasions_between(start, end)
                last_in_period = in_period.groupby("customer_id")["purchase_date"].max().to_dict()
                for customer_type in ("all", "new", "returning"):
                    base = [
                        customer for customer in last_in_period
                        if customer_type == "all"
                        or (customer_type == "new") == (self.first_purchase[customer] >= start)
                    ]
                    for window in CUSTOMER_RETENTION_WINDOWS:
                        retained = 0
                        for customer in base:
                            last = last_in_period[customer]
                            retained += any(
                                last < day <= last + dt.timedelta(days=window)
                                for day in self.dates_by_customer[customer]
                            )
                        rows.append({
                            "period_grain": grain,
                            "period_start": start,
                            "customer_type": customer_type,
                            "window_days": window,
                            "base_customers": len(base),
                            "retained_customers": retained,
                            "retention_rate": ratio(retained, len(base)),
                            "is_complete": end + dt.timedelta(days=window) <= self.as_of,
                        })
        return rows

    def kpi_monthly(self) -> list[dict]:
        reactivation = {(row["period_start"], row["from_stage"]): row for row in self.reactivation_rates()}
        cohorts: dict[dt.date, set[str]] = {}
        for customer, first in self.first_purchase.items():
            cohorts.setdefault(period_start(first, "month"), set()).add(customer)
        month_starts = periods(self.first_day, self.as_of, "month")
        rows = []
        for index, start in enumerate(month_starts):
            end = period_end(start, "month")
            counts = self.occasions_between(start, end).groupby("customer_id").size().to_dict()
            new = sum(1 for customer in counts if self.first_purchase[customer] >= start)
            repeat = sum(1 for count in counts.values() if count >= 2)
            orders_count, revenue = self.orders_between(start, end)
            active = self.occasions_between(end - dt.timedelta(days=ACTIVE_WINDOW - 1), end)["customer_id"].nunique()
            row = {
                "month_start": start,
                "month_end": end,
                "buyers": len(counts),
                "new_buyers": new,
                "returning_buyers": len(counts) - new,
                "repeat_buyers": repeat,
                "repurchase_rate": ratio(repeat, len(counts)),
                "orders_count": orders_count,
                "revenue": revenue,
                "aov": ratio(revenue, orders_count),
                "active_customer_arpu": ratio(revenue, len(counts)),
                "trailing_active_customers": active,
                "trailing_active_customer_arpu": ratio(revenue, active),
                "sleeping_customers_at_start": reactivation[(start, "sleeping")]["customers_at_start"],
                "wake_up_rate": reactivation[(start, "sleeping")]["reactivation_rate"],
                "lost_customers_at_start": reactivation[(start, "lost")]["customers_at_start"],
                "win_back_rate": reactivation[(start, "lost")]["reactivation_rate"],
                "is_complete": end <= self.as_of,
            }
            for months in (3, 6, 12):
                cohort = month_starts[index - months] if index >= months else None
                members = cohorts.get(cohort, set())
                row[f"retention_rate_{months}m"] = ratio(len(members & set(counts)), len(members))
            rows.append(row)
        return rows


# ---------------------------------------------------------------------- comparison


def fetch(connection: duckdb.DuckDBPyConnection, relation: str) -> list[dict]:
    cursor = connection.execute(f"select * from {relation}")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def same(actual: object, expected: object) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    if isinstance(expected, float) or isinstance(actual, float):
        if math.isnan(float(expected)):
            return math.isnan(float(actual))
        return abs(float(actual) - float(expected)) <= TOLERANCE * max(1.0, abs(float(expected)))
    return actual == expected


def assert_rows_equal(actual: list[dict], expected: list[dict], keys: Iterable[str], mart: str) -> None:
    keys = list(keys)
    actual_by_key = {tuple(row[key] for key in keys): row for row in actual}
    expected_by_key = {tuple(row[key] for key in keys): row for row in expected}
    assert len(actual_by_key) == len(actual), f"{mart}: duplicate keys"
    missing = sorted(set(expected_by_key) - set(actual_by_key), key=str)[:5]
    extra = sorted(set(actual_by_key) - set(expected_by_key), key=str)[:5]
    assert not missing and not extra, f"{mart}: rows missing {missing}, unexpected {extra}"
    differences = []
    for key, expected_row in expected_by_key.items():
        actual_row = actual_by_key[key]
        assert set(actual_row) == set(expected_row), f"{mart}: columns {sorted(set(actual_row) ^ set(expected_row))}"
        for column, value in expected_row.items():
            if not same(actual_row[column], value):
                differences.append(f"{key} {column}: warehouse {actual_row[column]!r} != expected {value!r}")
    assert not differences, f"{mart}: {len(differences)} differences, e.g.\n" + "\n".join(differences[:10])


def check_all_marts(connection: duckdb.DuckDBPyConnection, ref: Reference, grain: str) -> None:
    """Compare every row of every mart of the issue with the reference."""
    checks = [
        ("marts.cohort_retention", ref.cohort_retention(grain), ["cohort_start", "period_number"]),
        (
            "marts.cohort_retention_by_channel",
            ref.cohort_retention(grain, "acquisition_channel"),
            ["acquisition_channel", "cohort_start", "period_number"],
        ),
        (
            "marts.cohort_retention_by_store",
            ref.cohort_retention(grain, "first_store_id"),
            ["first_store_id", "cohort_start", "period_number"],
        ),
        ("marts.cohort_retention_days", ref.cohort_retention_days(grain), ["cohort_start", "window_days"]),
        ("marts.repurchase_rates", ref.repurchase_rates(), ["period_grain", "period_start", "customer_type"]),
        ("marts.reactivation_rates", ref.reactivation_rates(), ["period_grain", "period_start", "from_stage"]),
        ("marts.kpi_weekly", ref.kpi_weekly(), ["week_start"]),
        ("marts.kpi_lifecycle_weekly", ref.kpi_lifecycle_weekly(), ["week_start", "customer_type", "recency_band"]),
        ("marts.kpi_monthly", ref.kpi_monthly(), ["month_start"]),
        (
            "marts.customer_retention",
            ref.customer_retention(),
            ["period_grain", "period_start", "customer_type", "window_days"],
        ),
    ]
    for relation, expected, keys in checks:
        assert_rows_equal(fetch(connection, relation), expected, keys, relation)


def warehouse_as_of(connection: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The as_of_date the warehouse was built with (the only value read from it).

    None when the build has no int_customers_aggregated (a partial build): the
    reference then applies the default, the latest purchase date.
    """
    try:
        return connection.execute("select max(as_of_date) from intermediate.int_customers_aggregated").fetchone()[0]
    except duckdb.CatalogException:
        return None


# --------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def demo_reference(warehouse: duckdb.DuckDBPyConnection) -> Reference:
    raw_orders = SEEDS_DIR / "raw_orders.csv"
    if not raw_orders.exists():
        pytest.skip("demo seeds/raw_orders.csv not generated")
    return Reference(raw_orders, warehouse_as_of(warehouse), lifecycle_stages(warehouse))


def test_demo_marts_match_the_reference(warehouse: duckdb.DuckDBPyConnection, demo_reference: Reference) -> None:
    check_all_marts(warehouse, demo_reference, "month")


def test_flash_sale_customers_return_less_often(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = warehouse.execute(
        """
        select
            acquisition_channel,
            sum(active_customers) * 1.0 / sum(cohort_size) as later_activity
        from marts.cohort_retention_by_channel
        where period_number between 1 and 6 and is_complete
        group by acquisition_channel
        """
    ).fetchall()
    activity = dict(rows)
    if "flash_sale" not in activity or "store" not in activity:
        pytest.skip("the demo data has no flash_sale or store acquisitions")
    assert activity["flash_sale"] < 0.5 * activity["store"], activity


@pytest.fixture(scope="module", params=["week", "quarter"])
def fixture_build(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtResult, str]:
    grain = request.param
    db_path = tmp_path_factory.mktemp(f"rates_{grain}") / "rates.duckdb"
    result = run_dbt(
        ["run", "--select", MARTS_SELECTION],
        db_path,
        {"raw_orders": str(RATES / "raw_orders.csv"), "cohort_grain": grain},
    )
    assert result.returncode == 0, result.output
    return result, grain


def test_fixture_marts_match_the_reference(fixture_build: tuple[DbtResult, str]) -> None:
    result, grain = fixture_build
    with result.connect() as connection:
        # as_of_date defaults to the latest purchase date
        ref = Reference(RATES / "raw_orders.csv", None, lifecycle_stages(connection))
        check_all_marts(connection, ref, grain)


def test_an_earlier_as_of_date_flags_the_current_periods(tmp_path: Path) -> None:
    """as_of_date mid-week and mid-month: the current week / month / quarter are incomplete, not drops."""
    db_path = tmp_path / "rates_as_of.duckdb"
    result = run_dbt(
        ["run", "--select", MARTS_SELECTION],
        db_path,
        {"raw_orders": str(RATES / "raw_orders.csv"), "as_of_date": "2024-05-15"},
    )
    assert result.returncode == 0, result.output
    with result.connect() as connection:
        ref = Reference(RATES / "raw_orders.csv", dt.date(2024, 5, 15), lifecycle_stages(connection))
        check_all_marts(connection, ref, "month")
        last_week = connection.execute(
            "select week_start, is_complete from marts.kpi_weekly order by week_start desc limit 1"
        ).fetchone()
        assert last_week == (dt.date(2024, 5, 13), False)
        incomplete = connection.execute(
            "select count(*) from marts.cohort_retention where not is_complete and period_start = date '2024-05-01'"
        ).fetchone()[0]
        assert incomplete > 0


def test_unsupported_cohort_grain_is_a_clear_error(tmp_path: Path) -> None:
    result = run_dbt(
        ["compile", "--select", "cohort_retention"],
        tmp_path / "grain.duckdb",
        {"raw_orders": str(RATES / "raw_orders.csv"), "cohort_grain": "day"},
    )
    assert result.returncode != 0
    assert "cohort_grain" in result.output and "week, month or quarter" in result.output
