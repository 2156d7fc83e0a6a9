"""The read-only dbt target (issue 22, item 1): while another process holds the
warehouse open read-only (as a BI tool does), `dbt show`, `dbt compile` of an
analysis, `dbt docs generate --static` and `mf query` work with CRM_TARGET=readonly,
and the read-write target still fails (so the reader really holds the file).

DuckDB locks are per process: the reader runs in a subprocess for the whole module.
Expected values are read from the warehouse with plain SQL, not through dbt.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR

BIN = Path(sys.executable).parent
HOLDER = r"""
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
connection.execute("select count(*) from marts.customer_rfm").fetchone()
print("holding", flush=True)
sys.stdin.read()  # until the test closes stdin
"""


@pytest.fixture(scope="module")
def held_warehouse(warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the test warehouse named crm.duckdb (the published name), held open by a reader process."""
    root = tmp_path_factory.mktemp("readonly")
    path = root / "crm.duckdb"
    shutil.copyfile(warehouse_path, path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    yield path
    assert holder.stdin is not None
    holder.stdin.close()
    holder.wait(timeout=30)


def _env(path: Path, root: Path, target: str) -> dict[str, str]:
    return dict(os.environ, DBT_PROFILES_DIR=str(PROJECT_DIR / "profiles"), CRM_DUCKDB_PATH=str(path),
                CRM_TARGET=target, DBT_PROJECT_DIR=str(root), CRM_DUCKDB_TEMP_DIR=str(root / ".tmp"))


def _run(command: Sequence[str], path: Path, root: Path, target: str = "readonly") -> subprocess.CompletedProcess:
    return subprocess.run(list(command), cwd=root, env=_env(path, root, target), capture_output=True, text=True,
                          timeout=900, check=False)


@pytest.fixture(scope="module")
def project_root(held_warehouse: Path) -> Path:
    """A project root of its own (dbt_project.yml and the project folders linked) so target/ and
    logs/ stay private; `mf` reads <root>/target/semantic_manifest.json."""
    root = held_warehouse.parent / "project"
    root.mkdir()
    for name in ("dbt_project.yml", "models", "macros", "seeds", "tests", "analyses"):
        (root / name).symlink_to(PROJECT_DIR / name)
    return root


def test_read_write_target_fails_while_a_reader_holds_the_file(held_warehouse: Path, project_root: Path) -> None:
    # the premise: without the read-only target the same command cannot open the file
    shown = _run([str(BIN / "dbt"), "show", "--inline", "select 1 as one"], held_warehouse, project_root, "duckdb")
    assert shown.returncode != 0
    assert "lock" in (shown.stdout + shown.stderr).lower()


def test_dbt_show_and_compile_with_the_readonly_target(held_warehouse: Path, project_root: Path) -> None:
    with duckdb.connect(str(held_warehouse), read_only=True) as connection:
        expected = connection.execute(
            "select count(*), sum(monetary) from marts.customer_rfm where rfm_segment is not null"
        ).fetchone()
    shown = _run([str(BIN / "dbt"), "show", "--output", "json", "--log-format", "json", "--inline",
                  "select count(*) as n, sum(monetary) as m from {{ ref('customer_rfm') }} where rfm_segment is not null"],
                 held_warehouse, project_root)
    assert shown.returncode == 0, (shown.stdout + shown.stderr)[-3000:]
    preview = None
    for line in shown.stdout.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("data", {}).get("preview"):
            preview = json.loads(event["data"]["preview"])
    assert preview is not None, shown.stdout[-3000:]
    assert preview[0]["n"] == expected[0]
    assert abs(float(preview[0]["m"]) - float(expected[1])) < 0.005

    compiled = _run([str(BIN / "dbt"), "compile", "--select", "resource_type:analysis"], held_warehouse, project_root)
    assert compiled.returncode == 0, (compiled.stdout + compiled.stderr)[-3000:]
    analyses = list((project_root / "target" / "compiled").rglob("analyses/*.sql"))
    assert analyses, "no analysis compiled"
    # the compiled SQL runs on any read-only connection to the file (catalog name crm)
    with duckdb.connect(str(held_warehouse), read_only=True) as connection:
        for analysis in analyses:
            connection.execute(analysis.read_text()).fetchall()


def test_docs_generate_static_with_the_readonly_target(held_warehouse: Path, project_root: Path) -> None:
    out = project_root / "docs_site"
    result = subprocess.run(
        ["make", "--no-print-directory", "docs", f"CRM_DUCKDB_PATH={held_warehouse}", f"DOCS_TARGET_PATH={out}",
         f"VENV={BIN.parent}"],
        cwd=PROJECT_DIR, env=dict(os.environ, CRM_DUCKDB_TEMP_DIR=str(project_root / ".tmp")),
        capture_output=True, text=True, timeout=900, check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    page = (out / "static_index.html").read_text()
    # self-contained: manifest and catalog inlined, so it opens from disk without a server
    assert '"customer_rfm"' in page and "marts" in page
    # the overview page written for CRM analysts (models/overview.md), not dbt's default text
    # (dbt's default overview stays in the manifest as doc.dbt.__overview__; the project's wins)
    assert '"doc.crm_warehouse.__overview__"' in page and "Where to start" in page


def test_mf_query_with_the_readonly_target(held_warehouse: Path, project_root: Path) -> None:
    parsed = _run([str(BIN / "dbt"), "parse"], held_warehouse, project_root)
    assert parsed.returncode == 0, (parsed.stdout + parsed.stderr)[-3000:]
    out = project_root / "buyers.csv"
    started = time.monotonic()
    queried = _run([str(BIN / "mf"), "query", "--metrics", "revenue,buyers", "--group-by", "metric_time__year",
                    "--csv", str(out)], held_warehouse, project_root)
    assert queried.returncode == 0, (queried.stdout + queried.stderr)[-3000:]
    assert time.monotonic() - started < 900
    import pandas as pd

    answered = pd.read_csv(out)
    answered["year"] = pd.to_datetime(answered["metric_time__year"]).dt.year
    with duckdb.connect(str(held_warehouse), read_only=True) as connection:
        expected = connection.execute(
            "select year(purchase_date) as year, count(distinct customer_id) as buyers from marts.orders"
            " where is_purchase group by 1 order by 1"
        ).df()
    merged = expected.merge(answered, on="year", suffixes=("_expected", ""))
    assert len(merged) == len(expected) > 0
    assert (merged["buyers_expected"] == merged["buyers"]).all(), merged.to_string()
