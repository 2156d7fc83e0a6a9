"""Campaign product focus (issue 24, item 4) recomputed from the raw demo CSVs.

A hand fixture writes the optional promoted columns into a copy of raw_campaigns.csv
(replacing any the demo has): C005 promotes the most sold product, C010 the top
category written in upper case (the input is lowercased), C004 names both a product and
a category (the product wins). The project is built with var raw_campaigns pointing at
that file; everything else is the demo. Expected values come from plain Python over the
raw CSVs (the orders through tests/python/reference.py, the order lines allocated in
test_campaign_marts.purchase_lines, the response rule in test_campaign_marts.response),
never from the models' SQL.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from conftest import SEEDS_DIR, run_dbt
from test_campaign_marts import Demo, campaign_focus, close, load_demo, promoted_amount, response, response_purchases

FOCUSED = ["C005", "C010", "C004"]
COMPARED = ["contacted", "responders", "orders_count", "revenue"]


def _focus_fixture() -> tuple[dict[str, dict[str, str]], dict[str, tuple[str, str]]]:
    """The promoted columns written for C005 (the most sold product: a product focus), C010
    (the top category by lines, in upper case: a category focus) and C004 (the second
    product plus that category: the product wins), and the focus each must get. Taken
    from the order lines so the fixture keeps content when the demo data changes."""
    lines = pd.read_csv(SEEDS_DIR / "raw_order_items.csv", dtype=str)
    products = lines["product_id"].value_counts()
    first, second = sorted(products.index, key=lambda product: (-products[product], product))[:2]
    categories = lines["category"].str.lower().value_counts()
    category = min(categories.index, key=lambda name: (-categories[name], name))
    written = {
        "C005": {"promoted_product_id": first, "promoted_category": ""},
        "C010": {"promoted_product_id": "", "promoted_category": category.upper()},
        "C004": {"promoted_product_id": second, "promoted_category": category},
    }
    expected = {"C005": ("product", first), "C010": ("category", category), "C004": ("product", second)}
    return written, expected


FOCUS, EXPECTED_LEVEL = _focus_fixture()


def _write_campaigns(path: Path) -> None:
    with (SEEDS_DIR / "raw_campaigns.csv").open(newline="") as source:
        rows = list(csv.DictReader(source))
    assert set(FOCUSED) <= {row["campaign_id"] for row in rows}
    columns = [column for column in rows[0] if column not in ("promoted_product_id", "promoted_category")]
    with path.open("w", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=[*columns, "promoted_product_id", "promoted_category"])
        writer.writeheader()
        for row in rows:
            focus = FOCUS.get(row["campaign_id"], {"promoted_product_id": "", "promoted_category": ""})
            writer.writerow({**{column: row[column] for column in columns}, **focus})


def _seed_focus() -> dict[str, tuple[str, str] | None]:
    """The focus of each campaign in the demo seed itself (None for all until the
    generator adds promoted products)."""
    with (SEEDS_DIR / "raw_campaigns.csv").open(newline="") as source:
        return {row["campaign_id"]: campaign_focus(row) for row in csv.DictReader(source)}


@pytest.fixture(scope="module")
def focused(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("product_focus")
    campaigns_csv = root / "raw_campaigns.csv"
    _write_campaigns(campaigns_csv)
    result = run_dbt(
        ["build", "--select", "+campaign_product_focus", "+campaign_product_daily", "+campaign_performance",
         "+campaign_segment_performance", "--exclude", "test_type:unit", "--indirect-selection", "cautious"],
        root / "focus.duckdb", {"raw_campaigns": str(campaigns_csv)},
    )
    assert result.returncode == 0, result.output[-5000:]
    connection = result.connect()
    yield load_demo(campaigns_csv), connection
    connection.close()


def fetch(connection, sql: str) -> list[dict[str, object]]:
    """Rows as dicts of DuckDB's own Python values (Decimal, date), no pandas conversion."""
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _window(demo: Demo, campaign_id: str) -> tuple[dt.date, dt.date]:
    contacts = [contact for contact in demo.contacts if contact["campaign_id"] == campaign_id]
    window = demo.campaigns[campaign_id]["window"]
    return (min(contact["contact_date"] for contact in contacts),
            max(contact["contact_date"] for contact in contacts) + dt.timedelta(days=window))


def _promoted_purchases(demo: Demo, campaign_id: str) -> list[tuple[str, dt.date, Decimal]]:
    """(customer, purchase_date, promoted net) of every purchase holding the focus, all history."""
    focus = demo.campaigns[campaign_id]["focus"]
    found = []
    for customer, rows in demo.purchases.items():
        for _, purchase_date, _, order_id in rows:
            amount = promoted_amount(demo, focus, order_id)
            if amount is not None:
                found.append((customer, purchase_date, amount))
    return found


def test_fixture_focus_levels(focused) -> None:
    demo, connection = focused
    assert {key: value["focus"] for key, value in demo.campaigns.items() if value["focus"]} == EXPECTED_LEVEL
    rows = fetch(connection, "select campaign_id, focus_level, promoted_product_id, promoted_category"
                             " from intermediate.int_campaigns_unioned where focus_level is not null")
    assert {row["campaign_id"]: (row["focus_level"], row["promoted_product_id"] or row["promoted_category"])
            for row in rows} == EXPECTED_LEVEL


def test_campaign_performance_follows_the_focus_rule(focused, warehouse) -> None:
    """Every campaign's groups recomputed with the focus-aware response rule. Against the
    warehouse built from the demo seed (campaigns unfocused there): the campaigns focused
    here lose responders, the others keep every column."""
    demo, connection = focused
    expected: dict[tuple[str, str], list] = defaultdict(lambda: [0, 0, 0, Decimal("0")])
    for contact in demo.contacts:
        responded, orders, revenue = response(demo, contact)
        entry = expected[(contact["campaign_id"], contact["group_name"])]
        entry[0] += 1
        entry[1] += int(responded)
        entry[2] += orders
        entry[3] += revenue
    query = "select * from marts.campaign_performance order by campaign_id, group_name"
    actual = {(row["campaign_id"], row["group_name"]): row for row in fetch(connection, query)}
    baseline = {(row["campaign_id"], row["group_name"]): row for row in fetch(warehouse, query)}
    assert set(actual) == set(expected) == set(baseline)
    unfocused_in_seed = {campaign for campaign, focus in _seed_focus().items() if focus is None}
    for key, row in actual.items():
        assert [row[column] for column in COMPARED] == expected[key], key
        if key[0] not in unfocused_in_seed:
            continue
        if key[0] in FOCUS:
            assert row["responders"] <= baseline[key]["responders"], key
        else:
            assert row == baseline[key], key
    narrowed = [key for key in actual if key[0] in FOCUS and key[0] in unfocused_in_seed]
    if narrowed:
        assert sum(actual[key]["responders"] for key in narrowed) < sum(baseline[key]["responders"] for key in narrowed)


def test_segment_performance_adds_up_under_the_focus_rule(focused) -> None:
    _, connection = focused
    mismatches = fetch(connection, """
        with segments as (
            select campaign_id, group_name, segment_type, sum(responders) as responders
            from marts.campaign_segment_performance
            group by campaign_id, group_name, segment_type
        )
        select segments.*
        from segments
        inner join marts.campaign_performance as campaigns
            on segments.campaign_id = campaigns.campaign_id and segments.group_name = campaigns.group_name
        where segments.responders != campaigns.responders
    """)
    assert mismatches == []


def test_campaign_product_focus_recomputed(focused) -> None:
    demo, connection = focused
    rows = {row["campaign_id"]: row for row in fetch(connection, "select * from marts.campaign_product_focus")}
    assert set(rows) == set(FOCUS)
    for campaign_id, row in rows.items():
        first, last = _window(demo, campaign_id)
        focus = demo.campaigns[campaign_id]["focus"]
        groups: dict[str, list] = defaultdict(lambda: [0, 0, Decimal("0")])
        for contact in demo.contacts:
            if contact["campaign_id"] != campaign_id:
                continue
            purchases = response_purchases(demo, contact)
            entry = groups[contact["group_name"]]
            entry[0] += 1
            entry[1] += bool(purchases)
            entry[2] += sum((promoted_amount(demo, focus, order) for *_, order in purchases), Decimal("0"))
        sales = [item for item in _promoted_purchases(demo, campaign_id) if first <= item[1] <= last]
        spend = sum((item[2] for item in sales), Decimal("0"))
        expected = {
            "focus_level": focus[0],
            "window_start_date": first,
            "window_end_date": last,
            "is_window_complete": last <= demo.as_of,
            "treatment_contacted": groups["treatment"][0],
            "treatment_responders": groups["treatment"][1],
            "responder_promoted_spend": groups["treatment"][2],
            "control_contacted": groups["control"][0],
            "control_responders": groups["control"][1],
            "control_promoted_spend": groups["control"][2],
            "promoted_orders": len(sales),
            "promoted_buyers": len({item[0] for item in sales}),
            "promoted_spend": spend,
        }
        assert {column: row[column] for column in expected} == expected, campaign_id
        assert close(row["campaign_spend_share"], float(groups["treatment"][2] / spend)), campaign_id
        assert 0 < row["campaign_spend_share"] < 1, campaign_id


def test_campaign_product_daily_recomputed(focused) -> None:
    demo, connection = focused
    actual = {(row["campaign_id"], row["activity_date"]): row
              for row in fetch(connection, "select * from marts.campaign_product_daily")}
    expected = {}
    for campaign_id in FOCUS:
        first, last = _window(demo, campaign_id)
        last = min(last, demo.as_of)
        treated = {contact["member_id"]: contact["contact_date"] for contact in demo.contacts
                   if contact["campaign_id"] == campaign_id and contact["group_name"] == "treatment"}
        purchases = _promoted_purchases(demo, campaign_id)
        first_bought: dict[str, dt.date] = {}
        day_spend: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
        for customer, day, amount in purchases:
            first_bought[customer] = min(day, first_bought.get(customer, day))
            day_spend[(day, customer)] += amount
        day = first
        while day <= last:
            counts = defaultdict(int)
            spend = contacted_spend = Decimal("0")
            for (bought_day, customer), amount in day_spend.items():
                if bought_day != day:
                    continue
                new = first_bought[customer] == day
                contacted = customer in treated and treated[customer] <= day
                counts["buyers"] += 1
                counts["new_buyers" if new else "returning_buyers"] += 1
                counts[("contacted_" if contacted else "not_contacted_") + ("new" if new else "returning")
                       + "_buyers"] += 1
                spend += amount
                contacted_spend += amount if contacted else 0
            expected[(campaign_id, day)] = {
                "day_number": (day - first).days, **{column: counts[column] for column in (
                    "buyers", "new_buyers", "returning_buyers", "contacted_new_buyers", "contacted_returning_buyers",
                    "not_contacted_new_buyers", "not_contacted_returning_buyers")},
                "promoted_spend": spend, "contacted_promoted_spend": contacted_spend,
            }
            day += dt.timedelta(days=1)
    assert set(actual) == set(expected)
    for key, want in expected.items():
        assert {column: actual[key][column] for column in want} == want, key
    # content: the windows have new and returning buyers, contacted and not
    for column in ("new_buyers", "returning_buyers", "contacted_new_buyers", "contacted_returning_buyers",
                   "not_contacted_returning_buyers"):
        assert sum(row[column] for row in expected.values()) > 0, column
