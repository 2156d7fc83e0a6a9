"""Customer marts recomputed independently in pandas / plain Python from the raw CSVs.

Orders go through tests/python/reference.py (staging, purchases, occasions); members
are cleaned here from the raw members CSV by the contract's rules. Everything else is
written from docs/definitions.md#customer-state and the seeds' documented meaning: recency,
frequency, monetary, the percent_rank scores (ties share), cells and first-match
segments, cume_dist value tiers, purchase cycle, trailing-365-day member tiers,
lifecycle stage, customer type and loyalty level. Stage history is checked by
walking every customer day by day (a brute-force spine the SQL never builds), and the
transitions are counted from that walk.

Two warehouses are checked: the demo build (`warehouse` fixture, default as_of_date
= latest purchase date) and a build of the demo data with an earlier as_of_date, an
RFM window and fixed recency / monetary thresholds (as_of_date cutting history).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import reference
from conftest import SEEDS_DIR, DbtResult, run_dbt

CONFIG_DIR = SEEDS_DIR / "config"
STAGES = reference.STAGES
STAGE_BOUNDARIES = reference.STAGE_BOUNDARIES
BINS = 5
VALUE_TIER_CUTS = [(0.01, "top"), (0.05, "high"), (0.20, "middle")]
TIER_WINDOW_DAYS = 365
DOWNGRADE_LOOKAHEAD_DAYS = 30
NEAR_UPGRADE_SHARE = Decimal("0.1")
CUT_AS_OF = dt.date(2025, 9, 15)
CUT_VARS = {
    "as_of_date": CUT_AS_OF.isoformat(),
    "rfm_window_days": 365,
    "rfm_recency_thresholds": "[30, 90, 180, 365]",
    "rfm_monetary_thresholds": "[50, 100, 250, 500]",
}


# ------------------------------------------------------------------------ members

MEMBER_COLUMNS = [
    "member_id", "joined_at", "birth_date", "gender", "city", "city_tier", "home_store_id",
    "referred_by_member_id", "email", "phone", "sms_opt_in", "email_opt_in", "updated_at",
]
TRUE_TEXT = {"true", "t", "1", "yes", "y"}
FALSE_TEXT = {"false", "f", "0", "no", "n"}


def _timestamp(text: str | None) -> dt.datetime | None:
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern)
        except (TypeError, ValueError):
            continue
    return None


def clean_members(path: Path, build_date: dt.date) -> pd.DataFrame:
    """Kept members per the raw contract: valid rows, latest updated_at wins, ties rejected."""
    raw = reference.read_raw_csv(path)
    records = {
        tuple(None if pd.isna(record.get(column)) else record.get(column) for column in MEMBER_COLUMNS)
        for record in raw.to_dict("records")
    }
    versions: dict[str, list[tuple[dict, bool]]] = defaultdict(list)
    for values in records:
        row = dict(zip(MEMBER_COLUMNS, values))
        if row["member_id"] is None:
            continue
        joined_at, updated_at = _timestamp(row["joined_at"]), _timestamp(row["updated_at"])
        birth = _timestamp(row["birth_date"])
        gender = (row["gender"] or "U").upper()
        tier = row["city_tier"]
        bad = (
            (row["joined_at"] is not None and joined_at is None)
            or (row["updated_at"] is not None and updated_at is None)
            or (row["birth_date"] is not None and birth is None)
            or (tier is not None and not tier.lstrip("-").isdigit())
            or any(
                row[flag] is not None and row[flag].lower() not in TRUE_TEXT | FALSE_TEXT
                for flag in ("sms_opt_in", "email_opt_in")
            )
        )
        if not bad:
            bad = (
                gender not in {"F", "M", "U"}
                or (tier is not None and int(tier) not in {1, 2, 3, 4, 5})
                or any(
                    stamp is not None and not (dt.date(1970, 1, 1) <= stamp.date() <= build_date)
                    for stamp in (joined_at, updated_at)
                )
                or (birth is not None and birth.date() > build_date)
            )
        parsed = {
            "customer_id": row["member_id"],
            "joined_date": joined_at.date() if joined_at else None,
            "birth_date": birth.date() if birth else None,
            "referred_by_member_id": row["referred_by_member_id"],
            "updated_at": updated_at,
        }
        versions[row["member_id"]].append((parsed, bad))
    kept = []
    for candidates in versions.values():
        stamps = [row["updated_at"] for row, _ in candidates if row["updated_at"] is not None]
        latest = max(stamps) if stamps else None
        top = [(row, bad) for row, bad in candidates if row["updated_at"] == latest]
        if len(top) == 1 and not top[0][1]:
            kept.append(top[0][0])
    return pd.DataFrame(kept)


# ---------------------------------------------------------------------- reference


stage_of = reference.stage_of


def quantile_scores(values: list[float], descending: bool) -> list[int]:
    """least(bins, 1 + floor(bins * percent_rank())): rank = 1 + values strictly before."""
    ordered = np.sort(np.asarray(values, dtype=float))
    n = len(values)
    scores = []
    for value in values:
        if descending:
            before = n - int(np.searchsorted(ordered, value, side="right"))
        else:
            before = int(np.searchsorted(ordered, value, side="left"))
        percent_rank = before / (n - 1) if n > 1 else 0.0
        scores.append(min(BINS, 1 + math.floor(BINS * percent_rank)))
    return scores


def threshold_scores(values: list[float], cuts: list[float], descending: bool) -> list[int]:
    passed = [sum(1 for cut in cuts if value >= cut) for value in values]
    return [BINS - count if descending else 1 + count for count in passed]


def read_seed(name: str) -> list[dict[str, str]]:
    with (CONFIG_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass
class Expected:
    """Every mart value of issue 4 recomputed from the raw files at one as_of_date."""

    as_of: dt.date
    kept_orders: pd.DataFrame
    purchases: pd.DataFrame
    occasions: pd.DataFrame
    members: pd.DataFrame
    rfm: pd.DataFrame = field(init=False)
    lifecycle: pd.DataFrame = field(init=False)
    universe: dict[str, dict] = field(init=False)
    member_tiers: dict[str, dict] = field(init=False)
    dates: dict[str, list[dt.date]] = field(init=False)
    walks: dict[str, tuple[dt.date, list[tuple[str, str]]]] | None = None


def build_expected(
    as_of: dt.date | None = None,
    window_days: int | None = None,
    recency_cuts: list[float] | None = None,
    monetary_cuts: list[float] | None = None,
) -> Expected:
    build_date = dt.datetime.now(dt.timezone.utc).date()
    kept = reference.clean_orders(reference.read_raw_csv(SEEDS_DIR / "raw_orders.csv"), build_date)
    bought, as_of = reference.purchases(kept, as_of)
    occasions = reference.occasions(bought)
    members = clean_members(SEEDS_DIR / "raw_members.csv", build_date)
    result = Expected(as_of, kept, bought, occasions, members)

    # customers: all history
    dates = occasions.groupby("customer_id")["purchase_date"].apply(sorted).to_dict()
    windowed = occasions
    if window_days is not None:
        windowed = occasions[occasions["purchase_date"] > as_of - dt.timedelta(days=window_days)]
    window_rows = {
        customer: group for customer, group in windowed.groupby("customer_id")
    }
    rows = []
    for customer, customer_dates in dates.items():
        group = window_rows.get(customer)
        frequency = 0 if group is None else len(group)
        orders_count = 0 if group is None else int(group["orders_count"].sum())
        monetary = Decimal("0.00") if group is None else sum(group["net_amount"], Decimal("0.00"))
        recency = (as_of - customer_dates[-1]).days
        interval = None
        # the seed's cycle: 365 / occasions in (as_of - 365, as_of], for 2+ occasions there
        trailing_year = sum(1 for day in customer_dates if day > as_of - dt.timedelta(days=365))
        cycle = 365 / trailing_year if trailing_year >= 2 else None
        if frequency >= 2:
            window_dates = sorted(group["purchase_date"])
            interval = (window_dates[-1] - window_dates[0]).days / (frequency - 1)
        rows.append({
            "customer_id": customer,
            "first_purchase_date": customer_dates[0],
            "last_purchase_date": customer_dates[-1],
            "occasions_to_date": len(customer_dates),
            "recency_days": recency,
            "frequency": frequency,
            "orders_count": orders_count,
            "monetary": monetary,
            "purchase_cycle_days": cycle,
            "avg_purchase_interval_days": interval,
        })
    rfm = pd.DataFrame(rows)
    recency = rfm["recency_days"].astype(float).tolist()
    frequency = rfm["frequency"].astype(float).tolist()
    monetary = [float(value) for value in rfm["monetary"]]
    rfm["r_score"] = (
        threshold_scores(recency, recency_cuts, True) if recency_cuts else quantile_scores(recency, True)
    )
    rfm["f_score"] = quantile_scores(frequency, False)
    rfm["m_score"] = (
        threshold_scores(monetary, monetary_cuts, False) if monetary_cuts else quantile_scores(monetary, False)
    )
    rfm["rfm_cell"] = [f"{r}{f}{m}" for r, f, m in zip(rfm["r_score"], rfm["f_score"], rfm["m_score"])]
    rules = sorted(read_seed("rfm_segment_rules"), key=lambda rule: int(rule["priority"]))

    def segment(r: int, f: int, m: int) -> str | None:
        for rule in rules:
            if (
                int(rule["r_min"]) <= r <= int(rule["r_max"])
                and int(rule["f_min"]) <= f <= int(rule["f_max"])
                and int(rule["m_min"]) <= m <= int(rule["m_max"])
            ):
                return rule["segment"]
        return None

    rfm["rfm_segment"] = [segment(*cell) for cell in zip(rfm["r_score"], rfm["f_score"], rfm["m_score"])]
    ordered = np.sort(np.asarray(monetary))
    n = len(monetary)
    tiers = []
    for value in monetary:
        cume_dist = (n - int(np.searchsorted(ordered, value, side="left"))) / n  # rows with monetary >= value
        tiers.append(next((name for cut, name in VALUE_TIER_CUTS if cume_dist <= cut), "low"))
    rfm["value_tier"] = tiers
    overdue = [
        None if row["purchase_cycle_days"] is None else row["recency_days"] / row["purchase_cycle_days"]
        for row in rows
    ]
    rfm["overdue_ratio"] = overdue
    rfm["purchase_cycle_status"] = [
        "not_applicable" if ratio is None else "on_cycle" if ratio <= 1 else "overdue" if ratio <= 2 else "alert"
        for ratio in overdue
    ]

    # universe: members joined by as_of (or unknown) + every customer (+ orphans)
    customers = set(dates)
    universe: dict[str, dict] = {}
    for member in members.to_dict("records"):
        joined = member["joined_date"]
        if joined is None or pd.isna(joined) or joined <= as_of or member["customer_id"] in customers:
            universe[member["customer_id"]] = {**member, "joined_date": None if pd.isna(joined) else joined}
    for customer in customers - set(universe):
        universe[customer] = {"customer_id": customer, "joined_date": None, "birth_date": None,
                              "referred_by_member_id": None}
    result.universe = universe

    # member tiers on trailing spend
    tier_rows = sorted(read_seed("member_tiers"), key=lambda tier: Decimal(tier["min_spend"]))
    window_start = as_of - dt.timedelta(days=TIER_WINDOW_DAYS)
    lookahead_start = window_start + dt.timedelta(days=DOWNGRADE_LOOKAHEAD_DAYS)
    spend: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    staying: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for row in bought.itertuples():
        if row.purchase_date > window_start:
            spend[row.customer_id] += row.net_amount
            if row.purchase_date > lookahead_start:
                staying[row.customer_id] += row.net_amount
    member_tiers = {}
    for customer in universe:
        amount = spend[customer]
        index = max(i for i, tier in enumerate(tier_rows) if Decimal(tier["min_spend"]) <= amount)
        current = tier_rows[index]
        following = tier_rows[index + 1] if index + 1 < len(tier_rows) else None
        to_next = Decimal(following["min_spend"]) - amount if following else None
        member_tiers[customer] = {
            "member_tier": current["tier"],
            "member_tier_spend": amount,
            "next_tier": following["tier"] if following else None,
            "spend_to_next_tier": to_next,
            "is_near_upgrade": bool(following) and to_next <= NEAR_UPGRADE_SHARE * Decimal(following["min_spend"]),
            "is_downgrade_risk": staying[customer] < Decimal(current["min_spend"]),
        }
    for column in ("member_tier", "member_tier_spend", "next_tier", "spend_to_next_tier",
                   "is_near_upgrade", "is_downgrade_risk"):
        rfm[column] = [member_tiers[customer][column] for customer in rfm["customer_id"]]
    result.rfm = rfm.set_index("customer_id")
    result.member_tiers = member_tiers

    # lifecycle for the universe
    occasions_to_date = {customer: len(customer_dates) for customer, customer_dates in dates.items()}
    referred = defaultdict(int)
    referred_customers = defaultdict(int)
    for member in universe.values():
        referrer = member.get("referred_by_member_id")
        if referrer and referrer != member["customer_id"]:
            referred[referrer] += 1
            referred_customers[referrer] += member["customer_id"] in customers
    lifecycle = []
    for customer in universe:
        count = occasions_to_date.get(customer, 0)
        if count == 0:
            customer_type, stage, recency = "prospect", "prospect", None
        else:
            customer_type = "new" if count == 1 else "returning"
            recency = (as_of - dates[customer][-1]).days
            stage = stage_of(recency)
        if count >= 2 and referred_customers[customer] >= 1:  # the ladder is cumulative
            loyalty = "advocate"
        elif count >= 2 and referred[customer] >= 1:
            loyalty = "supporter"
        elif count >= 2:
            loyalty = "repeat_customer"
        elif count == 1:
            loyalty = "purchaser"
        else:
            loyalty = "prospect"
        lifecycle.append({
            "customer_id": customer,
            "customer_type": customer_type,
            "lifecycle_stage": stage,
            "lifecycle_segment": "prospect" if customer_type == "prospect" else f"{customer_type}_{stage}",
            "recency_days": recency,
            "loyalty_level": loyalty,
        })
    result.lifecycle = pd.DataFrame(lifecycle).set_index("customer_id")
    result.dates = dates
    return result


# ------------------------------------------------------------------------ helpers


def fetch(connection: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """Rows as Python objects (Decimal stays Decimal, date stays date)."""
    cursor = connection.execute(sql)
    columns = [description[0] for description in cursor.description]
    return pd.DataFrame(cursor.fetchall(), columns=columns, dtype=object)


def same(left: object, right: object) -> bool:
    if left is None or (isinstance(left, float) and math.isnan(left)):
        return right is None or (isinstance(right, float) and math.isnan(right))
    if right is None or (isinstance(right, float) and math.isnan(right)):
        return False
    if isinstance(left, float) or isinstance(right, float):
        return abs(float(left) - float(right)) <= 1e-9 * max(1.0, abs(float(right)))
    return left == right


def compare(actual: pd.DataFrame, expected: pd.DataFrame, columns: list[str], what: str) -> None:
    assert sorted(actual.index) == sorted(expected.index), f"{what}: different customers"
    problems = []
    for column in columns:
        for key in expected.index:
            if not same(actual.at[key, column], expected.at[key, column]):
                problems.append((key, column, actual.at[key, column], expected.at[key, column]))
    assert not problems, f"{what}: {len(problems)} differences, e.g. {problems[:10]}"


RFM_COLUMNS = [
    "first_purchase_date", "last_purchase_date", "recency_days", "frequency", "orders_count", "monetary",
    "r_score", "f_score", "m_score", "rfm_cell", "rfm_segment", "value_tier", "purchase_cycle_days",
    "avg_purchase_interval_days", "overdue_ratio", "purchase_cycle_status", "member_tier", "member_tier_spend", "next_tier",
    "spend_to_next_tier", "is_near_upgrade", "is_downgrade_risk",
]
LIFECYCLE_COLUMNS = ["customer_type", "lifecycle_stage", "lifecycle_segment", "recency_days", "loyalty_level"]


def check_rfm_and_lifecycle(connection: duckdb.DuckDBPyConnection, expected: Expected) -> None:
    rfm = fetch(connection, "select * from marts.customer_rfm").set_index("customer_id")
    assert set(rfm["as_of_date"]) == {expected.as_of}
    compare(rfm, expected.rfm, RFM_COLUMNS, "customer_rfm")
    lifecycle = fetch(connection, "select * from marts.customer_lifecycle").set_index("customer_id")
    assert set(lifecycle["as_of_date"]) == {expected.as_of}
    compare(lifecycle, expected.lifecycle, LIFECYCLE_COLUMNS, "customer_lifecycle")
    check_customer_state(connection, expected)


def next_birthday(birth: dt.date, as_of: dt.date) -> dt.date:
    """The birthday on or after as_of; 29 February falls on 28 February in other years."""
    def in_year(year: int) -> dt.date:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        day = 28 if (birth.month, birth.day) == (2, 29) and not leap else birth.day
        return dt.date(year, birth.month, day)

    this_year = in_year(as_of.year)
    return this_year if this_year >= as_of else in_year(as_of.year + 1)


def check_customer_state(connection: duckdb.DuckDBPyConnection, expected: Expected) -> None:
    """int_customer_state, the one place of the rules: RFM of its customers, lifecycle of
    everyone, nothing RFM for prospects, and the next birthday the trigger uses."""
    state = fetch(connection, "select * from intermediate.int_customer_state").set_index("customer_id")
    assert set(state.index) == set(expected.universe)
    assert set(state["as_of_date"]) == {expected.as_of}
    is_customer = state["is_customer"].astype(bool)
    customers = state[is_customer].rename(
        columns={"orders_count": "all_orders_count", "window_orders_count": "orders_count"}
    )
    compare(customers, expected.rfm, RFM_COLUMNS, "int_customer_state (customers)")
    compare(state, expected.lifecycle, LIFECYCLE_COLUMNS, "int_customer_state (lifecycle)")
    prospects = state[~is_customer]
    assert prospects[["recency_days", "r_score", "rfm_segment", "value_tier"]].isna().all().all()
    problems = []
    for customer, member in expected.universe.items():
        birth = member.get("birth_date")
        known = birth is not None and not pd.isna(birth) and birth <= expected.as_of
        wanted = next_birthday(birth, expected.as_of) if known else None
        if not same(state.at[customer, "next_birthday_date"], wanted):
            problems.append((customer, state.at[customer, "next_birthday_date"], wanted))
    assert not problems, f"next_birthday_date: {len(problems)} differences, e.g. {problems[:10]}"


def walk_stages(expected: Expected) -> dict[str, tuple[dt.date, list[tuple[str, str]]]]:
    """Per member / customer: first day known and the (stage, customer_type) of every day to as_of."""
    if expected.walks is not None:
        return expected.walks
    walks = {}
    for customer, member in expected.universe.items():
        purchase_days = expected.dates.get(customer, [])
        joined = member.get("joined_date")
        starts = [day for day in (joined, purchase_days[0] if purchase_days else None) if day is not None]
        if not starts:
            continue
        start = min(starts)
        if start > expected.as_of:
            continue
        days, states, index = (expected.as_of - start).days + 1, [], -1
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            while index + 1 < len(purchase_days) and purchase_days[index + 1] <= day:
                index += 1
            if index < 0:
                states.append(("prospect", "prospect"))
            else:
                states.append((stage_of((day - purchase_days[index]).days), "new" if index == 0 else "returning"))
        walks[customer] = (start, states)
    expected.walks = walks
    return walks


def check_history(connection: duckdb.DuckDBPyConnection, expected: Expected) -> None:
    history = fetch(
        connection,
        "select customer_id, lifecycle_stage, customer_type, valid_from, valid_to from marts.customer_lifecycle_history",
    )
    walks = walk_stages(expected)
    by_customer: dict[str, list[tuple]] = defaultdict(list)
    for row in history.itertuples(index=False):
        by_customer[row.customer_id].append((row.valid_from, row.valid_to, row.lifecycle_stage, row.customer_type))
    assert set(by_customer) == set(walks), "history covers exactly the members with a known start"
    problems = []
    for customer, (start, states) in walks.items():
        expanded = []
        intervals = sorted(by_customer[customer])
        for position, (valid_from, valid_to, stage, customer_type) in enumerate(intervals):
            last = expected.as_of if valid_to is None else valid_to
            if (valid_to is None) != (position == len(intervals) - 1):
                problems.append((customer, "only the last interval is open"))
            expanded.extend([(stage, customer_type)] * ((last - valid_from).days + 1))
        if intervals[0][0] != start or expanded != states:
            problems.append((customer, "intervals differ from the day-by-day walk"))
        # merged: no two consecutive intervals with the same stage and type
        for before, after in zip(intervals, intervals[1:]):
            if before[2:] == after[2:]:
                problems.append((customer, "unmerged intervals", before, after))
    assert not problems, f"{len(problems)} customers differ, e.g. {problems[:5]}"
    current = {row.customer_id: row.lifecycle_stage for row in history.itertuples(index=False) if row.valid_to is None}
    for customer, stage in current.items():
        assert expected.lifecycle.at[customer, "lifecycle_stage"] == stage


# -------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def expected() -> Expected:
    return build_expected()


def test_rfm_tiers_and_lifecycle_match_recomputation(warehouse, expected: Expected) -> None:
    check_rfm_and_lifecycle(warehouse, expected)
    assert expected.rfm["rfm_segment"].notna().all()


def test_default_segment_rules_cover_every_cell() -> None:
    rules = read_seed("rfm_segment_rules")
    for r in range(1, BINS + 1):
        for f in range(1, BINS + 1):
            for m in range(1, BINS + 1):
                assert any(
                    int(rule["r_min"]) <= r <= int(rule["r_max"])
                    and int(rule["f_min"]) <= f <= int(rule["f_max"])
                    and int(rule["m_min"]) <= m <= int(rule["m_max"])
                    for rule in rules
                ), f"cell {r}{f}{m} has no segment"


def test_history_matches_day_by_day_walk(warehouse, expected: Expected) -> None:
    check_history(warehouse, expected)
    rows = warehouse.execute("select count(*) from marts.customer_lifecycle_history").fetchone()[0]
    assert rows <= len(expected.occasions) * len(STAGES) + len(expected.universe)


def test_transitions_match_day_by_day_walk(warehouse, expected: Expected) -> None:
    counts: dict[tuple, set] = defaultdict(set)
    moves: dict[tuple, int] = defaultdict(int)
    for customer, (start, states) in walk_stages(expected).items():
        previous = None
        for offset, (stage, _) in enumerate(states):
            day = start + dt.timedelta(days=offset)
            before = previous if previous is not None else "prospect"
            if stage != "prospect" and stage != before:
                for grain, period in (("week", day - dt.timedelta(days=day.weekday())), ("month", day.replace(day=1))):
                    counts[(grain, period, before, stage)].add(customer)
                    moves[(grain, period, before, stage)] += 1
            previous = stage
    actual = {
        (row[0], row[1], row[2], row[3]): (row[4], row[5])
        for row in warehouse.execute(
            "select grain, period_start, from_stage, to_stage, customers, transitions from marts.lifecycle_transitions"
        ).fetchall()
    }
    wanted = {key: (len(customers), moves[key]) for key, customers in counts.items()}
    assert actual == wanted


def test_orders_purchase_sequence_and_stage_before(warehouse, expected: Expected) -> None:
    bought = expected.purchases.copy()
    bought["paid_or_ordered"] = bought["paid_at"].where(bought["paid_at"].notna(), bought["ordered_at"])
    bought = bought.sort_values(["customer_id", "purchase_date", "paid_or_ordered", "order_id"])
    bought["purchase_number"] = bought.groupby("customer_id").cumcount() + 1
    wanted = {}
    for row in bought.itertuples():
        days = expected.dates[row.customer_id]
        position = days.index(row.purchase_date)
        gap = (row.purchase_date - days[position - 1]).days if position else None
        wanted[row.order_id] = (row.purchase_number, position + 1, gap, stage_of(gap) if position else "prospect")
    kept = expected.kept_orders
    order_days = {
        row.order_id: row.ordered_at.date() for row in kept.itertuples()
    }
    in_scope = {order for order, day in order_days.items() if day <= expected.as_of} | set(wanted)
    actual = fetch(
        warehouse,
        "select order_id, is_purchase, purchase_number, occasion_number, days_since_previous_occasion,"
        " stage_before_order from marts.orders",
    )
    assert set(actual["order_id"]) == in_scope
    for row in actual.itertuples(index=False):
        if row.order_id in wanted:
            assert row.is_purchase
            assert (row.purchase_number, row.occasion_number, row.days_since_previous_occasion,
                    row.stage_before_order) == wanted[row.order_id], row.order_id
        else:
            assert not row.is_purchase and row.purchase_number is None and row.stage_before_order is None


def test_customers_360(warehouse, expected: Expected) -> None:
    customers = fetch(warehouse, "select * from marts.customers").set_index("customer_id")
    assert set(customers.index) == set(expected.universe)
    pii = [column for column in customers.columns if column in {"email", "phone", "name", "first_name", "last_name"}]
    assert not pii
    bought = expected.purchases
    orders = bought.groupby("customer_id")["order_id"].count().to_dict()
    revenue = bought.groupby("customer_id")["net_amount"].apply(lambda amounts: sum(amounts, Decimal("0"))).to_dict()
    flash = bought[bought["channel"] == "flash_sale"].groupby("customer_id")["order_id"].count().to_dict()
    by_channel = bought.groupby(["customer_id", "channel"]).agg(
        orders=("order_id", "count"), amount=("net_amount", lambda amounts: sum(amounts, Decimal("0")))
    ).reset_index()
    favourite = {}
    for customer, group in by_channel.groupby("customer_id"):
        ranked = sorted(group.itertuples(), key=lambda row: (-row.orders, -row.amount, row.channel))
        favourite[customer] = ranked[0].channel
    bands = [(row["age_band"], row["min_age"], row["max_age"]) for row in read_seed("age_bands")]
    problems = []
    for customer, member in expected.universe.items():
        row = customers.loc[customer]
        birth = member.get("birth_date")
        age = None
        if birth is not None and not pd.isna(birth) and birth <= expected.as_of:
            age = expected.as_of.year - birth.year - ((expected.as_of.month, expected.as_of.day) < (birth.month, birth.day))
        if age is None:
            band = next(name for name, low, high in bands if not low and not high)
        else:
            band = next(name for name, low, high in bands if low and int(low) <= age and (not high or age <= int(high)))
        checks = {
            "orders_count": orders.get(customer, 0),
            "revenue": revenue.get(customer, Decimal("0")),
            "flash_sale_order_share": flash.get(customer, 0) / orders[customer] if customer in orders else None,
            "favourite_channel": favourite.get(customer),
            "age": age,
            "age_band": band,
            "lifecycle_stage": expected.lifecycle.at[customer, "lifecycle_stage"],
            "loyalty_level": expected.lifecycle.at[customer, "loyalty_level"],
            "member_tier": expected.member_tiers[customer]["member_tier"],
            "rfm_segment": expected.rfm.at[customer, "rfm_segment"] if customer in expected.rfm.index else None,
        }
        for column, value in checks.items():
            if not same(row[column], value):
                problems.append((customer, column, row[column], value))
    assert not problems, f"{len(problems)} differences, e.g. {problems[:10]}"


def test_summaries(warehouse, expected: Expected) -> None:
    rfm = expected.rfm
    total_customers, total_revenue = len(rfm), sum(rfm["monetary"], Decimal("0"))
    segments = fetch(warehouse, "select * from marts.rfm_segment_summary").set_index("rfm_segment")
    assert set(segments.index) == {rule["segment"] for rule in read_seed("rfm_segment_rules")}
    for name, row in segments.iterrows():
        members = rfm[rfm["rfm_segment"] == name]
        revenue = sum(members["monetary"], Decimal("0"))
        assert row["customers"] == len(members)
        assert row["revenue"] == revenue
        assert same(row["customer_share"], len(members) / total_customers)
        assert same(row["revenue_share"], float(revenue) / float(total_revenue))
    assert segments["customers"].sum() == total_customers

    tiers = fetch(warehouse, "select * from marts.value_tier_summary").set_index("value_tier")
    for name, row in tiers.iterrows():
        assert row["customers"] == int((rfm["value_tier"] == name).sum())
    amounts = sorted(rfm["monetary"], reverse=True)
    running, needed = Decimal("0"), None
    for position, amount in enumerate(amounts, start=1):
        running += amount
        if running >= Decimal("0.8") * total_revenue:
            needed = position
            break
    assert same(tiers["pareto_customer_share"].iloc[0], needed / total_customers)

    member_tiers = fetch(warehouse, "select * from marts.member_tier_summary").set_index("member_tier")
    counts = defaultdict(int)
    for values in expected.member_tiers.values():
        counts[values["member_tier"]] += 1
    for name, row in member_tiers.iterrows():
        assert row["members"] == counts[name]
    assert member_tiers["members"].sum() == len(expected.universe)


@pytest.fixture(scope="module")
def cut_build(tmp_path_factory: pytest.TempPathFactory) -> DbtResult:
    db_path = tmp_path_factory.mktemp("customer_cut") / "customer_cut.duckdb"
    selection = "+customer_rfm +customer_lifecycle +customer_lifecycle_history"
    result = run_dbt(
        ["build", "--select", selection, "--exclude", "test_type:unit", "--indirect-selection", "cautious"],
        db_path,
        CUT_VARS,
    )
    assert result.returncode == 0, result.output[-4000:]
    return result


def test_as_of_date_cuts_history_with_window_and_thresholds(cut_build: DbtResult) -> None:
    cut = build_expected(
        as_of=CUT_AS_OF, window_days=365, recency_cuts=[30, 90, 180, 365], monetary_cuts=[50, 100, 250, 500]
    )
    assert cut.as_of == CUT_AS_OF
    with cut_build.connect() as connection:
        check_rfm_and_lifecycle(connection, cut)
        check_history(connection, cut)
        later = connection.execute(
            f"select count(*) from marts.customer_rfm where last_purchase_date > date '{CUT_AS_OF}'"
        ).fetchone()[0]
        assert later == 0
