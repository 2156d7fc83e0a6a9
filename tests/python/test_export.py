"""Parquet export of the public marts (scripts/export.py, issue 11).

Exports the warehouse under test into a temporary directory, with a partition
threshold low enough that the demo's largest marts are written Hive-partitioned,
and checks with pyarrow (not DuckDB) that every mart's Parquet holds exactly the
mart's rows (as a multiset, typed values compared exactly), that manifest.json
has the right row counts, schema and descriptions, and that the partitions hold
the rows of their year. Also: a missing warehouse is a clear error, and a failed
export leaves the previous one untouched.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

import dbt_artifacts
from conftest import PROJECT_DIR

EXPORT = PROJECT_DIR / "scripts" / "export.py"
# Low enough that orders and customer_lifecycle_history (tens of thousands of rows
# on the demo data) are partitioned, high enough that most marts are single files.
PARTITION_THRESHOLD = 20_000


def run_export(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(EXPORT), "--quiet", *map(str, args)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def dbt_manifest_path() -> Path:
    return dbt_artifacts.artefact_path("manifest.json")


@pytest.fixture(scope="module")
def marts(dbt_manifest_path) -> dict[str, dict]:
    """The public marts, straight from the dbt manifest: models under models/marts/."""
    nodes = json.loads(dbt_manifest_path.read_text())["nodes"].values()
    return {
        node["name"]: node
        for node in nodes
        if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")
    }


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory, warehouse_path, dbt_manifest_path) -> Path:
    out = tmp_path_factory.mktemp("export") / "export"
    result = run_export(
        "--warehouse", warehouse_path, "--out", out, "--dbt-manifest", dbt_manifest_path,
        "--partition-threshold", PARTITION_THRESHOLD,
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def export_manifest(export_dir) -> dict:
    return json.loads((export_dir / "manifest.json").read_text())


def _read_export(export_dir: Path, entry: dict) -> pa.Table:
    """The mart as pyarrow reads it back (partition key dropped after checking it)."""
    partitioning = entry["partitioning"]
    if partitioning is None:
        (file,) = entry["files"]
        return ds.dataset(export_dir / file["path"], format="parquet").to_table()
    table_dir = export_dir / entry["relation"].split(".", 1)[1]
    table = ds.dataset(table_dir, format="parquet", partitioning="hive").to_table()
    key, source = partitioning["key"], partitioning["source_column"]
    years = [None if day is None else day.year for day in table.column(source).to_pylist()]
    assert years == table.column(key).to_pylist(), f"{entry['relation']}: rows in the wrong {key} partition"
    return table.drop_columns([key])


def _plain_type(data_type: pa.DataType) -> pa.DataType:
    return pa.string() if pa.types.is_large_string(data_type) else data_type


def test_every_mart_is_exported(marts, export_manifest) -> None:
    assert set(export_manifest["tables"]) == set(marts)


def test_large_marts_are_partitioned(warehouse, export_manifest) -> None:
    for name, entry in export_manifest["tables"].items():
        has_date = any(c["type"] == "DATE" and c["name"] != "as_of_date" for c in entry["columns"])
        expected = entry["row_count"] >= PARTITION_THRESHOLD and has_date
        assert (entry["partitioning"] is not None) == expected, name
    partitioned = {name for name, entry in export_manifest["tables"].items() if entry["partitioning"]}
    assert {"orders", "customer_lifecycle_history"} <= partitioned
    assert export_manifest["tables"]["orders"]["partitioning"]["source_column"] == "order_date"


def test_parquet_matches_the_marts_row_for_row(warehouse, export_dir, export_manifest) -> None:
    for name, entry in sorted(export_manifest["tables"].items()):
        expected = warehouse.sql(f"select * from {entry['relation']}").to_arrow_table()
        actual = _read_export(export_dir, entry)
        assert actual.column_names == expected.column_names, name
        for field in expected.schema:
            assert _plain_type(actual.schema.field(field.name).type) == _plain_type(field.type), (name, field.name)
        assert actual.num_rows == expected.num_rows, name
        expected_rows = Counter(zip(*(column.to_pylist() for column in expected.columns)))
        actual_rows = Counter(zip(*(column.to_pylist() for column in actual.columns)))
        assert actual_rows == expected_rows, f"{name}: rows differ, e.g. {list((expected_rows - actual_rows))[:2]}"


def test_manifest_row_counts_schema_and_descriptions(warehouse, marts, export_dir, export_manifest) -> None:
    as_of_date = warehouse.execute("select distinct as_of_date from marts.customer_rfm").fetchall()
    assert export_manifest["as_of_date"] == as_of_date[0][0].isoformat()
    for name, entry in export_manifest["tables"].items():
        node = marts[name]
        assert entry["relation"] == f"marts.{node['alias']}"
        assert entry["row_count"] == warehouse.execute(f"select count(*) from {entry['relation']}").fetchone()[0]
        schema = warehouse.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'marts' and table_name = ? order by ordinal_position",
            [node["alias"]],
        ).fetchall()
        assert [(c["name"], c["type"]) for c in entry["columns"]] == schema, name
        assert entry["description"] == node["description"].strip()
        assert all(c["description"] == node["columns"][c["name"]]["description"].strip() for c in entry["columns"])
        assert all(c["description"] for c in entry["columns"]), f"{name}: an exported column has no description"
        assert sum(f["rows"] for f in entry["files"]) == entry["row_count"]
        assert all((export_dir / f["path"]).is_file() for f in entry["files"])
    listed = {f["path"] for entry in export_manifest["tables"].values() for f in entry["files"]}
    on_disk = {p.relative_to(export_dir).as_posix() for p in export_dir.rglob("*.parquet")}
    assert listed == on_disk


def test_missing_warehouse_is_a_clear_error(tmp_path, dbt_manifest_path) -> None:
    out = tmp_path / "export"
    result = run_export("--warehouse", tmp_path / "nope.duckdb", "--out", out, "--dbt-manifest", dbt_manifest_path)
    assert result.returncode == 2
    assert "nope.duckdb not found" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_a_failed_export_leaves_the_previous_one(tmp_path, warehouse_path, dbt_manifest_path, export_dir) -> None:
    previous = tmp_path / "export"
    shutil.copytree(export_dir, previous)
    before = sorted(p.relative_to(previous) for p in previous.rglob("*"))
    # A manifest naming a mart the warehouse does not have: the export must stop before the swap.
    manifest = json.loads(dbt_manifest_path.read_text())
    ghost = dict(next(n for n in manifest["nodes"].values() if n["original_file_path"].startswith("models/marts/")))
    ghost.update(name="ghost_mart", alias="ghost_mart", unique_id="model.crm_warehouse.ghost_mart")
    manifest["nodes"][ghost["unique_id"]] = ghost
    stale = tmp_path / "stale_manifest.json"
    stale.write_text(json.dumps(manifest))
    result = run_export("--warehouse", warehouse_path, "--out", previous, "--dbt-manifest", stale)
    assert result.returncode == 2 and "ghost_mart" in result.stderr
    assert sorted(p.relative_to(previous) for p in previous.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_refuses_to_replace_a_directory_that_is_not_an_export(tmp_path, warehouse_path, dbt_manifest_path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    (out / "keep.txt").write_text("not an export")
    result = run_export("--warehouse", warehouse_path, "--out", out, "--dbt-manifest", dbt_manifest_path)
    assert result.returncode == 2 and "not a previous export" in result.stderr
    assert (out / "keep.txt").read_text() == "not an export"
