"""The product marts (issue 24: customer_category, category_performance, the association
rules, customer_next_category) and the category audience analysis, recomputed
independently.

Two sources of expected values, neither of them the models' SQL:

- the demo warehouse, against a pandas reference written from docs/definitions.md
  ("Products and categories"): purchases from the raw orders seed
  (tests/python/reference.py), order lines from staging, the order's net amount
  shared among its lines in pandas; intervals, statuses, tiers, monthly counts, lapses,
  baskets, support / confidence / lift and the next category computed from those lines;
- a hand-made fixture (tests/python/fixtures/product, its README lists the baskets)
  built with small floors, whose every number below was worked out by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
import shutil
import statistics
from collections import Counter, defaultdict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

import reference
from conftest import FIXTURES_DIR, PROJECT_DIR, SEEDS_DIR, DbtResult, run_dbt

PRODUCT = FIXTURES_DIR / "product"
PRODUCT_SELECTION = "+customer_category +category_performance +category_associations +product_associations +customer_next_category"
TOLERANCE = 1e-9
PROJECT_VARS = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def round_half_away(value: float) -> Decimal:
    """round(x, 2) as SQL engines do it on a double: half away from zero."""
    scaled = math.floor(abs(value) * 100 + 0.5)
    return Decimal(scaled if value >= 0 else -scaled) / 100


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


# --------------------------------------------------------------------------- reference


class ProductReference:
    """The product layer from purchase lines (customer, day, order, product, category, quantity, net)."""

    def __init__(self, lines: pd.DataFrame, as_of: dt.date, project_vars: dict[str, object]) -> None:
        self.lines = lines
        self.as_of = as_of
        self.vars = project_vars
        categorised = lines[lines["category"].notna()]
        self.occasions = (
            categorised.groupby(["customer_id", "category", "purchase_date"])
            .agg(
                orders_count=("order_id", "nunique"),
                quantity=("quantity", "sum"),
                spend=("net_amount", lambda values: sum(values, Decimal("0"))),
            )
            .reset_index()
            .sort_values(["customer_id", "category", "purchase_date"])
        )

    def intervals(self) -> dict[str, int]:
        multiplier = float(self.vars["category_interval_multiplier"])
        min_gaps = int(self.vars["category_interval_min_gaps"])
        default = int(self.vars["category_interval_default_days"])
        gaps: dict[str, list[int]] = defaultdict(list)
        for (_, category), group in self.occasions.groupby(["customer_id", "category"]):
            days = sorted(group["purchase_date"])
            gaps[category] += [(later - earlier).days for earlier, later in zip(days, days[1:])]
        result = {}
        for category in self.occasions["category"].unique():
            found = gaps.get(category, [])
            if len(found) >= min_gaps:
                result[category] = math.ceil(float(statistics.median(found)) * multiplier)
            else:
                result[category] = default
        return result

    def customer_category(self) -> pd.DataFrame:
        intervals = self.intervals()
        heavy_share = float(self.vars["category_heavy_user_share"])
        customer_spend = self.lines.groupby("customer_id")["net_amount"].apply(lambda v: sum(v, Decimal("0")))
        rows = []
        for (customer, category), group in self.occasions.groupby(["customer_id", "category"]):
            last = max(group["purchase_date"])
            spend = sum(group["spend"], Decimal("0"))
            days_since = (self.as_of - last).days
            rows.append(
                {
                    "customer_id": customer,
                    "category": category,
                    "first_purchase_date": min(group["purchase_date"]),
                    "last_purchase_date": last,
                    "occasions_count": len(group),
                    "orders_count": int(group["orders_count"].sum()),
                    "quantity": int(group["quantity"].sum()),
                    "spend": spend,
                    "customer_spend_share": float(spend / customer_spend[customer]) if customer_spend[customer] else None,
                    "days_since_last_purchase": days_since,
                    "repurchase_interval_days": intervals[category],
                    "category_status": "current" if days_since <= intervals[category] else "lapsed",
                }
            )
        frame = pd.DataFrame(rows).assign(category_spend_share=None, category_spend_rank=None, user_tier=None)
        for category, group in frame.groupby("category"):
            total = sum(group["spend"], Decimal("0"))
            spends = list(group["spend"])
            for index, spend in zip(group.index, spends):
                rank = sum(1 for other in spends if other >= spend) / len(spends)
                frame.at[index, "category_spend_share"] = float(spend / total) if total else None
                frame.at[index, "category_spend_rank"] = rank
                frame.at[index, "user_tier"] = "heavy" if rank <= heavy_share else "light"
        return frame

    def category_performance(self) -> pd.DataFrame:
        intervals = self.intervals()
        occasions = self.occasions.copy()
        occasions["month_start"] = occasions["purchase_date"].map(month_start)
        first = occasions.groupby(["customer_id", "category"])["purchase_date"].transform("min")
        occasions["is_first"] = occasions["purchase_date"] == first
        revenue = self.lines.assign(month_start=self.lines["purchase_date"].map(month_start)).groupby("month_start")[
            "net_amount"
        ].apply(lambda v: sum(v, Decimal("0")))
        lapsed: dict[tuple[str, dt.date], set[str]] = defaultdict(set)
        for (customer, category), group in occasions.groupby(["customer_id", "category"]):
            days = sorted(group["purchase_date"])
            for day, following in itertools.zip_longest(days, days[1:]):
                lapse_day = day + dt.timedelta(days=intervals[category] + 1)
                if lapse_day <= self.as_of and (following is None or following > lapse_day):
                    lapsed[(category, month_start(lapse_day))].add(customer)
        rows = {}
        for (category, month), group in occasions.groupby(["category", "month_start"]):
            spend = sum(group["spend"], Decimal("0"))
            new = group.loc[group["is_first"], "customer_id"].nunique()
            rows[(category, month)] = {
                "buyers": group["customer_id"].nunique(),
                "new_buyers": new,
                "repeat_buyers": group["customer_id"].nunique() - new,
                "occasions_count": len(group),
                "quantity": int(group["quantity"].sum()),
                "spend": spend,
                "revenue_share": float(spend / revenue[month]) if revenue.get(month) else None,
            }
        for key, customers in lapsed.items():
            row = rows.setdefault(
                key,
                {
                    "buyers": 0, "new_buyers": 0, "repeat_buyers": 0, "occasions_count": 0, "quantity": 0,
                    "spend": Decimal("0"),
                    "revenue_share": 0.0 if revenue.get(key[1]) else None,
                },
            )
            row["lapsed_customers"] = len(customers)
        frame = pd.DataFrame([{"category": key[0], "month_start": key[1], **row} for key, row in rows.items()])
        frame["lapsed_customers"] = frame["lapsed_customers"].fillna(0).astype(int)
        return frame

    def baskets(self, level: str) -> dict[tuple[str, dt.date], set[str]]:
        column = "category" if level == "category" else "product_id"
        found: dict[tuple[str, dt.date], set[str]] = defaultdict(set)
        for row in self.lines[self.lines[column].notna()].itertuples():
            found[(row.customer_id, row.purchase_date)].add(getattr(row, column))
        return found

    def rules(self, level: str) -> pd.DataFrame:
        min_pairs = int(self.vars["association_min_pair_occasions"])
        min_support = float(self.vars["association_min_support"])
        baskets = self.baskets(level)
        total = len(baskets)
        items = Counter(item for basket in baskets.values() for item in basket)
        pairs = Counter(
            pair for basket in baskets.values() for pair in itertools.combinations(sorted(basket), 2)
        )
        rows = []
        for (left, right), together in pairs.items():
            if together < min_pairs or together / total < min_support:
                continue
            for antecedent, consequent in ((left, right), (right, left)):
                rows.append(
                    {
                        "antecedent": antecedent,
                        "consequent": consequent,
                        "baskets_count": total,
                        "antecedent_occasions": items[antecedent],
                        "consequent_occasions": items[consequent],
                        "pair_occasions": together,
                        "support": together / total,
                        "confidence": together / items[antecedent],
                        "lift": together * total / (items[antecedent] * items[consequent]),
                    }
                )
        return pd.DataFrame(
            rows,
            columns=[
                "antecedent", "consequent", "baskets_count", "antecedent_occasions", "consequent_occasions",
                "pair_occasions", "support", "confidence", "lift",
            ],
        )

    def next_category(self) -> pd.DataFrame:
        rules = self.rules("category")
        rules = rules[rules["lift"] >= float(self.vars["next_category_min_lift"])]
        bought = self.occasions.groupby("customer_id")["category"].apply(set)
        rows = []
        for customer, categories in bought.items():
            candidates = [
                rule
                for rule in rules.itertuples()
                if rule.antecedent in categories and rule.consequent not in categories
            ]
            if not candidates:
                continue
            best = min(
                candidates,
                key=lambda rule: (-(rule.lift * rule.confidence), -rule.confidence, -rule.support,
                                  rule.antecedent, rule.consequent),
            )
            rows.append(
                {
                    "customer_id": customer,
                    "next_category": best.consequent,
                    "based_on_category": best.antecedent,
                    "score": best.lift * best.confidence,
                    "candidate_categories": len({rule.consequent for rule in candidates}),
                }
            )
        return pd.DataFrame(rows, columns=["customer_id", "next_category", "based_on_category", "score",
                                           "candidate_categories"])


def allocated_lines(bought: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Purchase lines with the order's net amount shared pro rata to line amounts (evenly when all are 0)."""
    lines = bought[["order_id", "customer_id", "purchase_date", "net_amount"]].merge(items, on="order_id")
    totals = lines.groupby("order_id")["amount"].apply(lambda v: sum(v, Decimal("0")))
    counts = lines.groupby("order_id").size()
    shares = []
    for row in lines.itertuples():
        total = totals[row.order_id]
        if total > 0:
            shares.append(round_half_away(float(row.net_amount * row.amount) / float(total)))
        else:
            shares.append(round_half_away(float(row.net_amount) / counts[row.order_id]))
    return lines.drop(columns=["net_amount"]).assign(net_amount=shares)


# --------------------------------------------------------------------------- demo warehouse


@pytest.fixture(scope="module")
def demo(warehouse: duckdb.DuckDBPyConnection) -> ProductReference:
    raw_orders = SEEDS_DIR / "raw_orders.csv"
    if not raw_orders.exists():
        pytest.skip("demo seeds/raw_orders.csv not generated")
    as_of = warehouse.execute("select as_of_date from intermediate.int_build_context").fetchone()[0]
    build_date = dt.datetime.now(dt.timezone.utc).date()
    kept = reference.clean_orders(reference.read_raw_csv(raw_orders), build_date)
    bought, as_of = reference.purchases(kept, as_of)
    items = warehouse.execute(
        """
        select order_id, product_id, category, quantity, cast(amount as varchar) as amount
        from staging.stg_crm__order_items
        """
    ).df()
    items["amount"] = items["amount"].map(Decimal)
    items["quantity"] = items["quantity"].astype(int)
    items = items.astype(object).where(items.notna(), None)
    return ProductReference(allocated_lines(bought, items), as_of, PROJECT_VARS)


def read(connection: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    frame = connection.execute(sql).df()
    for column in frame.columns:
        if frame[column].dtype.kind == "M":
            frame[column] = frame[column].dt.date
    return frame


def assert_close(expected: pd.Series, actual: pd.Series, what: str, tolerance: float = TOLERANCE) -> None:
    left = pd.to_numeric(expected).astype(float)
    right = pd.to_numeric(actual).astype(float)
    ok = (left.isna() & right.isna()) | ((left - right).abs() <= tolerance * left.abs().clip(lower=1))
    assert ok.all(), f"{what}:\n{pd.DataFrame({'expected': left, 'actual': right})[~ok].head(10)}"


def test_category_intervals_match_the_median_gaps(warehouse, demo: ProductReference) -> None:
    actual = read(warehouse, "select category, repurchase_interval_days from intermediate.int_category_intervals_measured")
    assert dict(zip(actual["category"], actual["repurchase_interval_days"])) == demo.intervals()


def test_customer_category_matches_the_order_lines(warehouse, demo: ProductReference) -> None:
    expected = demo.customer_category()
    actual = read(warehouse, "select * from marts.customer_category")
    merged = expected.merge(actual, on=["customer_id", "category"], how="outer", suffixes=("", "_actual"),
                            indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert len(actual) == len(expected)
    exact = [
        "first_purchase_date", "last_purchase_date", "occasions_count", "orders_count", "quantity",
        "days_since_last_purchase", "repurchase_interval_days", "category_status",
    ]
    for column in exact:
        bad = merged[merged[column] != merged[f"{column}_actual"]]
        assert bad.empty, f"{column}:\n{bad[['customer_id', 'category', column, column + '_actual']].head()}"
    # Line allocation may differ by a cent per line between engines: spend within a cent per occasion.
    spend_gap = (merged["spend"].map(money) - merged["spend_actual"].map(money)).abs()
    assert (spend_gap <= merged["occasions_count"] * Decimal("0.01")).all()
    assert_close(merged["customer_spend_share"], merged["customer_spend_share_actual"], "customer_spend_share", 1e-3)
    assert_close(merged["category_spend_share"], merged["category_spend_share_actual"], "category_spend_share", 1e-3)
    mismatched_tier = merged[merged["user_tier"] != merged["user_tier_actual"]]
    # A tier can only differ where a cent of allocation moves a buyer across a tie.
    assert len(mismatched_tier) <= len(merged) * 0.001, mismatched_tier.head()
    assert (actual["as_of_date"] == demo.as_of).all()


def test_category_performance_matches_the_order_lines(warehouse, demo: ProductReference) -> None:
    expected = demo.category_performance()
    actual = read(warehouse, "select * from marts.category_performance")
    merged = expected.merge(actual, on=["category", "month_start"], how="outer", suffixes=("", "_actual"),
                            indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    for column in ["buyers", "new_buyers", "repeat_buyers", "occasions_count", "quantity", "lapsed_customers"]:
        bad = merged[merged[column] != merged[f"{column}_actual"]]
        assert bad.empty, f"{column}:\n{bad[['category', 'month_start', column, column + '_actual']].head()}"
    spend_gap = (merged["spend"].map(money) - merged["spend_actual"].map(money)).abs()
    assert (spend_gap <= merged["occasions_count"] * Decimal("0.01")).all()
    assert_close(merged["revenue_share"], merged["revenue_share_actual"], "revenue_share", 1e-3)
    assert (actual["is_complete"] == [
        (start + pd.offsets.MonthEnd(0)).date() <= demo.as_of for start in pd.to_datetime(actual["month_start"])
    ]).all()


def test_lapses_add_up_to_the_lapsed_customers_of_today(warehouse, demo: ProductReference) -> None:
    """Every customer lapsed in a category today has one lapse event after their last purchase of it
    (dated up to as_of_date), and nobody else has one: the monthly lapses and today's status agree."""
    intervals = demo.intervals()
    last = demo.occasions.groupby(["customer_id", "category"])["purchase_date"].max()
    lapsed_after_last = {
        key for key, day in last.items() if day + dt.timedelta(days=intervals[key[1]] + 1) <= demo.as_of
    }
    actual = read(warehouse, "select customer_id, category from marts.customer_category where category_status = 'lapsed'")
    assert len(actual) > 0
    assert set(zip(actual["customer_id"], actual["category"])) == lapsed_after_last


@pytest.mark.parametrize("level", ["category", "product"])
def test_association_rules_match_the_baskets(warehouse, demo: ProductReference, level: str) -> None:
    expected = demo.rules(level).rename(columns={"antecedent": f"antecedent_{level}",
                                                  "consequent": f"consequent_{level}"})
    actual = read(warehouse, f"select * from marts.{level}_associations")
    keys = [f"antecedent_{level}", f"consequent_{level}"]
    merged = expected.merge(actual, on=keys, how="outer", suffixes=("", "_actual"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    for column in ["baskets_count", "antecedent_occasions", "consequent_occasions", "pair_occasions"]:
        assert (merged[column] == merged[f"{column}_actual"]).all(), column
    for column in ["support", "confidence", "lift"]:
        assert_close(merged[column], merged[f"{column}_actual"], column)


def test_next_category_is_the_best_rule_not_yet_bought(warehouse, demo: ProductReference) -> None:
    expected = demo.next_category()
    actual = read(warehouse, "select * from marts.customer_next_category")
    merged = expected.merge(actual, on="customer_id", how="outer", suffixes=("", "_actual"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    for column in ["next_category", "based_on_category", "candidate_categories"]:
        assert (merged[column] == merged[f"{column}_actual"]).all(), column
    assert_close(merged["score"], merged["score_actual"], "score")


# --------------------------------------------------------------------------- hand fixture

FIXTURE_VARS = {
    "raw_orders": str(PRODUCT / "raw_orders.csv"),
    "raw_order_items": str(PRODUCT / "raw_order_items.csv"),
    "as_of_date": "2025-03-31",
    "category_interval_min_gaps": 1,
    "category_interval_multiplier": 1.5,
    "category_interval_default_days": 60,
    "category_heavy_user_share": 0.25,
    "association_min_pair_occasions": 2,
    "association_min_support": 0.0,
}


@pytest.fixture(scope="module")
def fixture_build(tmp_path_factory: pytest.TempPathFactory) -> DbtResult:
    db_path = tmp_path_factory.mktemp("product") / "product.duckdb"
    result = run_dbt(["run", "--select", *PRODUCT_SELECTION.split()], db_path, FIXTURE_VARS)
    assert result.returncode == 0, result.output[-4000:]
    return result


def test_fixture_customer_category_by_hand(fixture_build: DbtResult) -> None:
    """skincare: one gap (c1, 31 days) -> ceil(31 x 1.5) = 47 days; makeup and haircare have no
    gap -> the default 60. as_of 2025-03-31."""
    with fixture_build.connect() as connection:
        actual = read(connection, "select * from marts.customer_category").set_index(["customer_id", "category"])
    expected = {
        # (customer, category): occasions, orders, quantity, spend, days since, interval, status, tier
        ("c1", "skincare"): (2, 2, 3, "40.00", 49, 47, "lapsed", "heavy"),
        ("c1", "makeup"): (1, 1, 1, "10.00", 80, 60, "lapsed", "light"),
        ("c2", "skincare"): (1, 1, 1, "20.00", 80, 47, "lapsed", "light"),
        ("c2", "makeup"): (1, 1, 1, "15.00", 80, 60, "lapsed", "heavy"),
        ("c2", "haircare"): (1, 1, 1, "30.00", 30, 60, "current", "light"),
        ("c3", "makeup"): (1, 1, 1, "10.00", 49, 60, "current", "light"),
        ("c3", "haircare"): (1, 1, 1, "30.00", 49, 60, "current", "light"),
        ("c4", "skincare"): (1, 1, 1, "20.00", 16, 47, "current", "light"),
        ("c4", "makeup"): (1, 1, 1, "10.00", 16, 60, "current", "light"),
        ("c4", "haircare"): (1, 1, 1, "25.00", 16, 60, "current", "light"),
        ("c5", "skincare"): (1, 1, 1, "20.00", 11, 47, "current", "light"),
    }
    assert set(actual.index) == set(expected)
    for key, (occasions, orders, quantity, spend, days, interval, status, tier) in expected.items():
        row = actual.loc[key]
        assert (row.occasions_count, row.orders_count, row.quantity) == (occasions, orders, quantity), key
        assert money(row.spend) == Decimal(spend), key
        assert (row.days_since_last_purchase, row.repurchase_interval_days) == (days, interval), key
        assert (row.category_status, row.user_tier) == (status, tier), key
    # c1 spent 50 on lines: 40 skincare, 10 makeup. skincare buyers spent 40, 20, 20, 20: c1 is
    # the top quarter (cume_dist 0.25 <= 0.25), the three tied at 20 share cume_dist 1.
    assert actual.loc[("c1", "skincare"), "customer_spend_share"] == pytest.approx(0.8)
    assert actual.loc[("c1", "skincare"), "category_spend_share"] == pytest.approx(0.4)
    assert actual.loc[("c5", "skincare"), "category_spend_rank"] == pytest.approx(1.0)
    # makeup: 15 (c2) tops 15, 10, 10, 10 -> cume_dist 0.25, heavy; haircare: 30, 30, 25 -> the two
    # tied at 30 share cume_dist 2/3 > 0.25, so nobody is heavy (ties never split).
    assert actual.loc[("c2", "haircare"), "category_spend_rank"] == pytest.approx(2 / 3)


def test_fixture_category_performance_by_hand(fixture_build: DbtResult) -> None:
    """Lapses: c2 skincare on 2025-01-10 + 48 = 02-27; c1 skincare 02-10 + 48 = 03-30 (its 01-10
    lapse date 02-27 came after the 02-10 repurchase: no lapse); c1 and c2 makeup 01-10 + 61 =
    03-12. Revenue: January 30 + 20 + 15 = 65, February 20 + 40 = 60, March 30 + 55 + 20 = 105."""
    with fixture_build.connect() as connection:
        actual = read(connection, "select * from marts.category_performance").set_index(["category", "month_start"])
    jan, feb, mar = dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)
    expected = {
        # buyers, new, repeat, spend, lapsed, revenue share
        ("skincare", jan): (2, 2, 0, "40.00", 0, Fraction(40, 65)),
        ("skincare", feb): (1, 0, 1, "20.00", 1, Fraction(20, 60)),
        ("skincare", mar): (2, 2, 0, "40.00", 1, Fraction(40, 105)),
        ("makeup", jan): (2, 2, 0, "25.00", 0, Fraction(25, 65)),
        ("makeup", feb): (1, 1, 0, "10.00", 0, Fraction(10, 60)),
        ("makeup", mar): (1, 1, 0, "10.00", 2, Fraction(10, 105)),
        ("haircare", feb): (1, 1, 0, "30.00", 0, Fraction(30, 60)),
        ("haircare", mar): (2, 2, 0, "55.00", 0, Fraction(55, 105)),
    }
    assert set(actual.index) == set(expected)
    for key, (buyers, new, repeat, spend, lapsed, share) in expected.items():
        row = actual.loc[key]
        assert (row.buyers, row.new_buyers, row.repeat_buyers, row.lapsed_customers) == (buyers, new, repeat, lapsed), key
        assert money(row.spend) == Decimal(spend), key
        assert row.revenue_share == pytest.approx(float(share), abs=1e-12), key
        assert row.is_complete, key


def test_fixture_association_rules_by_hand(fixture_build: DbtResult) -> None:
    """Seven category baskets: skincare in 5, makeup in 4, haircare in 3; skincare+makeup in 3,
    makeup+haircare in 2, skincare+haircare in 1 (below the floor of 2). Products: P1 in 5, P2 in
    3, P4 in 2, P3 and P5 in 1 (dropped before pairing); P1+P2 in 2, P2+P4 in 1 (dropped)."""
    with fixture_build.connect() as connection:
        categories = read(connection, "select * from marts.category_associations").set_index(
            ["antecedent_category", "consequent_category"])
        products = read(connection, "select * from marts.product_associations").set_index(
            ["antecedent_product", "consequent_product"])
    expected_categories = {
        # support, confidence, lift
        ("skincare", "makeup"): (Fraction(3, 7), Fraction(3, 5), Fraction(21, 20)),
        ("makeup", "skincare"): (Fraction(3, 7), Fraction(3, 4), Fraction(21, 20)),
        ("makeup", "haircare"): (Fraction(2, 7), Fraction(2, 4), Fraction(14, 12)),
        ("haircare", "makeup"): (Fraction(2, 7), Fraction(2, 3), Fraction(14, 12)),
    }
    expected_products = {
        ("P1", "P2"): (Fraction(2, 7), Fraction(2, 5), Fraction(14, 15)),
        ("P2", "P1"): (Fraction(2, 7), Fraction(2, 3), Fraction(14, 15)),
    }
    for actual, expected in ((categories, expected_categories), (products, expected_products)):
        assert set(actual.index) == set(expected)
        for key, (support, confidence, lift) in expected.items():
            row = actual.loc[key]
            assert row.baskets_count == 7, key
            assert row.support == pytest.approx(float(support), abs=1e-12), key
            assert row.confidence == pytest.approx(float(confidence), abs=1e-12), key
            assert row.lift == pytest.approx(float(lift), abs=1e-12), key


def test_fixture_next_category_by_hand(fixture_build: DbtResult) -> None:
    """c1 (skincare, makeup): makeup -> haircare (7/6 x 1/2); c3 (makeup, haircare): makeup ->
    skincare (21/20 x 3/4); c5 (skincare): skincare -> makeup (21/20 x 3/5); c2 and c4 bought
    every category with a rule."""
    with fixture_build.connect() as connection:
        actual = read(connection, "select * from marts.customer_next_category").set_index("customer_id")
    expected = {
        "c1": ("haircare", "makeup", Fraction(7, 6) * Fraction(1, 2)),
        "c3": ("skincare", "makeup", Fraction(21, 20) * Fraction(3, 4)),
        "c5": ("makeup", "skincare", Fraction(21, 20) * Fraction(3, 5)),
    }
    assert set(actual.index) == set(expected)
    for customer, (next_category, based_on, score) in expected.items():
        row = actual.loc[customer]
        assert (row.next_category, row.based_on_category) == (next_category, based_on), customer
        assert row.score == pytest.approx(float(score), abs=1e-12), customer
        assert row.candidate_categories == 1


# --------------------------------------------------------------------------- audience analysis


@pytest.fixture(scope="module")
def audience_sql(warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """analyses/category_audience_selection.sql compiled against a same-named copy of the warehouse."""
    work = tmp_path_factory.mktemp("audience")
    copy = work / warehouse_path.name
    shutil.copyfile(warehouse_path, copy)
    wal = warehouse_path.with_name(warehouse_path.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    result = run_dbt(["compile", "--select", "category_audience_selection"], copy)
    assert result.returncode == 0, result.output[-4000:]
    return (work / "target" / "compiled" / "crm_warehouse" / "analyses" / "category_audience_selection.sql").read_text()


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def test_category_audience_selection_from_raw_data(warehouse, demo: ProductReference, audience_sql: str) -> None:
    """35+, skincare in [as_of - 364, as_of - 90], no contact in (as_of - 30, as_of], 10 % control."""
    as_of = demo.as_of
    skincare = demo.occasions[demo.occasions["category"] == "skincare"]
    last = skincare.groupby("customer_id")["purchase_date"].max()
    in_window = {customer for customer, day in last.items() if 90 <= (as_of - day).days < 365}

    members = reference.read_raw_csv(SEEDS_DIR / "raw_members.csv")
    births = {
        row.member_id: dt.date.fromisoformat(row.birth_date[:10])
        for row in members.itertuples()
        if row.birth_date
    }
    aged = {customer for customer in in_window if customer in births and age_on(births[customer], as_of) >= 35}

    contacts = reference.read_raw_csv(SEEDS_DIR / "raw_campaign_contacts.csv")
    contacted = {
        row.member_id
        for row in contacts.itertuples()
        if row.contacted_at and as_of - dt.timedelta(days=30) < dt.date.fromisoformat(row.contacted_at[:10]) <= as_of
    }
    expected = aged - contacted

    actual = warehouse.execute(audience_sql).df()
    assert len(actual) > 0
    assert set(actual["customer_id"]) == expected
    assert actual["customer_id"].is_unique
    for row in actual.itertuples():
        digest = hashlib.md5(f"{row.customer_id}|audience".encode()).hexdigest()
        assert row.group_name == ("control" if int(digest[:4], 16) < int(0.10 * 65536) else "treatment")
    assert 0.03 <= (actual["group_name"] == "control").mean() <= 0.2


# --------------------------------------------------------------------------- semantic layer


@pytest.fixture(scope="module")
def semantic_layer(warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """`mf` on a private copy of the warehouse (the same set-up as test_semantic_layer.py)."""
    from test_semantic_layer import MF, SemanticLayer

    assert MF.exists(), f"{MF} missing: run `make venv-metricflow` (requirements-metricflow.txt)"
    root = tmp_path_factory.mktemp("semantic_product")
    db_path = root / "semantic.duckdb"
    shutil.copyfile(warehouse_path, db_path)
    (root / "dbt_project.yml").symlink_to(PROJECT_DIR / "dbt_project.yml")
    parsed = run_dbt(["parse"], db_path)
    assert parsed.returncode == 0, parsed.output
    return SemanticLayer(root, db_path)


def test_category_metrics_match_the_reference(semantic_layer, demo: ProductReference) -> None:
    """MetricFlow's category metrics by month and category, and by category as of as_of_date."""
    monthly = semantic_layer.query(
        ["category_buyers", "category_new_buyers", "category_repeat_buyers", "category_spend", "category_lapses",
         "category_new_buyer_share"],
        ["metric_time__month", "category_month__category"],
    ).rename(columns={"metric_time__month": "month_start", "category_month__category": "category"})
    expected = demo.category_performance()
    merged = expected.merge(monthly, on=["category", "month_start"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    for column, metric in [("buyers", "category_buyers"), ("new_buyers", "category_new_buyers"),
                           ("repeat_buyers", "category_repeat_buyers"), ("lapsed_customers", "category_lapses")]:
        assert (merged[column].fillna(0) == merged[metric].fillna(0)).all(), metric
    assert_close(merged["spend"].map(float), merged["category_spend"].fillna(0), "category_spend", 1e-3)
    share = merged["new_buyers"] / merged["buyers"].where(merged["buyers"] > 0)
    assert_close(share, merged["category_new_buyer_share"], "category_new_buyer_share")

    status = semantic_layer.query(
        ["category_customers", "category_lapsed_customers", "category_lapsed_share"],
        ["customer_category__category"],
    ).set_index("customer_category__category")
    customers = demo.customer_category()
    for category, group in customers.groupby("category"):
        lapsed = int((group["category_status"] == "lapsed").sum())
        assert status.at[category, "category_customers"] == len(group), category
        assert status.at[category, "category_lapsed_customers"] == lapsed, category
        assert status.at[category, "category_lapsed_share"] == pytest.approx(lapsed / len(group), rel=TOLERANCE)
    assert set(status.index) == set(customers["category"])
