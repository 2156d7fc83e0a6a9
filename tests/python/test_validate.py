"""scripts/validate.py: the Great Expectations suites (checks across tables and the
published file's freshness) pass on the built warehouse and fail, naming the
expectation and the suite, on a corrupted copy."""

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
    """A copy of the warehouse with a duplicated customer, a cohort size that no longer adds up, a lost
    member, a dropped mart and a dropped intermediate table."""
    copy = tmp_path_factory.mktemp("corrupt") / "corrupt.duckdb"
    shutil.copyfile(warehouse_path, copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute("insert into marts.customer_rfm select * from marts.customer_rfm order by customer_id limit 1")
        connection.execute(
            "update marts.cohort_retention set cohort_size = cohort_size + 1"
            " where period_number = 0 and cohort_start = (select min(cohort_start) from marts.cohort_retention)"
        )
        connection.execute(
            "delete from marts.customer_lifecycle"
            " where customer_id = (select min(customer_id) from marts.customer_lifecycle where customer_type = 'prospect')"
        )
        connection.execute("drop table marts.kpi_weekly")
        connection.execute("drop table intermediate.int_purchases_filtered")
    return copy


def test_validate_passes_on_the_built_warehouse(warehouse_path: Path, tmp_path: Path) -> None:
    html = tmp_path / "docs.html"
    result = _validate(warehouse_path, html)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validate: PASSED" in result.stdout
    assert "Traceback" not in result.stderr
    page = html.read_text(encoding="utf-8")
    assert "PASSED" in page and "customer_rfm_has_one_row_per_customer" in page
    assert "cohort_sizes_add_up_to_customers" in page and "skipped" not in result.stdout


def test_validate_fails_naming_each_broken_expectation(corrupted: Path, tmp_path: Path) -> None:
    html = tmp_path / "docs.html"
    result = _validate(corrupted, html)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
    expected = {
        "customer_rfm_has_one_row_per_customer": "expect_column_pair_values_to_be_equal(column_A='rfm_rows'",
        "rfm_segment_summary_adds_up_to_customers": "expect_column_pair_values_to_be_equal(",
        "cohort_sizes_add_up_to_customers": "expect_column_pair_values_to_be_equal(column_A='cohort_customers'",
        "customer_lifecycle_covers_every_member_and_customer": "expect_column_pair_values_to_be_equal(",
        # an intermediate table a check reads is gone: the suite is out of date, a failure
        "every_purchase_is_in_orders": "requires() -- intermediate.int_purchases_filtered not in the warehouse",
    }
    for suite, text in expected.items():
        assert any(line.startswith(f"FAILED {suite}: {text}") for line in failed), (suite, failed)
    # a mart missing from the file is skipped with a note, not failed
    assert "skipped kpi_weekly_reaches_as_of_date: needs marts.kpi_weekly" in result.stdout
    assert not any(line.startswith("FAILED kpi_weekly_reaches_as_of_date") for line in failed)
    assert "FAILED" in html.read_text(encoding="utf-8")


def test_validate_runs_mart_suites(warehouse_path: Path, tmp_path: Path) -> None:
    """A distribution check on a whole mart (the optional `marts` section) fails when its bounds are wrong."""
    suites = tmp_path / "suites.yml"
    suites.write_text(
        "version: 1\n"
        "marts:\n"
        "  cohort_retention:\n"
        "    - expect_column_mean_to_be_between: {column: retention_rate, min_value: 0, max_value: 1}\n"
        "  customer_lifecycle:\n"
        "    - expect_column_proportion_of_unique_values_to_be_between: {column: lifecycle_stage, min_value: 0.5}\n",
        encoding="utf-8",
    )
    result = _validate(warehouse_path, tmp_path / "docs.html", "--suites", str(suites))
    assert result.returncode == 1, result.stdout + result.stderr
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
    assert failed == [line for line in failed if line.startswith("FAILED customer_lifecycle: "
                                                                  "expect_column_proportion_of_unique_values")], failed
    assert len(failed) == 1 and "1 of 2 expectations passed" in result.stdout


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
