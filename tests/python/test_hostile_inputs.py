"""Hostile inputs: every broken, odd or malicious raw input gets a clear error or a
rejected row; nothing is lost (row accounting); nothing is executed from a value.

Fixtures are hand-written under fixtures/hostile; the expected fate of each raw
row is written here by hand, never read from the models. The dbt runs are
independent, so they run concurrently (one DuckDB file and target path each).
"""

from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import FIXTURES_DIR, DbtResult, run_dbt

HOSTILE = FIXTURES_DIR / "hostile"
SQL_TEXT = "'; drop table x; --"

# name -> (dbt args, vars)
SUCCESS_RUNS: dict[str, tuple[list[str], dict[str, object]]] = {
    "rows": (["build", "--select", "staging"], {
        "raw_orders": str(HOSTILE / "orders_rows.csv"),
        "raw_members": str(HOSTILE / "members_rows.csv"),
        "max_rejected_share": 1,
    }),
    "optional_absent": (["build", "--select", "staging"], {
        "raw_orders": str(HOSTILE / "orders_rows.csv"),
        "raw_members": "none",
        "max_rejected_share": 1,
    }),
    "optional_columns_missing": (["build", "--select", "staging"], {
        "raw_orders": str(HOSTILE / "orders_rows.csv"),
        "raw_members": str(HOSTILE / "members_only_two_columns.csv"),
        "max_rejected_share": 1,
    }),
}

# name -> (vars, the message the output must contain)
ERROR_RUNS: dict[str, tuple[dict[str, object], str]] = {
    # Lines that cannot be read are rejected rows (issue 19): here they are too many, and the
    # message says which reason dominates and which var fixes it.
    "latin1": (
        {"raw_orders": str(HOSTILE / "orders_latin1.csv")},
        "Input 'orders': 1 of 2 rows rejected (50.00%), above the threshold of 1.00% (var max_rejected_share); "
        "most are unparseable_line in column member_id (1 rows). Fix: lines that cannot be read: set var raw_orders_csv",
    ),
    "malformed_line": (
        {"raw_orders": str(HOSTILE / "orders_malformed.csv")},
        "Input 'orders': 2 of 3 rows rejected (66.67%)",
    ),
    "header_only": (
        {"raw_orders": str(HOSTILE / "orders_header_only.csv")},
        "raw_orders: no purchase to build from (0 orders kept",
    ),
    "empty_file": (
        {"raw_orders": str(HOSTILE / "orders_empty.csv")},
        f"raw_orders: '{HOSTILE / 'orders_empty.csv'}' is empty or has no header line",
    ),
    "missing_required_column": (
        {"raw_orders": str(HOSTILE / "orders_without_ordered_at.csv")},
        "raw_orders: required column 'ordered_at' is missing from the orders input",
    ),
    "missing_member_key_column": (
        {"raw_orders": str(HOSTILE / "orders_rows.csv"), "raw_members": str(HOSTILE / "members_without_member_id.csv")},
        "raw_members: required column 'member_id' is missing from the members input",
    ),
    "missing_optional_file": (
        {"raw_orders": str(HOSTILE / "orders_rows.csv"), "raw_members": "/nonexistent/members.csv"},
        "raw_members: no file matches '/nonexistent/members.csv'",
    ),
    "sql_in_as_of_date": (
        {"raw_orders": str(HOSTILE / "orders_rows.csv"), "as_of_date": "2024-01-01" + SQL_TEXT},
        "var as_of_date = '2024-01-01'; drop table x; --' is not a date",
    ),
    "sql_in_min_valid_date": (
        {"raw_orders": str(HOSTILE / "orders_rows.csv"), "min_valid_date": "1970-01-01' or '1' = '1"},
        "var min_valid_date",
    ),
    "sql_in_max_rejected_share": (
        {"raw_orders": str(HOSTILE / "orders_rows.csv"), "max_rejected_share": "0.01; drop table x"},
        "var max_rejected_share = '0.01; drop table x' must be a number between 0 and 1",
    ),
    "sql_in_input_var": (
        {"raw_orders": "orders" + SQL_TEXT},
        "is neither a file path ending in .csv",
    ),
    "sql_in_file_path": (
        {"raw_orders": "/tmp/x'); drop table x; --.csv"},
        "raw_orders: no file matches '/tmp/x'); drop table x; --.csv'",
    ),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DbtResult]:
    jobs = {name: (args, dbt_vars) for name, (args, dbt_vars) in SUCCESS_RUNS.items()}
    jobs |= {name: (["run", "--select", "staging"], dbt_vars) for name, (dbt_vars, _) in ERROR_RUNS.items()}

    def launch(name: str) -> tuple[str, DbtResult]:
        args, dbt_vars = jobs[name]
        db_path = tmp_path_factory.mktemp(name) / f"{name}.duckdb"
        return name, run_dbt(args, db_path, dbt_vars)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(launch, jobs))


def _accounting(result: DbtResult) -> dict[str, tuple[int, ...]]:
    with result.connect() as connection:
        rows = connection.execute(
            "select input_name, rows_in, rows_kept, rows_rejected, duplicates_collapsed, versions_superseded"
            " from staging.row_accounting"
        ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def _csv_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


@pytest.mark.parametrize("name", sorted(ERROR_RUNS))
def test_hostile_input_gives_a_clear_error(runs: dict[str, DbtResult], name: str) -> None:
    result = runs[name]
    _, message = ERROR_RUNS[name]
    assert result.returncode != 0, f"{name}: the build should fail"
    assert message in result.output, result.output[-3000:]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", sorted(SUCCESS_RUNS))
def test_hostile_input_builds_without_a_traceback(runs: dict[str, DbtResult], name: str) -> None:
    result = runs[name]
    assert result.returncode == 0, result.output[-3000:]
    assert "Traceback" not in result.output


def test_every_hostile_row_is_kept_or_rejected_for_its_reason(runs: dict[str, DbtResult]) -> None:
    expected_rejected = {
        ("orders", "H002"): "unparseable_value",  # amount 'abc'
        ("orders", "H003"): "unparseable_value",  # ordered_at 'not a date'
        ("orders", "H004"): "unparseable_value",  # refund_amount 'lots'
        ("orders", "H005"): "conflicting_duplicate",  # same key and updated_at, different amount
        ("orders", "H006"): "negative_amount",
        ("orders", "H007"): "negative_amount",
        ("orders", "H008"): "amount_too_large",  # absurd: does not fit decimal(18, 2)
        ("orders", "H009"): "future_timestamp",  # 2999-12-31
        ("orders", "H010"): "before_min_valid_date",  # 1900-01-01
        ("orders", "H011"): "unknown_status",
        ("orders", "H017"): "refund_exceeds_amount",
        ("members", "M2"): "unparseable_value",  # sms_opt_in 'maybe' (and gender 'X')
        ("members", "M3"): "conflicting_duplicate",
    }
    expected_kept_orders = {
        "H001", "H012", "H013", "H014", "H015", "H016'; drop table x; --", "H018",
    }
    with runs["rows"].connect() as connection:
        rejected = connection.execute(
            "select input_name, record_key, reason_code, raw_values from staging.rejected_rows"
        ).fetchall()
        kept_orders = {row[0] for row in connection.execute("select order_id from staging.stg_crm__orders").fetchall()}
        kept_members = {row[0] for row in connection.execute("select member_id from staging.stg_crm__members").fetchall()}
    got = {(row[0], row[1]): row[2] for row in rejected}
    assert got == expected_rejected
    assert kept_orders == expected_kept_orders
    assert kept_members == {"M1"}
    # every version of a conflicting key is rejected, with its raw values as text
    assert sum(1 for row in rejected if row[:2] == ("orders", "H005")) == 2
    assert any("amount=abc" in row[3] for row in rejected if row[1] == "H002")


def test_row_accounting_loses_nothing(runs: dict[str, DbtResult]) -> None:
    accounting = _accounting(runs["rows"])
    for input_name, (rows_in, kept, rejected, collapsed, superseded) in accounting.items():
        assert kept + rejected + collapsed + superseded == rows_in, input_name
    assert accounting["orders"] == (_csv_rows(HOSTILE / "orders_rows.csv"), 7, 12, 1, 0)
    assert accounting["members"] == (_csv_rows(HOSTILE / "members_rows.csv"), 1, 3, 0, 0)


def test_text_values_round_trip_and_nothing_is_executed(runs: dict[str, DbtResult]) -> None:
    with runs["rows"].connect() as connection:
        values = dict(connection.execute(
            "select order_id, (member_id, store_id, channel) from staging.stg_crm__orders"
        ).fetchall())
        tables = {row[0] for row in connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()}
        rejected_count = connection.execute("select count(*) from staging.rejected_rows").fetchone()[0]
    assert values["H013"][2] == 'ünïcödé 店舗 "quoted", comma'  # channel is lower-cased, text kept
    assert values["H014"][1] == "'; drop table staging.stg_crm__orders; --"
    assert values["H015"][0] == "M4'); delete from staging.rejected_rows; --"
    assert values["H016'; drop table x; --"][0] == "M5"
    assert {"staging.stg_crm__orders", "staging.rejected_rows", "staging.row_accounting"} <= tables
    assert rejected_count == 15  # 12 orders + 3 members: the 'delete' in a value ran nowhere


def test_orphan_member_ids_are_kept_as_customers(runs: dict[str, DbtResult]) -> None:
    """An order of a member_id missing from members is a purchase, not a rejection."""
    with runs["rows"].connect() as connection:
        orphan = connection.execute(
            "select is_purchase from staging.stg_crm__orders where member_id = 'ORPHAN-999'"
        ).fetchone()
    assert orphan == (True,)


def test_header_only_file_is_an_empty_input(runs: dict[str, DbtResult]) -> None:
    """It stops the build with one message (ERROR_RUNS), and its accounting is all zeros."""
    accounting = _accounting(runs["header_only"])
    assert accounting["orders"] == (0, 0, 0, 0, 0)


def test_missing_optional_input_and_columns(runs: dict[str, DbtResult]) -> None:
    # members: none -> derived from the distinct member_ids of kept orders
    with runs["optional_absent"].connect() as connection:
        members = {row[0] for row in connection.execute("select member_id from staging.stg_crm__members").fetchall()}
    assert {"M1", "M3", "M5", "ORPHAN-999"} <= members
    # a members file with only member_id and city: the other columns are typed nulls / defaults
    with runs["optional_columns_missing"].connect() as connection:
        row = connection.execute(
            "select member_id, city, gender, email, sms_opt_in from staging.stg_crm__members where member_id = 'M1'"
        ).fetchone()
    assert row == ("M1", "Paris", "U", None, False)
