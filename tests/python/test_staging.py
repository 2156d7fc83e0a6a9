"""Staging: every rejection reason, row accounting, thresholds and clear errors.

Expected outcomes come from the hand-written fixtures in fixtures/dirty
(expected.csv lists each raw key's fate), never from the models' own SQL.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import FIXTURES_DIR, DbtResult, run_dbt

DIRTY = FIXTURES_DIR / "dirty"
MINIMAL = FIXTURES_DIR / "minimal"


def _dirty_vars(**extra: object) -> dict[str, object]:
    return {
        "raw_orders": str(DIRTY / "raw_orders.csv"),
        "raw_members": str(DIRTY / "raw_members.csv"),
        "raw_order_items": str(DIRTY / "raw_order_items.csv"),
        **extra,
    }


def _csv_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


@pytest.fixture(scope="module")
def dirty_build(tmp_path_factory: pytest.TempPathFactory) -> DbtResult:
    db_path = tmp_path_factory.mktemp("dirty") / "dirty.duckdb"
    result = run_dbt(["build", "--select", "staging"], db_path, _dirty_vars(max_rejected_share=1))
    assert result.returncode == 0, result.output
    return result


def test_every_rejection_reason_lands_in_rejected_rows(dirty_build: DbtResult) -> None:
    with (DIRTY / "expected.csv").open(newline="") as handle:
        expected = list(csv.DictReader(handle))
    with dirty_build.connect() as connection:
        rejected = {
            (row[0], row[1] or ""): row[2]
            for row in connection.execute(
                "select input_name, record_key, reason_code from staging.rejected_rows"
            ).fetchall()
        }
        kept = {
            ("orders", row[0]) for row in connection.execute("select order_id from staging.stg_crm__orders").fetchall()
        } | {
            ("members", row[0]) for row in connection.execute("select member_id from staging.stg_crm__members").fetchall()
        } | {
            ("order_items", f"{row[0]}|{row[1]}")
            for row in connection.execute("select order_id, line_number from staging.stg_crm__order_items").fetchall()
        }
    for row in expected:
        key = (row["input_name"], row["record_key"])
        if row["expected"] == "kept":
            assert key in kept, f"{key} should be kept"
            assert key not in rejected, f"{key} kept and rejected"
        else:
            assert rejected.get(key) == row["expected"], f"{key}: {rejected.get(key)} != {row['expected']}"
            assert key not in kept, f"{key} rejected but kept"
    expected_kept = {(r["input_name"], r["record_key"]) for r in expected if r["expected"] == "kept"}
    assert kept == expected_kept
    reasons = {r["expected"] for r in expected} - {"kept"}
    assert reasons <= set(rejected.values())


def test_conflicting_duplicate_rejects_every_version(dirty_build: DbtResult) -> None:
    with dirty_build.connect() as connection:
        versions = connection.execute(
            "select count(*) from staging.rejected_rows where input_name = 'orders' and record_key = 'O011'"
        ).fetchone()[0]
    assert versions == 2


def test_row_accounting_loses_nothing(dirty_build: DbtResult) -> None:
    expected_in = {
        "orders": _csv_rows(DIRTY / "raw_orders.csv"),
        "members": _csv_rows(DIRTY / "raw_members.csv"),
        "order_items": _csv_rows(DIRTY / "raw_order_items.csv"),
    }
    with dirty_build.connect() as connection:
        accounting = {
            row[0]: row[1:]
            for row in connection.execute(
                "select input_name, rows_in, rows_kept, rows_rejected, duplicates_collapsed, versions_superseded"
                " from staging.row_accounting"
            ).fetchall()
        }
        kept_orders = connection.execute("select count(*) from staging.stg_crm__orders").fetchone()[0]
        rejected_orders = connection.execute(
            "select count(*) from staging.rejected_rows where input_name = 'orders'"
        ).fetchone()[0]
    for input_name, rows_in in expected_in.items():
        got_in, kept, rejected, collapsed, superseded = accounting[input_name]
        assert got_in == rows_in
        assert kept + rejected + collapsed + superseded == rows_in
    # orders by hand: 6 kept, 11 rejected, 1 exact duplicate, 2 superseded versions
    assert accounting["orders"] == (20, 6, 11, 1, 2)
    assert (kept_orders, rejected_orders) == (6, 11)
    # absent inputs are empty, not missing
    assert accounting["campaigns"] == (0, 0, 0, 0, 0)


def test_orders_are_typed_and_normalised(dirty_build: DbtResult) -> None:
    with dirty_build.connect() as connection:
        rows = dict(
            connection.execute(
                "select order_id, (status, net_amount, is_purchase, cast(purchase_date as varchar), channel)"
                " from staging.stg_crm__orders"
            ).fetchall()
        )
    assert rows["O003"][0] == "refunded"  # the later version wins
    status, net, is_purchase, purchase_date, channel = rows["O015"]
    assert (status, str(net), is_purchase, purchase_date) == ("completed", "25.00", True, "2024-05-01")
    assert channel == 'online "app", ünïcode'
    assert rows["O013"][0] == "cancelled" and rows["O013"][2] is False
    assert rows["O012"][2] is False  # guest order: not a purchase
    assert rows["O003"][2] is False  # fully refunded: not a purchase


def test_rejected_share_above_threshold_fails_naming_the_input(tmp_path: Path) -> None:
    result = run_dbt(["build", "--select", "staging"], tmp_path / "w.duckdb", _dirty_vars())
    assert result.returncode != 0
    assert "Input 'orders'" in result.output and "above the threshold" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("dbt_vars", "message"),
    [
        ({"raw_orders": "/nonexistent/orders.csv"}, "raw_orders: no file matches '/nonexistent/orders.csv'"),
        ({"raw_orders": str(MINIMAL / "raw_orders.csv"), "as_of_date": "yesterday"}, "var as_of_date = 'yesterday' is not a date"),
        ({"raw_orders": str(MINIMAL / "raw_orders.csv"), "as_of_date": "2024-02-30"}, "month 2 of 2024 has 29 days"),
        ({"raw_orders": "orders; drop table x"}, "raw_orders: 'orders; drop table x' is neither a file path"),
        ({"raw_orders": "nosuch.orders"}, "raw_orders: relation 'nosuch.orders' does not exist"),
        ({"raw_orders": str(MINIMAL / "raw_orders.csv"), "raw_members": str(DIRTY / "raw_order_items.csv")},
         "raw_members: required column 'member_id' is missing from the members input"),
    ],
)
def test_bad_configuration_gives_a_clear_error(tmp_path: Path, dbt_vars: dict[str, object], message: str) -> None:
    result = run_dbt(["run", "--select", "staging"], tmp_path / "w.duckdb", dbt_vars)
    assert result.returncode != 0
    assert message in result.output, result.output[-3000:]
    assert "Traceback" not in result.output


def test_missing_required_orders_column(tmp_path: Path) -> None:
    bad = tmp_path / "orders_without_amount.csv"
    bad.write_text("order_id,member_id,ordered_at\nX1,M1,2024-01-01\n", encoding="utf-8")
    result = run_dbt(["run", "--select", "staging"], tmp_path / "w.duckdb", {"raw_orders": str(bad)})
    assert result.returncode != 0
    assert "raw_orders: required column 'amount' is missing from the orders input" in result.output
    assert "Traceback" not in result.output


def test_four_column_orders_file_builds_the_whole_project(tmp_path: Path) -> None:
    result = run_dbt(["build"], tmp_path / "minimal.duckdb", {"raw_orders": str(MINIMAL / "raw_orders.csv")})
    assert result.returncode == 0, result.output[-5000:]
    with result.connect() as connection:
        members = connection.execute("select count(*) from staging.stg_crm__members").fetchone()[0]
        purchases = connection.execute("select count(*) from intermediate.int_purchases_filtered").fetchone()[0]
        campaigns = connection.execute("select count(*) from staging.stg_crm__campaigns").fetchone()[0]
        marts = [row[0] for row in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()]
        for mart in marts:
            connection.execute(f'select count(*) from marts."{mart}"').fetchone()
    assert (members, purchases, campaigns) == (3, 6, 0)  # C1, C2, C3; the guest order is not a purchase


def test_demo_orders_staging_matches_the_reference(warehouse) -> None:
    """Every kept demo order, recomputed in pandas from the raw CSV, matches staging."""
    from conftest import SEEDS_DIR

    import reference

    expected = reference.clean_orders(reference.read_raw_csv(SEEDS_DIR / "raw_orders.csv"))
    columns = ["order_id", "member_id", "status", "amount", "refund_amount", "net_amount", "is_purchase", "purchase_date"]
    actual = warehouse.execute(f"select {', '.join(columns)} from staging.stg_crm__orders order by order_id").fetchall()
    expected_rows = [tuple(row) for row in expected[columns].itertuples(index=False)]
    assert len(actual) == len(expected_rows)
    mismatches = [(got, want) for got, want in zip(actual, expected_rows) if got != want]
    assert not mismatches, mismatches[:5]


# --- raw inputs as dbt sources (issue 20) ----------------------------------------------

INPUTS = ["orders", "members", "order_items", "stores", "campaigns", "campaign_contacts", "member_events", "points"]
TIMED_INPUTS = {"orders": "ordered_at", "members": "joined_at", "campaign_contacts": "contacted_at",
                "member_events": "occurred_at", "points": "occurred_at"}


def _checked(source: dict) -> bool:
    """A freshness threshold is set (dbt writes an empty one when there is none)."""
    freshness = source["freshness"] or {}
    return any((freshness.get(key) or {}).get("count") is not None for key in ("warn_after", "error_after"))


def _manifest(tmp_path: Path, dbt_vars: dict[str, object] | None = None) -> dict:
    import json

    result = run_dbt(["parse"], tmp_path / "parse.duckdb", dbt_vars)
    assert result.returncode == 0, result.output[-3000:]
    return json.loads((tmp_path / "target" / "manifest.json").read_text(encoding="utf-8"))


def test_the_raw_inputs_are_sources_their_base_models_read(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    sources = {node["name"]: node for node in manifest["sources"].values() if node["source_name"] == "crm_raw"}
    assert sorted(sources) == sorted(INPUTS)
    for input_name in INPUTS:
        source_id = f"source.crm_warehouse.crm_raw.{input_name}"
        base = manifest["nodes"][f"model.crm_warehouse.base_crm__{input_name}"]
        assert source_id in base["depends_on"]["nodes"], (input_name, base["depends_on"]["nodes"])
        # the model calls source() itself: the edge is not added by a macro
        assert f"source('crm_raw', '{input_name}')" in base["raw_code"]
        assert [input_name] in [call[1:] for call in base["sources"]]
        # the demo: the source is the seed table, which the base model builds after
        assert (sources[input_name]["schema"], sources[input_name]["identifier"]) == ("raw", f"raw_{input_name}")
        assert f"seed.crm_warehouse.raw_{input_name}" in base["depends_on"]["nodes"]
        timed = input_name in TIMED_INPUTS
        assert (sources[input_name]["loaded_at_field"] is not None) == timed
        assert _checked(sources[input_name]) == timed
    accounting = manifest["nodes"]["model.crm_warehouse.row_accounting"]["depends_on"]["nodes"]
    assert {f"source.crm_warehouse.crm_raw.{name}" for name in INPUTS} <= set(accounting)


def test_sources_follow_the_input_vars(tmp_path: Path) -> None:
    """File, relation and absent inputs: where each source points, and no seed edge."""
    manifest = _manifest(tmp_path, {"raw_orders": "/data/it's/orders.csv", "raw_members": "/data/members.parquet",
                                    "raw_stores": "crm.stores", "raw_campaigns": "none"})
    sources = {node["name"]: node for node in manifest["sources"].values() if node["source_name"] == "crm_raw"}
    assert sources["orders"]["config"]["external_location"] == "read_csv('/data/it''s/orders.csv', union_by_name = true)"
    assert sources["members"]["config"]["external_location"] == "read_parquet('/data/members.parquet', union_by_name = true)"
    assert sources["orders"]["identifier"].startswith("crm_file_")
    assert sources["stores"]["identifier"] == "stores"
    assert '"crm"."{identifier}"' in sources["stores"]["config"]["external_location"]
    # absent: the campaigns var says none, member_events has no var while raw_orders is set
    for absent in ("campaigns", "member_events"):
        assert not _checked(sources[absent]), absent
    assert sources["orders"]["freshness"]["warn_after"] == {"count": 2, "period": "day"}
    for input_name in INPUTS:
        base = manifest["nodes"][f"model.crm_warehouse.base_crm__{input_name}"]
        assert base["depends_on"]["nodes"] == [f"source.crm_warehouse.crm_raw.{input_name}"], input_name


def test_source_freshness_runs_on_the_demo(tmp_path: Path) -> None:
    """`dbt source freshness` on the demo seeds: it may warn (old data), it must not error."""
    import json

    import pandas as pd

    from conftest import SEEDS_DIR

    db_path = tmp_path / "fresh.duckdb"
    seeded = run_dbt(["seed"], db_path)
    assert seeded.returncode == 0, seeded.output[-3000:]
    result = run_dbt(["source", "freshness", "--vars", "{raw_freshness_warn_after_days: 36500}"], db_path)
    assert result.returncode == 0, result.output[-3000:]
    assert "Traceback" not in result.output
    results = json.loads((tmp_path / "target" / "sources.json").read_text(encoding="utf-8"))["results"]
    by_input = {row["unique_id"].rsplit(".", 1)[1]: row for row in results}
    assert sorted(by_input) == sorted(TIMED_INPUTS)
    for input_name, column in TIMED_INPUTS.items():
        assert by_input[input_name]["status"] == "pass", by_input[input_name]  # a 100-year threshold
        newest = pd.to_datetime(pd.read_csv(SEEDS_DIR / f"raw_{input_name}.csv", dtype=str)[column],
                                errors="coerce").max()
        assert pd.Timestamp(by_input[input_name]["max_loaded_at"]).tz_localize(None) == newest, input_name
    default = run_dbt(["source", "freshness"], db_path)
    assert default.returncode == 0, default.output[-3000:]  # warnings only: no error threshold by default
