"""The data generator: deterministic, its Parquet output builds through the file vars, and the bundled
demo data carries the behaviour it plants (category cycles, pairs, age skews, promotions, points)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import reference
from conftest import FIXTURES_DIR, PROJECT_DIR, SEEDS_DIR, run_dbt

INPUTS = ["orders", "members", "order_items", "stores", "campaigns", "campaign_contacts", "member_events", "points"]


def _generate(out: Path, file_format: str, seed: int = 7) -> None:
    subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "generate_data.py"), "--out", str(out),
         "--format", file_format, "--members", "400", "--orders", "3000", "--seed", str(seed)],
        check=True, capture_output=True, text=True,
    )


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    _generate(tmp_path / "a", "csv")
    _generate(tmp_path / "b", "csv")
    for name in INPUTS:
        first = (tmp_path / "a" / f"raw_{name}.csv").read_bytes()
        assert first == (tmp_path / "b" / f"raw_{name}.csv").read_bytes(), name
        assert len(first) > 0


def test_other_seed_gives_other_data(tmp_path: Path) -> None:
    _generate(tmp_path / "a", "csv", seed=7)
    _generate(tmp_path / "b", "csv", seed=8)
    assert (tmp_path / "a" / "raw_orders.csv").read_bytes() != (tmp_path / "b" / "raw_orders.csv").read_bytes()


@pytest.fixture(scope="module")
def parquet_build(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("parquet_data")
    _generate(data, "parquet")
    dbt_vars = {f"raw_{name}": str(data / f"raw_{name}.parquet") for name in INPUTS}
    result = run_dbt(["build", "--select", "+intermediate", "staging", "--indirect-selection", "cautious"], data / "w.duckdb", dbt_vars)
    assert result.returncode == 0, result.output[-5000:]
    return data, result


def test_parquet_inputs_build_and_lose_nothing(parquet_build) -> None:
    data, result = parquet_build
    with result.connect() as connection:
        accounting = dict(connection.execute("select input_name, rows_in from staging.row_accounting").fetchall())
        orders = connection.execute("select count(*) from staging.stg_crm__orders").fetchone()[0]
    for name in INPUTS:
        assert accounting[name] == pq.read_metadata(data / f"raw_{name}.parquet").num_rows, name
    assert orders > 0


# --- the known truths of the bundled demo data (seeds/raw_*.csv, fixtures/demo_generator_truth.json) ---------
# Everything below is recomputed from the raw CSVs in plain pandas / Python and compared with
# what the generator planted (its truth file); nothing reads the warehouse.

TRUTH = json.loads((FIXTURES_DIR / "demo_generator_truth.json").read_text())
PRODUCTS = TRUTH["products"]
END_OF_HISTORY = dt.datetime.fromisoformat(TRUTH["arguments"]["end"]) + dt.timedelta(days=1)


@pytest.fixture(scope="module")
def demo_lines() -> pd.DataFrame:
    """Order lines of the demo purchases with customer, purchase date and age at the end of history."""
    kept = reference.clean_orders(reference.read_raw_csv(SEEDS_DIR / "raw_orders.csv"))
    bought, _ = reference.purchases(kept)
    items = reference.read_raw_csv(SEEDS_DIR / "raw_order_items.csv")
    lines = items.merge(bought[["order_id", "customer_id", "purchase_date"]], on="order_id")
    members = reference.read_raw_csv(SEEDS_DIR / "raw_members.csv").dropna(subset=["member_id"])
    birth = members.drop_duplicates("member_id").set_index("member_id")["birth_date"].dropna()
    age = birth.map(lambda text: (END_OF_HISTORY.date() - dt.date.fromisoformat(text)).days / 365.25)
    return lines.assign(age=lines["customer_id"].map(age))


def test_category_repurchase_gaps_follow_their_cycles(demo_lines) -> None:
    """Median days between a customer's purchase days of a category: in the order of the planted
    cycles, each within 30 % of its cycle; accessories and gift sets are rare (120+ days)."""
    days = demo_lines[["customer_id", "category", "purchase_date"]].drop_duplicates()
    days = days.sort_values(["customer_id", "category", "purchase_date"])
    gap = days.groupby(["customer_id", "category"])["purchase_date"].diff().dropna().map(lambda delta: delta.days)
    median = gap.groupby(days.loc[gap.index, "category"]).median()
    cycle = PRODUCTS["category_cycle_days"]
    regular = ["haircare", "skincare", "bodycare", "makeup", "fragrance"]
    assert sorted(regular, key=cycle.get) == regular
    assert list(median[regular]) == sorted(median[regular]), median.to_dict()
    for category in regular:
        assert abs(median[category] / cycle[category] - 1) <= 0.30, (category, median[category], cycle[category])
    for category in ("accessories", "gift_sets"):
        assert median[category] >= 120, (category, median[category])


def test_planted_category_pairs_have_the_highest_lift(demo_lines) -> None:
    """Market baskets at the occasion grain (customer x purchase day): the planted pairs have
    lift > 1.2 and are the two pairs with the highest lift."""
    baskets = demo_lines.groupby(["customer_id", "purchase_date"])["category"].agg(frozenset)
    categories = sorted(demo_lines["category"].unique())
    support = {category: baskets.map(lambda basket: category in basket).mean() for category in categories}
    lift = {}
    for index, first in enumerate(categories):
        for second in categories[index + 1:]:
            both = baskets.map(lambda basket: first in basket and second in basket).mean()
            lift[frozenset((first, second))] = both / (support[first] * support[second])
    planted = {frozenset(pair) for pair in PRODUCTS["category_pairs"]}
    for pair in planted:
        assert lift[pair] > 1.2, (sorted(pair), lift[pair])
    assert set(sorted(lift, key=lift.get, reverse=True)[: len(planted)]) == planted


def test_age_skews_by_category_and_line(demo_lines) -> None:
    """Makeup is bought younger, skincare older; 35+ customers favour the anti-ageing line."""
    aged = demo_lines.dropna(subset=["age"])
    young, older = aged[aged["age"] < 30], aged[aged["age"] >= PRODUCTS["anti_ageing_min_age"]]

    def share(lines: pd.DataFrame, category: str) -> float:
        return float((lines["category"] == category).mean())

    assert share(young, "makeup") > 1.2 * share(older, "makeup")
    assert share(older, "skincare") > 1.1 * share(young, "skincare")
    anti = set(PRODUCTS["anti_ageing_product_ids"])

    def anti_share(lines: pd.DataFrame) -> float:
        skincare = lines[lines["category"] == "skincare"]
        return float(skincare["product_id"].isin(anti).mean())

    assert anti_share(older) > 3 * anti_share(aged[aged["age"] < PRODUCTS["anti_ageing_min_age"]])


def test_gift_sets_sell_in_the_gift_seasons(demo_lines) -> None:
    month = demo_lines["purchase_date"].map(lambda day: day.month)
    share = (demo_lines["category"] == "gift_sets").groupby(month).mean()
    quiet = share[[1, 3, 4, 6, 7, 8, 9, 10]].mean()
    for season_month in (2, 5, 12):
        assert share[season_month] > 2 * quiet, (season_month, share.to_dict())


def test_campaign_columns_tag_programmes_promotions_and_margins() -> None:
    campaigns = reference.read_raw_csv(SEEDS_DIR / "raw_campaigns.csv").set_index("campaign_id")
    catalog = reference.read_raw_csv(SEEDS_DIR / "raw_order_items.csv")[["product_id", "category"]].drop_duplicates()
    programmes = set(TRUTH["program_ids"])
    assert len(programmes) == 8
    assert set(campaigns["program_id"].dropna()) <= programmes
    assert campaigns["program_id"].isna().any() and campaigns["program_id"].notna().sum() >= 5
    assert campaigns["promoted_product_id"].notna().sum() >= 2 and campaigns["promoted_category"].notna().sum() >= 2
    assert set(campaigns["promoted_product_id"].dropna()) <= set(catalog["product_id"])
    assert set(campaigns["promoted_category"].dropna()) <= set(catalog["category"])
    margin = campaigns["margin_per_response"]
    assert margin.isna().any() and margin.notna().any()  # the others fall back to the var
    for campaign in TRUTH["campaigns"]:
        row = campaigns.loc[campaign["campaign_id"]]
        assert row["promoted_product_id"] == campaign["promoted_product_id"]
        assert row["promoted_category"] == campaign["promoted_category"]
        assert row["program_id"] == campaign["program_id"]


def test_treated_members_buy_the_promoted_item_more_than_control(demo_lines) -> None:
    """Per promoted campaign with a control group, and pooled: the share of contacts who bought
    the promoted product / category within [contact date, + window] is higher when treated."""
    campaigns = reference.read_raw_csv(SEEDS_DIR / "raw_campaigns.csv")
    contacts = reference.read_raw_csv(SEEDS_DIR / "raw_campaign_contacts.csv")
    pooled = {"treatment": [0, 0], "control": [0, 0]}
    checked = 0
    for campaign in campaigns.to_dict("records"):
        if campaign["promoted_product_id"] is None and campaign["promoted_category"] is None:
            continue
        if campaign["promoted_product_id"] is not None:
            hits = demo_lines[demo_lines["product_id"] == campaign["promoted_product_id"]]
        else:
            hits = demo_lines[demo_lines["category"] == campaign["promoted_category"]]
        bought = hits.groupby("customer_id")["purchase_date"].agg(list).to_dict()
        window = dt.timedelta(days=int(campaign["response_window_days"]))
        rates = {}
        for group, rows in contacts[contacts["campaign_id"] == campaign["campaign_id"]].groupby("group_name"):
            day = rows["contacted_at"].map(lambda text: dt.date.fromisoformat(text[:10]))
            buyers = sum(any(start <= when <= start + window for when in bought.get(member, []))
                         for member, start in zip(rows["member_id"], day))
            rates[group] = buyers / len(rows)
            pooled[group][0] += buyers
            pooled[group][1] += len(rows)
        assert rates["treatment"] > 0, campaign["campaign_id"]
        if "control" in rates:
            checked += 1
            assert rates["treatment"] > rates["control"], (campaign["campaign_id"], rates)
    assert checked >= 2
    treated, control = (buyers / contacts for buyers, contacts in pooled.values())
    assert treated > 2 * control, pooled


@pytest.fixture(scope="module")
def demo_points() -> pd.DataFrame:
    return reference.read_raw_csv(SEEDS_DIR / "raw_points.csv")


def _clean_points(raw: pd.DataFrame) -> pd.DataFrame:
    """The ledger lines a loader keeps: a member, an integer delta, a time not in the future; copies once."""
    delta = pd.to_numeric(raw["points_delta"], errors="coerce")
    occurred = pd.to_datetime(raw["occurred_at"], errors="coerce")
    keep = raw["member_id"].notna() & delta.notna() & (occurred < END_OF_HISTORY)
    ledger = raw[keep].drop_duplicates().copy()
    ledger["delta"] = delta[ledger.index].astype(int)
    ledger["occurred"] = pd.to_datetime(ledger["occurred_at"])
    ledger["expires"] = pd.to_datetime(ledger["expires_at"])
    return ledger


def test_points_are_earned_on_every_member_purchase(demo_points) -> None:
    """One earning per member purchase: floor(net amount) points at the payment time, valid 365 days."""
    kept = reference.clean_orders(reference.read_raw_csv(SEEDS_DIR / "raw_orders.csv"))
    bought, _ = reference.purchases(kept)
    rule = TRUTH["points"]
    expected = sorted(
        (row.customer_id, row.paid_at or row.ordered_at, int(row.net_amount) * rule["points_per_currency_unit"])
        for row in bought.itertuples() if int(row.net_amount) > 0
    )
    ledger = _clean_points(demo_points)
    earned = ledger[ledger["reason"] == "earn"]
    actual = sorted(zip(earned["member_id"], earned["occurred"].dt.to_pydatetime(), earned["delta"]))
    assert actual == expected
    validity = (earned["expires"] - earned["occurred"]).dt.days
    assert (validity == rule["valid_days"]).all()


def test_points_expire_first_in_first_out_and_balances_stay_positive(demo_points) -> None:
    """Replay the ledger per member in time order with a queue of earned lots: redemptions take the
    oldest points first, a lot's rest expires at its expires_at; the 'expire' lines must be exactly
    those rests, and no balance goes below zero."""
    ledger = _clean_points(demo_points)
    expected_expiries, actual_expiries = [], []
    for member, rows in ledger.groupby("member_id"):
        lots: list[list] = []  # [expires, remaining]
        events = [(row.occurred, 1 if row.reason == "earn" else 2, row) for row in rows.itertuples()
                  if row.reason in ("earn", "redeem")]
        events += [(lot_end, 0, None) for lot_end in rows.loc[rows["reason"] == "earn", "expires"]
                   if lot_end < END_OF_HISTORY]
        for when, kind, row in sorted(events, key=lambda event: (event[0], event[1])):
            if kind == 0:  # a lot reaches its expiry
                lot = next(lot for lot in lots if lot[0] == when)
                if lot[1] > 0:
                    expected_expiries.append((member, when, -lot[1]))
                lots.remove(lot)
            elif kind == 1:
                lots.append([row.expires, row.delta])
            else:
                need = -row.delta
                assert need <= sum(lot[1] for lot in lots), (member, when)
                for lot in lots:
                    taken = min(lot[1], need)
                    lot[1] -= taken
                    need -= taken
        expired = rows[rows["reason"] == "expire"]
        actual_expiries += list(zip(expired["member_id"], expired["occurred"], expired["delta"]))
    assert sorted(actual_expiries) == sorted(expected_expiries)
    assert len(actual_expiries) > 100


def test_points_ledger_has_content_for_every_mart(demo_points) -> None:
    """Open balances expiring soon after the end of history, large redemptions, and dirty lines of every kind."""
    ledger = _clean_points(demo_points)
    earned = ledger[ledger["reason"] == "earn"]
    in_30_days = END_OF_HISTORY + dt.timedelta(days=30)
    soon = earned[(earned["expires"] >= END_OF_HISTORY) & (earned["expires"] < in_30_days)]
    assert soon["member_id"].nunique() > 100
    assert (ledger.loc[ledger["reason"] == "redeem", "delta"] <= -1000).sum() >= 10
    assert set(ledger["reason"]) == {"earn", "redeem", "expire"}
    delta = pd.to_numeric(demo_points["points_delta"], errors="coerce")
    unparseable = demo_points["points_delta"].notna() & delta.isna()
    assert unparseable.sum() > 0
    assert demo_points["member_id"].isna().sum() > 0
    assert (pd.to_datetime(demo_points["occurred_at"]) >= END_OF_HISTORY).sum() > 0
    assert demo_points.duplicated().sum() > 0


def test_counters_differ_in_clientele_age_and_product_mix(demo_lines) -> None:
    """Members of the older-leaning counters are older than those of the young-leaning ones, and a
    category a store favours has a higher share of its member lines there than everywhere else."""
    members = reference.read_raw_csv(SEEDS_DIR / "raw_members.csv").dropna(subset=["member_id", "birth_date"])
    age = members["birth_date"].map(lambda text: (END_OF_HISTORY.date() - dt.date.fromisoformat(text)).days / 365.25)
    lean = members["home_store_id"].map(PRODUCTS["store_age_lean"])
    assert age[lean == "older"].mean() > age[lean == "young"].mean() + 4
    orders = reference.read_raw_csv(SEEDS_DIR / "raw_orders.csv").drop_duplicates("order_id")
    lines = demo_lines.merge(orders[["order_id", "store_id"]], on="order_id")
    for store, factors in PRODUCTS["store_category_factors"].items():
        favoured = max(factors, key=factors.get)
        here = (lines.loc[lines["store_id"] == store, "category"] == favoured).mean()
        elsewhere = (lines.loc[lines["store_id"] != store, "category"] == favoured).mean()
        assert here > 1.1 * elsewhere, (store, favoured, here, elsewhere)
