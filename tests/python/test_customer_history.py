"""customer_monthly, segment_migration and member_tier_history recomputed in pandas.

Orders go through tests/python/reference.py (staging, purchases, occasions); the rest is
written here from docs/definitions.md ("Customer state", "Customer history"): for every
month from the first purchase's month to the month holding as_of_date, the snapshot day
is the month's last day (as_of_date for the month holding it); each customer with a
purchase by then gets recency, occasions, spend, the percent_rank RFM scores among that
snapshot's customers (ties share), the first-match segment of seed rfm_segment_rules,
the cume_dist value tier, the lifecycle stage and type, and the member tier of seed
member_tiers on the trailing 365-day spend. Migration counts and the tier pyramid are
counted from that frame. Nothing re-runs the models' SQL.

Two warehouses: the demo build (`warehouse`, as_of_date a month end) and a build with
an as_of_date inside a month and an RFM window (`cut_build`), where the month holding
as_of_date is partial.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import reference
from conftest import SEEDS_DIR, DbtResult, run_dbt

CONFIG_DIR = SEEDS_DIR / "config"
BINS = 5
VALUE_TIER_CUTS = [(0.01, "top"), (0.05, "high"), (0.20, "middle")]
TIER_WINDOW_DAYS = 365
CUT_AS_OF = dt.date(2026, 3, 17)
CUT_WINDOW_DAYS = 365
DIMENSIONS = ["rfm_segment", "lifecycle_stage", "lifecycle_segment", "value_tier", "member_tier"]
COMPARED = [
    "snapshot_date", "month_end_date", "is_complete_month", "last_purchase_date", "recency_days",
    "customer_type", "lifecycle_stage", "lifecycle_segment", "cumulative_occasions", "cumulative_orders",
    "cumulative_net_spend", "frequency", "monetary", "r_score", "f_score", "m_score", "rfm_cell",
    "rfm_segment", "value_tier", "member_tier_spend", "member_tier",
]


def read_seed(name: str) -> list[dict[str, str]]:
    with (CONFIG_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def quantile_scores(values: pd.Series, descending: bool) -> pd.Series:
    """least(bins, 1 + floor(bins * percent_rank())): percent_rank = (rank - 1) / (n - 1), ties share."""
    n = len(values)
    rank = values.rank(method="min", ascending=not descending)
    percent_rank = (rank - 1) / (n - 1) if n > 1 else rank * 0.0
    return np.minimum(BINS, 1 + np.floor(BINS * percent_rank)).astype(int)


def segment_of(rules: list[dict[str, str]], r: int, f: int, m: int) -> str | None:
    for rule in sorted(rules, key=lambda rule: (int(rule["priority"]), rule["segment"])):
        if (int(rule["r_min"]) <= r <= int(rule["r_max"]) and int(rule["f_min"]) <= f <= int(rule["f_max"])
                and int(rule["m_min"]) <= m <= int(rule["m_max"])):
            return rule["segment"]
    return None


def tier_of(ladder: list[tuple[Decimal, str]], spend: Decimal) -> str:
    return [name for minimum, name in ladder if minimum <= spend][-1]


def snapshot_state(occasions: pd.DataFrame, day: dt.date, window_days: int | None) -> pd.DataFrame:
    """Every customer's state on `day` from the occasions up to it, scored among them."""
    upto = occasions[occasions["purchase_date"] <= day]
    grouped = upto.groupby("customer_id")
    state = pd.DataFrame({
        "last_purchase_date": grouped["purchase_date"].max(),
        "cumulative_occasions": grouped.size(),
        "cumulative_orders": grouped["orders_count"].sum(),
        "cumulative_net_spend": grouped["net_amount"].apply(lambda amounts: sum(amounts, Decimal("0.00"))),
    })
    tier_rows = upto[upto["purchase_date"] > day - dt.timedelta(days=TIER_WINDOW_DAYS)]
    tier_spend = tier_rows.groupby("customer_id")["net_amount"].apply(lambda amounts: sum(amounts, Decimal("0.00")))
    state["member_tier_spend"] = [tier_spend.get(customer, Decimal("0.00")) for customer in state.index]
    if window_days is None:
        state["frequency"] = state["cumulative_occasions"]
        state["monetary"] = state["cumulative_net_spend"]
    else:
        window = upto[upto["purchase_date"] > day - dt.timedelta(days=window_days)].groupby("customer_id")
        counts = window.size()
        spend = window["net_amount"].apply(lambda amounts: sum(amounts, Decimal("0.00")))
        state["frequency"] = [int(counts.get(customer, 0)) for customer in state.index]
        state["monetary"] = [spend.get(customer, Decimal("0.00")) for customer in state.index]
    state["recency_days"] = [(day - last).days for last in state["last_purchase_date"]]
    monetary = state["monetary"].astype(float)
    state["r_score"] = quantile_scores(state["recency_days"].astype(float), descending=True)
    state["f_score"] = quantile_scores(state["frequency"].astype(float), descending=False)
    state["m_score"] = quantile_scores(monetary, descending=False)
    cume_dist = monetary.rank(method="max", ascending=False) / len(state)  # share spending >= this
    state["value_tier"] = [next((name for cut, name in VALUE_TIER_CUTS if share <= cut), "low") for share in cume_dist]
    return state


def expected_monthly(as_of: dt.date | None = None, window_days: int | None = None) -> pd.DataFrame:
    kept = reference.clean_orders(reference.read_raw_csv(SEEDS_DIR / "raw_orders.csv"))
    bought, as_of = reference.purchases(kept, as_of)
    occasions = reference.occasions(bought)
    rules = read_seed("rfm_segment_rules")
    ladder = sorted((Decimal(tier["min_spend"]), tier["tier"]) for tier in read_seed("member_tiers"))
    frames = []
    month = min(occasions["purchase_date"]).replace(day=1)
    while month <= as_of:
        last_day = month_end(month)
        snapshot = min(last_day, as_of)
        state = snapshot_state(occasions, snapshot, window_days)
        state["month_start"] = month
        state["month_end_date"] = last_day
        state["snapshot_date"] = snapshot
        state["is_complete_month"] = last_day <= as_of
        frames.append(state)
        month = last_day + dt.timedelta(days=1)
    monthly = pd.concat(frames).reset_index(names="customer_id")
    monthly["customer_type"] = np.where(monthly["cumulative_occasions"] == 1, "new", "returning")
    monthly["lifecycle_stage"] = monthly["recency_days"].map(reference.stage_of)
    monthly["lifecycle_segment"] = monthly["customer_type"] + "_" + monthly["lifecycle_stage"]
    monthly["rfm_cell"] = (monthly["r_score"].astype(str) + monthly["f_score"].astype(str)
                           + monthly["m_score"].astype(str))
    monthly["rfm_segment"] = [segment_of(rules, r, f, m) for r, f, m in
                              zip(monthly["r_score"], monthly["f_score"], monthly["m_score"])]
    monthly["member_tier"] = [tier_of(ladder, spend) for spend in monthly["member_tier_spend"]]
    return monthly


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Comparable text: dates as ISO dates, money with two decimals, ints as ints."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if column.endswith("_date") or column == "month_start":
            out[column] = [pd.Timestamp(value).date().isoformat() for value in values]
        elif column in ("cumulative_net_spend", "monetary", "member_tier_spend"):
            out[column] = [f"{Decimal(str(value)):.2f}" for value in values]
        else:
            out[column] = [str(value.item() if hasattr(value, "item") else value) for value in values]
    return out


def compare_monthly(connection, expected: pd.DataFrame) -> None:
    actual = connection.execute(
        f"select customer_id, month_start, {', '.join(COMPARED)} from marts.customer_monthly"
    ).df()
    keys = ["customer_id", "month_start"]
    left = normalise(actual[keys + COMPARED]).set_index(keys).sort_index()
    right = normalise(expected[keys + COMPARED]).set_index(keys).sort_index()
    assert len(left) == len(right), (len(left), len(right))
    assert left.index.equals(right.index), "customer x month rows differ"
    for column in COMPARED:
        differs = left[column] != right[column]
        assert not differs.any(), (column, left[differs][column].head(5).to_dict(), right[differs][column].head(5).to_dict())


def expected_migration(monthly: pd.DataFrame) -> pd.DataFrame:
    ordered = monthly.sort_values(["customer_id", "month_start"])
    rows = []
    for dimension in DIMENSIONS:
        previous = ordered.groupby("customer_id")[dimension].shift(1)
        rows.append(pd.DataFrame({
            "month_start": ordered["month_start"],
            "dimension": dimension,
            "from_value": previous.fillna("not_yet_customer"),
            "to_value": ordered[dimension],
        }))
    moves = pd.concat(rows)
    counted = moves.groupby(["month_start", "dimension", "from_value", "to_value"]).size().rename("customers")
    counted = counted.reset_index()
    counted["from_customers"] = counted.groupby(["month_start", "dimension", "from_value"])["customers"].transform("sum")
    return counted


def expected_tier_history(monthly: pd.DataFrame) -> pd.DataFrame:
    rank = {name: index for index, (_, name) in
            enumerate(sorted((Decimal(tier["min_spend"]), tier["tier"]) for tier in read_seed("member_tiers")), 1)}
    ordered = monthly.sort_values(["customer_id", "month_start"]).copy()
    ordered["previous"] = ordered.groupby("customer_id")["member_tier"].shift(1)
    rows = []
    for month, group in ordered.groupby("month_start"):
        for tier, tier_rank in rank.items():
            here = group[group["member_tier"] == tier]
            was = group[group["previous"] == tier]
            previous_rank = here["previous"].map(rank)
            now_rank = was["member_tier"].map(rank)
            rows.append({
                "month_start": month, "member_tier": tier, "tier_rank": tier_rank,
                "customers": len(here), "customer_share": len(here) / len(group),
                "new_customers": int(here["previous"].isna().sum()),
                "stayed_customers": int((previous_rank == tier_rank).sum()),
                "upgraded_in": int((previous_rank < tier_rank).sum()),
                "downgraded_in": int((previous_rank > tier_rank).sum()),
                "upgraded_out": int((now_rank > tier_rank).sum()),
                "downgraded_out": int((now_rank < tier_rank).sum()),
            })
    return pd.DataFrame(rows)


def check_summaries(connection, monthly: pd.DataFrame) -> None:
    migration = connection.execute(
        "select month_start, dimension, from_value, to_value, customers, from_customers, share_of_from, is_same_value"
        " from marts.segment_migration"
    ).df()
    migration["month_start"] = migration["month_start"].dt.date
    expected = expected_migration(monthly)
    merged = expected.merge(migration, on=["month_start", "dimension", "from_value", "to_value"],
                            how="outer", suffixes=("_expected", ""), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged["customers"] == merged["customers_expected"]).all()
    assert (merged["from_customers"] == merged["from_customers_expected"]).all()
    assert np.allclose(merged["share_of_from"], merged["customers_expected"] / merged["from_customers_expected"])
    assert (merged["is_same_value"] == (merged["from_value"] == merged["to_value"])).all()

    tiers = connection.execute("select * from marts.member_tier_history").df()
    tiers["month_start"] = tiers["month_start"].dt.date
    expected_tiers = expected_tier_history(monthly)
    merged = expected_tiers.merge(tiers, on=["month_start", "member_tier"], how="outer",
                                  suffixes=("_expected", ""), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    for column in ["tier_rank", "customers", "new_customers", "stayed_customers", "upgraded_in",
                   "downgraded_in", "upgraded_out", "downgraded_out"]:
        assert (merged[column] == merged[f"{column}_expected"]).all(), column
    assert np.allclose(merged["customer_share"], merged["customer_share_expected"])
    # every upgrade into a tier is an upgrade out of another one
    per_month = tiers.groupby("month_start")[["upgraded_in", "upgraded_out", "downgraded_in", "downgraded_out"]].sum()
    assert (per_month["upgraded_in"] == per_month["upgraded_out"]).all()
    assert (per_month["downgraded_in"] == per_month["downgraded_out"]).all()


@pytest.fixture(scope="module")
def demo_monthly(warehouse) -> pd.DataFrame:
    as_of = warehouse.execute("select as_of_date from intermediate.int_build_context").fetchone()[0]
    return expected_monthly(as_of)


def test_customer_monthly_matches_recomputation(warehouse, demo_monthly: pd.DataFrame) -> None:
    compare_monthly(warehouse, demo_monthly)


def test_last_month_equals_customer_state(warehouse) -> None:
    """The as_of_date row is the customer state (customer_rfm / customer_lifecycle), a month end on the demo."""
    as_of = warehouse.execute("select as_of_date from intermediate.int_build_context").fetchone()[0]
    assert as_of == month_end(as_of), "the demo's as_of_date is a month end"
    differences = warehouse.execute("""
        with now as (
            select * from marts.customer_monthly where snapshot_date = month_end_date
            and month_start = (select max(month_start) from marts.customer_monthly)
        ),
        state as (
            select rfm.customer_id, rfm.recency_days, rfm.frequency, rfm.monetary, rfm.rfm_cell, rfm.rfm_segment,
                rfm.value_tier, rfm.member_tier, life.lifecycle_stage, life.customer_type
            from marts.customer_rfm as rfm
            inner join marts.customer_lifecycle as life on rfm.customer_id = life.customer_id
        )
        select count(*) from (
            (select customer_id, recency_days, frequency, monetary, rfm_cell, rfm_segment, value_tier,
                member_tier, lifecycle_stage, customer_type from now
             except select * from state)
            union all
            (select * from state except select customer_id, recency_days, frequency, monetary, rfm_cell,
                rfm_segment, value_tier, member_tier, lifecycle_stage, customer_type from now)
        )
    """).fetchone()[0]
    assert differences == 0


def test_summaries_match_recomputation(warehouse, demo_monthly: pd.DataFrame) -> None:
    check_summaries(warehouse, demo_monthly)


def test_month_boundaries() -> None:
    """Hand fixture: a purchase on a month's last day counts in that month's row, one on the
    next month's first day only in the next; 31 December rolls over the year."""
    occasions = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c"],
        "purchase_date": [dt.date(2025, 1, 31), dt.date(2025, 2, 1), dt.date(2025, 12, 31), dt.date(2026, 1, 1)],
        "orders_count": [1, 2, 1, 1],
        "net_amount": [Decimal("10.00"), Decimal("20.00"), Decimal("5.00"), Decimal("7.00")],
    })
    january = snapshot_state(occasions, month_end(dt.date(2025, 1, 10)), None)
    assert list(january.index) == ["a"]
    assert january.loc["a", "recency_days"] == 0 and january.loc["a", "cumulative_occasions"] == 1
    february = snapshot_state(occasions, month_end(dt.date(2025, 2, 10)), None)
    assert february.loc["a", "cumulative_orders"] == 3
    assert february.loc["a", "recency_days"] == 27  # 1 Feb -> 28 Feb
    december = snapshot_state(occasions, dt.date(2025, 12, 31), None)
    assert set(december.index) == {"a", "b"}
    # trailing 365 days: (2025-12-31 - 365, 2025-12-31] = from 2025-01-01 on
    assert december.loc["a", "member_tier_spend"] == Decimal("30.00")


@pytest.fixture(scope="module")
def cut_build(tmp_path_factory: pytest.TempPathFactory) -> DbtResult:
    db_path = tmp_path_factory.mktemp("history_cut") / "history_cut.duckdb"
    result = run_dbt(
        ["build", "--select", "+customer_monthly+", "+int_customer_state", "customer_rfm", "--exclude", "resource_type:unit_test",
         "--indirect-selection", "cautious"],
        db_path,
        {"as_of_date": CUT_AS_OF.isoformat(), "rfm_window_days": CUT_WINDOW_DAYS},
    )
    assert result.returncode == 0, result.output[-4000:]
    return result


def test_partial_month_and_rfm_window(cut_build: DbtResult) -> None:
    """as_of_date inside a month: its row is taken on as_of_date (is_complete_month false)
    and still equals the customer state (the singular test passed in the build)."""
    expected = expected_monthly(CUT_AS_OF, CUT_WINDOW_DAYS)
    with cut_build.connect() as connection:
        compare_monthly(connection, expected)
        check_summaries(connection, expected)
        last = connection.execute(
            "select distinct snapshot_date, is_complete_month from marts.customer_monthly"
            " where month_start = date '2026-03-01'"
        ).fetchall()
    assert last == [(CUT_AS_OF, False)]
