"""crm_program_weekly (issue 25, item 1) and the repurchase / holiday triggers (item 4),
recomputed from the raw demo CSVs and the config seeds.

Orders go through tests/python/reference.py (staging, purchases, occasions). A
customer's project on any day is read from the definitions' text: the number of
occasions up to that day gives the customer_type, the days since the latest one the
lifecycle stage, and seed crm_programs the project. Weeks run Monday to Sunday. The
scope at a week's start (the day before its Monday) and end, the days on which a
customer comes into or leaves a project, the KPI (customers in the project at the
week's start who buy in the week), the baseline (pooled rate of the previous
baseline_weeks weeks), the contact budget (policy cost x stage months for every
stage reached) and the campaign roll-up (campaign_performance's treatment rows, per
week of the campaign's first contact) are computed here in plain Python. Nothing
re-runs the models' SQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

import reference
from conftest import SEEDS_DIR

CONFIG_DIR = SEEDS_DIR / "config"
BOUNDARIES = reference.STAGE_BOUNDARIES
LOST_STAGE_BUDGET_DAYS = 365
SMS_UNIT_COST = Decimal("0.05")
EMAIL_UNIT_COST = Decimal("0.01")
PROMPT_DAYS = (45, 90, 140)
HOLIDAY_DAYS = 7
DAY = dt.timedelta(days=1)


def read_config(name: str) -> list[dict[str, str]]:
    with (CONFIG_DIR / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass
class Demo:
    as_of: dt.date
    occasions: dict[str, list[dt.date]]
    opt_ins: dict[str, tuple[bool, bool]]


@pytest.fixture(scope="module")
def demo() -> Demo:
    kept = reference.clean_orders(reference.read_raw_csv(SEEDS_DIR / "raw_orders.csv"))
    bought, as_of = reference.purchases(kept)
    occasions: dict[str, list[dt.date]] = defaultdict(list)
    for row in reference.occasions(bought).itertuples(index=False):
        occasions[row.customer_id].append(row.purchase_date)
    opt_ins = {}
    members = reference.read_raw_csv(SEEDS_DIR / "raw_members.csv")
    for row in members.sort_values("updated_at").to_dict("records"):
        if row["member_id"]:
            opt_ins[row["member_id"]] = ((row["sms_opt_in"] or "false").lower() == "true",
                                         (row["email_opt_in"] or "false").lower() == "true")
    return Demo(as_of, {c: sorted(days) for c, days in occasions.items()}, opt_ins)


def segment_on(days: list[dt.date], day: dt.date) -> tuple[str, str] | None:
    """(customer_type, lifecycle_stage) on `day` from the occasions up to it; None before the first."""
    count = bisect_right(days, day)
    if count == 0:
        return None
    return ("new" if count == 1 else "returning"), reference.stage_of((day - days[count - 1]).days, BOUNDARIES)


def change_days(days: list[dt.date], as_of: dt.date) -> list[dt.date]:
    """Every day on which a customer's segment may change: an occasion, or a stage boundary after one."""
    candidates = set(days)
    for day in days:
        candidates |= {day + dt.timedelta(days=b) for b in BOUNDARIES}
    return sorted(d for d in candidates if d <= as_of)


def stage_months_cost(segment: tuple[str, str], opt_in: tuple[bool, bool], policy, lengths) -> Decimal:
    """Policy cost of one customer for a whole stage, unrounded: monthly cost x stage days x 12 / 365."""
    rule = policy.get(segment)
    if rule is None:
        return Decimal(0)
    monthly = (int(rule["sms_per_month"]) * SMS_UNIT_COST * opt_in[0]
               + int(rule["emails_per_month"]) * EMAIL_UNIT_COST * opt_in[1])
    return monthly * lengths[segment[1]] * 12 / Decimal(365)


@pytest.fixture(scope="module")
def expected(demo: Demo) -> dict[tuple[str, dt.date], dict[str, object]]:
    programs = {(r["customer_type"], r["lifecycle_stage"]): r["program_id"] for r in read_config("crm_programs")}
    baseline_weeks = {r["program_id"]: int(r["baseline_weeks"]) for r in read_config("crm_programs")}
    policy = {(r["customer_type"], r["lifecycle_stage"]): r for r in read_config("contact_policy")}
    lowers = [0, *BOUNDARIES]
    lengths = {name: (lowers[i + 1] - lowers[i] if i + 1 < len(lowers) else LOST_STAGE_BUDGET_DAYS)
               for i, name in enumerate(reference.STAGES)}

    first = min(days[0] for days in demo.occasions.values())
    weeks = []
    week = monday(first)
    while week <= demo.as_of:
        weeks.append(week)
        week += dt.timedelta(days=7)

    def program_on(days: list[dt.date], day: dt.date) -> str | None:
        segment = segment_on(days, day)
        return programs.get(segment) if segment else None

    rows = {(p, w): defaultdict(Decimal) for p in set(programs.values()) for w in weeks}
    for customer, days in demo.occasions.items():
        opt_in = demo.opt_ins.get(customer, (False, False))
        for w in weeks:
            start = program_on(days, w - DAY)
            if start:
                rows[(start, w)]["customers_at_start"] += 1
                week_end = min(w + dt.timedelta(days=6), demo.as_of)
                if any(w <= d <= week_end for d in days):
                    rows[(start, w)]["kpi_customers"] += 1
            end = program_on(days, min(w + dt.timedelta(days=6), demo.as_of))
            if end:
                rows[(end, w)]["customers_at_end"] += 1
        for day in change_days(days, demo.as_of):
            before, after = segment_on(days, day - DAY), segment_on(days, day)
            if before == after:
                continue
            key_week = monday(day)
            program_before, program_after = programs.get(before) if before else None, programs.get(after)
            if program_after:
                rows[(program_after, key_week)]["budget"] += stage_months_cost(after, opt_in, policy, lengths)
            if program_before != program_after:
                if program_after:
                    rows[(program_after, key_week)]["customers_entering"] += 1
                if program_before:
                    rows[(program_before, key_week)]["customers_leaving"] += 1

    result = {}
    for (program, w), counts in rows.items():
        index = weeks.index(w)
        n = baseline_weeks[program]
        baseline = None
        if index >= n:
            prior = [rows[(program, weeks[i])] for i in range(index - n, index)]
            at_start = sum(r["customers_at_start"] for r in prior)
            baseline = float(sum(r["kpi_customers"] for r in prior)) / float(at_start) if at_start else None
        result[(program, w)] = {
            **{k: int(counts[k]) for k in ("customers_at_start", "customers_entering", "customers_leaving",
                                           "customers_at_end", "kpi_customers")},
            "contact_budget": counts["budget"].quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            "baseline_kpi_rate": baseline,
        }
    return result


@pytest.fixture(scope="module")
def actual(warehouse) -> dict[tuple[str, dt.date], dict[str, object]]:
    frame = warehouse.execute("select * from marts.crm_program_weekly").df()
    frame["week_start"] = pd.to_datetime(frame["week_start"]).dt.date
    return {(r["program_id"], r["week_start"]): r for r in frame.astype(object).to_dict("records")}


def test_program_rows_are_every_project_and_week(expected, actual) -> None:
    assert set(actual) == set(expected)
    assert len({program for program, _ in actual}) == 8


@pytest.mark.parametrize("column", ["customers_at_start", "customers_entering", "customers_leaving",
                                    "customers_at_end", "kpi_customers"])
def test_program_counts_recomputed(expected, actual, column: str) -> None:
    wrong = {key: (actual[key][column], row[column]) for key, row in expected.items()
             if actual[key][column] != row[column]}
    assert not wrong, list(wrong.items())[:5]
    assert sum(row[column] for row in expected.values()) > 0


def test_program_kpi_rate_and_baseline(expected, actual) -> None:
    for key, row in expected.items():
        got = actual[key]
        rate = row["kpi_customers"] / row["customers_at_start"] if row["customers_at_start"] else None
        for name, value in (("kpi_rate", rate), ("baseline_kpi_rate", row["baseline_kpi_rate"])):
            observed = got[name]
            observed = None if observed is None or (isinstance(observed, float) and math.isnan(observed)) else observed
            assert (observed is None) == (value is None), (key, name)
            if value is not None:
                assert abs(observed - value) <= 1e-12, (key, name)
    assert any(row["baseline_kpi_rate"] is not None for row in expected.values())


def test_program_contact_budget(expected, actual) -> None:
    wrong = {key: (actual[key]["contact_budget"], row["contact_budget"]) for key, row in expected.items()
             if Decimal(str(actual[key]["contact_budget"])) != row["contact_budget"]}
    assert not wrong, list(wrong.items())[:5]


def test_program_campaign_rollup(warehouse, actual) -> None:
    """Each tagged campaign counts once, in the week of its first contact, with
    campaign_performance's treatment-row measures (that mart is recomputed in
    test_campaign_marts)."""
    campaigns = reference.read_raw_csv(SEEDS_DIR / "raw_campaigns.csv")
    tags = {}
    if "program_id" in campaigns.columns:
        tags = {r["campaign_id"]: r["program_id"].lower() for r in campaigns.to_dict("records") if r["program_id"]}
    performance = warehouse.execute("""
        select campaign_id, least(first_contact_date, coalesce(control_first, first_contact_date)) as first_date,
               contacted, responders, cost, incremental_revenue, has_control_group
        from (
            select t.*, c.first_contact_date as control_first
            from marts.campaign_performance as t
            left join marts.campaign_performance as c
                on t.campaign_id = c.campaign_id and c.group_name = 'control'
            where t.group_name = 'treatment'
        ) as treatment
    """).df().astype(object).to_dict("records")
    totals: dict[tuple[str, dt.date], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in performance:
        if row["campaign_id"] not in tags:
            continue
        first = pd.Timestamp(row["first_date"]).date()
        total = totals[(tags[row["campaign_id"]], monday(first))]
        total["campaigns_started"] += 1
        total["campaign_contacts"] += row["contacted"]
        total["campaign_responders"] += row["responders"]
        total["campaign_cost"] += Decimal(str(row["cost"]))
    for key, row in actual.items():
        total = totals.get(key, defaultdict(Decimal))
        for column in ("campaigns_started", "campaign_contacts", "campaign_responders", "campaign_cost"):
            assert Decimal(str(row[column])) == total[column], (key, column)


def test_repurchase_prompts_and_holiday_care(demo: Demo, warehouse) -> None:
    as_of = demo.as_of
    expected = set()
    for customer, days in demo.occasions.items():
        if (as_of - days[-1]).days in PROMPT_DAYS:
            expected.add((customer, "repurchase_prompt", days[-1]))
    holidays = sorted(dt.date.fromisoformat(r["holiday_date"]) for r in read_config("holidays"))
    upcoming = [d for d in holidays if as_of <= d < as_of + dt.timedelta(days=HOLIDAY_DAYS)]
    if upcoming:
        expected |= {(customer, "holiday_care", upcoming[0]) for customer in demo.occasions}
    rows = warehouse.execute("""
        select customer_id, trigger_type, event_date from marts.crm_triggers
        where trigger_type in ('repurchase_prompt', 'holiday_care')
    """).fetchall()
    assert {(c, t, pd.Timestamp(d).date()) for c, t, d in rows} == expected
    assert any(t == "repurchase_prompt" for _, t, _ in expected)
    assert any(t == "holiday_care" for _, t, _ in expected), "the demo's as_of_date has a holiday within the window"
