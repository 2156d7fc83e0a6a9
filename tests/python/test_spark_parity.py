"""scripts/spark_parity.py finds planted differences; DuckDB-only SQL fails on Spark.

The parity tests need no Spark: they write a small "Spark warehouse" of Parquet
files (the layout Spark uses: <dir>/warehouse/<schema>.db/<table>/part-*.parquet)
and a DuckDB reference file by hand, plant one difference and check the script
names the table, the key and the column. The last test runs dbt on local Spark
(skipped without Java or pyspark) against a copy of the project with probe models.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR

SCRIPT = PROJECT_DIR / "scripts" / "spark_parity.py"
_spec = importlib.util.spec_from_file_location("spark_parity", SCRIPT)
spark_parity = importlib.util.module_from_spec(_spec)
sys.modules["spark_parity"] = spark_parity
_spec.loader.exec_module(spark_parity)

ROWS = [
    ("c1", "12.50", 0.25, "2024-01-31", "2024-01-31 10:00:00"),
    ("c2", "7.05", 1.0 / 3.0, "2024-02-29", "2024-02-29 23:59:59"),
    ("c3", "0.00", None, None, None),
]
CREATE = (
    "create table {name} (customer_id varchar, revenue decimal(18, 2), repeat_rate double,"
    " first_purchase_date date, updated_at timestamp)"
)


def _insert(connection: duckdb.DuckDBPyConnection, name: str, rows: list[tuple]) -> None:
    connection.execute(CREATE.format(name=name))
    connection.executemany(f"insert into {name} values (?, ?, ?, ?, ?)", rows)


def _manifest(path: Path, key: list[str] | None, disabled: list[str] = ()) -> Path:
    nodes: dict[str, dict] = {"model.p.mart_a": {"resource_type": "model", "name": "mart_a", "alias": "mart_a",
                                                 "schema": "marts"}}
    if key:
        test = {"resource_type": "test", "attached_node": "model.p.mart_a", "config": {"enabled": True}}
        if len(key) == 1:
            nodes["test.p.unique"] = {**test, "column_name": key[0], "test_metadata": {"name": "unique", "kwargs": {}}}
        else:
            nodes["test.p.combo"] = {**test, "column_name": None, "test_metadata": {
                "name": "unique_combination_of_columns", "kwargs": {"combination_of_columns": key}}}
    disabled_nodes = {f"model.p.{name}": [{"resource_type": "model", "name": name, "schema": "marts"}]
                      for name in disabled}
    path.write_text(json.dumps({"nodes": nodes, "disabled": disabled_nodes}))
    return path


def _build(tmp_path: Path, spark_rows: list[tuple], duckdb_rows: list[tuple] = ROWS,
           spark_tables: tuple[str, ...] = ("mart_a",), duckdb_tables: tuple[str, ...] = ("mart_a",)
           ) -> tuple[Path, Path]:
    """A DuckDB reference file and a Spark-like Parquet warehouse holding marts tables."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    reference = tmp_path / "ref.duckdb"
    spark_dir = tmp_path / "spark"
    with duckdb.connect(str(reference)) as connection:
        connection.execute("create schema marts")
        for table in duckdb_tables:
            _insert(connection, f"marts.{table}", duckdb_rows)
    with duckdb.connect() as connection:
        for table in spark_tables:
            directory = spark_dir / "warehouse" / "marts.db" / table
            directory.mkdir(parents=True)
            _insert(connection, table, spark_rows)
            connection.execute(f"copy {table} to '{directory / 'part-00000.snappy.parquet'}' (format parquet)")
            (directory / "_SUCCESS").write_text("")
    return reference, spark_dir


def _run(capsys: pytest.CaptureFixture[str], reference: Path, spark_dir: Path, manifest: Path | None,
         *extra: str) -> tuple[int, str]:
    args = ["--spark-dir", str(spark_dir), "--duckdb", str(reference), "--schemas", "marts", *extra]
    if manifest is not None:
        args += ["--manifest", str(manifest)]
    code = spark_parity.main(args)
    return code, capsys.readouterr().out


def test_identical_builds_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reference, spark_dir = _build(tmp_path, ROWS)
    code, out = _run(capsys, reference, spark_dir, _manifest(tmp_path / "m.json", ["customer_id"]))
    assert code == 0, out
    assert "marts.mart_a" in out and "parity ok: 1 tables" in out


def test_money_must_match_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    planted = [ROWS[0], ("c2", "7.06", *ROWS[1][2:]), ROWS[2]]
    reference, spark_dir = _build(tmp_path, planted)
    code, out = _run(capsys, reference, spark_dir, _manifest(tmp_path / "m.json", ["customer_id"]))
    assert code == 1
    assert "first: marts.mart_a: key (customer_id='c2') column revenue" in out
    assert "Decimal('7.05')" in out and "Decimal('7.06')" in out


def test_doubles_are_compared_within_the_tolerance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    close = [ROWS[0], ("c2", "7.05", 1.0 / 3.0 + 1e-12, *ROWS[1][3:]), ROWS[2]]
    reference, spark_dir = _build(tmp_path / "close", close)
    code, out = _run(capsys, reference, spark_dir, _manifest(tmp_path / "m.json", ["customer_id"]))
    assert code == 0, out

    far = [ROWS[0], ("c2", "7.05", 1.0 / 3.0 + 1e-6, *ROWS[1][3:]), ROWS[2]]
    reference, spark_dir = _build(tmp_path / "far", far)
    code, out = _run(capsys, reference, spark_dir, _manifest(tmp_path / "m.json", ["customer_id"]))
    assert code == 1
    assert "key (customer_id='c2') column repeat_rate" in out


def test_dates_timestamps_and_nulls_must_match(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    planted = [ROWS[0], ROWS[1], ("c3", "0.00", None, "2024-03-01", None)]
    reference, spark_dir = _build(tmp_path, planted)
    code, out = _run(capsys, reference, spark_dir, _manifest(tmp_path / "m.json", ["customer_id"]))
    assert code == 1
    assert "key (customer_id='c3') column first_purchase_date: DuckDB None" in out


def test_missing_and_extra_keys_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reference, spark_dir = _build(tmp_path, [ROWS[0], ROWS[2], ("c9", "1.00", 0.5, None, None)])
    code, out = _run(capsys, reference, spark_dir, _manifest(tmp_path / "m.json", ["customer_id"]))
    assert code == 1
    assert "key (customer_id='c2') only in DuckDB [2 differing key(s)]" in out


def test_composite_key_from_unique_combination_of_columns(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    planted = [ROWS[0], ("c2", "7.05", 0.5, *ROWS[1][3:]), ROWS[2]]
    reference, spark_dir = _build(tmp_path, planted)
    manifest = _manifest(tmp_path / "m.json", ["customer_id", "first_purchase_date"])
    code, out = _run(capsys, reference, spark_dir, manifest)
    assert code == 1
    assert "customer_id, first_purchase_date" in out
    assert "key (customer_id='c2', first_purchase_date=datetime.date(2024, 2, 29)) column repeat_rate" in out


def test_without_a_key_rows_are_compared_as_multisets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    planted = [ROWS[0], ("c2", "7.05", *ROWS[1][2:]), ROWS[1]]
    reference, spark_dir = _build(tmp_path, planted)
    code, out = _run(capsys, reference, spark_dir, None)
    assert code == 1
    assert "(all columns)" in out and "only in" in out


def test_a_table_missing_on_spark_fails_unless_disabled_there(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    reference, spark_dir = _build(tmp_path, ROWS, duckdb_tables=("mart_a", "mart_py"))
    code, out = _run(capsys, reference, spark_dir, _manifest(tmp_path / "m.json", ["customer_id"]))
    assert code == 1
    assert "marts.mart_py: table missing in the Spark build" in out

    code, out = _run(capsys, reference, spark_dir,
                     _manifest(tmp_path / "m2.json", ["customer_id"], disabled=["mart_py"]))
    assert code == 0, out
    assert "skipped: model disabled on Spark" in out


def test_duckdb_only_columns_must_be_null_on_spark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A column computed only on DuckDB (meta crm_duckdb_only) is skipped, but Spark must leave it null."""
    spark_rows = [(customer, revenue, None, day, at) for customer, revenue, _, day, at in ROWS]
    reference, spark_dir = _build(tmp_path, spark_rows)
    code, out = _run(capsys, reference, spark_dir, _manifest(tmp_path / "m.json", ["customer_id"]))
    assert code == 1 and "column repeat_rate" in out  # unmarked: a real difference

    manifest = _manifest(tmp_path / "m2.json", ["customer_id"])
    data = json.loads(manifest.read_text())
    data["nodes"]["model.p.mart_a"]["columns"] = {"repeat_rate": {"name": "repeat_rate",
                                                                  "meta": {"crm_duckdb_only": True}}}
    manifest.write_text(json.dumps(data))
    code, out = _run(capsys, reference, spark_dir, manifest)
    assert code == 0, out
    assert "DuckDB-only column repeat_rate not compared" in out

    filled_reference, filled_spark = _build(tmp_path / "filled", [ROWS[0], *spark_rows[1:]])
    code, out = _run(capsys, filled_reference, filled_spark, manifest)
    assert code == 1
    assert "DuckDB-only column repeat_rate has 1 non-null value(s) on Spark" in out


def test_portability_scan_flags_duckdb_only_syntax(tmp_path: Path) -> None:
    compiled = tmp_path / "compiled"
    (compiled / "models").mkdir(parents=True)
    (compiled / "models" / "clean.sql").write_text(
        "-- a comment with x::int\nselect cast(a as int) as a, 'b::c' as b, `odd::name` from t\n"
    )
    (compiled / "models" / "bad.sql").write_text("select\n    a::int as a\nfrom t\n")
    (compiled / "models" / "windowed.sql").write_text("select * from t qualify row_number() over () = 1\n")
    problems = spark_parity.scan_portability(compiled)
    assert problems == [
        "models/bad.sql:2: a `::` cast (use cast(x as type)): `::`",
        "models/windowed.sql:1: QUALIFY (filter on the window in an outer CTE): `qualify`",
    ]


def _spark_available() -> bool:
    return shutil.which("java") is not None and importlib.util.find_spec("pyspark") is not None


@pytest.mark.skipif(not _spark_available(), reason="needs Java and pyspark (make venv-spark)")
def test_duckdb_only_sql_fails_on_spark(tmp_path: Path) -> None:
    """A copy of the project with probe models, run on local Spark: DuckDB-only SQL fails the run."""
    project = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR, project,
        ignore=shutil.ignore_patterns(".venv*", ".git", "target", "target-*", "warehouse", "logs", "__pycache__",
                                      ".pytest_cache", "python"),
    )
    probes = project / "models" / "portability_probes"
    probes.mkdir()
    (probes / "probe_portable.sql").write_text("select cast('2024-01-31' as date) as probe_date\n")
    (probes / "probe_strftime.sql").write_text("select strftime(current_date, '%Y-%m') as probe_month\n")
    (probes / "probe_double_colon.sql").write_text("select 1::int as probe_value\n")
    env = dict(os.environ)
    env.update({"DBT_PROFILES_DIR": str(project / "profiles"), "CRM_TARGET": "spark",
                "CRM_SPARK_DIR": str(tmp_path / "spark"), "CRM_SPARK_CATALOG": "in-memory",
                "SPARK_LOCAL_IP": "127.0.0.1"})
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "--select", "path:models/portability_probes",
         "--target-path", str(tmp_path / "target")],
        cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0, output
    assert "OK created sql view model main.probe_portable" in output, output[-3000:]
    assert "ERROR creating sql view model main.probe_strftime" in output, output[-3000:]
    problems = spark_parity.scan_portability(tmp_path / "target" / "compiled")
    assert any("probe_double_colon.sql" in problem and "::" in problem for problem in problems), problems
