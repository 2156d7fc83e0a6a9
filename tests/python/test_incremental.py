"""Incremental models (issue 9): an incremental run on a day of new, changed and
late data gives exactly the warehouse a full refresh gives on the same data, and
a second run without new data changes nothing.

The base day is the bundled demo data (copied to files, every raw_* var pointing
at them). The next day is written here by hand on top of it: new orders,
paid/completed orders refunded, cancelled or with a new amount (some as a new
version appended, some rewritten in place), late orders placed weeks ago, a late
record whose updated_at is older than the last run's watermark (inside the
lookback window), an order moved to another member, the only purchase of a
customer refunded, guests, and new members with and without orders. as_of_date
is left to its default, so it moves by a day and lifecycle stages move with it.

The expected warehouse is a full build of the next-day files into another DuckDB
file (not the models' incremental SQL); every table of the marts and
intermediate schemas is compared row for row. A copy of the base warehouse run
with incremental_lookback_days 0 must miss the late record: the comparison can
fail.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import SEEDS_DIR, DbtResult, run_dbt

INPUTS = ("orders", "members", "order_items", "stores", "campaigns", "campaign_contacts", "member_events")
NEXT_DAY = "2026-07-01"  # the demo data ends on 2026-06-30
FULL_BUILD = ["build", "--exclude", "resource_type:test", "resource_type:unit_test"]
INCREMENTAL_RUN = ["run"]
INCREMENTAL_MODELS = ("orders", "int_purchase_occasions_grouped", "customer_lifecycle_history")
SCHEMAS = ("marts", "intermediate")
# Doubles (rates, CLV fits) are sums over rows whose physical order differs between
# an incremental and a fresh table: compare them to 1e-9 relative. Decimals, dates,
# text and integers must be equal.
FLOAT_RTOL = 1e-9


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _version(row: pd.Series, **changes: str) -> dict[str, str]:
    new = row.to_dict()
    new.update(changes)
    return new


def next_day_orders(orders: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The base orders plus one day of changes; returns the new file and what changed (id -> what)."""
    orders = orders.copy()
    clean = orders[~orders["order_id"].duplicated(keep=False)]
    clean = clean[(clean["updated_at"] < "2026-06-01") & (clean["member_id"] != "")]
    clean = clean[clean["amount"].str.fullmatch(r"\d+\.\d{2}") & (clean["refund_amount"] == "0.00")]
    completed = clean[clean["status"] == "completed"]
    per_member = orders.groupby("member_id")["order_id"].count()
    regular = completed[completed["member_id"].map(per_member) >= 4]
    single = completed[completed["member_id"].map(per_member) == 1]
    stamp = f"{NEXT_DAY} 10:00:00"
    picks = regular.iloc[::997]
    appended: list[dict[str, str]] = []
    changed: dict[str, str] = {}

    # paid/completed -> refunded, as a new version (CDC-style feeds keep the old one)
    for _, row in picks.iloc[0:5].iterrows():
        appended.append(_version(row, status="refunded", refund_amount=row["amount"], updated_at=stamp))
        changed[row["order_id"]] = "refunded"
    # the only purchase of a customer refunded: the customer disappears
    row = single.iloc[0]
    appended.append(_version(row, status="refunded", refund_amount=row["amount"], updated_at=stamp))
    changed[row["order_id"]] = "only purchase refunded"
    # amount changes (partial refund, new total)
    for _, row in picks.iloc[5:8].iterrows():
        appended.append(_version(row, amount=f"{float(row['amount']) * 0.5:.2f}", updated_at=stamp))
        changed[row["order_id"]] = "amount halved"
    for _, row in picks.iloc[8:10].iterrows():
        refund = f"{float(row['amount']) * 0.25:.2f}"
        appended.append(_version(row, refund_amount=refund, updated_at=stamp))
        changed[row["order_id"]] = "partial refund"
    # moved to another member (the old version names the member it leaves)
    row, other = picks.iloc[10], picks.iloc[11]
    appended.append(_version(row, member_id=other["member_id"], updated_at=stamp))
    changed[row["order_id"]] = "moved to another member"
    # completed -> cancelled, rewritten in place (snapshot-style feeds)
    for index in picks.index[12:15]:
        orders.loc[index, ["status", "updated_at"]] = ["cancelled", stamp]
        changed[orders.loc[index, "order_id"]] = "cancelled in place"

    template = picks.iloc[0]
    members = list(regular["member_id"].drop_duplicates().iloc[::97][:13])
    new_rows: list[tuple[str, str, str, str, str]] = []  # member_id, status, ordered_at, updated_at, amount
    # new orders of existing customers on the next day
    new_rows += [(member, "completed", f"{NEXT_DAY} 0{hour}:15:00", f"{NEXT_DAY} 0{hour}:20:00", "42.50")
                 for hour, member in enumerate(members[:6], start=1)]
    new_rows.append((members[6], "created", f"{NEXT_DAY} 09:00:00", f"{NEXT_DAY} 09:00:00", "19.99"))
    # late orders: placed weeks ago, updated today (one before the customer's first purchase)
    new_rows += [(member, "completed", f"2026-05-{day:02d} 12:00:00", stamp, "30.00")
                 for day, member in zip((3, 10, 17, 24), members[7:11])]
    new_rows.append((members[11], "completed", "2023-12-20 12:00:00", stamp, "55.00"))
    # a late record: updated two days before the last run's latest updated_at, delivered only now
    new_rows.append((members[12], "completed", "2026-06-20 15:00:00", "2026-06-29 12:00:00", "77.70"))
    # brand-new customers and guests
    new_rows += [(f"M9{number:05d}", "completed", f"{NEXT_DAY} 11:{number:02d}:00", f"{NEXT_DAY} 11:{number:02d}:30",
                  "25.00") for number in range(1, 4)]
    new_rows.append(("M900002", "paid", f"{NEXT_DAY} 12:00:00", f"{NEXT_DAY} 12:01:00", "12.00"))
    new_rows.append(("", "completed", f"{NEXT_DAY} 13:00:00", f"{NEXT_DAY} 13:00:00", "9.90"))
    for number, (member, status, ordered_at, updated_at, amount) in enumerate(new_rows, start=1):
        order_id = f"OINC{number:04d}"
        paid_at = "" if status == "created" else ordered_at
        appended.append(_version(template, order_id=order_id, member_id=member, status=status, ordered_at=ordered_at,
                                 paid_at=paid_at, amount=amount, refund_amount="0.00", updated_at=updated_at))
        changed[order_id] = "new" if updated_at.startswith(NEXT_DAY) else "late record"
    return pd.concat([orders, pd.DataFrame(appended)], ignore_index=True), changed


def next_day_members(members: pd.DataFrame) -> pd.DataFrame:
    template = members.iloc[0]
    new = [_version(template, member_id=f"M9{number:05d}", joined_at=f"{NEXT_DAY} 08:0{number}:00",
                    referred_by_member_id="", email="", phone="", updated_at=f"{NEXT_DAY} 08:0{number}:00")
           for number in range(1, 5)]  # M900004 joins without buying: a prospect
    return pd.concat([members, pd.DataFrame(new)], ignore_index=True)


def write_inputs(directory: Path, next_day: bool) -> dict[str, object]:
    """The demo inputs as files (the base day, or with the next day on top); the dbt vars naming them."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in INPUTS:
        shutil.copyfile(SEEDS_DIR / f"raw_{name}.csv", directory / f"raw_{name}.csv")
    if next_day:
        orders, _ = next_day_orders(_read(SEEDS_DIR / "raw_orders.csv"))
        orders.to_csv(directory / "raw_orders.csv", index=False)
        next_day_members(_read(SEEDS_DIR / "raw_members.csv")).to_csv(directory / "raw_members.csv", index=False)
    return {f"raw_{name}": str(directory / f"raw_{name}.csv") for name in INPUTS}


def read_tables(db_path: Path) -> dict[str, pd.DataFrame]:
    """Every table of the compared schemas, rows sorted on all columns (doubles rounded for the sort only)."""
    tables: dict[str, pd.DataFrame] = {}
    with duckdb.connect(str(db_path), read_only=True) as connection:
        names = connection.execute(
            "select table_schema, table_name from information_schema.tables"
            f" where table_type = 'BASE TABLE' and table_schema in {SCHEMAS} order by 1, 2"
        ).fetchall()
        for schema, table in names:
            frame = connection.execute(f'select * from "{schema}"."{table}"').df()
            floats = [column for column in frame.columns if pd.api.types.is_float_dtype(frame[column])]
            key = frame.astype(object).where(frame.notna(), None)
            for column in floats:
                key[column] = frame[column].round(6)
            order = key.astype(str).sort_values(list(frame.columns)).index
            tables[f"{schema}.{table}"] = frame.loc[order].reset_index(drop=True)
    return tables


def differences(actual: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> list[str]:
    """Tables that differ (name and first difference); empty when identical."""
    problems = [f"{name}: only in the expected warehouse" for name in sorted(set(expected) - set(actual))]
    problems += [f"{name}: only in the incremental warehouse" for name in sorted(set(actual) - set(expected))]
    for name in sorted(set(actual) & set(expected)):
        left, right = actual[name], expected[name]
        if list(left.columns) != list(right.columns):
            problems.append(f"{name}: columns {list(left.columns)} != {list(right.columns)}")
            continue
        if len(left) != len(right):
            problems.append(f"{name}: {len(left)} rows, expected {len(right)}")
            continue
        for column in left.columns:
            a, b = left[column], right[column]
            if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
                same = np.isclose(a.to_numpy(), b.to_numpy(), rtol=FLOAT_RTOL, atol=1e-12, equal_nan=True)
            else:
                same = ((a == b) | (a.isna() & b.isna())).to_numpy()
            if not same.all():
                row = int(np.argmin(same))
                problems.append(f"{name}.{column}: row {row}: {a.iloc[row]!r} != {b.iloc[row]!r}")
                break
    return problems


def _ok(result: DbtResult) -> DbtResult:
    assert result.returncode == 0, result.output[-5000:]
    return result


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, object]:
    """Base full build -> incremental next day (twice), and a full build of the next day."""
    root = tmp_path_factory.mktemp("incremental")
    inputs = root / "inputs"  # one set of paths, rewritten between runs like a nightly extract
    incremental_db = root / "incremental" / "crm.duckdb"
    lookback_zero_db = root / "lookback_zero" / "crm.duckdb"
    full_db = root / "full" / "crm.duckdb"
    for db_path in (incremental_db, lookback_zero_db, full_db):
        db_path.parent.mkdir(parents=True)
    base_vars = write_inputs(inputs, next_day=False)
    full_vars = write_inputs(root / "next_day_inputs", next_day=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        full = pool.submit(run_dbt, FULL_BUILD, full_db, full_vars)
        _ok(run_dbt(FULL_BUILD, incremental_db, base_vars))
        shutil.copyfile(incremental_db, lookback_zero_db)
        write_inputs(inputs, next_day=True)
        zero = pool.submit(run_dbt, INCREMENTAL_RUN, lookback_zero_db, {**base_vars, "incremental_lookback_days": 0})
        first = _ok(run_dbt(INCREMENTAL_RUN, incremental_db, base_vars))
        after_first = read_tables(incremental_db)
        second = _ok(run_dbt(INCREMENTAL_RUN, incremental_db, base_vars))
        _ok(full.result())
        _ok(zero.result())
    return {
        "first": first, "second": second, "after_first": after_first,
        "after_second": read_tables(incremental_db), "full": read_tables(full_db),
        "lookback_zero": read_tables(lookback_zero_db),
    }


def test_the_next_day_really_changes_the_marts(builds) -> None:
    """Guard against a vacuous comparison: the next day's data moves the marts and as_of_date."""
    _, changed = next_day_orders(_read(SEEDS_DIR / "raw_orders.csv"))
    orders = builds["full"]["marts.orders"]
    assert set(orders["as_of_date"].astype(str)) == {NEXT_DAY}
    refunded = [order_id for order_id, what in changed.items() if what in ("refunded", "only purchase refunded")]
    assert not orders[orders["order_id"].isin(refunded)]["is_purchase"].any()
    late = [order_id for order_id, what in changed.items() if what == "late record"]
    assert orders[orders["order_id"].isin(late)]["is_purchase"].all() and late


def test_runs_were_incremental(builds) -> None:
    """Each incremental model rebuilt only the customers in scope, not everything."""
    for run in ("first", "second"):
        output = builds[run].output
        for model in INCREMENTAL_MODELS:
            assert f"crm incremental {model}: customers in scope" in output, output[-3000:]


def test_incremental_equals_full_refresh(builds) -> None:
    problems = differences(builds["after_first"], builds["full"])
    assert not problems, "incremental != full refresh:\n" + "\n".join(problems)


def test_second_run_without_new_data_changes_nothing(builds) -> None:
    problems = differences(builds["after_second"], builds["after_first"])
    assert not problems, "the second run changed:\n" + "\n".join(problems)


def test_without_lookback_the_late_record_is_missed(builds) -> None:
    """The lookback window matters, and the comparison sees a single missed order."""
    problems = differences(builds["lookback_zero"], builds["full"])
    assert any(problem.startswith("marts.orders") for problem in problems), problems
