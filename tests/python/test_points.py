"""Loyalty points (issue 25, item 3): customer_points and the points_expiring trigger,
recomputed without the models' SQL.

The reference replays each member's ledger event by event, as a points system would:
earning lines open lots; redeem and other negative lines take points from the live
lots soonest-expiring first (never-expiring last, then the oldest earned); at a lot's
expires_at whatever is left of it expires (uses at the same instant go first); the
ledger's own expire lines and this expiry describe the same event, so the larger of
the two counts. The demo ledger (seeds/raw_points.csv) goes through the points
contract's staging rules written here from docs/definitions.md; a hand ledger
(fixtures/points) checks the boundaries with values worked out by hand; and builds
without the points input give empty marts with the same columns.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

import reference
from conftest import FIXTURES_DIR, SEEDS_DIR, run_dbt

EXPIRING_DAYS = 30
LARGE_REDEMPTION = 500
MIN_VALID_DATE = dt.date(1970, 1, 1)
POINTS_FIXTURE = FIXTURES_DIR / "points" / "raw_points.csv"
MINIMAL_ORDERS = FIXTURES_DIR / "minimal" / "raw_orders.csv"
NEVER = dt.datetime.max


@dataclass
class Lot:
    points: int
    occurred_at: dt.datetime
    expires_at: dt.datetime | None
    reason: str
    remaining: int = 0

    def order(self) -> tuple:
        return (self.expires_at is None, self.expires_at or NEVER, self.occurred_at, self.points, self.reason)


@dataclass
class Account:
    earned: int = 0
    redeemed: int = 0
    deducted: int = 0
    ledger_expired: int = 0
    fifo_expired: int = 0
    redemptions: int = 0
    large: int = 0
    largest: int | None = None
    last_large: dt.datetime | None = None
    lots: list[Lot] = field(default_factory=list)


def replay(lines: list[tuple[int, str, dt.datetime, dt.datetime | None]], as_of: dt.date) -> Account:
    """One member's ledger (points_delta, reason, occurred_at, expires_at) replayed up to the end of as_of."""
    account = Account()
    lines = [line for line in lines if line[2].date() <= as_of and line[0] != 0]
    events = []  # (time, rank, payload): earnings, then uses, then expiries at one instant
    for delta, reason, occurred_at, expires_at in lines:
        if delta > 0:
            expiry = max(expires_at, occurred_at) if expires_at else None
            lot = Lot(delta, occurred_at, expiry, reason, delta)
            account.lots.append(lot)
            account.earned += delta
            events.append((occurred_at, 0, lot))
            if expiry is not None and expiry.date() <= as_of:
                events.append((expiry, 2, lot))
        elif reason == "expire":
            account.ledger_expired += -delta
        else:
            events.append((occurred_at, 1, -delta))
            if reason == "redeem":
                account.redeemed += -delta
                account.redemptions += 1
                account.largest = max(account.largest or 0, -delta)
                if -delta >= LARGE_REDEMPTION:
                    account.large += 1
                    account.last_large = max(account.last_large or occurred_at, occurred_at)
            else:
                account.deducted += -delta
    live: list[Lot] = []
    debt = 0
    for _, rank, payload in sorted(events, key=lambda e: (e[0], e[1])):
        if rank == 0:
            taken = min(debt, payload.remaining)
            payload.remaining -= taken
            debt -= taken
            live.append(payload)
        elif rank == 1:
            debt += take(live, payload)
        else:
            account.fifo_expired += payload.remaining
            payload.remaining = 0
    take(live, max(account.ledger_expired - account.fifo_expired, 0))
    return account


def take(live: list[Lot], points: int) -> int:
    """Take points from the live lots soonest-expiring first; returns what they could not cover."""
    for lot in sorted(live, key=Lot.order):
        taken = min(points, lot.remaining)
        lot.remaining -= taken
        points -= taken
    return points


def summary(account: Account, as_of: dt.date) -> dict[str, object]:
    expired = max(account.ledger_expired, account.fifo_expired)
    window_end = as_of + dt.timedelta(days=EXPIRING_DAYS)
    live = [lot for lot in account.lots if lot.expires_at is None or lot.expires_at.date() > as_of]
    expiring = [lot for lot in live if lot.expires_at is not None and lot.expires_at.date() <= window_end]
    return {
        "earned_points": account.earned,
        "redeemed_points": account.redeemed,
        "deducted_points": account.deducted,
        "ledger_expired_points": account.ledger_expired,
        "fifo_expired_points": account.fifo_expired,
        "expired_points": expired,
        "points_balance": account.earned - account.redeemed - account.deducted - expired,
        "expiring_points": sum(lot.remaining for lot in expiring),
        "next_expiry_date": min((lot.expires_at.date() for lot in expiring if lot.remaining > 0), default=None),
        "never_expiring_points": sum(lot.remaining for lot in live if lot.expires_at is None),
        "redemptions_count": account.redemptions,
        "large_redemptions_count": account.large,
        "largest_redemption_points": account.largest,
        "last_large_redemption_at": account.last_large,
    }


def kept_ledger(path: Path, build_date: dt.date) -> dict[str, list[tuple]]:
    """The points contract's staging rules: required member_id, integer points_delta and
    readable occurred_at between min_valid_date and the build date; a readable
    expires_at when given; reason lowercased; identical lines once."""
    raw = reference.read_raw_csv(path)
    lines = set()
    for row in raw.to_dict("records"):
        member, delta_text, occurred_text = row["member_id"], row["points_delta"], row["occurred_at"]
        if not member or delta_text is None or occurred_text is None:
            continue
        try:
            delta = int(delta_text)
        except ValueError:
            continue
        occurred_at = reference._timestamp(occurred_text)
        expires_at = reference._timestamp(row["expires_at"]) if row["expires_at"] else None
        if occurred_at is None or (row["expires_at"] and expires_at is None):
            continue
        if not MIN_VALID_DATE <= occurred_at.date() <= build_date:
            continue
        lines.add((member, delta, (row["reason"] or "").lower(), occurred_at, expires_at))
    ledger: dict[str, list[tuple]] = defaultdict(list)
    for member, *line in lines:
        ledger[member].append(tuple(line))
    return ledger


def actual_points(connection) -> dict[str, dict[str, object]]:
    frame = connection.execute("select * from marts.customer_points").df()
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    result = {}
    for row in records:
        for column in ("next_expiry_date",):
            row[column] = pd.Timestamp(row[column]).date() if row[column] is not None else None
        if row["last_large_redemption_at"] is not None:
            row["last_large_redemption_at"] = pd.Timestamp(row["last_large_redemption_at"]).to_pydatetime()
        result[row["customer_id"]] = row
    return result


def test_customer_points_recomputed(warehouse) -> None:
    as_of = warehouse.execute("select as_of_date from intermediate.int_build_context").fetchone()[0]
    ledger = kept_ledger(SEEDS_DIR / "raw_points.csv", dt.datetime.now(dt.timezone.utc).date())
    expected = {}
    for member, lines in ledger.items():
        if any(line[2].date() <= as_of and line[0] != 0 for line in lines):
            expected[member] = summary(replay(lines, as_of), as_of)
    actual = actual_points(warehouse)
    assert set(actual) == set(expected)
    assert expected, "the demo ledger is empty"
    wrong = [(member, column, actual[member][column], value)
             for member, row in expected.items() for column, value in row.items()
             if actual[member][column] != value]
    assert not wrong, wrong[:10]
    assert sum(row["expiring_points"] for row in expected.values()) > 0


HAND_EXPECTED = {
    # FIFO: the redemption empties the oldest lot (expiring on as_of_date, nothing left to
    # expire) and takes 20 of the next, whose 30 left expire inside the window.
    "P1": {"earned_points": 180, "redeemed_points": 120, "fifo_expired_points": 0, "expired_points": 0,
           "points_balance": 60, "expiring_points": 30, "next_expiry_date": dt.date(2024, 7, 15),
           "never_expiring_points": 0},
    # The lot that expired on 2024-01-01 loses its 80; the later redemption takes the other
    # lot, which expires the day after as_of_date (inside the window).
    "P2": {"earned_points": 280, "redeemed_points": 30, "fifo_expired_points": 80, "expired_points": 80,
           "points_balance": 170, "expiring_points": 170, "next_expiry_date": dt.date(2024, 7, 1)},
    # The ledger wrote the expiry itself a day late: counted once. Large redemption of 600.
    "P3": {"earned_points": 1025, "redeemed_points": 610, "ledger_expired_points": 400,
           "fifo_expired_points": 400, "expired_points": 400, "points_balance": 15, "expiring_points": 0,
           "next_expiry_date": None, "never_expiring_points": 15, "redemptions_count": 2,
           "large_redemptions_count": 1, "largest_redemption_points": 600,
           "last_large_redemption_at": dt.datetime(2023, 6, 1, 10)},
    # A negative adjustment is a deduction; the line dated after as_of_date is left out.
    "P4": {"earned_points": 40, "deducted_points": 5, "points_balance": 35, "expiring_points": 0},
    # A redemption at the very instant of the expiry goes first.
    "P5": {"earned_points": 50, "redeemed_points": 50, "fifo_expired_points": 0, "points_balance": 0},
    # Expiry on as_of_date (12:00) has happened; day 30 of the window is in, day 31 is not.
    "P6": {"earned_points": 95, "fifo_expired_points": 70, "points_balance": 25, "expiring_points": 5,
           "next_expiry_date": dt.date(2024, 7, 30)},
    # Two identical lines are one; a redemption of exactly the threshold is large.
    "C1": {"earned_points": 500, "redeemed_points": 500, "points_balance": 0, "large_redemptions_count": 1,
           "customer_type": "returning", "lifecycle_stage": "sleeping"},
}


@pytest.fixture(scope="module")
def hand_build(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("points") / "points.duckdb"
    result = run_dbt(["build", "--select", "+customer_points", "+crm_triggers", "--exclude", "customer_clv+",
                      "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"],
                     db_path, {"raw_orders": str(MINIMAL_ORDERS), "raw_points": str(POINTS_FIXTURE)})
    assert result.returncode == 0, result.output[-3000:]
    return result


def test_points_hand_ledger(hand_build) -> None:
    with hand_build.connect() as connection:
        actual = actual_points(connection)
        triggers = connection.execute("""
            select customer_id, event_date, trigger_amount from marts.crm_triggers
            where trigger_type = 'points_expiring' order by customer_id
        """).fetchall()
    assert set(actual) == set(HAND_EXPECTED)
    for member, expected in HAND_EXPECTED.items():
        for column, value in expected.items():
            assert actual[member][column] == value, (member, column, actual[member][column], value)
    assert [(c, pd.Timestamp(d).date(), float(a)) for c, d, a in triggers] == [
        ("P1", dt.date(2024, 7, 15), 30.0), ("P2", dt.date(2024, 7, 1), 170.0), ("P6", dt.date(2024, 7, 30), 5.0)]


def test_hand_ledger_reference_agrees() -> None:
    """The replay above gives the hand-worked values too (so the demo test checks the same rule)."""
    ledger = kept_ledger(POINTS_FIXTURE, dt.date(2030, 1, 1))
    for member, expected in HAND_EXPECTED.items():
        got = summary(replay(ledger[member], dt.date(2024, 6, 30)), dt.date(2024, 6, 30))
        for column, value in expected.items():
            if column in got:
                assert got[column] == value, (member, column)


@pytest.mark.parametrize("dbt_vars", [
    {"raw_orders": str(MINIMAL_ORDERS)},
    {"raw_points": "none"},
], ids=["orders_without_points", "points_none"])
def test_absent_points_input_gives_empty_marts(dbt_vars, tmp_path, warehouse) -> None:
    result = run_dbt(["build", "--select", "+customer_points", "--exclude", "customer_clv+",
                      "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"],
                     tmp_path / "absent.duckdb", dbt_vars)
    assert result.returncode == 0, result.output[-3000:]
    expected_columns = warehouse.execute("""
        select column_name, data_type from information_schema.columns
        where table_schema = 'marts' and table_name = 'customer_points' order by ordinal_position
    """).fetchall()
    with result.connect() as connection:
        assert connection.execute("select count(*) from marts.customer_points").fetchone()[0] == 0
        columns = connection.execute("""
            select column_name, data_type from information_schema.columns
            where table_schema = 'marts' and table_name = 'customer_points' order by ordinal_position
        """).fetchall()
    assert columns == expected_columns
