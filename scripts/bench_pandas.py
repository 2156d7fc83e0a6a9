#!/usr/bin/env python3
"""The core CRM numbers in plain pandas: the "without a warehouse" baseline of scripts/bench.py.

A straightforward, vectorised pandas implementation of docs/definitions.md over
the generator's Parquet files, as an analyst would write it in a notebook:

- orders and members: exact duplicates collapsed, invalid rows dropped, the latest
  version (updated_at) of a key wins, a tie at the latest version or an invalid
  winner drops the key;
- purchases, occasions (customer x purchase_date), as_of_date = latest purchase date;
- customer_rfm: recency / frequency / monetary, quantile scores (percent_rank),
  segment from seeds/config/rfm_segment_rules.csv, value tier (cume_dist);
- customer_lifecycle: customer_type and lifecycle_stage of every member and customer;
- cohort_retention: monthly cohorts x period_number with cohort size, active
  customers, retention rate, orders and revenue.

Writes <out>/<table>.parquet. bench.py times it and checks it against the marts.

    python scripts/bench_pandas.py --data-dir warehouse/bench/orders_1m --out /tmp/pandas_1m
"""

from __future__ import annotations

import argparse
import glob
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT_DIR = Path(__file__).resolve().parents[1]
PURCHASE_STATUSES = ["paid", "shipped", "completed"]
ORDER_STATUSES = ["created", "paid", "shipped", "completed", "cancelled", "refunded"]
STAGES = [(7, "after_sale"), (45, "active"), (90, "silent"), (180, "sleeping"), (365, "pre_churn")]
BINS = 5


def read_parquet(pattern: str) -> pd.DataFrame:
    """All files of a path or glob, concatenated."""
    return pd.concat([pd.read_parquet(path) for path in sorted(glob.glob(pattern))], ignore_index=True)


def clean_text(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """Trim text columns in place; '' becomes null."""
    for column in columns:
        frame[column] = frame[column].str.strip().replace("", None)


def latest_valid(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows that are the only version at their key's latest updated_at, and valid."""
    frame = frame[frame[key].notna()]
    latest = frame.groupby(key)["updated_at"].transform("max")
    top = frame[(frame["updated_at"] == latest) | (latest.isna() & frame["updated_at"].isna())]
    unique = top[~top[key].duplicated(keep=False)]
    return unique[unique["is_valid"]]


def in_dates(column: pd.Series, first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
    """Null, or its date within [first, last]."""
    days = column.dt.normalize()
    return column.isna() | ((days >= first) & (days <= last))


def kept_orders(pattern: str, build_date: pd.Timestamp, min_date: pd.Timestamp) -> pd.DataFrame:
    orders = read_parquet(pattern)
    clean_text(orders, ["order_id", "member_id", "store_id", "channel", "status"])
    orders = orders.drop_duplicates()
    orders["status"] = orders["status"].str.lower().fillna("completed")
    orders["refund_amount"] = orders["refund_amount"].fillna(0)
    amount = orders["amount"].astype(float)
    refund = orders["refund_amount"].astype(float)
    orders["is_valid"] = (
        orders["ordered_at"].notna() & orders["amount"].notna() & (amount >= 0) & (refund >= 0)
        & (refund <= amount) & orders["status"].isin(ORDER_STATUSES)
        & in_dates(orders["ordered_at"], min_date, build_date)
        & in_dates(orders["paid_at"], min_date, build_date)
        & in_dates(orders["updated_at"], min_date, build_date)
    )
    return latest_valid(orders, "order_id")


def kept_members(pattern: str, build_date: pd.Timestamp, min_date: pd.Timestamp) -> pd.DataFrame:
    members = read_parquet(pattern)
    text = ["member_id", "gender", "city", "home_store_id", "referred_by_member_id", "email", "phone"]
    clean_text(members, text)
    members = members.drop_duplicates()
    birth = pd.to_datetime(members["birth_date"])
    members["is_valid"] = (
        members["gender"].str.upper().fillna("U").isin(["F", "M", "U"])
        & (members["city_tier"].isna() | members["city_tier"].isin([1, 2, 3, 4, 5]))
        & (birth.isna() | (birth <= build_date))
        & in_dates(members["joined_at"], min_date, build_date)
        & in_dates(members["updated_at"], min_date, build_date)
    )
    return latest_valid(members, "member_id")[["member_id", "joined_at"]]


def percent_rank(values: pd.Series, ascending: bool = True) -> pd.Series:
    """SQL percent_rank(): (rank - 1) / (rows - 1), ties share the lowest rank."""
    ranks = values.rank(method="min", ascending=ascending)
    return (ranks - 1) / max(len(values) - 1, 1)


def score(values: pd.Series, ascending: bool = True) -> pd.Series:
    return np.minimum(BINS, 1 + np.floor(BINS * percent_rank(values, ascending))).astype(int)


def compute(data_dir: Path, build_date: str | None = None, min_valid_date: str = "1970-01-01"
            ) -> dict[str, pd.DataFrame]:
    """customer_rfm, customer_lifecycle and cohort_retention from the raw Parquet files."""
    build = pd.Timestamp(build_date or datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    min_date = pd.Timestamp(min_valid_date)
    orders = kept_orders(str(data_dir / "raw_orders*.parquet"), build, min_date)

    net = orders["amount"].astype(float) - orders["refund_amount"].astype(float)
    is_purchase = orders["status"].isin(PURCHASE_STATUSES) & orders["member_id"].notna() & (net > 0)
    purchases = pd.DataFrame({
        "customer_id": orders["member_id"],
        "purchase_date": orders["paid_at"].fillna(orders["ordered_at"]).dt.normalize(),
        "net_amount": orders["amount"] - orders["refund_amount"],
    })[is_purchase]
    as_of = purchases["purchase_date"].max()

    occasions = purchases.groupby(["customer_id", "purchase_date"], as_index=False).agg(
        orders_count=("net_amount", "size"), net_amount=("net_amount", "sum"))
    customers = occasions.groupby("customer_id", as_index=False).agg(
        first_purchase_date=("purchase_date", "min"), last_purchase_date=("purchase_date", "max"),
        frequency=("purchase_date", "size"), orders_count=("orders_count", "sum"), monetary=("net_amount", "sum"))

    rfm = customers.copy()
    rfm["recency_days"] = (as_of - rfm["last_purchase_date"]).dt.days
    monetary = rfm["monetary"].astype(float)
    rfm["r_score"] = score(rfm["recency_days"], ascending=False)
    rfm["f_score"] = score(rfm["frequency"])
    rfm["m_score"] = score(monetary)
    cume_dist = monetary.rank(method="max", ascending=False) / len(rfm)
    rfm["value_tier"] = np.select([cume_dist <= 0.01, cume_dist <= 0.05, cume_dist <= 0.20],
                                  ["top", "high", "middle"], "low")
    rules = pd.read_csv(PROJECT_DIR / "seeds" / "config" / "rfm_segment_rules.csv").sort_values(
        ["priority", "segment"])
    cells = rfm[["r_score", "f_score", "m_score"]].drop_duplicates().merge(rules, how="cross")
    cells = cells[cells["r_score"].between(cells["r_min"], cells["r_max"])
                  & cells["f_score"].between(cells["f_min"], cells["f_max"])
                  & cells["m_score"].between(cells["m_min"], cells["m_max"])]
    cells = cells.drop_duplicates(["r_score", "f_score", "m_score"])[["r_score", "f_score", "m_score", "segment"]]
    rfm = rfm.merge(cells.rename(columns={"segment": "rfm_segment"}), on=["r_score", "f_score", "m_score"],
                    how="left")

    members = kept_members(str(data_dir / "raw_members.parquet"), build, min_date)
    member_ids = members.loc[members["joined_at"].isna() | (members["joined_at"].dt.normalize() <= as_of)
                             | members["member_id"].isin(customers["customer_id"]), "member_id"]
    everyone = pd.Index(member_ids).union(pd.Index(customers["customer_id"]))
    lifecycle = pd.DataFrame({"customer_id": everyone}).merge(
        rfm[["customer_id", "frequency", "recency_days"]], on="customer_id", how="left")
    lifecycle["customer_type"] = np.select(
        [lifecycle["frequency"].isna(), lifecycle["frequency"] == 1], ["prospect", "new"], "returning")
    recency = lifecycle["recency_days"]
    lifecycle["lifecycle_stage"] = np.select(
        [recency.isna()] + [recency < days for days, _ in STAGES],
        ["prospect"] + [name for _, name in STAGES], "lost")

    occasions = occasions.merge(customers[["customer_id", "first_purchase_date"]], on="customer_id")
    occasions["cohort_start"] = occasions["first_purchase_date"].dt.to_period("M")
    occasions["period"] = occasions["purchase_date"].dt.to_period("M")
    activity = occasions.groupby(["cohort_start", "period"], as_index=False).agg(
        active_customers=("customer_id", "nunique"), orders_count=("orders_count", "sum"),
        revenue=("net_amount", "sum"))
    sizes = customers.groupby(customers["first_purchase_date"].dt.to_period("M")).size().rename("cohort_size")
    last_period = as_of.to_period("M")
    grid = pd.DataFrame(
        [(cohort, period) for cohort in sizes.index for period in pd.period_range(cohort, last_period)],
        columns=["cohort_start", "period"])
    cohorts = grid.merge(sizes, left_on="cohort_start", right_index=True).merge(
        activity, on=["cohort_start", "period"], how="left")
    cohorts["period_number"] = (cohorts["period"] - cohorts["cohort_start"]).apply(lambda offset: offset.n)
    for column in ("active_customers", "orders_count"):
        cohorts[column] = cohorts[column].fillna(0).astype("int64")
    cohorts["revenue"] = cohorts["revenue"].fillna(0).astype(float)
    cohorts["retention_rate"] = cohorts["active_customers"] / cohorts["cohort_size"]
    cohorts["cohort_start"] = cohorts["cohort_start"].dt.start_time.dt.date

    rfm["monetary"] = monetary
    return {
        "customer_rfm": rfm[["customer_id", "recency_days", "frequency", "orders_count", "monetary", "r_score",
                             "f_score", "m_score", "rfm_segment", "value_tier"]],
        "customer_lifecycle": lifecycle[["customer_id", "customer_type", "lifecycle_stage"]],
        "cohort_retention": cohorts[["cohort_start", "period_number", "cohort_size", "active_customers",
                                     "retention_rate", "orders_count", "revenue"]],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Core CRM numbers (RFM, lifecycle stage, monthly cohort "
                                                 "retention) in plain pandas over the generator's Parquet files.")
    parser.add_argument("--data-dir", type=Path, required=True,
                        help="directory with raw_orders*.parquet and raw_members.parquet")
    parser.add_argument("--out", type=Path, required=True, help="output directory for <table>.parquet")
    parser.add_argument("--build-date", default=None, help="the build's date (default: today, UTC)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, frame in compute(args.data_dir, args.build_date).items():
        frame.to_parquet(args.out / f"{name}.parquet", index=False)


if __name__ == "__main__":
    main()
