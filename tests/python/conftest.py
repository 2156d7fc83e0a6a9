"""Shared pytest fixtures.

The warehouse under test is the DuckDB file built by `make test-dbt`
(CRM_DUCKDB_PATH); tests open it read-only. Tests that need another build
(bad inputs, a minimal orders file) run dbt in a subprocess into a temporary
DuckDB file of their own with `run_dbt`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
SEEDS_DIR = PROJECT_DIR / "seeds"
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
DBT = Path(sys.executable).parent / "dbt"


@dataclass
class DbtResult:
    """Outcome of one dbt invocation."""

    returncode: int
    output: str
    db_path: Path

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.db_path), read_only=True)


def run_dbt(
    args: list[str],
    db_path: Path,
    dbt_vars: dict[str, object] | None = None,
    timeout: int = 900,
    env: dict[str, str] | None = None,
) -> DbtResult:
    """Run `dbt <args>` against its own DuckDB file, target path and log path (runs
    that share logs/dbt.log race on its rotation when they run concurrently)."""
    env = {**os.environ, **(env or {})}
    env["DBT_PROFILES_DIR"] = str(PROJECT_DIR / "profiles")
    env["CRM_DUCKDB_PATH"] = str(db_path)
    env["CRM_TARGET"] = "duckdb"
    env["CRM_DUCKDB_TEMP_DIR"] = str(db_path.parent / ".tmp")
    command = [
        str(DBT), *args,
        "--target-path", str(db_path.parent / "target"),
        "--log-path", str(db_path.parent / "logs"),
    ]
    if dbt_vars:
        rendered = ", ".join(f"{key}: {_yaml_scalar(value)}" for key, value in dbt_vars.items())
        command += ["--vars", "{" + rendered + "}"]
    completed = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return DbtResult(completed.returncode, completed.stdout + completed.stderr, db_path)


def _yaml_scalar(value: object) -> str:
    """Quote a var value for dbt's YAML --vars (single quotes, doubled inside; a mapping as a flow mapping)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_yaml_scalar(item)}" for key, item in value.items()) + "}"
    return "'" + str(value).replace("'", "''") + "'"


@pytest.fixture(scope="session")
def warehouse_path() -> Path:
    path = Path(os.environ.get("CRM_DUCKDB_PATH", PROJECT_DIR / "warehouse" / "test.duckdb"))
    if not path.is_absolute():
        path = PROJECT_DIR / path
    if not path.exists():
        pytest.fail(f"warehouse {path} not built: run `make test-dbt` first")
    return path


@pytest.fixture(scope="session")
def warehouse(warehouse_path: Path):
    connection = duckdb.connect(str(warehouse_path), read_only=True)
    yield connection
    connection.close()
