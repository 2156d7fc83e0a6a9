"""scripts/compare_marts.py and scripts/dag_stats.py (issue 20, item 9) on hand-made inputs:
a tiny DuckDB warehouse and a tiny manifest, with the expected answers written out."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import duckdb

from conftest import PROJECT_DIR

COMPARE = PROJECT_DIR / "scripts" / "compare_marts.py"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, PROJECT_DIR / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _warehouse(path: Path, rate: float = 0.25, extra_row: bool = False, drop_column: bool = False) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        connection.execute("create schema staging")
        connection.execute("create table staging.hidden as select 1 as x")
        connection.execute("create table marts.rates (key varchar, buyers integer, rate double)")
        connection.execute("insert into marts.rates values ('a', 1, 0.5), ('b', 2, ?)", [rate])
        if extra_row:
            connection.execute("insert into marts.rates values ('b', 2, 0.25)")
        columns = "key, buyers" if drop_column else "key, buyers, rate"
        connection.execute(f"create table marts.copy as select {columns} from marts.rates")
    return path


def _compare(tmp_path: Path, before: Path, after: Path, *extra: str) -> subprocess.CompletedProcess:
    snapshots = []
    for warehouse in (before, after):
        out = tmp_path / f"snap_{warehouse.stem}"
        subprocess.run([sys.executable, str(COMPARE), "snapshot", "--warehouse", str(warehouse), "--out", str(out)],
                       check=True, capture_output=True, text=True)
        snapshots.append(out)
    return subprocess.run([sys.executable, str(COMPARE), "compare", "--before", str(snapshots[0]),
                           "--after", str(snapshots[1]), *extra], capture_output=True, text=True, check=False)


def test_compare_marts_identical(tmp_path: Path) -> None:
    result = _compare(tmp_path, _warehouse(tmp_path / "a.duckdb"), _warehouse(tmp_path / "b.duckdb"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["marts.copy: identical", "marts.rates: identical",
                                          "compare_marts: 2 of 2 tables identical"]


def test_compare_marts_names_each_difference(tmp_path: Path) -> None:
    before = _warehouse(tmp_path / "a.duckdb")
    after = _warehouse(tmp_path / "b.duckdb", rate=0.25 + 1e-12, extra_row=True, drop_column=True)
    result = _compare(tmp_path, before, after)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == ("marts.copy: DIFFERENT: columns removed: rate; rows 2 -> 3; "
                        "0 rows only before, 1 rows only after (over the 2 common columns)")
    assert lines[1] == ("marts.rates: DIFFERENT: rows 2 -> 3; 0 rows only before, 1 rows only after "
                        "(over the 3 common columns); non-float columns differ too (1 rows): no float alignment")
    assert lines[-1] == "compare_marts: 0 of 2 tables identical, 2 different"


def test_compare_marts_float_tolerance_takes_rounding_only(tmp_path: Path) -> None:
    before = _warehouse(tmp_path / "a.duckdb")
    noisy = _compare(tmp_path, before, _warehouse(tmp_path / "b.duckdb", rate=0.25 + 1e-15))
    assert noisy.returncode == 1 and "float rate: 1 values differ, max abs diff" in noisy.stdout
    tolerated = _compare(tmp_path, before, _warehouse(tmp_path / "c.duckdb", rate=0.25 + 1e-15),
                         "--float-tolerance", "1e-9")
    assert tolerated.returncode == 0, tolerated.stdout
    assert "marts.rates: equal within --float-tolerance 1e-09" in tolerated.stdout
    real = _compare(tmp_path, before, _warehouse(tmp_path / "d.duckdb", rate=0.26), "--float-tolerance", "1e-9")
    assert real.returncode == 1 and "marts.rates: DIFFERENT" in real.stdout


def _model(name: str, folder: str, code: str, parents: list[str]) -> dict:
    return {"resource_type": "model", "name": name, "package_name": "p", "raw_code": code,
            "original_file_path": f"models/{folder}/{name}.sql", "config": {"enabled": True},
            "depends_on": {"nodes": parents, "macros": []}}


def test_dag_stats_counts_layers_macro_edges_and_chains() -> None:
    dag_stats = _load("dag_stats")
    manifest = {
        "metadata": {"project_name": "p"},
        "sources": {"source.p.crm.orders": {"resource_type": "source", "source_name": "crm", "name": "orders",
                                            "config": {"enabled": True}}},
        "nodes": {
            "seed.p.rules": {"resource_type": "seed", "name": "rules", "config": {"enabled": True}},
            "model.p.stg_orders": _model("stg_orders", "staging", "{{ source('crm', 'orders') }}",
                                         ["source.p.crm.orders"]),
            "model.p.int_orders": _model("int_orders", "intermediate", "{{ ref('stg_orders') }}",
                                         ["model.p.stg_orders"]),
            # stg_orders comes from a macro: not written in the code
            "model.p.mart_a": _model("mart_a", "marts", "{{ ref('int_orders') }} {{ as_of() }}",
                                     ["model.p.int_orders", "model.p.stg_orders"]),
            "model.p.mart_b": _model("mart_b", "marts", "{{ ref('mart_a') }} {{ ref(\"rules\") }}",
                                     ["model.p.mart_a", "seed.p.rules"]),
            "test.p.not_null_mart_a_x": {"resource_type": "test", "name": "t", "config": {"enabled": True},
                                         "test_metadata": {"name": "not_null"}},
            "test.p.disabled": {"resource_type": "test", "name": "d", "config": {"enabled": False},
                                "test_metadata": {"name": "unique"}},
        },
        "unit_tests": {"unit_test.p.mart_a.one": {}},
    }
    stats = dag_stats.analyse(manifest)
    assert stats.nodes == {("model", "staging"): 1, ("model", "intermediate"): 1, ("model", "marts"): 2,
                           ("seed", "-"): 1, ("source", "-"): 1}
    assert len(stats.edges) == 6
    assert [(edge.parent, edge.child) for edge in stats.edges if edge.from_macro] == [
        ("model.p.stg_orders", "model.p.mart_a")]
    assert stats.longest_chain == ["source.p.crm.orders", "model.p.stg_orders", "model.p.int_orders",
                                   "model.p.mart_a", "model.p.mart_b"]
    assert stats.longest_mart_chain == ["model.p.mart_a", "model.p.mart_b"]
    assert stats.marts_reading_staging == {"mart_a": ["stg_orders"]}
    assert stats.marts_reading_marts == {"mart_b": ["mart_a"]}
    assert dict(stats.data_tests) == {"not_null": 1} and stats.unit_tests == 1
    table = dag_stats.render(stats, manifest, "t")
    assert "| **all** | **6** | **1** |" in table and "| longest chain (edges) | 4 |" in table
