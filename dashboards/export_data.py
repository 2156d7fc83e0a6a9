"""Export what the CRM dashboard shows from a built warehouse, read-only (issue 22).

    python dashboards/export_data.py [--warehouse warehouse/crm.duckdb] [--out dashboards/src/data]

`make dashboard` runs this first, then Observable Framework builds the static site
from the JSON files it writes. JSON, not Parquet or a DuckDB file: the site filters
and aggregates in the browser with plain JavaScript, so the page needs no DuckDB-wasm
(whose Parquet reader is an extension it downloads from the internet at run time).
Large tables are written column by column ({"column": [values...]}) to stay small.

Every query names its marts as `marts.<mart>`: tests/python/test_docs_coverage.py
checks that the `crm_dashboard` exposure in models/marts/_exposures.yml lists
exactly those marts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import os
import sys
from pathlib import Path

import duckdb
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]


def rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, record)) for record in cursor.fetchall()]


def columns(records: list[dict], names: list[str] | None = None) -> dict[str, list]:
    """Row dicts -> one list per column (a third of the size of a list of objects)."""
    names = names or (list(records[0]) if records else [])
    return {name: [record[name] for record in records] for name in names}


def plain(value: object) -> object:
    """JSON for DuckDB's Python values: dates as ISO text, decimals as floats."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def lifecycle_history_days() -> int:
    """Days of purchase history a customer needs before every lifecycle stage is
    possible: the last boundary of `lifecycle_boundaries` (the start of 'lost')."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return int(max(project["vars"]["lifecycle_boundaries"]))


# ------------------------------------------------------------ page: weekly monitor


def monitor_data(connection: duckdb.DuckDBPyConnection) -> dict[str, object]:
    purchases = rows(
        connection,
        """
        select
            cast(orders.purchase_date as varchar) as purchase_date,
            orders.store_id,
            orders.channel,
            orders.customer_id,
            coalesce(orders.stage_before_order, 'unknown') as stage_before_order,
            coalesce(customers.rfm_segment, 'unscored') as rfm_segment,
            round(cast(orders.net_amount as double), 2) as net_amount
        from marts.orders as orders
        left join marts.customers as customers
            on orders.customer_id = customers.customer_id
        where orders.is_purchase and orders.customer_id is not null
        order by orders.purchase_date, orders.order_id
        """,
    )
    kpi_weekly = rows(
        connection,
        f"""
        select
            week_start, week_end, buyers, orders_count, revenue, aov,
            repeat_buyers,
            repurchase_rate_45d, repurchase_rate_change, aov_change, combined_change, is_complete
        from marts.kpi_weekly
        order by week_start
        """,
    )
    targets = rows(
        connection,
        """
        select year, year_start_date, year_end_date, store_id, driver, target_value
        from marts.gap_targets
        where driver in ('sales', 'aov', 'orders_per_buyer') and target_value is not null
        order by year, store_id nulls first, driver_order
        """,
    )
    return {"purchases": columns(purchases), "kpi_weekly": kpi_weekly, "targets": targets}


# ------------------------------------------------------------ page: customers


def customers_data(connection: duckdb.DuckDBPyConnection) -> dict[str, object]:
    customers = rows(
        connection,
        """
        select
            customer_id,
            home_store_id,
            favourite_channel,
            lifecycle_stage,
            coalesce(rfm_segment, 'unscored') as rfm_segment,
            value_tier,
            round(cast(coalesce(monetary, 0) as double), 2) as monetary
        from marts.customers
        where first_purchase_date is not null
        order by customer_id
        """,
    )
    # Month-end snapshots of customer_lifecycle_history, counted by the customer's
    # home store, favourite channel and RFM segment (the page's filters). A month end
    # is drawn only once the data holds enough history for every stage to occur
    # (`lifecycle_history_days` after the first purchase): before that, 'lost' and
    # 'pre_churn' customers cannot exist yet and the mix would be an artefact.
    history_days = lifecycle_history_days()
    stage_mix = rows(
        connection,
        f"""
        with

        bounds as (
            select min(valid_from) as first_day, max(as_of_date) as as_of_date
            from marts.customer_lifecycle_history
            where lifecycle_stage != 'prospect'
        ),

        month_ends as (
            select least(cast(month_start + interval 1 month - interval 1 day as date), bounds.as_of_date)
                as snapshot_date
            from bounds,
                range(date_trunc('month', bounds.first_day), bounds.as_of_date + interval 1 day, interval 1 month)
                as months (month_start)
        ),

        full_history_month_ends as (
            select month_ends.snapshot_date
            from month_ends, bounds
            where month_ends.snapshot_date >= bounds.first_day + {history_days}
        )

        select
            cast(full_history_month_ends.snapshot_date as varchar) as snapshot_date,
            history.lifecycle_stage,
            customers.home_store_id,
            customers.favourite_channel,
            coalesce(customers.rfm_segment, 'unscored') as rfm_segment,
            count(*) as customers
        from full_history_month_ends
        inner join marts.customer_lifecycle_history as history
            on full_history_month_ends.snapshot_date >= history.valid_from
            and (history.valid_to is null or full_history_month_ends.snapshot_date <= history.valid_to)
        inner join marts.customers as customers
            on history.customer_id = customers.customer_id
        where history.lifecycle_stage != 'prospect'
        group by all
        order by all
        """,
    )
    cohorts_by_channel = rows(
        connection,
        """
        select acquisition_channel, cohort_start, period_number, cohort_size, active_customers, retention_rate
        from marts.cohort_retention_by_channel
        where period_number > 0 and is_complete
        order by acquisition_channel, cohort_start, period_number
        """,
    )
    cohorts_by_store = rows(
        connection,
        """
        select first_store_id, cohort_start, period_number, cohort_size, active_customers, retention_rate
        from marts.cohort_retention_by_store
        where period_number > 0 and is_complete
        order by first_store_id, cohort_start, period_number
        """,
    )
    cohorts = rows(
        connection,
        """
        select cohort_start, period_number, cohort_size, active_customers, retention_rate
        from marts.cohort_retention
        where period_number > 0 and is_complete
        order by cohort_start, period_number
        """,
    )
    value_tiers = rows(
        connection,
        """
        select value_tier, tier_order, min_monetary, max_monetary
        from marts.value_tier_summary
        order by tier_order
        """,
    )
    return {
        "customers": columns(customers),
        "stage_mix": columns(stage_mix),
        "history_days": history_days,
        "cohorts": columns(cohorts),
        "cohorts_by_channel": columns(cohorts_by_channel),
        "cohorts_by_store": columns(cohorts_by_store),
        "value_tiers": value_tiers,
    }


# ------------------------------------------------------------ page: plans and campaigns


def planning_data(connection: duckdb.DuckDBPyConnection) -> dict[str, object]:
    gap = rows(
        connection,
        f"""
        select
            year, period_type, store_id, customer_group, revenue, previous_revenue,
            buyers_effect, frequency_effect, aov_effect, target_revenue
        from marts.gap_analysis
        -- like for like only: a whole year against the whole year before ('year'), the
        -- current year to date against the same days of the year before ('ytd'); never a
        -- year whose previous year starts before the data's history
        where has_full_history
        order by year, store_id nulls first, customer_group
        """,
    )
    campaigns = rows(
        connection,
        """
        select
            campaign_id, coalesce(campaign_name, campaign_id) as campaign_name, objective, channel,
            start_date, contacted, control_contacted, response_rate, control_response_rate,
            lift, lift_ci_lower, lift_ci_upper, p_value, is_significant
        from marts.campaign_performance
        where group_name = 'treatment' and has_control_group and lift is not null and is_window_complete
        order by start_date, campaign_id
        """,
    )
    store_years = rows(
        connection,
        """
        select
            store_id, year, is_complete, revenue, buyers, aov, repurchase_rate, managed_buyer_share,
            revenue_change_ratio, store_archetype, is_new_store
        from marts.store_archetypes
        order by year, store_id
        """,
    )
    return {"gap": gap, "campaigns": campaigns, "store_years": store_years}


def shared_data(connection: duckdb.DuckDBPyConnection, warehouse: Path) -> dict[str, object]:
    stores = rows(connection, "select store_id, store_name, store_type from marts.stores order by store_id")
    as_of = connection.execute("select max(as_of_date) from marts.orders").fetchone()[0]
    built = dt.datetime.fromtimestamp(warehouse.stat().st_mtime, tz=dt.timezone.utc)
    return {
        "as_of_date": as_of,
        "warehouse": warehouse.name,
        "warehouse_built_at": f"{built:%Y-%m-%d %H:%M} UTC",
        "stores": stores,
    }


DATASETS = {
    "shared": shared_data,
    "monitor": monitor_data,
    "customers": customers_data,
    "planning": planning_data,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("CRM_DUCKDB_PATH", "warehouse/crm.duckdb"),
        help="DuckDB warehouse to read, opened read-only (default: $CRM_DUCKDB_PATH or warehouse/crm.duckdb)",
    )
    parser.add_argument(
        "--out", default="dashboards/src/data", help="folder for the JSON files (default %(default)s)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warehouse = Path(args.warehouse)
    if not warehouse.is_absolute():
        warehouse = PROJECT_DIR / warehouse
    if not warehouse.exists():
        print(f"dashboard: no warehouse at {warehouse}: run `make build` first", file=sys.stderr)
        return 1
    out = Path(args.out)
    if not out.is_absolute():
        out = PROJECT_DIR / out
    out.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for name, export in DATASETS.items():
            try:
                data = export(connection, warehouse) if name == "shared" else export(connection)
            except duckdb.CatalogException as error:
                print(
                    f"dashboard: {warehouse} lacks a mart the dashboard reads ({str(error).splitlines()[0]}); "
                    "rebuild it with `make build`",
                    file=sys.stderr,
                )
                return 1
            text = json.dumps(data, default=plain, separators=(",", ":"))
            (out / f"{name}.json").write_text(text, encoding="utf-8")
            print(f"dashboard: wrote {out / f'{name}.json'} ({len(text) / 1e3:,.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
