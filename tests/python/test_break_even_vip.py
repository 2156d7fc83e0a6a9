"""vip_event_shift and campaign_break_even recomputed from the raw demo CSVs.

Orders go through tests/python/reference.py (staging, purchases, occasions); campaigns
and contacts are read here from the raw CSVs. Written from docs/definitions.md ("VIP
event shift", "Break-even by RFM cell"):

- VIP shift: invitees are the treatment contacts (contact date up to as_of_date) of
  the campaigns with channel event; windows of 90 days before the start date and after
  the end date; interval shift from occasions before / after with tolerance 0.1 (edges
  are the same), spend bands none / under_200 / 200_to_500 / 500_to_1000 / 1000_plus.
- Break-even: per campaign, the RFM snapshot the day before min(start date, first
  contact date), percent_rank scores among the customers then (ties share); treatment
  contacts per cell (prospect when not a customer then); cost per contact from the
  campaigns CSV, margin from its margin_per_response column when present, else 25.00.
  Responses are an input of the mart owned by the campaign response rule: the
  responders are read from intermediate.int_campaign_contacts_measured (is_responder),
  everything else is recomputed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal

import pandas as pd
import pytest

import reference
from conftest import SEEDS_DIR
from test_customer_history import quantile_scores

WINDOW_DAYS = 90
TOLERANCE = Decimal("0.1")
BAND_CUTS = [Decimal(200), Decimal(500), Decimal(1000)]
BAND_NAMES = ["none", "under_200", "200_to_500", "500_to_1000", "1000_plus"]
DEFAULT_MARGIN = Decimal("25.00")
DAY = dt.timedelta(days=1)
INTERVAL_SHIFTS = ["shortened", "same", "lengthened", "no_purchase"]
SPEND_SHIFTS = ["up", "same", "down"]


def band_index(spend: Decimal) -> int:
    if spend <= 0:
        return 0
    return 1 + sum(1 for cut in BAND_CUTS if spend >= cut)


def interval_shift(before: int, after: int, tolerance: Decimal = TOLERANCE) -> str:
    """Interval = window days / occasions; with equal windows compare occasions, edges are the same."""
    if before == 0 and after == 0:
        return "no_purchase"
    if before == 0:
        return "shortened"
    if after == 0:
        return "lengthened"
    # interval_after / interval_before = (days / after) / (days / before) = before / after, exactly
    ratio = Decimal(before) / Decimal(after)
    if ratio < 1 - tolerance:
        return "shortened"
    if ratio > 1 + tolerance:
        return "lengthened"
    return "same"


class Demo:
    def __init__(self) -> None:
        kept = reference.clean_orders(reference.read_raw_csv(SEEDS_DIR / "raw_orders.csv"))
        bought, self.as_of = reference.purchases(kept)
        self.occasions = reference.occasions(bought)
        self.by_customer: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
        for row in self.occasions.itertuples(index=False):
            self.by_customer[row.customer_id].append((row.purchase_date, Decimal(row.net_amount)))
        campaigns = reference.read_raw_csv(SEEDS_DIR / "raw_campaigns.csv")
        self.campaigns = {}
        for row in campaigns.to_dict("records"):
            margin = row.get("margin_per_response")
            self.campaigns[row["campaign_id"]] = {
                "channel": (row["channel"] or "").lower() or None,
                "start_date": dt.date.fromisoformat(row["start_date"][:10]) if row["start_date"] else None,
                "end_date": dt.date.fromisoformat(row["end_date"][:10]) if row.get("end_date") else None,
                "cost": Decimal(row["cost_per_contact"] or "0").quantize(Decimal("0.01")),
                "margin": Decimal(margin).quantize(Decimal("0.01")) if margin else DEFAULT_MARGIN,
            }
        self.contacts = []
        for row in reference.read_raw_csv(SEEDS_DIR / "raw_campaign_contacts.csv").to_dict("records"):
            contact_date = dt.date.fromisoformat(row["contacted_at"][:10])
            if contact_date > self.as_of or row["campaign_id"] not in self.campaigns:
                continue
            self.contacts.append({
                "campaign_id": row["campaign_id"],
                "member_id": row["member_id"],
                "group_name": (row["group_name"] or "treatment").lower(),
                "contact_date": contact_date,
                "attended": (row["attended"] or "").lower() == "true",
            })

    def window(self, customer: str, first: dt.date, last: dt.date) -> tuple[int, Decimal]:
        rows = [amount for day, amount in self.by_customer.get(customer, []) if first <= day <= last]
        return len(rows), sum(rows, Decimal("0.00"))


@pytest.fixture(scope="module")
def demo() -> Demo:
    return Demo()


def expected_vip(demo: Demo) -> pd.DataFrame:
    rows = []
    for campaign_id, campaign in demo.campaigns.items():
        if campaign["channel"] != "event":
            continue
        invitees = [c for c in demo.contacts if c["campaign_id"] == campaign_id and c["group_name"] == "treatment"]
        if not invitees:
            continue
        start = campaign["start_date"]
        end = campaign["end_date"] or start
        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for invitee in invitees:
            before, spend_before = demo.window(invitee["member_id"], start - WINDOW_DAYS * DAY, start - DAY)
            after, spend_after = demo.window(invitee["member_id"], end + DAY, end + WINDOW_DAYS * DAY)
            band_before, band_after = band_index(spend_before), band_index(spend_after)
            spend_shift = "up" if band_after > band_before else "down" if band_after < band_before else "same"
            counts[(interval_shift(before, after), spend_shift)][0 if invitee["attended"] else 1] += 1
        attendees = sum(1 for invitee in invitees if invitee["attended"])
        others = len(invitees) - attendees
        for shift in INTERVAL_SHIFTS:
            for spend_shift in SPEND_SHIFTS:
                came, stayed = counts[(shift, spend_shift)]
                rows.append({
                    "campaign_id": campaign_id, "interval_shift": shift, "spend_band_shift": spend_shift,
                    "attendees": came, "non_attendees": stayed,
                    "campaign_attendees": attendees, "campaign_non_attendees": others,
                    "attendee_share": came / attendees if attendees else None,
                    "non_attendee_share": stayed / others if others else None,
                    "is_after_window_complete": end + WINDOW_DAYS * DAY <= demo.as_of,
                })
    return pd.DataFrame(rows)


def test_vip_event_shift_matches_recomputation(warehouse, demo: Demo) -> None:
    expected = expected_vip(demo)
    assert len(expected) > 0, "the demo has event campaigns"
    actual = warehouse.execute("select * from marts.vip_event_shift").df()
    keys = ["campaign_id", "interval_shift", "spend_band_shift"]
    merged = expected.merge(actual, on=keys, how="outer", suffixes=("_expected", ""), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][keys]
    for column in ["attendees", "non_attendees", "campaign_attendees", "campaign_non_attendees",
                   "is_after_window_complete"]:
        assert (merged[column] == merged[f"{column}_expected"]).all(), column
    for column in ["attendee_share", "non_attendee_share"]:
        for got, want in zip(merged[column], merged[f"{column}_expected"]):
            assert (want is None and (got is None or math.isnan(got))) or got == pytest.approx(want), column
    assert (merged["window_days"] == WINDOW_DAYS).all()


def test_interval_shift_tolerance_edges() -> None:
    """Hand cases of the reference rule (the SQL's own edges are a dbt unit test)."""
    assert interval_shift(10, 11) == "same"  # 10 / 11 = 0.909 >= 0.9
    assert interval_shift(9, 10) == "same"  # exactly 0.9: the edge is the same
    assert interval_shift(8, 10) == "shortened"
    assert interval_shift(11, 10) == "same"  # exactly 1.1
    assert interval_shift(12, 10) == "lengthened"
    assert interval_shift(0, 0) == "no_purchase"
    assert (band_index(Decimal("0")), band_index(Decimal("199.99")), band_index(Decimal("200"))) == (0, 1, 2)
    assert BAND_NAMES[band_index(Decimal("1000"))] == "1000_plus"


def snapshot_cells(demo: Demo, day: dt.date) -> dict[str, str]:
    """RFM cell of every customer on `day` (all history, quantile scores among them)."""
    upto = demo.occasions[demo.occasions["purchase_date"] <= day]
    grouped = upto.groupby("customer_id")
    state = pd.DataFrame({
        "recency": grouped["purchase_date"].max().map(lambda last: (day - last).days).astype(float),
        "frequency": grouped.size().astype(float),
        "monetary": grouped["net_amount"].apply(lambda amounts: float(sum(amounts, Decimal("0.00")))),
    })
    r = quantile_scores(state["recency"], descending=True)
    f = quantile_scores(state["frequency"], descending=False)
    m = quantile_scores(state["monetary"], descending=False)
    return {customer: f"{a}{b}{c}" for customer, a, b, c in zip(state.index, r, f, m)}


def test_campaign_break_even_matches_recomputation(warehouse, demo: Demo) -> None:
    responders = {
        (campaign, member): flag
        for campaign, member, flag in warehouse.execute(
            "select campaign_id, member_id, is_responder from intermediate.int_campaign_contacts_measured"
        ).fetchall()
    }
    first_contact: dict[str, dt.date] = {}
    for contact in demo.contacts:
        campaign_id = contact["campaign_id"]
        first_contact[campaign_id] = min(first_contact.get(campaign_id, contact["contact_date"]), contact["contact_date"])
    expected = {}
    for campaign_id, first in first_contact.items():
        campaign = demo.campaigns[campaign_id]
        snapshot = min(first, campaign["start_date"] or first) - DAY
        cells = snapshot_cells(demo, snapshot)
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for contact in demo.contacts:
            if contact["campaign_id"] == campaign_id and contact["group_name"] == "treatment":
                cell = cells.get(contact["member_id"], "prospect")
                counts[cell][0] += 1
                counts[cell][1] += int(responders[(campaign_id, contact["member_id"])])
        break_even = float(campaign["cost"]) / float(campaign["margin"]) if campaign["margin"] else None
        for cell, (contacts, responded) in counts.items():
            rate = responded / contacts
            index = (rate - break_even) / break_even * 100 if break_even else None
            expected[(campaign_id, cell)] = {
                "contacts": contacts, "responders": responded, "response_rate": rate,
                "cost_per_contact": campaign["cost"], "margin_per_response": campaign["margin"],
                "break_even_response_rate": break_even, "break_even_index": index,
                "is_below_break_even": index is not None and index < 0,
            }
    actual = warehouse.execute("select * from marts.campaign_break_even").df()
    assert set(zip(actual["campaign_id"], actual["rfm_cell"])) == set(expected)
    below = 0
    for row in actual.to_dict("records"):
        want = expected[(row["campaign_id"], row["rfm_cell"])]
        assert (row["contacts"], row["responders"]) == (want["contacts"], want["responders"]), row
        assert row["response_rate"] == pytest.approx(want["response_rate"])
        assert Decimal(str(row["cost_per_contact"])) == want["cost_per_contact"]
        assert Decimal(str(row["margin_per_response"])) == want["margin_per_response"]
        assert row["break_even_response_rate"] == pytest.approx(want["break_even_response_rate"])
        if want["break_even_index"] is None:
            assert row["break_even_index"] is None or math.isnan(row["break_even_index"])
        else:
            assert row["break_even_index"] == pytest.approx(want["break_even_index"])
        assert bool(row["is_below_break_even"]) == want["is_below_break_even"], row
        below += want["is_below_break_even"]
    assert 0 < below < len(actual), "the demo has cells on both sides of break even"
