"""Planning marts recomputed independently in pandas / plain Python from the raw CSVs.

gap_analysis, gap_targets, store_performance, store_customer_mix and store_archetypes
(issue 6) are checked against what this module computes from the raw orders and
members files, through tests/python/reference.py (staging, purchases, occasions) and
the definitions of docs/definitions.md#gap-analysis written out below: fiscal years, the four
customer groups (history of the scope: the whole business or one store), rates,
orders per buyer, AOV, LMDI with the "whole change to the buyer effect" rule for
groups that appear or vanish, the target plan and its levers, store drivers and the
archetype rules. Nothing is read back from the SQL to compute an expectation.

Identities are checked to the cent: the sum over the groups of buyers x
orders_per_buyer x aov is the revenue of 'all', the four groups add up to 'all', and
the LMDI effects add up to the revenue change.

Two warehouses: the demo build (`warehouse` fixture) and a build of a generated orders
file (orders only: members, stores absent) with fiscal_year_start_month = 4 and an
as_of_date in the middle of a fiscal year.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import reference
from conftest import SEEDS_DIR, DbtResult, run_dbt

GROUPS = ["new", "retained_new", "retained_returning", "reactivated"]
VALUE_TIERS = ["top", "high", "middle", "low"]
PURCHASE_STATUSES = {"paid", "shipped", "completed"}
CENT = Decimal("0.01")
TOLERANCE = 1e-9
LMDI_TOLERANCE = 1e-6
ARCHETYPE_VARS = {"new_store_months": 12, "high": 0.8, "low": 0.2, "high_end": 0.9, "falling": -0.1}
PLANNING_SELECTION = ["+gap_analysis", "+gap_targets", "+store_archetypes", "+store_customer_mix"]


# -------------------------------------------------------------------------- dates


def fiscal_year(day: dt.date, start_month: int) -> int:
    """Fiscal years start on day 1 of start_month and are named after the year they start in."""
    return day.year if day.month >= start_month else day.year - 1


def same_day_a_year_earlier(day: dt.date) -> dt.date:
    """day - 1 year; 29 February becomes 28 February."""
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)


def fiscal_year_start(year: int, start_month: int) -> dt.date:
    return dt.date(year, start_month, 1)


def fiscal_year_end(year: int, start_month: int) -> dt.date:
    return fiscal_year_start(year + 1, start_month) - dt.timedelta(days=1)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(start: dt.date) -> dt.date:
    following = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def period_start(day: dt.date, grain: str, start_month: int) -> dt.date:
    if grain == "month":
        return month_start(day)
    return fiscal_year_start(fiscal_year(day, start_month), start_month)


def period_end(start: dt.date, grain: str) -> dt.date:
    if grain == "month":
        return month_end(start)
    return dt.date(start.year + 1, start.month, 1) - dt.timedelta(days=1)


def periods_between(first: dt.date, last: dt.date, grain: str, start_month: int) -> list[dt.date]:
    starts, start = [], period_start(first, grain, start_month)
    while start <= last:
        starts.append(start)
        start = period_end(start, grain) + dt.timedelta(days=1)
    return starts


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Calendar months back from `later`: the date `later` minus n months."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def minus_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = month_end(dt.date(year, month + 1, 1)).day
    return dt.date(year, month + 1, min(day.day, last))


def minus_year(day: dt.date) -> dt.date:
    return minus_months(day, 12)


# ---------------------------------------------------------------------- reference


def latest_members(path: Path) -> dict[str, dict[str, object]]:
    """member_id -> home_store_id and joined date: latest updated_at wins, ties dropped."""
    if not path.exists():
        return {}
    raw = reference.read_raw_csv(path)
    versions: dict[str, list[dict[str, object]]] = defaultdict(list)
    for record in raw.to_dict("records"):
        if record.get("member_id"):
            versions[record["member_id"]].append(record)
    members = {}
    for member_id, rows in versions.items():
        unique = {tuple(sorted((k, v) for k, v in row.items())) for row in rows}
        rows = [dict(values) for values in unique]
        latest = max(row["updated_at"] or "" for row in rows)
        top = [row for row in rows if (row["updated_at"] or "") == latest]
        if len(top) == 1:
            joined = top[0]["joined_at"]
            members[member_id] = {
                "home_store_id": top[0]["home_store_id"],
                "joined_date": dt.date.fromisoformat(joined[:10]) if joined else None,
            }
    return members


@dataclass
class Reference:
    """Everything the planning marts need, recomputed from the raw files."""

    kept: pd.DataFrame
    purchases: pd.DataFrame
    as_of: dt.date
    start_month: int
    members: dict[str, dict[str, object]]
    opened: dict[str, dt.date | None]
    cache: dict[str, object] = field(default_factory=dict)

    def cached(self, name: str, compute):
        if name not in self.cache:
            self.cache[name] = compute()
        return self.cache[name]

    @classmethod
    def build(
        cls,
        orders_csv: Path,
        members_csv: Path | None,
        stores_csv: Path | None,
        as_of: dt.date | None,
        start_month: int,
    ) -> Reference:
        kept = reference.clean_orders(reference.read_raw_csv(orders_csv))
        bought, as_of = reference.purchases(kept, as_of)
        if members_csv is not None:
            members = latest_members(members_csv)
        else:  # members absent: derived from kept orders (any status), joined at the first order
            members = {
                member_id: {"home_store_id": None, "joined_date": min(rows["ordered_at"]).date()}
                for member_id, rows in kept[kept["member_id"].notna()].groupby("member_id")
            }
        opened: dict[str, dt.date | None] = {}
        if stores_csv and stores_csv.exists():
            for row in reference.read_raw_csv(stores_csv).to_dict("records"):
                opened[row["store_id"]] = dt.date.fromisoformat(row["opened_at"]) if row["opened_at"] else None
        return cls(kept, bought, as_of, start_month, members, opened)

    # -- customer groups ----------------------------------------------------------

    def scope_occasions(self) -> dict[str | None, pd.DataFrame]:
        """Occasions per scope: None = the whole business, else one store."""
        scopes = {None: reference.occasions(self.purchases)}
        with_store = self.purchases[self.purchases["store_id"].notna()]
        for store_id, rows in with_store.groupby("store_id"):
            scopes[store_id] = reference.occasions(rows)
        return scopes

    def buyer_years(self) -> dict[str | None, dict[tuple[str, int], dict[str, object]]]:
        """Per scope: (customer, year) -> occasions, orders, revenue, group."""
        return self.cached("buyer_years", self._buyer_years)

    def _buyer_years(self) -> dict[str | None, dict[tuple[str, int], dict[str, object]]]:
        result = {}
        for scope, occasions in self.scope_occasions().items():
            years: dict[tuple[str, int], dict[str, object]] = {}
            last_year = fiscal_year(self.as_of, self.start_month)
            for row in occasions.itertuples(index=False):
                year = fiscal_year(row.purchase_date, self.start_month)
                key = (row.customer_id, year)
                entry = years.setdefault(key, {"occasions": 0, "orders": 0, "revenue": Decimal("0"), "ytd": None})
                entry["occasions"] += 1
                entry["orders"] += int(row.orders_count)
                entry["revenue"] += row.net_amount
                # the same days of the year before the last one: up to as_of_date - 1 year
                if year == last_year - 1 and row.purchase_date <= same_day_a_year_earlier(self.as_of):
                    ytd = entry["ytd"] or {"occasions": 0, "orders": 0, "revenue": Decimal("0")}
                    ytd["occasions"] += 1
                    ytd["orders"] += int(row.orders_count)
                    ytd["revenue"] += row.net_amount
                    entry["ytd"] = ytd
            active = defaultdict(set)
            for customer, year in years:
                active[customer].add(year)
            for (customer, year), entry in years.items():
                history = active[customer]
                first = min(history)
                if year == first:
                    group = "new"
                elif year - 1 in history:
                    group = "retained_new" if first == year - 1 else "retained_returning"
                else:
                    group = "reactivated"
                entry["group"] = group
            result[scope] = years
        return result

    def gap_rows(self) -> dict[tuple[int, str | None, str], dict[str, object]]:
        """gap_analysis rows: (year, store_id, group) -> measures, rates and LMDI effects."""
        return self.cached("gap_rows", self._gap_rows)

    def _gap_rows(self) -> dict[tuple[int, str | None, str], dict[str, object]]:
        buyer_years = self.buyer_years()
        last_year = fiscal_year(self.as_of, self.start_month)
        last_year_is_partial = fiscal_year_end(last_year, self.start_month) > self.as_of
        data_first_year = min(year for _, year in buyer_years[None])
        first_purchase = min(self.purchases["purchase_date"])  # history_start_date's default
        rows: dict[tuple[int, str | None, str], dict[str, object]] = {}
        for scope, years in buyer_years.items():
            first_year = min(year for _, year in years)
            for year in range(first_year, last_year + 1):
                for group in GROUPS + ["all"]:
                    members = [
                        entry for (_, y), entry in years.items()
                        if y == year and (group == "all" or entry["group"] == group)
                    ]
                    rows[(year, scope, group)] = {
                        "buyers": len(members),
                        "orders": sum(entry["orders"] for entry in members),
                        "occasions": sum(entry["occasions"] for entry in members),
                        "repeat_buyers": sum(1 for entry in members if entry["occasions"] >= 2),
                        "revenue": sum((entry["revenue"] for entry in members), Decimal("0")),
                        "has_previous_year": year > data_first_year,
                        "period_type": "ytd" if year == last_year and last_year_is_partial else "year",
                        "has_full_history": first_purchase <= fiscal_year_start(year - 1, self.start_month),
                    }
                    if year == last_year - 1 and last_year_is_partial:
                        same_days = [entry["ytd"] for entry in members if entry["ytd"] is not None]
                        rows[(year, scope, group)]["same_days"] = {
                            "buyers": len(same_days),
                            "orders": sum(entry["orders"] for entry in same_days),
                            "revenue": sum((entry["revenue"] for entry in same_days), Decimal("0")),
                        }
        for (year, scope, group), row in rows.items():
            scope_row = lambda g, y=year: rows.get((y, scope, g))  # noqa: E731
            previous = rows.get((year - 1, scope, group))
            if previous is not None and row["period_type"] == "ytd":
                previous = previous["same_days"]  # like for like: the same days of the year before
            if row["has_previous_year"]:
                previous = previous or {"buyers": 0, "orders": 0, "revenue": Decimal("0")}
                row["previous"] = previous
                prev_all = rows.get((year - 1, scope, "all"), {"buyers": 0})["buyers"]
                prev_new = rows.get((year - 1, scope, "new"), {"buyers": 0})["buyers"]
                row["new_retention_rate"] = ratio(scope_row("retained_new")["buyers"], prev_new)
                row["returning_retention_rate"] = ratio(scope_row("retained_returning")["buyers"], prev_all - prev_new)
                row["retention_rate"] = ratio(
                    scope_row("retained_new")["buyers"] + scope_row("retained_returning")["buyers"], prev_all
                )
                row["recruitment_rate"] = ratio(scope_row("new")["buyers"], prev_all)
            else:
                row["previous"] = None
                for rate in ("new_retention_rate", "returning_retention_rate", "retention_rate", "recruitment_rate"):
                    row[rate] = None
        for (year, scope, group), row in rows.items():
            if row["previous"] is None:
                row["effects"] = None
            elif group != "all":
                row["effects"] = lmdi(row, row["previous"])
        for (year, scope, group), row in rows.items():
            if group == "all" and row["previous"] is not None:
                parts = [rows[(year, scope, g)]["effects"] for g in GROUPS]
                row["effects"] = tuple(sum(part[i] for part in parts) for i in range(3))
        return rows

    # -- stores -------------------------------------------------------------------

    def sales_orders(self) -> pd.DataFrame:
        """Kept orders that are sales (purchase statuses, net > 0), members' and guests', with a store."""
        kept = self.kept
        sales = kept[
            kept["status"].isin(PURCHASE_STATUSES)
            & (kept["net_amount"] > 0)
            & kept["store_id"].notna()
        ].copy()
        sales["sale_date"] = [
            (paid if paid is not None and not pd.isna(paid) else ordered).date()
            for paid, ordered in zip(sales["paid_at"], sales["ordered_at"])
        ]
        return sales[sales["sale_date"] <= self.as_of]

    def store_rows(self) -> dict[tuple[str, str, dt.date], dict[str, object]]:
        """store_performance rows: (store_id, grain, period_start) -> measures."""
        return self.cached("store_rows", self._store_rows)

    def _store_rows(self) -> dict[tuple[str, str, dt.date], dict[str, object]]:
        occasions_by_store = {
            scope: occasions for scope, occasions in self.scope_occasions().items() if scope is not None
        }
        sales = self.sales_orders()
        first_sale = sales.groupby("store_id")["sale_date"].min().to_dict()
        data_first = min(first_sale.values())
        all_occasions = reference.occasions(self.purchases)
        first_occasion = all_occasions.groupby("customer_id")["purchase_date"].min().to_dict()
        rows = {}
        for grain in ("month", "year"):
            starts = periods_between(data_first, self.as_of, grain, self.start_month)
            for store_id, first in first_sale.items():
                for start in starts:
                    end = period_end(start, grain)
                    if end < first:
                        continue
                    rows[(store_id, grain, start)] = self._store_period(
                        store_id, grain, start, end, occasions_by_store.get(store_id), sales, first_occasion
                    )
        return rows

    def _store_period(self, store_id, grain, start, end, occasions, sales, first_occasion) -> dict[str, object]:
        row: dict[str, object] = {}
        if occasions is None:
            occasions = pd.DataFrame(columns=["customer_id", "purchase_date", "orders_count", "net_amount"])
        in_period = occasions[(occasions["purchase_date"] >= start) & (occasions["purchase_date"] <= end)]
        firsts = occasions.groupby("customer_id")["purchase_date"].min().to_dict() if len(occasions) else {}
        per_buyer = in_period.groupby("customer_id").agg(
            occasions=("purchase_date", "count"), orders=("orders_count", "sum")
        )
        buyers = list(per_buyer.index)
        row["buyers"] = len(buyers)
        row["orders"] = int(per_buyer["orders"].sum()) if len(per_buyer) else 0
        row["occasions"] = int(per_buyer["occasions"].sum()) if len(per_buyer) else 0
        row["revenue"] = sum(in_period["net_amount"], Decimal("0"))
        row["new_buyers"] = sum(1 for customer in buyers if start <= firsts[customer] <= end)
        row["repeat_buyers"] = int((per_buyer["occasions"] >= 2).sum()) if len(per_buyer) else 0
        row["managed_buyers"] = sum(
            1 for customer in buyers if self.members.get(customer, {}).get("home_store_id") == store_id
        )
        reference_day = min(end, self.as_of)
        tenures = []
        for customer in buyers:
            joined = self.members.get(customer, {}).get("joined_date")
            if joined is not None and joined <= reference_day:
                tenures.append((reference_day - joined).days)
        row["avg_tenure_days"] = sum(tenures) / len(tenures) if tenures else None
        store_sales = sales[(sales["store_id"] == store_id) & (sales["sale_date"] >= start) & (sales["sale_date"] <= end)]
        row["sales_orders"] = len(store_sales)
        row["member_orders"] = int(store_sales["member_id"].notna().sum())
        managed = {c for c, m in self.members.items() if m.get("home_store_id") == store_id}
        repeats = self.purchases[
            self.purchases["customer_id"].isin(managed)
            & (self.purchases["purchase_date"] >= start)
            & (self.purchases["purchase_date"] <= end)
        ]
        later = [day > first_occasion[c] for c, day in zip(repeats["customer_id"], repeats["purchase_date"])]
        repeats = repeats.loc[pd.Series(later, index=repeats.index, dtype=bool)]
        row["managed_repeat_orders"] = len(repeats)
        row["managed_repeat_orders_at_home"] = int((repeats["store_id"] == store_id).sum())
        return row


def ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else numerator / denominator


def lmdi(current: dict[str, object], previous: dict[str, object]) -> tuple[float, float, float]:
    """Additive LMDI of R = B x F x A; a group empty in one year: the whole change is the buyer effect."""
    r1, r0 = float(current["revenue"]), float(previous["revenue"])
    if r1 > 0 and r0 > 0:
        mean = r1 if r1 == r0 else (r1 - r0) / (math.log(r1) - math.log(r0))
        b1, b0 = current["buyers"], previous["buyers"]
        f1, f0 = current["orders"] / b1, previous["orders"] / b0
        a1, a0 = r1 / current["orders"], r0 / previous["orders"]
        return mean * math.log(b1 / b0), mean * math.log(f1 / f0), mean * math.log(a1 / a0)
    return r1 - r0, 0.0, 0.0


def percent_rank(values: dict[str, float]) -> dict[str, float]:
    """(rank - 1) / (n - 1), ties share the lowest rank; 0 for a single value."""
    ordered = sorted(values.values())
    n = len(ordered)
    return {key: 0.0 if n == 1 else ordered.index(value) / (n - 1) for key, value in values.items()}


# ------------------------------------------------------------------------ helpers


def close(actual: object, expected: object, tolerance: float = TOLERANCE) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    return math.isclose(float(actual), float(expected), rel_tol=tolerance, abs_tol=tolerance)


def fetch(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, object]]:
    frame = connection.execute(sql).df()
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_dict("records")


def as_date(value: object) -> dt.date:
    return value.date() if isinstance(value, (dt.datetime, pd.Timestamp)) else value


def money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


# ------------------------------------------------------------------- the checks


def check_gap_analysis(connection: duckdb.DuckDBPyConnection, ref: Reference) -> None:
    expected = ref.gap_rows()
    rows = fetch(connection, "select * from marts.gap_analysis")
    actual = {(row["year"], row["store_id"], row["customer_group"]): row for row in rows}
    assert set(actual) == set(expected), set(actual) ^ set(expected)
    for key, row in actual.items():
        want = expected[key]
        assert row["buyers"] == want["buyers"], key
        assert row["orders_count"] == want["orders"], key
        assert row["occasions_count"] == want["occasions"], key
        assert row["repeat_buyers"] == want["repeat_buyers"], key
        assert money(row["revenue"]) == want["revenue"], key
        assert close(row["orders_per_buyer"], ratio(want["orders"], want["buyers"])), key
        assert close(row["aov"], ratio(float(want["revenue"]), want["orders"])), key
        assert close(row["repurchase_rate"], ratio(want["repeat_buyers"], want["buyers"])), key
        for rate in ("new_retention_rate", "returning_retention_rate", "retention_rate", "recruitment_rate"):
            assert close(row[rate], want[rate]), (key, rate, row[rate], want[rate])
        year, scope, _ = key
        assert as_date(row["year_start_date"]) == fiscal_year_start(year, ref.start_month)
        assert as_date(row["year_end_date"]) == fiscal_year_end(year, ref.start_month)
        assert row["is_complete"] == (fiscal_year_end(year, ref.start_month) <= ref.as_of)
        assert row["has_previous_year"] == want["has_previous_year"], key
        assert row["period_type"] == want["period_type"], key
        assert row["has_full_history"] == want["has_full_history"], key
        if want["previous"] is None:
            assert row["revenue_change"] is None and row["buyers_effect"] is None, key
            continue
        assert row["previous_buyers"] == want["previous"]["buyers"], key
        assert money(row["previous_revenue"]) == want["previous"]["revenue"], key
        change = want["revenue"] - want["previous"]["revenue"]
        assert money(row["revenue_change"]) == change, key
        for column, value in zip(("buyers_effect", "frequency_effect", "aov_effect"), want["effects"]):
            assert close(row[column], value, LMDI_TOLERANCE) or abs(row[column] - value) < LMDI_TOLERANCE, (
                key, column, row[column], value,
            )
        total = row["buyers_effect"] + row["frequency_effect"] + row["aov_effect"]
        assert abs(total - float(change)) < LMDI_TOLERANCE, (key, total, change)


def check_gap_sales_targets(connection: duckdb.DuckDBPyConnection, targets_csv: Path) -> None:
    """'all' rows carry the seed's sales target of their year and scope and target - revenue."""
    with targets_csv.open(newline="") as handle:
        sales = {
            (int(row["year"]), row["store_id"] or None): money(row["target_value"])
            for row in csv.DictReader(handle) if row["driver"] == "sales"
        }
    for row in fetch(connection, "select * from marts.gap_analysis"):
        target = sales.get((row["year"], row["store_id"])) if row["customer_group"] == "all" else None
        if target is None:
            assert row["target_revenue"] is None and row["revenue_gap"] is None
        else:
            assert money(row["target_revenue"]) == target
            assert money(row["revenue_gap"]) == target - money(row["revenue"])


def check_gap_identities(connection: duckdb.DuckDBPyConnection) -> None:
    rows = fetch(connection, "select * from marts.gap_analysis")
    scopes = defaultdict(dict)
    for row in rows:
        scopes[(row["year"], row["store_id"])][row["customer_group"]] = row
    for key, groups in scopes.items():
        total = groups["all"]
        assert set(groups) == set(GROUPS) | {"all"}, key
        for column in ("buyers", "orders_count", "occasions_count", "repeat_buyers"):
            assert sum(groups[g][column] for g in GROUPS) == total[column], (key, column)
        assert sum(money(groups[g]["revenue"]) for g in GROUPS) == money(total["revenue"]), key
        # sales identity: sum over groups of buyers x orders_per_buyer x aov = revenue, to the cent
        sales = sum(
            groups[g]["buyers"] * groups[g]["orders_per_buyer"] * groups[g]["aov"]
            for g in GROUPS if groups[g]["buyers"]
        )
        assert Decimal(repr(sales)).quantize(CENT) == money(total["revenue"]), (key, sales, total["revenue"])
        if total["has_previous_year"]:
            change = sum(money(groups[g]["revenue_change"]) for g in GROUPS)
            assert change == money(total["revenue_change"]), key
            for column in ("buyers_effect", "frequency_effect", "aov_effect"):
                assert abs(sum(groups[g][column] for g in GROUPS) - total[column]) < LMDI_TOLERANCE, (key, column)


def expected_targets(ref: Reference, targets_csv: Path) -> dict[tuple[int, str | None, str], dict[str, object]]:
    """gap_targets rows recomputed from the seed and the reference's yearly actuals."""
    gap = ref.gap_rows()
    data_years = sorted({year for year, scope, _ in gap if scope is None})
    first, last = data_years[0], data_years[-1]
    seeds: dict[tuple[int, str | None], dict[str, float]] = defaultdict(dict)
    with targets_csv.open(newline="") as handle:
        for row in csv.DictReader(handle):
            seeds[(int(row["year"]), row["store_id"] or None)][row["driver"]] = float(row["target_value"])

    def actuals(year: int, scope: str | None) -> dict[str, object] | None:
        if not first <= year <= last:
            return None
        get = lambda g: gap.get((year, scope, g))  # noqa: E731
        if get("all") is None:
            values = {"sales": 0.0, "buyers": 0, "new_buyers": 0, "retained_new_buyers": 0,
                      "retained_returning_buyers": 0, "reactivated_buyers": 0}
            values.update({rate: None for rate in (
                "recruitment_rate", "new_retention_rate", "returning_retention_rate", "retention_rate",
                "orders_per_buyer", "aov")})
            return values
        total = get("all")
        return {
            "sales": float(total["revenue"]),
            "buyers": total["buyers"],
            "new_buyers": get("new")["buyers"],
            "retained_new_buyers": get("retained_new")["buyers"],
            "retained_returning_buyers": get("retained_returning")["buyers"],
            "reactivated_buyers": get("reactivated")["buyers"],
            "recruitment_rate": total["recruitment_rate"],
            "new_retention_rate": total["new_retention_rate"],
            "returning_retention_rate": total["returning_retention_rate"],
            "retention_rate": total["retention_rate"],
            "orders_per_buyer": ratio(total["orders"], total["buyers"]),
            "aov": ratio(float(total["revenue"]), total["orders"]),
        }

    def first_not_none(*values):
        return next((value for value in values if value is not None), None)

    def kept(rate, base):
        if base is None:
            return None
        if base == 0:
            return 0.0
        return None if rate is None else rate * base

    def mul(*values):
        return None if any(value is None for value in values) else math.prod(values)

    def div(numerator, denominator):
        return None if numerator is None or not denominator else numerator / denominator

    result = {}
    for (year, scope), target in seeds.items():
        base = actuals(year - 1, scope)
        now = actuals(year, scope)
        b = base or defaultdict(lambda: None)
        base_buyers, base_new = b["buyers"], b["new_buyers"]
        base_returning = None if base is None else base_buyers - base_new
        goal_new = first_not_none(target.get("new_buyers"), mul(target.get("recruitment_rate"), base_buyers))
        goal_recruitment = first_not_none(target.get("recruitment_rate"), div(target.get("new_buyers"), base_buyers))
        plan = {
            "new": first_not_none(goal_new, b["new_buyers"]),
            "nrr": first_not_none(target.get("new_retention_rate"), b["new_retention_rate"]),
            "rrr": first_not_none(target.get("returning_retention_rate"), b["returning_retention_rate"]),
            "react": first_not_none(target.get("reactivated_buyers"), b["reactivated_buyers"]),
            "opb": first_not_none(target.get("orders_per_buyer"), b["orders_per_buyer"]),
            "aov": first_not_none(target.get("aov"), b["aov"]),
        }
        refv = {
            "new": first_not_none(b["new_buyers"], goal_new),
            "nrr": first_not_none(b["new_retention_rate"], target.get("new_retention_rate")),
            "rrr": first_not_none(b["returning_retention_rate"], target.get("returning_retention_rate")),
            "react": first_not_none(b["reactivated_buyers"], target.get("reactivated_buyers")),
            "opb": first_not_none(b["orders_per_buyer"], target.get("orders_per_buyer")),
            "aov": first_not_none(b["aov"], target.get("aov")),
        }
        plan_rn, plan_rr = kept(plan["nrr"], base_new), kept(plan["rrr"], base_returning)
        ref_rn, ref_rr = kept(refv["nrr"], base_new), kept(refv["rrr"], base_returning)
        parts = [plan["new"], plan_rn, plan_rr, plan["react"]]
        plan_buyers = None if any(p is None for p in parts) else sum(parts)
        ref_parts = [refv["new"], ref_rn, ref_rr, refv["react"]]
        ref_buyers = None if any(p is None for p in ref_parts) else sum(ref_parts)
        sales_target = target.get("sales")
        required_buyers = div(sales_target, mul(refv["opb"], refv["aov"]))
        required_new = (
            None if required_buyers is None or None in (ref_rn, ref_rr, refv["react"])
            else required_buyers - ref_rn - ref_rr - refv["react"]
        )
        required_retention = (
            None if required_buyers is None or None in (refv["new"], refv["react"])
            else div(required_buyers - refv["new"] - refv["react"], base_buyers)
        )
        plan_retention = None if plan_rn is None or plan_rr is None else div(plan_rn + plan_rr, base_buyers)
        summary = {
            "sales_target": sales_target,
            "implied_sales": mul(plan_buyers, plan["opb"], plan["aov"]),
            "baseline_implied_sales": mul(ref_buyers, refv["opb"], refv["aov"]),
        }
        rows = {
            "sales": (sales_target, summary["implied_sales"], None),
            "buyers": (plan_buyers, plan_buyers, required_buyers),
            "new_buyers": (goal_new, plan["new"], required_new),
            "recruitment_rate": (goal_recruitment, div(plan["new"], base_buyers), div(required_new, base_buyers)),
            "retained_new_buyers": (plan_rn, plan_rn, None),
            "new_retention_rate": (target.get("new_retention_rate"), plan["nrr"], None),
            "retained_returning_buyers": (plan_rr, plan_rr, None),
            "returning_retention_rate": (target.get("returning_retention_rate"), plan["rrr"], None),
            "retention_rate": (plan_retention, plan_retention, required_retention),
            "reactivated_buyers": (target.get("reactivated_buyers"), plan["react"], None),
            "orders_per_buyer": (target.get("orders_per_buyer"), plan["opb"],
                                 div(sales_target, mul(ref_buyers, refv["aov"]))),
            "aov": (target.get("aov"), plan["aov"], div(sales_target, mul(ref_buyers, refv["opb"]))),
        }
        for driver, (target_value, plan_value, required) in rows.items():
            baseline = None if base is None else base[driver]
            actual = None if now is None else now[driver]
            result[(year, scope, driver)] = {
                "baseline_value": baseline,
                "target_value": target_value,
                "plan_value": plan_value,
                "actual_value": actual,
                "gap_value": None if target_value is None or actual is None else target_value - actual,
                "required_value": required,
                **summary,
            }
    return result


def check_gap_targets(connection: duckdb.DuckDBPyConnection, ref: Reference, targets_csv: Path) -> None:
    expected = expected_targets(ref, targets_csv)
    rows = fetch(connection, "select * from marts.gap_targets")
    actual = {(row["year"], row["store_id"], row["driver"]): row for row in rows}
    assert set(actual) == set(expected), set(actual) ^ set(expected)
    for key, row in actual.items():
        want = expected[key]
        for column in ("baseline_value", "target_value", "plan_value", "actual_value", "gap_value", "required_value"):
            assert close(row[column], want[column], 1e-9), (key, column, row[column], want[column])
        for column in ("sales_target", "implied_sales", "baseline_implied_sales"):
            if want[column] is None:
                assert row[column] is None, (key, column)
            else:
                assert abs(float(row[column]) - want[column]) <= 0.005 + 1e-9, (key, column, row[column], want[column])
        if row["implied_sales_gap"] is not None:
            assert money(row["implied_sales_gap"]) == money(row["implied_sales"]) - money(row["sales_target"])


def check_store_performance(connection: duckdb.DuckDBPyConnection, ref: Reference) -> None:
    expected = ref.store_rows()
    rows = fetch(connection, "select * from marts.store_performance")
    actual = {(row["store_id"], row["period_grain"], as_date(row["period_start"])): row for row in rows}
    assert set(actual) == set(expected), sorted(set(actual) ^ set(expected))[:10]
    for key, row in actual.items():
        want = expected[key]
        assert row["buyers"] == want["buyers"], key
        assert row["orders_count"] == want["orders"], key
        assert row["occasions_count"] == want["occasions"], key
        assert money(row["revenue"]) == want["revenue"], key
        assert row["new_buyers"] == want["new_buyers"], key
        assert row["returning_buyers"] == want["buyers"] - want["new_buyers"], key
        assert row["repeat_buyers"] == want["repeat_buyers"], key
        assert close(row["aov"], ratio(float(want["revenue"]), want["orders"])), key
        assert close(row["frequency"], ratio(want["occasions"], want["buyers"])), key
        assert close(row["repurchase_rate"], ratio(want["repeat_buyers"], want["buyers"])), key
        assert row["managed_buyers"] == want["managed_buyers"], key
        assert close(row["managed_buyer_share"], ratio(want["managed_buyers"], want["buyers"])), key
        assert close(row["avg_tenure_days"], want["avg_tenure_days"]), key
        assert row["sales_orders_count"] == want["sales_orders"], key
        assert row["member_orders_count"] == want["member_orders"] == want["orders"], key
        assert close(row["member_capture_rate"], ratio(want["member_orders"], want["sales_orders"])), key
        assert row["managed_repeat_orders"] == want["managed_repeat_orders"], key
        assert row["managed_repeat_orders_at_home"] == want["managed_repeat_orders_at_home"], key
        assert close(
            row["home_store_repeat_share"], ratio(want["managed_repeat_orders_at_home"], want["managed_repeat_orders"])
        ), key
        if want["buyers"]:
            sales = row["buyers"] * row["orders_per_buyer"] * row["aov"]
            assert Decimal(repr(sales)).quantize(CENT) == want["revenue"], key
            shares = sum(row[f"{tier}_value_buyer_share"] for tier in VALUE_TIERS)
            assert abs(shares - 1) < 1e-9 or not ref.members, key


def check_store_year_rows_agree_with_gap_analysis(connection: duckdb.DuckDBPyConnection) -> None:
    mismatches = connection.execute(
        """
        select performance.store_id, performance.period_start
        from marts.store_performance as performance
        inner join marts.gap_analysis as gap_all
            on gap_all.store_id = performance.store_id
            and gap_all.year_start_date = performance.period_start
            and gap_all.customer_group = 'all'
        inner join marts.gap_analysis as gap_new
            on gap_new.store_id = performance.store_id
            and gap_new.year_start_date = performance.period_start
            and gap_new.customer_group = 'new'
        where performance.period_grain = 'year'
            and (performance.buyers <> gap_all.buyers
                or performance.orders_count <> gap_all.orders_count
                or performance.revenue <> gap_all.revenue
                or performance.new_buyers <> gap_new.buyers
                or performance.repeat_buyers <> gap_all.repeat_buyers)
        """
    ).fetchall()
    assert mismatches == []


def check_store_archetypes(connection: duckdb.DuckDBPyConnection, ref: Reference) -> dict[tuple[str, int], str]:
    stores = ref.store_rows()
    purchases = ref.purchases[ref.purchases["store_id"].notna()]
    data_first = min(purchases["purchase_date"])
    first_purchase = purchases.groupby("store_id")["purchase_date"].min().to_dict()
    expected: dict[tuple[str, int], dict[str, object]] = {}
    by_year: dict[int, list[str]] = defaultdict(list)
    for (store_id, grain, start), row in stores.items():
        if grain != "year":
            continue
        year = fiscal_year(start, ref.start_month)
        reference_day = min(period_end(start, "year"), ref.as_of)
        opened = ref.opened.get(store_id)
        if opened is None and store_id in first_purchase and first_purchase[store_id] > data_first:
            opened = first_purchase[store_id]
        prior_start = minus_year(start)
        prior = None
        if prior_start >= data_first:
            mask = (
                (purchases["store_id"] == store_id)
                & (purchases["purchase_date"] >= prior_start)
                & (purchases["purchase_date"] <= minus_year(reference_day))
            )
            prior = sum(purchases.loc[mask, "net_amount"], Decimal("0"))
        is_new = opened is not None and opened > minus_months(reference_day, ARCHETYPE_VARS["new_store_months"])
        expected[(store_id, year)] = {
            "row": row, "prior": prior, "is_new": is_new, "compared": row["buyers"] > 0 and not is_new,
        }
        if expected[(store_id, year)]["compared"]:
            by_year[year].append(store_id)
    for year, store_ids in by_year.items():
        metrics = {
            "revenue": {s: float(expected[(s, year)]["row"]["revenue"]) for s in store_ids},
            "buyers": {s: expected[(s, year)]["row"]["buyers"] for s in store_ids},
            "aov": {s: float(expected[(s, year)]["row"]["revenue"]) / expected[(s, year)]["row"]["orders"]
                    for s in store_ids},
            "managed": {s: expected[(s, year)]["row"]["managed_buyers"] / expected[(s, year)]["row"]["buyers"]
                        for s in store_ids},
            "repeat": {s: expected[(s, year)]["row"]["repeat_buyers"] / expected[(s, year)]["row"]["buyers"]
                       for s in store_ids},
        }
        ranks = {name: percent_rank(values) for name, values in metrics.items()}
        for store_id in store_ids:
            expected[(store_id, year)]["ranks"] = {name: ranks[name][store_id] for name in ranks}
    archetypes = {}
    high, low, high_end = ARCHETYPE_VARS["high"], ARCHETYPE_VARS["low"], ARCHETYPE_VARS["high_end"]
    for key, entry in expected.items():
        if entry["is_new"]:
            archetypes[key] = "new_store"
            continue
        ranks = entry.get("ranks")
        revenue, prior = float(entry["row"]["revenue"]), entry["prior"]
        if ranks is None:
            archetypes[key] = "balanced"
        elif ranks["revenue"] <= low and prior is not None and revenue < float(prior) and (
            revenue <= float(prior) * (1 + ARCHETYPE_VARS["falling"])
        ):
            archetypes[key] = "underperforming"
        elif ranks["buyers"] >= high and ranks["aov"] <= low:
            archetypes[key] = "traffic_led"
        elif ranks["aov"] >= high_end:
            archetypes[key] = "high_end_led"
        elif ranks["managed"] >= high and ranks["repeat"] >= high:
            archetypes[key] = "loyalty_led"
        else:
            archetypes[key] = "balanced"
    rows = fetch(connection, "select * from marts.store_archetypes")
    actual = {(row["store_id"], row["year"]): row for row in rows}
    assert set(actual) == set(expected)
    for key, row in actual.items():
        want = expected[key]
        assert row["is_new_store"] == want["is_new"], key
        assert row["is_compared"] == want["compared"], key
        if want["prior"] is None:
            assert row["prior_period_revenue"] is None, key
        else:
            assert money(row["prior_period_revenue"]) == want["prior"], key
        if want["compared"]:
            for column, name in (("revenue_percentile", "revenue"), ("buyers_percentile", "buyers"),
                                 ("aov_percentile", "aov"), ("managed_buyer_share_percentile", "managed"),
                                 ("repurchase_rate_percentile", "repeat")):
                assert close(row[column], want["ranks"][name]), (key, column)
        assert row["store_archetype"] == archetypes[key], (key, row["store_archetype"], archetypes[key])
    return archetypes


# --------------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo_reference(warehouse: duckdb.DuckDBPyConnection) -> Reference:
    as_of = warehouse.execute("select max(as_of_date) from marts.gap_analysis").fetchone()[0]
    return Reference.build(
        SEEDS_DIR / "raw_orders.csv", SEEDS_DIR / "raw_members.csv", SEEDS_DIR / "raw_stores.csv", as_of, 1
    )


def test_demo_gap_analysis_matches_the_reference(warehouse, demo_reference: Reference) -> None:
    check_gap_analysis(warehouse, demo_reference)


def test_demo_gap_identities_hold_to_the_cent(warehouse) -> None:
    check_gap_identities(warehouse)
    check_gap_sales_targets(warehouse, SEEDS_DIR / "config" / "crm_targets.csv")


def test_demo_gap_targets_match_the_reference(warehouse, demo_reference: Reference) -> None:
    check_gap_targets(warehouse, demo_reference, SEEDS_DIR / "config" / "crm_targets.csv")


def test_demo_targets_plan_the_last_full_year(warehouse, demo_reference: Reference) -> None:
    last_full = fiscal_year(demo_reference.as_of, 1) - (0 if demo_reference.as_of.month == 12
                                                          and demo_reference.as_of.day == 31 else 1)
    years = {row[0] for row in warehouse.execute("select distinct year from marts.gap_targets").fetchall()}
    assert years == {last_full}
    row = warehouse.execute(
        "select target_value, actual_value, is_complete from marts.gap_targets "
        "where store_id is null and driver = 'sales'"
    ).fetchone()
    assert row[0] is not None and row[1] is not None and row[2]


def test_demo_store_performance_matches_the_reference(warehouse, demo_reference: Reference) -> None:
    check_store_performance(warehouse, demo_reference)
    check_store_year_rows_agree_with_gap_analysis(warehouse)


def test_demo_store_customer_mix_adds_up(warehouse) -> None:
    bad = warehouse.execute(
        """
        select mix.store_id, mix.period_grain, mix.period_start, mix.mix_dimension
        from marts.store_customer_mix as mix
        inner join marts.store_performance as performance
            on mix.store_id = performance.store_id
            and mix.period_grain = performance.period_grain
            and mix.period_start = performance.period_start
        group by mix.store_id, mix.period_grain, mix.period_start, mix.mix_dimension,
            performance.buyers, performance.revenue
        having sum(mix.buyers) <> performance.buyers or sum(mix.revenue) <> performance.revenue
            or abs(sum(mix.buyer_share) - 1) > 1e-9
        """
    ).fetchall()
    assert bad == []


def test_demo_store_archetypes_follow_the_rules(warehouse, demo_reference: Reference) -> None:
    archetypes = check_store_archetypes(warehouse, demo_reference)
    # the demo generator builds one store per archetype (S06 is the online store)
    assert archetypes[("S01", 2025)] == "traffic_led"
    assert archetypes[("S02", 2025)] == "high_end_led"
    assert archetypes[("S03", 2025)] == "loyalty_led"
    assert archetypes[("S04", 2025)] == "underperforming"
    assert archetypes[("S05", 2025)] == "new_store"


# ------------------------------------------------------------ generated fixture

FIXTURE_AS_OF = dt.date(2024, 9, 30)
FIXTURE_START_MONTH = 4


def write_fixture_orders(path: Path) -> None:
    """Orders only (no members or stores input): hand cases on fiscal year edges plus random history."""
    rows = []

    def add(order_id, member, store, ordered_at, amount, status="completed", refund="0.00", paid_at=""):
        rows.append([order_id, member or "", store or "", "store", status, ordered_at, paid_at, amount, refund, ""])

    # A: new in FY2022 (2023-03-15), retained_new in FY2023 (2023-04-01 is its first day).
    add("H01", "A", "S1", "2023-03-15 10:00:00", "20.00")
    add("H02", "A", "S1", "2023-04-01 09:00:00", "30.00")
    # B: FY2022 at S1, FY2023 at S2 only (new to S2), FY2024 back at S1 (reactivated at S1).
    add("H03", "B", "S1", "2022-05-01 10:00:00", "15.00")
    add("H04", "B", "S2", "2024-03-31 18:00:00", "25.00")
    add("H05", "B", "S1", "2024-04-01 08:00:00", "35.00")
    # C: two orders the same day = one occasion; paid the next day (purchase date = paid date).
    add("H06", "C", "S2", "2024-05-10 23:00:00", "10.00", paid_at="2024-05-11 00:10:00")
    add("H07", "C", "S2", "2024-05-11 12:00:00", "12.50")
    # guests, a refunded order, a cancelled order, an order without store, one after as_of_date
    add("H08", None, "S1", "2024-06-01 10:00:00", "9.99")
    add("H09", "C", "S1", "2024-06-02 10:00:00", "40.00", refund="40.00")
    add("H10", "A", "S1", "2024-06-03 10:00:00", "40.00", status="cancelled")
    add("H11", "A", None, "2024-07-04 10:00:00", "11.00")
    add("H12", "A", "S1", "2024-10-02 10:00:00", "50.00")
    generator = random.Random(20240930)
    start = dt.datetime(2021, 1, 1)
    for index in range(900):
        member = f"M{generator.randint(1, 80):03d}" if generator.random() > 0.08 else None
        store = generator.choice(["S1", "S2", "S3", "S3", None])
        moment = start + dt.timedelta(minutes=generator.randint(0, 60 * 24 * 1360))
        amount = f"{generator.randint(100, 20000) / 100:.2f}"
        status = generator.choice(["completed"] * 8 + ["paid", "cancelled"])
        add(f"R{index:04d}", member, store, moment.strftime("%Y-%m-%d %H:%M:%S"), amount, status=status)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(reference.ORDER_COLUMNS)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def fixture_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtResult, Reference]:
    folder = tmp_path_factory.mktemp("planning")
    orders = folder / "raw_orders.csv"
    write_fixture_orders(orders)
    result = run_dbt(
        ["build", "--indirect-selection", "cautious", "--select", *PLANNING_SELECTION],
        folder / "planning.duckdb",
        {
            "raw_orders": str(orders),
            "as_of_date": FIXTURE_AS_OF.isoformat(),
            "fiscal_year_start_month": FIXTURE_START_MONTH,
        },
    )
    assert result.returncode == 0, result.output[-5000:]
    ref = Reference.build(orders, None, None, FIXTURE_AS_OF, FIXTURE_START_MONTH)
    return result, ref


def test_fixture_gap_analysis_matches_the_reference(fixture_build) -> None:
    result, ref = fixture_build
    with result.connect() as connection:
        check_gap_analysis(connection, ref)
        check_gap_identities(connection)


def test_fixture_fiscal_year_edges(fixture_build) -> None:
    result, ref = fixture_build
    groups = {scope: years for scope, years in ref.buyer_years().items()}
    assert groups[None][("A", 2022)]["group"] == "new"
    assert groups[None][("A", 2023)]["group"] == "retained_new"
    assert groups[None][("B", 2023)]["group"] == "retained_new"
    assert groups[None][("B", 2024)]["group"] == "retained_returning"
    assert groups["S2"][("B", 2023)]["group"] == "new"
    assert groups["S1"][("B", 2024)]["group"] == "reactivated"
    with result.connect() as connection:
        years = connection.execute(
            "select distinct year, year_start_date, year_end_date, is_complete from marts.gap_analysis order by 1"
        ).fetchall()
    assert years[-1] == (2024, dt.date(2024, 4, 1), dt.date(2025, 3, 31), False)
    assert all(row[1].month == FIXTURE_START_MONTH for row in years)


def test_fixture_store_performance_matches_the_reference(fixture_build) -> None:
    result, ref = fixture_build
    with result.connect() as connection:
        check_store_performance(connection, ref)
        check_store_year_rows_agree_with_gap_analysis(connection)
        check_store_archetypes(connection, ref)
        # the demo targets name years outside this data: baselines and actuals are empty
        check_gap_targets(connection, ref, SEEDS_DIR / "config" / "crm_targets.csv")
