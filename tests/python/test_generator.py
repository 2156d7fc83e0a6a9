"""The data generator: deterministic, and its Parquet output builds through the file vars."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import PROJECT_DIR, run_dbt

INPUTS = ["orders", "members", "order_items", "stores", "campaigns", "campaign_contacts", "member_events"]


def _generate(out: Path, file_format: str, seed: int = 7) -> None:
    subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "generate_data.py"), "--out", str(out),
         "--format", file_format, "--members", "400", "--orders", "3000", "--seed", str(seed)],
        check=True, capture_output=True, text=True,
    )


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    _generate(tmp_path / "a", "csv")
    _generate(tmp_path / "b", "csv")
    for name in INPUTS:
        first = (tmp_path / "a" / f"raw_{name}.csv").read_bytes()
        assert first == (tmp_path / "b" / f"raw_{name}.csv").read_bytes(), name
        assert len(first) > 0


def test_other_seed_gives_other_data(tmp_path: Path) -> None:
    _generate(tmp_path / "a", "csv", seed=7)
    _generate(tmp_path / "b", "csv", seed=8)
    assert (tmp_path / "a" / "raw_orders.csv").read_bytes() != (tmp_path / "b" / "raw_orders.csv").read_bytes()


@pytest.fixture(scope="module")
def parquet_build(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("parquet_data")
    _generate(data, "parquet")
    dbt_vars = {f"raw_{name}": str(data / f"raw_{name}.parquet") for name in INPUTS}
    result = run_dbt(["build", "--select", "+intermediate", "staging", "--indirect-selection", "cautious"], data / "w.duckdb", dbt_vars)
    assert result.returncode == 0, result.output[-5000:]
    return data, result


def test_parquet_inputs_build_and_lose_nothing(parquet_build) -> None:
    data, result = parquet_build
    with result.connect() as connection:
        accounting = dict(connection.execute("select input_name, rows_in from staging.row_accounting").fetchall())
        orders = connection.execute("select count(*) from staging.stg_crm__orders").fetchone()[0]
    for name in INPUTS:
        assert accounting[name] == pq.read_metadata(data / f"raw_{name}.parquet").num_rows, name
    assert orders > 0
