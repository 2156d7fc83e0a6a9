"""scripts/validate.py: Great Expectations suites on the marts pass on the built
warehouse and fail, naming the expectation and the mart, on a corrupted copy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR

VALIDATE = PROJECT_DIR / "scripts" / "validate.py"


def _validate(warehouse: Path, html: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(VALIDATE), "--warehouse", str(warehouse), "--html", str(html), *extra],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=600, check=False,
    )


@pytest.fixture(scope="module")
def corrupted(warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the warehouse with a duplicated key, a rate of 1.5, a lost member and a dropped mart."""
    copy = tmp_path_factory.mktemp("corrupt") / "corrupt.duckdb"
    shutil.copyfile(warehouse_path, copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute("insert into marts.customer_rfm select * from marts.customer_rfm order by customer_id limit 1")
        connection.execute(
            "update marts.cohort_retention set retention_rate = 1.5"
            " where period_number = 1 and cohort_start = (select min(cohort_start) from marts.cohort_retention)"
        )
        connection.execute(
            "delete from marts.customer_lifecycle"
            " where customer_id = (select min(customer_id) from marts.customer_lifecycle where customer_type = 'prospect')"
        )
        connection.execute("drop table if exists marts.kpi_lifecycle_weekly")
        connection.execute("drop table marts.stores")
    return copy


def test_validate_passes_on_the_built_warehouse(warehouse_path: Path, tmp_path: Path) -> None:
    html = tmp_path / "docs.html"
    result = _validate(warehouse_path, html)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validate: PASSED" in result.stdout
    assert "Traceback" not in result.stderr
    page = html.read_text(encoding="utf-8")
    assert "PASSED" in page and "customer_rfm" in page and "cohort_sizes_add_up_to_customers" in page


def test_validate_fails_naming_each_broken_expectation(corrupted: Path, tmp_path: Path) -> None:
    html = tmp_path / "docs.html"
    result = _validate(corrupted, html)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
    assert any(line.startswith("FAILED customer_rfm: expect_column_values_to_be_unique(column='customer_id'")
               for line in failed), failed
    assert any(line.startswith("FAILED cohort_retention: expect_column_values_to_be_between(column='retention_rate'")
               for line in failed), failed
    assert any(line.startswith("FAILED customer_lifecycle_covers_every_member_and_customer:") for line in failed), failed
    assert any(line.startswith("FAILED customer_rfm_has_one_row_per_customer:") for line in failed), failed
    # a mart missing from the file is skipped with a note, not failed
    assert "skipped stores: not in this warehouse" in result.stdout
    assert not any(line.startswith("FAILED stores") for line in failed)
    assert "FAILED" in html.read_text(encoding="utf-8")


def test_validate_checks_freshness_against_as_of_date(warehouse_path: Path, tmp_path: Path) -> None:
    result = _validate(warehouse_path, tmp_path / "docs.html", "--as-of-date", "2030-01-01")
    assert result.returncode == 1
    assert "FAILED fresh_as_of_as_of_date: expect_column_values_to_be_between(column='rfm_rows_with_other_as_of_date'" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--warehouse", "/nonexistent/w.duckdb"], "validate: warehouse /nonexistent/w.duckdb does not exist"),
        (["--as-of-date", "yesterday"], "--as-of-date 'yesterday' is not a date"),
    ],
)
def test_validate_setup_errors_are_clear(warehouse_path: Path, tmp_path: Path, args: list[str], message: str) -> None:
    command = [sys.executable, str(VALIDATE), "--warehouse", str(warehouse_path), "--html", str(tmp_path / "d.html"), *args]
    result = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
