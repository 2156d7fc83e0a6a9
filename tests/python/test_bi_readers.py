"""Readers BI tools bundle open the warehouse (issue 22, item 2).

- The file is written in DuckDB 1.4's storage format (profile setting
  storage_compatibility_version), so a DuckDB 1.4 client opens it: a separate
  virtualenv with duckdb==1.4.5 (the latest 1.4 release; cached under
  .venv/compat-duckdb-<version>, created once, about 10 s) queries a mart and must
  get what this project's DuckDB gets.
- The README's SQLAlchemy recipe (duckdb-engine, SQLAlchemy pinned in
  requirements-dev.txt) reflects a mart's columns with inspect().get_columns()
  while another process holds the file read-only, both URL forms of the README.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR

COMPAT_DUCKDB = os.environ.get("CRM_COMPAT_DUCKDB_VERSION", "1.4.5")
COMPAT_VENV = Path(os.environ.get("CRM_COMPAT_VENV", Path(sys.prefix) / f"compat-duckdb-{COMPAT_DUCKDB}"))
QUERY = "select rfm_segment, count(*) as customers, sum(monetary) as monetary from marts.customer_rfm group by 1 order by 1"
HOLDER = r"""
import sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
connection.execute("select 1").fetchone()
print("holding", flush=True)
sys.stdin.read()
"""


@pytest.fixture(scope="session")
def compat_python() -> Path:
    """python of a virtualenv with only duckdb==COMPAT_DUCKDB (created once, then reused)."""
    python = COMPAT_VENV / "bin" / "python"
    marker = COMPAT_VENV / ".complete"
    if not marker.exists():
        shutil.rmtree(COMPAT_VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(COMPAT_VENV)], check=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        f"duckdb=={COMPAT_DUCKDB}"], check=True, timeout=600)
        marker.touch()
    return python


@pytest.fixture
def held(warehouse_path: Path) -> Iterator[Path]:
    """The warehouse with a read-only reader in another process, as a BI tool keeps it."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(warehouse_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    yield warehouse_path
    assert holder.stdin is not None
    holder.stdin.close()
    holder.wait(timeout=30)


def test_the_file_is_in_duckdb_1_4_storage_format(warehouse: duckdb.DuckDBPyConnection) -> None:
    tags = warehouse.execute(
        "select tags from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]
    assert tags.get("storage_version", "").startswith("v1.4.0"), tags


def test_a_duckdb_1_4_client_reads_a_mart(compat_python: Path, held: Path,
                                          warehouse: duckdb.DuckDBPyConnection) -> None:
    script = (
        "import duckdb, json, sys\n"
        "connection = duckdb.connect(sys.argv[1], read_only=True)\n"
        "rows = connection.execute(sys.argv[2]).fetchall()\n"
        "print(json.dumps({'version': duckdb.__version__, 'rows': [[str(v) for v in row] for row in rows]}))\n"
    )
    result = subprocess.run([str(compat_python), "-c", script, str(held), QUERY],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout)
    assert answer["version"] == COMPAT_DUCKDB
    expected = [[str(v) for v in row] for row in warehouse.execute(QUERY).fetchall()]
    assert answer["rows"] == expected and expected


@pytest.mark.parametrize(
    "engine",
    [
        'create_engine(f"duckdb:///{path}?access_mode=read_only")',
        'create_engine(f"duckdb:///{path}", connect_args={"read_only": True})',
    ],
    ids=["url_access_mode", "connect_args_read_only"],
)
def test_sqlalchemy_recipe_reflects_columns(held: Path, warehouse: duckdb.DuckDBPyConnection, engine: str) -> None:
    script = (
        "import json, sys\n"
        "from sqlalchemy import create_engine, inspect, text\n"
        "path = sys.argv[1]\n"
        f"engine = {engine}\n"
        "columns = inspect(engine).get_columns('customer_rfm', schema='marts')\n"
        "tables = inspect(engine).get_table_names(schema='marts')\n"
        "with engine.connect() as connection:\n"
        "    count = connection.execute(text('select count(*) from marts.customer_rfm')).scalar()\n"
        "print(json.dumps({'columns': [c['name'] for c in columns], 'tables': tables, 'count': count}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(held.resolve())],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout)
    expected_columns = [row[0] for row in warehouse.execute(
        "select column_name from information_schema.columns where table_schema = 'marts'"
        " and table_name = 'customer_rfm' order by ordinal_position").fetchall()]
    assert answer["columns"] == expected_columns
    assert "customer_rfm" in answer["tables"] and "kpi_weekly" in answer["tables"]
    assert answer["count"] == warehouse.execute("select count(*) from marts.customer_rfm").fetchone()[0]
