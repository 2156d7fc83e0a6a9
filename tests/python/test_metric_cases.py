"""The metric macros' tests (models/metric_tests on seeds/metric_cases) run in the test
builds only (issue 20, item 6): CRM_METRIC_TESTS=true enables them (make test-dbt, lint,
test-spark); without it (make build, scripts/publish.py) they are not in the project, so
not in the published warehouse where BI tools read. A wrong metric still fails the build.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

import dbt_artifacts
from conftest import run_dbt

METRIC_MODELS = {path.stem for path in (Path(__file__).resolve().parents[2] / "models" / "metric_tests").glob("*.sql")}
METRIC_SEEDS = {path.stem for path in (Path(__file__).resolve().parents[2] / "seeds" / "metric_cases").glob("*.csv")}


def test_the_published_build_leaves_the_metric_tests_out(tmp_path: Path) -> None:
    """What `make build` builds (CRM_METRIC_TESTS unset): no metric test model or seed."""
    assert len(METRIC_MODELS) >= 9 and len(METRIC_SEEDS) >= 10
    result = run_dbt(["ls", "--resource-type", "model", "--resource-type", "seed", "--output", "name", "--quiet"],
                     tmp_path / "w.duckdb", env={"CRM_METRIC_TESTS": ""})
    assert result.returncode == 0, result.output
    published = {line.strip() for line in result.output.splitlines() if line.strip()}
    assert "customer_rfm" in published
    assert not published & (METRIC_MODELS | METRIC_SEEDS), sorted(published & (METRIC_MODELS | METRIC_SEEDS))


def test_the_test_build_checks_every_metric_test_model() -> None:
    """make test-dbt's manifest: each metric test model carries its is_match test."""
    manifest = dbt_artifacts.load("manifest.json")
    checked = {
        node["attached_node"].rsplit(".", 1)[-1]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and (node.get("test_metadata") or {}).get("name") == "expression_is_true"
        and (node["test_metadata"].get("kwargs") or {}).get("expression") == "is_match" and node.get("attached_node")
        and node["config"].get("enabled", True)
    }
    assert METRIC_MODELS <= checked, sorted(METRIC_MODELS - checked)


def test_a_wrong_metric_fails_the_build(tmp_path: Path) -> None:
    """With CRM_METRIC_TESTS=true: aov's test passes on the hand-computed values and fails once one
    expected value is off by a cent (the test compares the macro's output with the seed)."""
    db_path = tmp_path / "metric.duckdb"
    env = {"CRM_METRIC_TESTS": "true"}
    built = run_dbt(["build", "--select", "+metric_test_aov"], db_path, env=env)
    assert built.returncode == 0, built.output
    with duckdb.connect(str(db_path)) as connection:
        (schema,) = connection.execute(
            "select table_schema from information_schema.tables where table_name = 'metric_cases_expected_aov'"
        ).fetchone()
        connection.execute(
            f"update {schema}.metric_cases_expected_aov set aov = aov + 0.01"
            " where call_id = 'month' and case_id = 'same_day' and period_start = date '2023-12-01'"
        )
    rerun = run_dbt(["build", "--select", "metric_test_aov"], db_path, env=env)
    assert rerun.returncode != 0, rerun.output
    assert "FAIL 1 expression_is_true_metric_test_aov_is_match" in rerun.output, rerun.output
