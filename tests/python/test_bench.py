"""The benchmark harness (scripts/bench.py): its baselines compute the marts' numbers.

At a tiny scale, the hand-written DuckDB script and the pandas implementation must give
exactly the numbers of the core marts built by dbt from the same Parquet files, so the
timing comparison in docs/benchmarks.md compares equal work. No timings are asserted.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR, run_dbt


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, PROJECT_DIR / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bench = _load("bench")
bench_pandas = _load("bench_pandas")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    """Generated Parquet inputs (with the generator's bad rows) and the core marts built on them."""
    root = tmp_path_factory.mktemp("bench")
    data = root / "data"
    subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "generate_data.py"), "--out", str(data), "--format",
         "parquet", "--members", "600", "--orders", "5000", "--seed", "11", "--dirty-share", "0.005"],
        check=True, capture_output=True, text=True,
    )
    dbt_vars = {f"raw_{name}": path for name, path in bench.input_paths(data).items()}
    select = ["--select", *(f"+{mart}" for mart in bench.CORE_MARTS)]
    result = run_dbt(["build", *select, *bench.NO_TESTS], root / "marts.duckdb", dbt_vars)
    assert result.returncode == 0, result.output[-5000:]
    return data, root


def test_handwritten_script_equals_the_marts(tiny) -> None:
    data, root = tiny
    hand_db = root / "handwritten.duckdb"
    bench.run_handwritten(hand_db, data)
    compared = bench.compare_with_marts(
        root / "marts.duckdb", {table: f"hand.hand.{table}" for table in bench.CORE_COLUMNS}, bench.CORE_COLUMNS,
        {"hand": hand_db},
    )
    for table, (mart_rows, hand_rows, differing) in compared.items():
        assert mart_rows > 0, table
        assert (hand_rows, differing) == (mart_rows, 0), table


def test_pandas_equals_the_marts(tiny) -> None:
    data, root = tiny
    out = root / "pandas"
    out.mkdir()
    for name, frame in bench_pandas.compute(data).items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    frames = {table: f"read_parquet('{out / table}.parquet')" for table in bench.PANDAS_COLUMNS}
    compared = bench.compare_with_marts(root / "marts.duckdb", frames, bench.PANDAS_COLUMNS)
    for table, (mart_rows, pandas_rows, differing) in compared.items():
        assert mart_rows > 0, table
        assert (pandas_rows, differing) == (mart_rows, 0), table


def test_the_comparison_sees_a_changed_value(tiny) -> None:
    data, root = tiny
    hand_db = root / "handwritten_changed.duckdb"
    bench.run_handwritten(hand_db, data)
    with duckdb.connect(str(hand_db)) as con:
        con.execute("update hand.customer_rfm set rfm_segment = 'nobody' where customer_id = "
                    "(select min(customer_id) from hand.customer_rfm)")
        con.execute("update hand.kpi_weekly set aov = aov * 1.001 where week_start = "
                    "(select max(week_start) from hand.kpi_weekly where aov is not null)")
        con.execute("delete from hand.cohort_retention where period_number = 1 and cohort_start = "
                    "(select min(cohort_start) from hand.cohort_retention)")
    compared = bench.compare_with_marts(
        root / "marts.duckdb", {table: f"hand.hand.{table}" for table in bench.CORE_COLUMNS}, bench.CORE_COLUMNS,
        {"hand": hand_db},
    )
    assert {table: counts[2] for table, counts in compared.items()} == {
        "customer_rfm": 1, "customer_lifecycle": 0, "cohort_retention": 1, "kpi_weekly": 1, "repurchase_rates": 0,
    }


def test_measure_reports_time_memory_and_exit_code() -> None:
    measured = bench.measure([sys.executable, "-c", "x = bytearray(64 * 2**20); import sys; sys.exit(3)"])
    assert measured.returncode == 3
    assert measured.peak_rss_mb >= 64
    assert measured.wall_s > 0 and measured.cpu_s >= 0


def test_doc_section_is_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## CLV fit\n\nkept\n")
    first = f"{bench.DOC_BEGIN}\n## Warehouse build at scale\n\nrun 1\n{bench.DOC_END}\n"
    second = first.replace("run 1", "run 2")
    bench.write_doc(first, doc)
    bench.write_doc(second, doc)
    text = doc.read_text()
    assert text.count(bench.DOC_BEGIN) == 1 and "run 2" in text and "run 1" not in text
    assert text.startswith("# Benchmarks\n\n## CLV fit\n\nkept\n")
    bench.write_doc(second, doc)
    assert doc.read_text() == text


def test_scale_labels_and_parsing() -> None:
    assert bench.parse_scales("1e6,1e7, 3e7") == [1_000_000, 10_000_000, 30_000_000]
    assert [bench.scale_label(n) for n in (1_000_000, 30_000_000, 3_000, 1234)] == ["1m", "30m", "3k", "1234"]


def test_settings_come_from_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench reports and uses the profile's own defaults, an env var overrides them,
    and a setting the profile does not have is a clear error."""
    for name in ("CRM_THREADS", "CRM_DUCKDB_THREADS", "CRM_DUCKDB_MEMORY_LIMIT", "CRM_NO_SUCH_SETTING"):
        monkeypatch.delenv(name, raising=False)
    profile = (PROJECT_DIR / "profiles" / "profiles.yml").read_text()
    config = bench.duckdb_config()
    assert f"env_var('CRM_DUCKDB_MEMORY_LIMIT', '{config['memory_limit']}')" in profile
    assert f"env_var('CRM_DUCKDB_THREADS', '{config['threads']}')" in profile
    assert f"env_var('CRM_THREADS', '{bench.dbt_threads()}')" in profile
    monkeypatch.setenv("CRM_DUCKDB_MEMORY_LIMIT", "3GB")
    assert bench.duckdb_config()["memory_limit"] == "3GB"
    with pytest.raises(SystemExit, match="no default for CRM_NO_SUCH_SETTING"):
        bench.profile_setting("CRM_NO_SUCH_SETTING")


def _measured(wall_s: float) -> "bench.Measured":
    return bench.Measured(wall_s=wall_s, cpu_s=2 * wall_s, peak_rss_mb=1024.0, load_before=1.0, load_after=1.5,
                          returncode=0)


def test_repeated_runs_report_the_median_run_and_the_range() -> None:
    """--repeat N: every number of a step comes from its median run (the lower middle of an
    even count), and the table shows the range of the wall times."""
    runs = [_measured(5.0), _measured(3.0), _measured(9.0)]
    assert bench.median_run(runs) is runs[0]
    pair = [_measured(4.0), _measured(2.0)]
    assert bench.median_run(pair) is pair[1]
    with pytest.raises(ValueError):
        bench.median_run([])

    results = []
    for orders, full_walls in ((1_000_000, [9.0, 7.0, 8.0]), (10_000_000, [95.0, 85.0, 88.0])):
        full_runs = [_measured(wall) for wall in full_walls]
        core_runs = [_measured(wall / 4) for wall in full_walls]
        hand_runs = [_measured(wall / 8) for wall in full_walls]
        results.append(bench.ScaleResult(
            orders=orders, members=orders // 8, label=bench.scale_label(orders),
            parse=_measured(4.0), full=bench.median_run(full_runs), full_walls=full_walls,
            full_models={"orders": full_walls[0] / 5}, core=bench.median_run(core_runs),
            core_walls=[run.wall_s for run in core_runs], handwritten=bench.median_run(hand_runs),
            handwritten_walls=[run.wall_s for run in hand_runs],
        ))
    section = bench.render(results, "python scripts/bench.py --scales 1e6,1e7 --repeat 3")
    rows: dict[str, str] = {}
    for line in section.splitlines():  # the first row of a scale is its row of the main table
        if line.startswith("| 1"):
            rows.setdefault(line.split(" | ")[0], line)
    assert "| **8.0** (7.0-9.0, 3 runs) |" in rows["| 1,000,000"]
    assert "| **88.0** (85.0-95.0, 3 runs) |" in rows["| 10,000,000"]
    assert "| 22.0 (21.2-23.8, 3 runs) | 11.0 (10.6-11.9, 3 runs) | **2.00** |" in rows["| 10,000,000"]
    assert "`--repeat 3`" in section
    assert "- 10,000,000 orders (median run" in section
    assert "full build at most 60 s: **not met** (88 s)" in section
    assert "core dbt / hand-written at most 1.25: **not met** (2.00)" in section
    # 1M -> 10M: 11x the time for 10x the data
    assert "time ratio / data ratio at most 1.0: **not met** (1.10)" in section

    single = [bench.ScaleResult(
        orders=1_000_000, members=125_000, label="1m", parse=_measured(4.0), full=_measured(8.0),
        full_walls=[8.0], core=_measured(2.0), core_walls=[2.0],
        handwritten=_measured(1.0), handwritten_walls=[1.0],
    )]
    section = bench.render(single, "python scripts/bench.py --scales 1e6")
    assert "runs)" not in section and "--repeat" not in section
    assert bench.positive_int("3") == 3
    with pytest.raises(bench.argparse.ArgumentTypeError, match="1 or more"):
        bench.positive_int("0")


def test_targets_at_30m_include_memory_and_the_spark_section() -> None:
    """The 30M targets (180 s, 6 GiB, ratio 1.1) and the Spark rows: parity lines parsed from
    spark_parity.py's report, core marts named, a differing table listed."""
    def result(orders: int, wall: float, rss_mb: float) -> bench.ScaleResult:
        full = bench.Measured(wall_s=wall, cpu_s=wall * 2, peak_rss_mb=rss_mb, load_before=1.0, load_after=1.0,
                              returncode=0)
        return bench.ScaleResult(orders=orders, members=orders // 8, label=bench.scale_label(orders),
                                 parse=_measured(3.0), full=full, full_walls=[wall], core=_measured(wall / 3),
                                 core_walls=[wall / 3], handwritten=_measured(wall / 3.1),
                                 handwritten_walls=[wall / 3.1])

    small, large = result(1_000_000, 20.0, 900.0), result(30_000_000, 170.0, 6.5 * 1024)
    report = "\n".join([
        "table                 key          duckdb rows  spark rows  result",
        "marts.customer_rfm    customer_id       100         100  ok",
        "marts.customer_clv    -                                  skipped: model disabled on Spark",
        "marts.kpi_weekly      week_start         10          10  DIFF: row (week_start=1) only in Spark [1 row(s)]",
        "marts.customers       customer_id       100         100  ok (2 columns DuckDB-only: not compared)",
    ])
    parsed = bench.parity_results(report)
    assert len(parsed) == 4
    small.spark = bench.Measured(wall_s=600.0, cpu_s=900.0, peak_rss_mb=3000.0, load_before=1.0, load_after=2.0,
                                 returncode=0)
    small.spark_tables = parsed
    section = bench.render([small, large], "python scripts/bench.py --scales 1e6,3e7 --spark-scales 1e6")
    assert "full build at most 180 s: met (170 s)" in section
    assert "peak RSS at most 6 GiB: **not met** (6.50 GiB)" in section
    assert "core dbt / hand-written at most 1.1: met (1.03)" in section
    spark_row = next(line for line in section.splitlines() if line.startswith("| 1,000,000 | **600.0**"))
    assert "| 2.93 | 2 | 1 | 1 |" in spark_row  # peak RSS, equal, skipped, differ
    assert "customer_rfm equal" in spark_row and "kpi_weekly DIFFERS" in spark_row
    assert "differs: `marts.kpi_weekly`: DIFF: row (week_start=1) only in Spark" in section
