"""The MetricFlow semantic layer (models/semantic/) answers what the marts say.

`mf` reads `<project>/target/semantic_manifest.json` and runs its SQL through the
dbt adapter of profiles/profiles.yml. To stay off the shared `target/` and the test
warehouse (mf opens its file for writing through dbt-duckdb, and DuckDB allows one
writer), the module copies the test warehouse into a temporary directory that is
also the dbt project root `mf` sees (dbt_project.yml linked, `dbt parse` writing its
own target/), then runs a handful of `mf query` calls that batch several metrics.

Expected values are read from the marts with plain SQL and recomputed in pandas from
the orders mart (revenue, orders, buyers, AOV, active customers, repurchase rates,
45-day repurchase, cohort retention, pooled campaign lift): nothing is taken from
MetricFlow's SQL. Values must agree within 1e-9 (relative), nulls on the same rows.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import PROJECT_DIR, run_dbt

MF = Path(sys.executable).parent / "mf"
TOLERANCE = 1e-9
# The window of metric trailing_active_customers (= var active_customer_window_days' default).
ACTIVE_WINDOW_DAYS = 365
REPURCHASE_WINDOW_DAYS = 45

class SemanticLayer:
    """`mf` on a private copy of a warehouse, with a project root of its own."""

    def __init__(self, root: Path, db_path: Path) -> None:
        self.root = root
        self.db_path = db_path
        self.env = dict(os.environ)
        self.env.update(
            DBT_PROFILES_DIR=str(PROJECT_DIR / "profiles"),
            DBT_PROJECT_DIR=str(root),
            CRM_DUCKDB_PATH=str(db_path),
            CRM_DUCKDB_TEMP_DIR=str(root / ".tmp"),
            CRM_TARGET="duckdb",
        )

    def run(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(MF), *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def query(self, metrics: Sequence[str], group_by: Sequence[str]) -> pd.DataFrame:
        """`mf query --metrics ... --group-by ... --csv`, read back into a frame."""
        out = self.root / f"query_{'_'.join(metrics)[:80]}.csv"
        completed = self.run(
            ["query", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by), "--csv", str(out)]
        )
        assert completed.returncode == 0 and out.exists(), completed.stdout + completed.stderr
        frame = pd.read_csv(out)
        for column in frame.columns:
            if column.startswith("metric_time"):
                frame[column] = pd.to_datetime(frame[column]).dt.date
        return frame


@pytest.fixture(scope="module")
def semantic_layer(warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory) -> SemanticLayer:
    assert MF.exists(), f"{MF} missing: run `make venv-metricflow` (requirements-metricflow.txt)"
    root = tmp_path_factory.mktemp("semantic")
    db_path = root / "semantic.duckdb"
    shutil.copyfile(warehouse_path, db_path)
    (root / "dbt_project.yml").symlink_to(PROJECT_DIR / "dbt_project.yml")
    # run_dbt writes to <db_path's folder>/target: exactly where mf looks for the manifest.
    parsed = run_dbt(["parse"], db_path)
    assert parsed.returncode == 0, parsed.output
    assert (root / "target" / "semantic_manifest.json").exists()
    return SemanticLayer(root, db_path)


@pytest.fixture(scope="module")
def marts(warehouse: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The marts, read from the test warehouse itself (mf holds the copy's write lock)."""
    return warehouse


def frame(connection: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    result = connection.execute(sql).df()
    for column in result.columns:
        if result[column].dtype.kind == "M":
            result[column] = result[column].dt.date
    return result


def assert_columns_match(merged: pd.DataFrame, pairs: Sequence[tuple[str, str]], what: str) -> None:
    """Each (expected, actual) pair equal row by row: both null, or within TOLERANCE."""
    for expected, actual in pairs:
        left = pd.to_numeric(merged[expected], errors="raise").astype(float)
        right = pd.to_numeric(merged[actual], errors="raise").astype(float)
        both_null = left.isna() & right.isna()
        close = (left - right).abs() <= TOLERANCE * left.abs().clip(lower=1)
        bad = merged[~(both_null | close)]
        assert bad.empty, f"{what}: {actual} differs from {expected}:\n{bad.head(10).to_string()}"


def merge_one_to_one(expected: pd.DataFrame, answered: pd.DataFrame, keys: list[str], what: str) -> pd.DataFrame:
    """Outer join on keys; every row must be on both sides."""
    merged = expected.merge(answered, on=keys, how="outer", indicator=True)
    unmatched = merged[merged["_merge"] != "both"]
    assert unmatched.empty, f"{what}: rows on one side only:\n{unmatched.head(10).to_string()}"
    return merged.drop(columns="_merge")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(start: dt.date) -> dt.date:
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def months_between(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


@pytest.fixture(scope="module")
def purchases(marts: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The purchases of the orders mart (is_purchase), plain columns only."""
    bought = frame(
        marts,
        "select order_id, customer_id, purchase_date, cast(net_amount as double) as net_amount"
        " from marts.orders where is_purchase",
    )
    assert not bought.empty
    bought["month_start"] = bought["purchase_date"].map(month_start)
    return bought


@pytest.fixture(scope="module")
def as_of_date(marts: duckdb.DuckDBPyConnection) -> dt.date:
    return marts.execute("select max(as_of_date) from marts.customer_rfm").fetchone()[0]


def test_validate_configs(semantic_layer: SemanticLayer) -> None:
    """Semantic validation and the warehouse checks (every measure, dimension, metric runs)."""
    completed = semantic_layer.run(["validate-configs"])
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "ERRORS: 0" in output and "Breaking issues" not in output, output


def test_monthly_metrics_match_orders_and_kpi_monthly(
    semantic_layer: SemanticLayer,
    marts: duckdb.DuckDBPyConnection,
    purchases: pd.DataFrame,
    as_of_date: dt.date,
) -> None:
    """Orders metrics, active customers and ARPU, repurchase, wake-up and win-back rates by month."""
    answered = semantic_layer.query(
        [
            "revenue", "orders", "buyers", "aov", "trailing_active_customers", "active_customer_arpu",
            "repurchase_buyers", "repeat_buyers", "repurchase_rate", "wake_up_rate", "win_back_rate",
        ],
        ["metric_time__month"],
    ).rename(columns={"metric_time__month": "month_start"})

    # pandas over the orders mart: every month from the first purchase's to as_of_date's.
    first = purchases["purchase_date"].min()
    months = [month_start(first)]
    while months[-1] < month_start(as_of_date):
        months.append(month_end(months[-1]) + dt.timedelta(days=1))
    occasions = purchases[["customer_id", "purchase_date", "month_start"]].drop_duplicates()
    rows = []
    for start in months:
        in_month = purchases[purchases["month_start"] == start]
        end = month_end(start)
        trailing = occasions[
            (occasions["purchase_date"] > end - dt.timedelta(days=ACTIVE_WINDOW_DAYS))
            & (occasions["purchase_date"] <= end)
        ]
        month_occasions = occasions[occasions["month_start"] == start].groupby("customer_id").size()
        revenue = round(in_month["net_amount"].sum(), 2)
        active = trailing["customer_id"].nunique()
        rows.append(
            {
                "month_start": start,
                "expected_revenue": revenue,
                "expected_orders": len(in_month),
                "expected_buyers": in_month["customer_id"].nunique(),
                "expected_aov": revenue / len(in_month) if len(in_month) else None,
                "expected_active": active,
                "expected_arpu": revenue / in_month["customer_id"].nunique() if len(in_month) else None,
                "expected_repeat_buyers": int((month_occasions >= 2).sum()),
                "expected_repurchase": (month_occasions >= 2).sum() / len(month_occasions)
                if len(month_occasions) else None,
            }
        )
    expected = pd.DataFrame(rows)
    kpi = frame(
        marts,
        "select month_start, revenue as kpi_revenue, orders_count as kpi_orders, buyers as kpi_buyers,"
        " repeat_buyers as kpi_repeat_buyers, aov as kpi_aov, trailing_active_customers as kpi_active,"
        " active_customer_arpu as kpi_arpu,"
        " repurchase_rate as kpi_repurchase, wake_up_rate as kpi_wake_up, win_back_rate as kpi_win_back"
        " from marts.kpi_monthly",
    )
    assert len(kpi) == len(expected) == len(months) >= 12

    # The cumulative metric goes on past as_of_date until the window empties: those
    # months have no revenue and are not in the marts.
    beyond = answered[answered["month_start"] > month_start(as_of_date)]
    assert beyond["revenue"].isna().all()
    merged = expected.merge(kpi, on="month_start", how="left").merge(answered, on="month_start", how="left")
    assert merged["revenue"].notna().all(), "a month of the marts is missing from MetricFlow's answer"
    assert_columns_match(
        merged,
        [
            ("expected_revenue", "revenue"), ("kpi_revenue", "revenue"),
            ("expected_orders", "orders"), ("kpi_orders", "orders"),
            ("expected_buyers", "buyers"), ("kpi_buyers", "buyers"),
            ("expected_aov", "aov"), ("kpi_aov", "aov"),
            ("expected_active", "trailing_active_customers"), ("kpi_active", "trailing_active_customers"),
            ("expected_arpu", "active_customer_arpu"), ("kpi_arpu", "active_customer_arpu"),
            ("expected_buyers", "repurchase_buyers"), ("expected_repeat_buyers", "repeat_buyers"),
            ("kpi_repeat_buyers", "repeat_buyers"),
            ("expected_repurchase", "repurchase_rate"), ("kpi_repurchase", "repurchase_rate"),
            ("kpi_wake_up", "wake_up_rate"), ("kpi_win_back", "win_back_rate"),
        ],
        "monthly metrics",
    )
    assert merged["wake_up_rate"].notna().any() and merged["win_back_rate"].notna().any()


def test_repurchase_rate_45d_by_week(
    semantic_layer: SemanticLayer,
    marts: duckdb.DuckDBPyConnection,
    purchases: pd.DataFrame,
    as_of_date: dt.date,
) -> None:
    """The seed's 45-day rate per week: the week's buyers with >= 2 occasions in [e - 44, e]."""
    answered = semantic_layer.query(
        ["repurchase_rate_45d", "week_buyers", "week_repeat_buyers"], ["metric_time__week"]
    ).rename(columns={"metric_time__week": "week_start"})
    kpi = frame(
        marts,
        "select week_start, week_end, buyers as kpi_buyers, repeat_buyers as kpi_repeat,"
        " repurchase_rate_45d as kpi_rate from marts.kpi_weekly",
    )
    occasions = purchases[["customer_id", "purchase_date"]].drop_duplicates()
    expected = []
    for week_start, week_end in zip(kpi["week_start"], kpi["week_end"]):
        last_day = min(week_end, as_of_date)
        buyers = set(
            occasions[(occasions["purchase_date"] >= week_start) & (occasions["purchase_date"] <= last_day)][
                "customer_id"
            ]
        )
        window = occasions[
            (occasions["purchase_date"] > last_day - dt.timedelta(days=REPURCHASE_WINDOW_DAYS))
            & (occasions["purchase_date"] <= last_day)
        ].groupby("customer_id").size()
        repeat = len(buyers & set(window[window >= 2].index))
        expected.append(
            {
                "week_end": week_end,
                "expected_buyers": len(buyers),
                "expected_repeat": repeat,
                "expected_rate": repeat / len(buyers) if buyers else None,
            }
        )
    merged = kpi.merge(pd.DataFrame(expected), on="week_end").merge(answered, on="week_start", how="left")
    assert len(merged) == len(kpi) == len(answered) > 50
    assert_columns_match(
        merged,
        [
            ("expected_buyers", "week_buyers"), ("kpi_buyers", "week_buyers"),
            ("expected_repeat", "week_repeat_buyers"), ("kpi_repeat", "week_repeat_buyers"),
            ("expected_rate", "repurchase_rate_45d"), ("kpi_rate", "repurchase_rate_45d"),
        ],
        "45-day repurchase rate",
    )


def test_retention_rate_by_cohort_and_period(
    semantic_layer: SemanticLayer, marts: duckdb.DuckDBPyConnection, purchases: pd.DataFrame
) -> None:
    """Retention rate per monthly cohort x period_number: cohort_retention, and pandas."""
    grain = marts.execute("select count(*) from marts.cohort_retention where day(cohort_start) <> 1").fetchone()[0]
    if grain:
        pytest.skip("the warehouse was built with a cohort_grain other than month")
    answered = semantic_layer.query(
        ["retention_rate"], ["metric_time__month", "cohort_period__period_number"]
    ).rename(columns={"metric_time__month": "cohort_start", "cohort_period__period_number": "period_number"})
    mart = frame(marts, "select cohort_start, period_number, retention_rate as mart_rate from marts.cohort_retention")

    first = purchases.groupby("customer_id")["purchase_date"].min().map(month_start).rename("cohort_start")
    active = purchases[["customer_id", "month_start"]].drop_duplicates().join(first, on="customer_id")
    active["period_number"] = [
        months_between(cohort, month) for cohort, month in zip(active["cohort_start"], active["month_start"])
    ]
    sizes = first.value_counts().rename("cohort_size")
    counts = active.groupby(["cohort_start", "period_number"]).size().rename("active").reset_index()
    counts = counts.join(sizes, on="cohort_start")
    counts["expected_rate"] = counts["active"] / counts["cohort_size"]

    merged = merge_one_to_one(mart, answered, ["cohort_start", "period_number"], "retention rate")
    merged = merged.merge(counts, on=["cohort_start", "period_number"], how="left")
    merged["expected_rate"] = merged["expected_rate"].fillna(0.0)  # periods without an active customer
    assert len(merged) > 100
    assert_columns_match(
        merged, [("mart_rate", "retention_rate"), ("expected_rate", "retention_rate")], "retention rate"
    )


def test_reactivation_rate_by_stage(semantic_layer: SemanticLayer, marts: duckdb.DuckDBPyConnection) -> None:
    """Reactivation rate per month x stage on the day before: reactivation_rates."""
    answered = semantic_layer.query(
        ["reactivation_rate", "stage_customers_at_start"], ["metric_time__month", "reactivation_period__from_stage"]
    ).rename(columns={"metric_time__month": "period_start", "reactivation_period__from_stage": "from_stage"})
    mart = frame(
        marts,
        "select period_start, from_stage, customers_at_start, reactivation_rate as mart_rate"
        " from marts.reactivation_rates",
    )
    merged = merge_one_to_one(mart, answered, ["period_start", "from_stage"], "reactivation rate")
    assert set(merged["from_stage"]) >= {"sleeping", "lost"}
    assert_columns_match(
        merged,
        [("customers_at_start", "stage_customers_at_start"), ("mart_rate", "reactivation_rate")],
        "reactivation rate",
    )


def test_customers_by_lifecycle_stage_and_rfm_segment(
    semantic_layer: SemanticLayer, marts: duckdb.DuckDBPyConnection
) -> None:
    """customers by stage x segment = counts of customer_lifecycle joined to customer_rfm."""
    answered = semantic_layer.query(["customers"], ["customer__lifecycle_stage", "customer__rfm_segment"])
    answered = answered.rename(
        columns={"customer__lifecycle_stage": "lifecycle_stage", "customer__rfm_segment": "rfm_segment"}
    )
    expected = frame(
        marts,
        "select lifecycle.customer_id, lifecycle.lifecycle_stage, rfm.rfm_segment"
        " from marts.customer_lifecycle as lifecycle"
        " left join marts.customer_rfm as rfm on lifecycle.customer_id = rfm.customer_id",
    )
    expected = (
        expected.fillna({"rfm_segment": "(none)"})
        .groupby(["lifecycle_stage", "rfm_segment"])
        .size()
        .rename("expected")
        .reset_index()
    )
    answered = answered.fillna({"rfm_segment": "(none)"})
    merged = merge_one_to_one(expected, answered, ["lifecycle_stage", "rfm_segment"], "customers")
    assert_columns_match(merged, [("expected", "customers")], "customers by stage and segment")
    assert {"prospect", "lost"} <= set(merged["lifecycle_stage"]) and merged["rfm_segment"].nunique() > 5


def test_campaign_lift_by_campaign(semantic_layer: SemanticLayer, marts: duckdb.DuckDBPyConnection) -> None:
    """campaign_lift per campaign = campaign_performance.lift; pooled lift from the group rows in pandas."""
    answered = semantic_layer.query(
        ["campaign_lift", "treatment_response_rate", "control_response_rate"], ["campaign"]
    ).rename(columns={"campaign": "campaign_id"})
    groups = frame(
        marts,
        "select campaign_id, group_name, has_control_group, contacted, responders, lift, response_rate,"
        " year(start_date) as year from marts.campaign_performance",
    )
    treatment = groups[(groups["group_name"] == "treatment") & groups["has_control_group"]]
    merged = merge_one_to_one(treatment, answered, ["campaign_id"], "campaign lift")
    assert len(merged) >= 3
    assert_columns_match(
        merged, [("lift", "campaign_lift"), ("response_rate", "treatment_response_rate")], "campaign lift"
    )

    # Over several campaigns: the pooled treatment rate minus the pooled control rate.
    pooled = semantic_layer.query(["campaign_lift"], ["metric_time__year"])
    controlled = groups[groups["has_control_group"]]
    sums = controlled.groupby(["year", "group_name"])[["contacted", "responders"]].sum()
    rates = (sums["responders"] / sums["contacted"]).unstack("group_name")
    expected = (rates["treatment"] - rates["control"]).rename("expected").reset_index()
    pooled["year"] = pd.to_datetime(pooled["metric_time__year"]).dt.year
    merged = merge_one_to_one(expected, pooled, ["year"], "pooled campaign lift")
    assert_columns_match(merged, [("expected", "campaign_lift")], "pooled campaign lift by year")
