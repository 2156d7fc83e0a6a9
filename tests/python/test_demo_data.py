"""The bundled demo data is realistic enough for every mart (computed from the raw CSVs)."""

from __future__ import annotations

import pandas as pd
import pytest

import reference
from conftest import SEEDS_DIR

STAGE_BANDS = list(zip([0, *reference.STAGE_BOUNDARIES], [*reference.STAGE_BOUNDARIES, 10**6], reference.STAGES))


@pytest.fixture(scope="module")
def demo_purchases() -> tuple[pd.DataFrame, object]:
    kept = reference.clean_orders(reference.read_raw_csv(SEEDS_DIR / "raw_orders.csv"))
    return reference.purchases(kept)


def test_demo_size_matches_the_issue() -> None:
    orders = reference.read_raw_csv(SEEDS_DIR / "raw_orders.csv")
    members = reference.read_raw_csv(SEEDS_DIR / "raw_members.csv")
    assert 30_000 <= len(orders) <= 50_000
    assert 4_000 <= len(members) <= 6_000


def test_every_lifecycle_stage_is_populated(demo_purchases) -> None:
    bought, as_of_date = demo_purchases
    last = bought.groupby("customer_id")["purchase_date"].max()
    recency = last.map(lambda day: (as_of_date - day).days)
    for low, high, stage in STAGE_BANDS:
        customers = int(((recency >= low) & (recency < high)).sum())
        assert customers >= 20, f"stage {stage} has only {customers} customers"


def test_new_and_returning_customers_and_reactivations(demo_purchases) -> None:
    bought, _ = demo_purchases
    occasions = reference.occasions(bought)
    per_customer = occasions.groupby("customer_id").size()
    assert (per_customer == 1).sum() > 100 and (per_customer >= 2).sum() > 100
    gaps = occasions.groupby("customer_id")["purchase_date"].diff().dropna().map(lambda gap: gap.days)
    assert (gaps >= 365).sum() > 10, "some lost customers must come back (win-back)"
    assert ((gaps >= 90) & (gaps < 180)).sum() > 10, "some sleeping customers must wake up"


def test_both_campaign_groups_are_populated() -> None:
    contacts = reference.read_raw_csv(SEEDS_DIR / "raw_campaign_contacts.csv")
    groups = contacts.groupby("campaign_id")["group_name"].agg(set)
    assert (groups.map(lambda names: {"treatment", "control"} <= names)).sum() >= 5
    assert (groups.map(lambda names: names == {"treatment"})).sum() >= 1, "one campaign without control"


def test_guests_cancellations_and_refunds_exist() -> None:
    orders = reference.read_raw_csv(SEEDS_DIR / "raw_orders.csv")
    assert orders["member_id"].isna().sum() > 100
    assert {"cancelled", "refunded", "created"} <= set(orders["status"].dropna())
    assert (orders["channel"] == "flash_sale").sum() > 100
