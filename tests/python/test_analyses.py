"""Every analysis in analyses/ compiles and runs on the test warehouse, and a few
answer their question correctly.

The analyses are compiled once (`dbt compile --select resource_type:analysis`)
against a copy of the test warehouse that keeps the warehouse's file name, so the
compiled SQL names the same catalog and runs on the read-only `warehouse`
fixture (dbt cannot open the warehouse itself while a test holds it open).
Expected answers are computed independently in pandas: purchases from the raw
orders seed (tests/python/reference.py), lifecycle stages from recency.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import reference
from conftest import PROJECT_DIR, SEEDS_DIR, run_dbt

ANALYSES_DIR = PROJECT_DIR / "analyses"
ANALYSES = sorted(path.stem for path in ANALYSES_DIR.glob("*.sql"))
# The ad hoc examples issue 11 asks for (the file names are what analysts copy).
REQUIRED_ANALYSES = {
    "campaign_audience_selection",
    "win_back_list",
    "new_customer_second_purchase_funnel",
    "store_comparison",
    "category_age_band_cross_table",
    "month_over_month_segment_migration",
}


@pytest.fixture(scope="module")
def compiled_dir(warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compile every analysis against a same-named copy of the test warehouse."""
    work = tmp_path_factory.mktemp("analyses")
    copy = work / warehouse_path.name
    shutil.copyfile(warehouse_path, copy)
    wal = warehouse_path.with_name(warehouse_path.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    result = run_dbt(["compile", "--select", "resource_type:analysis"], copy)
    assert result.returncode == 0, result.output[-4000:]
    return work / "target" / "compiled" / "crm_warehouse" / "analyses"


def run_analysis(warehouse: duckdb.DuckDBPyConnection, compiled_dir: Path, name: str) -> pd.DataFrame:
    path = compiled_dir / f"{name}.sql"
    assert path.exists(), f"analysis {name} was not compiled"
    return warehouse.execute(path.read_text()).df()


@pytest.fixture(scope="module")
def purchases(warehouse: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, dt.date]:
    """Purchases up to the warehouse's as_of_date, recomputed from the raw orders seed."""
    raw_orders = SEEDS_DIR / "raw_orders.csv"
    if not raw_orders.exists():
        pytest.skip("demo seeds/raw_orders.csv not generated")
    as_of = warehouse.execute("select max(as_of_date) from marts.customers").fetchone()[0]
    build_date = dt.datetime.now(dt.timezone.utc).date()
    kept = reference.clean_orders(reference.read_raw_csv(raw_orders), build_date)
    bought, as_of = reference.purchases(kept, as_of)
    return bought, as_of


stage_of = reference.stage_of


def test_the_issue_examples_exist() -> None:
    assert REQUIRED_ANALYSES <= set(ANALYSES), REQUIRED_ANALYSES - set(ANALYSES)


@pytest.mark.parametrize("name", ANALYSES)
def test_analysis_compiles_and_returns_rows(warehouse, compiled_dir: Path, name: str) -> None:
    header = (ANALYSES_DIR / f"{name}.sql").read_text().lstrip()
    assert header.startswith(("{#", "--")), f"{name}: starts without a header comment saying what it answers"
    frame = run_analysis(warehouse, compiled_dir, name)
    assert len(frame) > 0, f"analysis {name} returned no rows on the demo warehouse"


def test_category_age_band_cross_table_adds_up_to_the_order_lines(warehouse, compiled_dir, purchases) -> None:
    """Item amounts of purchases by age band and category, recomputed in pandas."""
    bought, _ = purchases
    items = warehouse.execute(
        "select order_id, coalesce(category, 'unknown') as category, amount from staging.stg_crm__order_items"
    ).df()
    bands = warehouse.execute("select customer_id, age_band from marts.customers").df()
    lines = bought[["order_id", "customer_id"]].merge(items, on="order_id").merge(bands, on="customer_id", how="left")
    lines["age_band"] = lines["age_band"].fillna("unknown")
    lines["amount"] = lines["amount"].map(lambda value: Decimal(str(value)))
    everything = lines.assign(age_band="all")

    actual = run_analysis(warehouse, compiled_dir, "category_age_band_cross_table").set_index("age_band")
    categories = sorted(lines["category"].unique())
    assert [column for column in actual.columns if column.startswith("share_")] == [
        "share_" + category for category in categories
    ]
    expected_bands = sorted(lines["age_band"].unique()) + ["all"]
    assert sorted(actual.index) == sorted(expected_bands)
    assert actual.index[-1] == "all"
    for band, group in pd.concat([lines, everything]).groupby("age_band"):
        row = actual.loc[band]
        total = sum(group["amount"], Decimal("0"))
        assert Decimal(str(row["items_amount"])) == total, band
        assert row["buyers"] == group["customer_id"].nunique(), band
        assert row["item_lines"] == len(group), band
        by_category = group.groupby("category")["amount"].apply(lambda values: sum(values, Decimal("0")))
        for category in categories:
            expected_share = float(by_category.get(category, Decimal("0")) / total)
            assert row[f"share_{category}"] == pytest.approx(expected_share, abs=1e-9), (band, category)
        assert sum(row[f"share_{category}"] for category in categories) == pytest.approx(1.0)


def test_win_back_list_is_the_valuable_sleeping_and_lost_returning_customers(
    warehouse, compiled_dir, purchases
) -> None:
    """Stage and type from raw purchases; CLV decile and opt-ins from the marts."""
    bought, as_of = purchases
    occasions = reference.occasions(bought)
    per_customer = occasions.groupby("customer_id")["purchase_date"].agg(["count", "max"])
    per_customer["stage"] = [stage_of((as_of - last).days) for last in per_customer["max"]]
    clv = warehouse.execute(
        """
        select clv.customer_id, clv.clv_decile, customers.sms_opt_in or customers.email_opt_in as reachable
        from marts.customer_clv as clv
        inner join marts.customers as customers on clv.customer_id = customers.customer_id
        """
    ).df().set_index("customer_id")
    eligible = per_customer[(per_customer["count"] >= 2) & per_customer["stage"].isin(["sleeping", "lost"])]
    eligible = eligible.join(clv, how="inner")
    expected = set(eligible[(eligible["clv_decile"] <= 3) & eligible["reachable"]].index)

    actual = run_analysis(warehouse, compiled_dir, "win_back_list")
    assert set(actual["customer_id"]) == expected
    assert len(actual) == len(expected)
    for row in actual.itertuples():
        assert row.lifecycle_stage == per_customer.at[row.customer_id, "stage"]
        assert row.occasions_count == per_customer.at[row.customer_id, "count"]
        assert row.preferred_channel in {"sms", "email"}
    assert list(actual["clv_365d"]) == sorted(actual["clv_365d"], reverse=True)


def test_second_purchase_funnel_matches_raw_occasions(warehouse, compiled_dir, purchases) -> None:
    """Per monthly cohort: 2nd and 3rd occasions to date and within 30 / 90 / 180 days."""
    bought, as_of = purchases
    occasions = reference.occasions(bought)
    dates = occasions.groupby("customer_id")["purchase_date"].apply(sorted)
    expected: dict[tuple[dt.date, str], dict[str, int]] = {}
    steps = ["first_purchase", "second_purchase", "third_purchase"]
    for customer_dates in dates:
        first = customer_dates[0]
        cohort = first.replace(day=1)
        for index, step in enumerate(steps):
            counts = expected.setdefault((cohort, step), {"customers": 0, "30": 0, "90": 0, "180": 0})
            if len(customer_dates) > index:
                counts["customers"] += 1
                for window in (30, 90, 180):
                    counts[str(window)] += customer_dates[index] <= first + dt.timedelta(days=window)

    actual = run_analysis(warehouse, compiled_dir, "new_customer_second_purchase_funnel")
    assert len(actual) == len(expected)
    for row in actual.itertuples():
        counts = expected[(row.cohort_start.date(), row.step)]
        first_buyers = expected[(row.cohort_start.date(), "first_purchase")]["customers"]
        assert row.customers == counts["customers"], (row.cohort_start, row.step)
        assert row.first_buyers == first_buyers
        assert row.share_of_first_buyers == pytest.approx(counts["customers"] / first_buyers)
        for window in (30, 90, 180):
            assert getattr(row, f"customers_within_{window}d") == counts[str(window)], (row.cohort_start, row.step)
    assert (actual["days_observed"] >= 0).all()


def test_segment_migration_rows_are_a_partition_of_customers(warehouse, compiled_dir) -> None:
    """Each month's moves cover every customer (not the prospects) in the history once; matrix rows add up to 1."""
    actual = run_analysis(warehouse, compiled_dir, "month_over_month_segment_migration")
    as_of = warehouse.execute("select max(as_of_date) from marts.customer_lifecycle_history").fetchone()[0]
    history = warehouse.execute(
        "select customer_id, valid_from, valid_to, lifecycle_segment from marts.customer_lifecycle_history"
    ).df()
    for month_start, moves in actual.groupby("month_start"):
        month_start = month_start.date()
        next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
        snapshot = min(next_month - dt.timedelta(days=1), as_of)
        covering = history[
            (history["valid_from"].dt.date <= snapshot)
            & (history["valid_to"].isna() | (history["valid_to"].dt.date >= snapshot))
            & (history["lifecycle_segment"] != "prospect")  # customers only (segment_migration)
        ]
        assert moves["customers"].sum() == len(covering), month_start
        to_counts = moves.groupby("to_segment")["customers"].sum().to_dict()
        assert to_counts == covering["lifecycle_segment"].value_counts().to_dict(), month_start
        shares = moves.groupby("from_segment")["share_of_from_segment"].sum()
        assert shares.to_numpy() == pytest.approx([1.0] * len(shares))
