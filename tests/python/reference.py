"""An independent reference implementation of the design's staging rules, in pandas.

Tests compare the warehouse with what this module computes from the raw files
(docs/definitions.md). It shares no code with the dbt models: it is written
from the design's text, so a bug in the SQL shows up as a difference.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

# Lifecycle stages (docs/definitions.md#lifecycle) with the default var lifecycle_boundaries:
# stage i holds days since the last purchase in [boundary i-1, boundary i). Written once for
# every test from the definitions' text; test_rate_marts checks the names against the
# warehouse's own list (int_lifecycle_stages_listed), so the two cannot drift apart.
STAGES = ["after_sale", "active", "silent", "sleeping", "pre_churn", "lost"]
STAGE_BOUNDARIES = [7, 45, 90, 180, 365]


def stage_of(recency_days: int, boundaries: list[int] = STAGE_BOUNDARIES) -> str:
    """The lifecycle stage of a customer whose last purchase was recency_days ago."""
    for name, boundary in zip(STAGES, boundaries):
        if recency_days < boundary:
            return name
    return STAGES[-1]


PURCHASE_STATUSES = {"paid", "shipped", "completed"}
ORDER_STATUSES = PURCHASE_STATUSES | {"created", "cancelled", "refunded"}
ORDER_COLUMNS = [
    "order_id", "member_id", "store_id", "channel", "status",
    "ordered_at", "paid_at", "amount", "refund_amount", "updated_at",
]


def read_raw_csv(path: Path) -> pd.DataFrame:
    """A raw CSV as text: empty or blank fields are null, values trimmed."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame.apply(lambda column: column.str.strip())
    return frame.replace({"": None})


def _value(raw: object) -> str | None:
    """A raw CSV field as text, None when empty."""
    if raw is None or (not isinstance(raw, str) and pd.isna(raw)):
        return None
    text = str(raw).strip()
    return text or None


def _money(text: str | None) -> Decimal | None:
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError):
        return None


def _timestamp(text: str | None) -> dt.datetime | None:
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern)
        except (ValueError, TypeError):
            continue
    return None


def clean_orders(
    raw: pd.DataFrame,
    build_date: dt.date | None = None,
    min_valid_date: dt.date = dt.date(1970, 1, 1),
) -> pd.DataFrame:
    """Kept orders per the design: validated, exact duplicates collapsed, latest version wins."""
    build_date = build_date or dt.datetime.now(dt.timezone.utc).date()
    records = {
        tuple(_value(record.get(column)) for column in ORDER_COLUMNS)
        for record in raw.to_dict("records")
    }  # a set: exact duplicates collapse

    def parse(values: tuple[str | None, ...]) -> tuple[dict[str, object], bool]:
        row = dict(zip(ORDER_COLUMNS, values))
        parsed = {
            "order_id": row["order_id"],
            "member_id": row["member_id"],
            "store_id": row["store_id"],
            "channel": row["channel"].lower() if row["channel"] else None,
            "status": (row["status"] or "completed").lower(),
            "amount": _money(row["amount"]),
            "refund_amount": _money(row["refund_amount"]) if row["refund_amount"] else Decimal("0.00"),
        }
        for column in ("ordered_at", "paid_at", "updated_at"):
            parsed[column] = _timestamp(row[column])
        invalid = (
            row["ordered_at"] is None
            or row["amount"] is None
            or parsed["amount"] is None
            or parsed["refund_amount"] is None
            or any(row[c] is not None and parsed[c] is None for c in ("ordered_at", "paid_at", "updated_at"))
        )
        if not invalid:
            invalid = (
                parsed["amount"] < 0
                or parsed["refund_amount"] < 0
                or parsed["status"] not in ORDER_STATUSES
                or parsed["refund_amount"] > parsed["amount"]
                or any(
                    parsed[c] is not None and not (min_valid_date <= parsed[c].date() <= build_date)
                    for c in ("ordered_at", "paid_at", "updated_at")
                )
            )
        return parsed, invalid

    versions: dict[str, list[tuple[dict[str, object], bool]]] = {}
    for values in records:
        if values[0] is not None:
            versions.setdefault(values[0], []).append(parse(values))

    kept_rows = []
    for candidates in versions.values():
        stamps = [row["updated_at"] for row, _ in candidates if row["updated_at"] is not None]
        latest = max(stamps) if stamps else None
        top = [(row, bad) for row, bad in candidates if row["updated_at"] == latest]
        if len(top) == 1 and not top[0][1]:
            kept_rows.append(top[0][0])  # else: conflicting duplicate or invalid winner

    for row in kept_rows:
        row["net_amount"] = row["amount"] - row["refund_amount"]
        row["is_purchase"] = (
            row["status"] in PURCHASE_STATUSES and row["member_id"] is not None and row["net_amount"] > 0
        )
        row["purchase_date"] = (row["paid_at"] or row["ordered_at"]).date() if row["is_purchase"] else None
    kept = pd.DataFrame(kept_rows, dtype=object)
    return kept.sort_values("order_id").reset_index(drop=True)


def purchases(kept_orders: pd.DataFrame, as_of_date: dt.date | None = None) -> tuple[pd.DataFrame, dt.date]:
    """Purchases up to as_of_date (default: the latest purchase date) and the as_of_date used."""
    bought = kept_orders[kept_orders["is_purchase"]].copy()
    as_of_date = as_of_date or max(bought["purchase_date"])
    bought = bought[bought["purchase_date"] <= as_of_date]
    bought = bought.rename(columns={"member_id": "customer_id"})
    return bought.reset_index(drop=True), as_of_date


def occasions(bought: pd.DataFrame) -> pd.DataFrame:
    """One row per (customer, purchase_date) with orders and net spend."""
    grouped = bought.groupby(["customer_id", "purchase_date"], as_index=False).agg(
        orders_count=("order_id", "count"), net_amount=("net_amount", "sum")
    )
    return grouped.sort_values(["customer_id", "purchase_date"]).reset_index(drop=True)
