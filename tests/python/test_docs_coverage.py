"""Documentation coverage (issue 11): no model or column of the warehouse is undocumented.

Reads the dbt artefacts that `make test-dbt` writes next to the test warehouse
(`dbt build` then `dbt docs generate`, target path $CRM_DBT_TARGET_PATH, default
target/test): manifest.json (descriptions from the yml files, doc blocks rendered)
and catalog.json (what `dbt docs generate` found in the warehouse). The columns
themselves come from the warehouse under test (information_schema), so a column
a model gained without a yml entry fails here even when the yml never mentions it.

Scope: every enabled model of every layer (staging, intermediate, marts,
metric_tests, semantic); a description must say more than the name it
describes. Marts are the public surface, so their descriptions must also be in
the DuckDB file as table and column comments (persist_docs), where BI tools read
them. Seeds are configuration and test fixtures, not models: out of scope. The
exposures (the CRM dashboard, a sample BI dashboard) must name marts only, and the
dashboard's exposure exactly the marts dashboards/export_data.py reads.
"""

from __future__ import annotations

import re

import pytest

import dbt_artifacts
from conftest import PROJECT_DIR

# Words that carry no meaning of their own in a description.
FILLER_WORDS = {"the", "a", "an", "of", "its", "this", "id", "identifier"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return dbt_artifacts.load("manifest.json")


@pytest.fixture(scope="module")
def catalog() -> dict:
    return dbt_artifacts.load("catalog.json")


@pytest.fixture(scope="module")
def models(manifest) -> dict[str, dict]:
    """Enabled models of this project, by name."""
    found = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "crm_warehouse"
    }
    assert found, "the manifest has no models"
    return found


@pytest.fixture(scope="module")
def warehouse_columns(warehouse) -> dict[tuple[str, str], list[str]]:
    """(schema, relation) -> column names in ordinal order, from the warehouse itself."""
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in warehouse.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
        " order by table_schema, table_name, ordinal_position"
    ).fetchall():
        columns.setdefault((schema, table), []).append(column)
    return columns


def _is_mart(node: dict) -> bool:
    return node["original_file_path"].startswith("models/marts/")


def _relation_columns(node: dict, warehouse_columns: dict) -> list[str]:
    key = (node["schema"], node["alias"])
    if key not in warehouse_columns:
        pytest.fail(
            f"model {node['name']} is in the manifest but {key[0]}.{key[1]} is not in the warehouse: "
            "the manifest and the warehouse come from different builds"
        )
    return warehouse_columns[key]


def _described(node: dict) -> dict[str, str]:
    return {name.lower(): (column.get("description") or "").strip() for name, column in node["columns"].items()}


def test_every_model_has_a_description(models) -> None:
    missing = sorted(name for name, node in models.items() if not node["description"].strip())
    assert not missing, f"models without a description: {missing}"


def test_every_column_in_the_warehouse_is_documented(models, warehouse_columns) -> None:
    missing = []
    for name, node in sorted(models.items()):
        described = _described(node)
        missing += [
            f"{node['original_file_path']}: {name}.{column}"
            for column in _relation_columns(node, warehouse_columns)
            if not described.get(column.lower())
        ]
    assert not missing, "columns without a description in the models' yml:\n" + "\n".join(missing)


def test_no_description_names_a_column_that_does_not_exist(models, warehouse_columns) -> None:
    stale = []
    for name, node in sorted(models.items()):
        actual = {column.lower() for column in _relation_columns(node, warehouse_columns)}
        stale += [f"{name}.{column}" for column in _described(node) if column not in actual]
    assert not stale, f"yml documents columns the relations do not have: {stale}"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower().replace("_", " "))) - FILLER_WORDS


def test_descriptions_say_more_than_the_name(models) -> None:
    """'The campaign.' on campaign_id or 'Campaign name.' on campaign_name documents nothing."""
    restated = []
    for name, node in sorted(models.items()):
        if _words(node["description"]) <= _words(name):
            restated.append(name)
        restated += [
            f"{name}.{column}: {description!r}"
            for column, description in _described(node).items()
            if _words(description) <= _words(column)
        ]
    assert not restated, "descriptions that only restate the name:\n" + "\n".join(restated)


def test_docs_generate_catalogued_every_model(models, catalog) -> None:
    catalogued = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    missing = sorted({node["alias"] for node in models.values()} - catalogued)
    assert not missing, f"catalog.json (dbt docs generate) lacks: {missing}"
    assert not catalog.get("errors"), catalog["errors"]


def test_mart_descriptions_are_duckdb_comments(models, warehouse) -> None:
    """persist_docs writes every mart's descriptions into the file (COMMENT ON)."""
    tables = dict(
        warehouse.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
    )
    columns = {
        (table, column): comment
        for table, column, comment in warehouse.execute(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts'"
        ).fetchall()
    }
    marts = {name: node for name, node in models.items() if _is_mart(node)}
    assert marts and set(tables) >= {node["alias"] for node in marts.values()}
    wrong = []
    for name, node in sorted(marts.items()):
        if (tables[node["alias"]] or "").strip() != node["description"].strip():
            wrong.append(f"{name} (table comment)")
        described = _described(node)
        wrong += [
            f"{name}.{column}"
            for (table, column), comment in columns.items()
            if table == node["alias"] and (comment or "").strip() != described.get(column.lower(), "")
        ]
    assert not wrong, f"mart comments in the warehouse differ from the yml descriptions: {wrong}"


def test_catalog_shows_the_mart_comments(models, catalog) -> None:
    """What dbt docs and catalog-reading BI tools see: the comment, not a blank."""
    blank = [
        node["name"]
        for node in models.values()
        if _is_mart(node) and not (catalog["nodes"].get(node["unique_id"], {}).get("metadata", {}).get("comment"))
    ]
    assert not blank, f"marts without a table comment in catalog.json: {sorted(blank)}"


def test_exposures_declare_their_marts_and_owner(manifest, models) -> None:
    exposures = {node["name"]: node for node in manifest["exposures"].values()}
    assert {"crm_dashboard", "crm_weekly_kpi_dashboard"} <= set(exposures)
    mart_ids = {node["unique_id"] for node in models.values() if _is_mart(node)}
    for name, exposure in exposures.items():
        assert exposure["description"].strip() and exposure["owner"]["email"], name
        depends = set(exposure["depends_on"]["nodes"])
        assert depends and depends <= mart_ids, f"{name} depends on non-marts: {sorted(depends - mart_ids)}"


def test_dashboard_exposure_lists_every_mart_the_dashboard_reads(manifest, models) -> None:
    """dashboards/export_data.py reads marts by name (`marts.<mart>`): the exposure declares exactly those."""
    export = PROJECT_DIR / "dashboards" / "export_data.py"
    marts = {node["alias"] for node in models.values() if _is_mart(node)}
    read = set(re.findall(r"marts\.\"?([a-z_0-9]+)", export.read_text())) & marts
    assert read, "dashboards/export_data.py names no mart as marts.<name>: the check below would prove nothing"
    exposure = next(node for node in manifest["exposures"].values() if node["name"] == "crm_dashboard")
    declared = {manifest["nodes"][uid]["alias"] for uid in exposure["depends_on"]["nodes"]}
    assert read == declared, (
        f"crm_dashboard exposure out of date: the export reads but it lacks {sorted(read - declared)}, "
        f"it declares but the export does not read {sorted(declared - read)}"
    )
