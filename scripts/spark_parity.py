"""Compare the Spark build of the warehouse with the DuckDB build of the same data.

`make test-spark` builds the project twice from the same seeds and vars: on local
Spark (dbt-spark, session method) and on DuckDB. This script builds nothing: it
reads the Spark tables as the Parquet files Spark wrote under
``$CRM_SPARK_DIR/warehouse/<schema>.db/<table>/`` (no JVM needed) and the DuckDB
file read-only, then checks every table of the compared schemas:

- the same tables exist on both sides (views have no files on Spark: skipped);
- the same columns, of the same kind (integer widths and decimal precisions may
  differ, a decimal on one side and a double on the other may not);
- the same rows by key: the table's primary key from the dbt manifest (a
  ``unique`` or ``unique_combination_of_columns`` test without a ``where``,
  not-null columns preferred), else every column (rows compared as multisets);
- the same values: exact for text, integers, decimals (money), dates, timestamps
  and booleans; doubles within ``--tolerance`` (absolute up to 1, relative above).

It prints one line per table and exits 1 naming the first table, key and column
that differ (2 when an input is missing). Tables of models disabled on Spark
(Python models and what depends on them) are listed as skipped. Columns marked
``meta: {crm_duckdb_only: true}`` in the manifest (e.g. the CLV flags in
``customers``, computed by a Python model) are not compared: they must be null on
Spark.

With ``--compiled-dir`` it first scans the SQL the Spark build ran (models and
tests) for DuckDB-only syntax that Spark 4 happens to accept but the project
bans, because Spark 3.x clusters and other engines reject it (``::`` casts,
``qualify``, ``group by all``, ``filter (where ...)``, ``ilike``, ...), and fails
naming the file and the construct.

    python scripts/spark_parity.py --spark-dir warehouse/spark \\
        --duckdb warehouse/spark_ref.duckdb --manifest target/spark/manifest.json \\
        --compiled-dir target/spark/compiled
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

DEFAULT_SCHEMAS = ("marts", "intermediate", "staging", "raw")
KIND_BY_PREFIX = (
    ("decimal", "decimal"),
    ("double", "float"),
    ("float", "float"),
    ("real", "float"),
    ("hugeint", "integer"),
    ("uhugeint", "integer"),
    ("bigint", "integer"),
    ("ubigint", "integer"),
    ("integer", "integer"),
    ("uinteger", "integer"),
    ("smallint", "integer"),
    ("usmallint", "integer"),
    ("tinyint", "integer"),
    ("utinyint", "integer"),
    ("timestamp", "timestamp"),
    ("date", "date"),
    ("boolean", "boolean"),
    ("varchar", "text"),
)


# DuckDB-only syntax the project bans in models (docs/definitions.md#layers-and-layout)
# that Spark 4 would still run; what Spark rejects anyway fails the build itself.
NON_PORTABLE_SQL = (
    (re.compile(r"::"), "a `::` cast (use cast(x as type))"),
    (re.compile(r"\bqualify\b", re.IGNORECASE), "QUALIFY (filter on the window in an outer CTE)"),
    (re.compile(r"\bgroup\s+by\s+all\b", re.IGNORECASE), "GROUP BY ALL (name the columns)"),
    (re.compile(r"\bfilter\s*\(\s*where\b", re.IGNORECASE), "an aggregate FILTER (WHERE ...) (use case when)"),
    (re.compile(r"\bilike\b", re.IGNORECASE), "ILIKE (use lower(x) like ...)"),
    (re.compile(r"\*\s*(exclude|replace)\s*\(", re.IGNORECASE), "SELECT * EXCLUDE / REPLACE (list the columns)"),
)


def strip_sql_literals(sql: str) -> str:
    """The SQL with string literals, quoted identifiers and comments blanked out."""
    pattern = re.compile(
        r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|--[^\n]*|/\*.*?\*/",
        re.DOTALL,
    )
    return pattern.sub(lambda match: " " * len(match.group(0)), sql)


def scan_portability(compiled_dir: Path) -> list[str]:
    """One message per compiled model or test file that uses banned DuckDB-only syntax."""
    problems = []
    for path in sorted(compiled_dir.rglob("*.sql")):
        sql = strip_sql_literals(path.read_text(encoding="utf-8"))
        for pattern, what in NON_PORTABLE_SQL:
            match = pattern.search(sql)
            if match:
                line = sql.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(compiled_dir)}:{line}: {what}: `{match.group(0).strip()}`")
                break
    return problems


def column_kind(duckdb_type: str) -> str:
    """The comparison family of a DuckDB type name (as DuckDB reports it)."""
    lowered = duckdb_type.lower()
    for prefix, kind in KIND_BY_PREFIX:
        if lowered.startswith(prefix):
            return kind
    return lowered


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class TableResult:
    """Outcome of one table's comparison."""

    schema: str
    table: str
    key: list[str]
    duckdb_rows: int | None = None
    spark_rows: int | None = None
    differences: int = 0
    problem: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def ok(self) -> bool:
        return self.problem is None


def load_manifest(manifest_path: Path | None) -> dict:
    """The dbt manifest of the Spark build, read once ({} when there is none)."""
    if manifest_path is None or not manifest_path.exists():
        return {}
    return json.loads(manifest_path.read_text())


def relation_of(node: dict) -> tuple[str, str]:
    """(schema, table) a manifest node builds, lower case."""
    return node["schema"].lower(), (node.get("alias") or node["name"]).lower()


def disabled_relations(manifest: dict) -> set[tuple[str, str]]:
    """(schema, table) of the models disabled in the manifest's target (e.g. Python models on Spark)."""
    relations = set()
    for versions in manifest.get("disabled", {}).values():
        for node in versions:
            if node.get("resource_type") in ("model", "seed", "snapshot") and node.get("schema"):
                relations.add(relation_of(node))
    return relations


def duckdb_only_columns(manifest: dict) -> dict[tuple[str, str], set[str]]:
    """(schema, table) -> columns marked ``meta: {crm_duckdb_only: true}``: null on Spark by design.

    The mark may stand in the column's ``meta`` or in its ``config.meta`` (dbt 1.10+ style).
    """
    marked: dict[tuple[str, str], set[str]] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        columns = {
            name.lower()
            for name, column in (node.get("columns") or {}).items()
            if (column.get("meta") or {}).get("crm_duckdb_only")
            or ((column.get("config") or {}).get("meta") or {}).get("crm_duckdb_only")
        }
        if columns:
            marked[relation_of(node)] = columns
    return marked


def primary_keys(manifest: dict) -> dict[tuple[str, str], list[list[str]]]:
    """(schema, table) -> candidate keys from the manifest's uniqueness tests, best first."""
    nodes = manifest.get("nodes", {})
    not_null: dict[str, set[str]] = {}
    unique: dict[str, list[list[str]]] = {}
    for node in nodes.values():
        if node.get("resource_type") != "test" or not node.get("attached_node"):
            continue
        metadata = node.get("test_metadata") or {}
        config = node.get("config") or {}
        if not config.get("enabled", True) or config.get("where"):
            continue
        kwargs = metadata.get("kwargs") or {}
        attached = node["attached_node"]
        if metadata.get("name") == "not_null" and node.get("column_name"):
            not_null.setdefault(attached, set()).add(node["column_name"].lower())
        elif metadata.get("name") == "unique" and node.get("column_name"):
            unique.setdefault(attached, []).append([node["column_name"].lower()])
        elif metadata.get("name") == "unique_combination_of_columns":
            columns = kwargs.get("combination_of_columns") or []
            if columns and all(isinstance(column, str) for column in columns):
                unique.setdefault(attached, []).append([column.lower() for column in columns])
    keys: dict[tuple[str, str], list[list[str]]] = {}
    for unique_id, candidates in unique.items():
        node = nodes.get(unique_id)
        if node is None:
            continue
        required = not_null.get(unique_id, set())
        ranked = sorted(candidates, key=lambda key: (not set(key) <= required, len(key), key))
        keys[relation_of(node)] = ranked
    return keys


class ParityChecker:
    """Compares the tables of one DuckDB file with the Parquet tables of one Spark warehouse."""

    def __init__(self, duckdb_path: Path, spark_warehouse: Path, tolerance: float) -> None:
        self.spark_warehouse = spark_warehouse
        self.tolerance = tolerance
        self.connection = duckdb.connect()
        self.connection.execute("set TimeZone = 'UTC'")
        self.connection.execute(f"attach {literal(str(duckdb_path))} as ref (read_only)")

    def duckdb_tables(self, schema: str) -> list[str]:
        rows = self.connection.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = 'ref' and table_schema = ? and table_type = 'BASE TABLE' order by 1",
            [schema],
        ).fetchall()
        return [row[0].lower() for row in rows]

    def spark_tables(self, schema: str) -> list[str]:
        directory = self.spark_warehouse / f"{schema}.db"
        if not directory.is_dir():
            return []
        return sorted(path.name.lower() for path in directory.iterdir() if path.is_dir())

    def spark_source(self, schema: str, table: str) -> str | None:
        directory = self.spark_warehouse / f"{schema}.db" / table
        if not any(directory.rglob("*.parquet")):
            return None
        pattern = literal(str(directory / "**" / "*.parquet"))
        return f"read_parquet({pattern}, hive_partitioning = true, union_by_name = true)"

    def columns(self, source: str) -> dict[str, str]:
        rows = self.connection.execute(f"describe select * from {source}").fetchall()
        return {row[0].lower(): row[1] for row in rows}

    def count(self, source: str) -> int:
        return int(self.connection.execute(f"select count(*) from {source}").fetchone()[0])

    def compare(
        self, schema: str, table: str, candidate_keys: list[list[str]], duckdb_only: frozenset[str] = frozenset()
    ) -> TableResult:
        result = TableResult(schema, table, [])
        duckdb_source = f"ref.{quote(schema)}.{quote(table)}"
        spark_source = self.spark_source(schema, table)
        duckdb_columns = self.columns(duckdb_source)
        result.duckdb_rows = self.count(duckdb_source)
        if spark_source is None:
            # Spark writes no Parquet file for some empty tables: only the row count can be compared.
            result.spark_rows = 0
            if result.duckdb_rows:
                result.problem = f"no Spark data files, DuckDB has {result.duckdb_rows} rows"
            else:
                result.notes.append("empty on both sides (no Spark data files)")
            return result
        spark_columns = self.columns(spark_source)
        result.spark_rows = self.count(spark_source)

        for column in sorted(duckdb_only & set(duckdb_columns) & set(spark_columns)):
            # Computed on DuckDB only (a Python model): Spark must leave it null, not guess.
            filled = self.count(f"(select 1 from {spark_source} where {quote(column)} is not null)")
            if filled:
                result.problem = f"DuckDB-only column {column} has {filled} non-null value(s) on Spark"
                return result
            del duckdb_columns[column], spark_columns[column]
            result.notes.append(f"DuckDB-only column {column} not compared (null on Spark)")
        missing = [column for column in duckdb_columns if column not in spark_columns]
        extra = [column for column in spark_columns if column not in duckdb_columns]
        if missing or extra:
            result.problem = f"columns differ: only in DuckDB {missing}, only in Spark {extra}"
            return result
        for column, duckdb_type in duckdb_columns.items():
            if column_kind(duckdb_type) != column_kind(spark_columns[column]):
                result.problem = (
                    f"column {column}: type {duckdb_type} in DuckDB, {spark_columns[column]} in Spark"
                )
                return result

        kinds = {column: column_kind(duckdb_type) for column, duckdb_type in duckdb_columns.items()}
        key = next((key for key in candidate_keys if all(column in kinds for column in key)), None)
        if key is not None and (self.has_duplicates(duckdb_source, key) or self.has_duplicates(spark_source, key)):
            result.notes.append(f"key ({', '.join(key)}) not unique: compared as multisets")
            key = None
        if key is None:
            result.key = ["(all columns)"]
            self.compare_multisets(result, duckdb_source, spark_source, kinds)
        else:
            result.key = key
            self.compare_by_key(result, duckdb_source, spark_source, key, kinds)
        if result.ok and result.duckdb_rows != result.spark_rows:
            result.problem = f"row counts differ: DuckDB {result.duckdb_rows}, Spark {result.spark_rows}"
        return result

    def has_duplicates(self, source: str, key: list[str]) -> bool:
        columns = ", ".join(quote(column) for column in key)
        row = self.connection.execute(
            f"select count(*) from (select {columns} from {source} group by all having count(*) > 1)"
        ).fetchone()
        return bool(row[0])

    def equal_sql(self, column: str, kind: str) -> str:
        left, right = f"d.{quote(column)}", f"s.{quote(column)}"
        if kind == "float":
            tolerance = repr(self.tolerance)
            # coalesce: a null on one side only is a difference, not an unknown.
            return (
                f"({left} is not distinct from {right} or coalesce(abs({left} - {right}) "
                f"<= {tolerance} * greatest(1.0, abs({left})), false))"
            )
        return f"({left} is not distinct from {right})"

    def compare_by_key(
        self, result: TableResult, duckdb_source: str, spark_source: str, key: list[str], kinds: dict[str, str]
    ) -> None:
        value_columns = [column for column in kinds if column not in key]
        join = " and ".join(f"d.{quote(column)} is not distinct from s.{quote(column)}" for column in key)
        mismatch = " or ".join(f"not {self.equal_sql(column, kinds[column])}" for column in value_columns) or "false"
        selected = ", ".join(
            [f"coalesce(d.{quote(column)}, s.{quote(column)}) as {quote('k_' + column)}" for column in key]
            + [f"d.{quote(column)} as {quote('d_' + column)}" for column in value_columns]
            + [f"s.{quote(column)} as {quote('s_' + column)}" for column in value_columns]
            + ["d.__present as d_present", "s.__present as s_present"]
        )
        order = ", ".join(quote("k_" + column) for column in key)
        base = (
            f"select {selected} "
            f"from (select *, true as __present from {duckdb_source}) as d "
            f"full outer join (select *, true as __present from {spark_source}) as s on {join} "
            f"where d.__present is null or s.__present is null or {mismatch}"
        )
        result.differences = int(self.connection.execute(f"select count(*) from ({base})").fetchone()[0])
        if not result.differences:
            return
        cursor = self.connection.execute(f"select * from ({base}) order by {order} nulls first limit 1")
        names = [description[0] for description in cursor.description]
        row = dict(zip(names, cursor.fetchone()))
        key_text = ", ".join(f"{column}={row['k_' + column]!r}" for column in key)
        if not row["s_present"]:
            result.problem = f"key ({key_text}) only in DuckDB"
        elif not row["d_present"]:
            result.problem = f"key ({key_text}) only in Spark"
        else:
            for column in value_columns:
                if not self.values_equal(row["d_" + column], row["s_" + column], kinds[column]):
                    result.problem = (
                        f"key ({key_text}) column {column}: DuckDB {row['d_' + column]!r}, "
                        f"Spark {row['s_' + column]!r}"
                    )
                    break
            else:
                result.problem = f"key ({key_text}) differs"
        result.problem += f" [{result.differences} differing key(s)]"

    def values_equal(self, left: object, right: object, kind: str) -> bool:
        if left is None or right is None:
            return left is None and right is None
        if kind == "float":
            left_value, right_value = float(left), float(right)
            if math.isnan(left_value) or math.isnan(right_value):
                return math.isnan(left_value) and math.isnan(right_value)
            return left_value == right_value or abs(left_value - right_value) <= self.tolerance * max(
                1.0, abs(left_value)
            )
        if isinstance(left, Decimal) or isinstance(right, Decimal):
            return Decimal(str(left)) == Decimal(str(right))
        return left == right

    def compare_multisets(
        self, result: TableResult, duckdb_source: str, spark_source: str, kinds: dict[str, str]
    ) -> None:
        # Doubles are rounded to 9 decimals here: a multiset comparison has no tolerance.
        projected = ", ".join(
            f"round({quote(column)}, 9) as {quote(column)}" if kind == "float" else quote(column)
            for column, kind in kinds.items()
        )
        order = ", ".join(quote(column) for column in kinds)
        base = (
            f"(select 'only in DuckDB' as side, * from (select {projected} from {duckdb_source} "
            f"except all select {projected} from {spark_source})) "
            f"union all (select 'only in Spark' as side, * from (select {projected} from {spark_source} "
            f"except all select {projected} from {duckdb_source}))"
        )
        result.differences = int(self.connection.execute(f"select count(*) from ({base})").fetchone()[0])
        if not result.differences:
            return
        cursor = self.connection.execute(f"select * from ({base}) order by {order} nulls first, side limit 1")
        names = [description[0] for description in cursor.description]
        row = dict(zip(names, cursor.fetchone()))
        shown = ", ".join(f"{column}={row[column]!r}" for column in list(kinds)[:6])
        result.problem = f"row ({shown}{', ...' if len(kinds) > 6 else ''}) {row['side']} [{result.differences} row(s)]"


def print_report(results: list[TableResult]) -> None:
    name_width = max([len("table")] + [len(result.name) for result in results])
    key_width = min(40, max([len("key")] + [len(", ".join(result.key)) for result in results]))
    header = f"{'table':<{name_width}}  {'key':<{key_width}}  {'duckdb rows':>11}  {'spark rows':>10}  result"
    print(header)
    print("-" * len(header))
    for result in results:
        key = ", ".join(result.key)
        if len(key) > key_width:
            key = key[: key_width - 3] + "..."
        status = "ok" if result.ok else f"DIFF: {result.problem}"
        if result.notes:
            status = "; ".join(result.notes) if result.key == ["-"] else status + " (" + "; ".join(result.notes) + ")"
        duckdb_rows = "" if result.duckdb_rows is None else str(result.duckdb_rows)
        spark_rows = "" if result.spark_rows is None else str(result.spark_rows)
        print(f"{result.name:<{name_width}}  {key:<{key_width}}  {duckdb_rows:>11}  {spark_rows:>10}  {status}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Compare every table of a Spark build (Parquet files) with the DuckDB build of the same data."
    )
    parser.add_argument("--spark-dir", type=Path, required=True,
                        help="CRM_SPARK_DIR of the Spark build (holds warehouse/<schema>.db/<table>/)")
    parser.add_argument("--duckdb", type=Path, required=True, help="DuckDB file of the reference build")
    parser.add_argument("--manifest", type=Path, default=None,
                        help="dbt manifest.json, for each table's primary key (else every column is the key)")
    parser.add_argument("--schemas", nargs="+", default=list(DEFAULT_SCHEMAS),
                        help="schemas whose tables are compared (default: %(default)s); views are skipped")
    parser.add_argument("--compiled-dir", type=Path, default=None,
                        help="compiled SQL of the Spark build (target/spark/compiled): scanned for DuckDB-only syntax")
    parser.add_argument("--tolerance", type=float, default=1e-9,
                        help="doubles: allowed difference, absolute up to 1 and relative above (default: %(default)s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warehouse = args.spark_dir / "warehouse"
    if not warehouse.is_dir():
        print(f"spark_parity: no Spark warehouse at {warehouse}: run the Spark build first", file=sys.stderr)
        return 2
    if not args.duckdb.exists():
        print(f"spark_parity: no DuckDB file {args.duckdb}: run the DuckDB build first", file=sys.stderr)
        return 2
    if args.compiled_dir is not None:
        problems = scan_portability(args.compiled_dir)
        if problems:
            print("DuckDB-only SQL in the Spark build (banned even where Spark 4 accepts it):")
            for problem in problems:
                print(f"  {problem}")
            print(f"\nPORTABILITY FAILED: first: {problems[0]}")
            return 1
        print(f"portability ok: no DuckDB-only syntax in {args.compiled_dir}")
    manifest = load_manifest(args.manifest)
    keys = primary_keys(manifest)
    disabled = disabled_relations(manifest)
    duckdb_only = duckdb_only_columns(manifest)
    checker = ParityChecker(args.duckdb, warehouse, args.tolerance)
    results: list[TableResult] = []
    for schema in args.schemas:
        schema = schema.lower()
        duckdb_tables = checker.duckdb_tables(schema)
        spark_tables = checker.spark_tables(schema)
        for table in sorted(set(duckdb_tables) | set(spark_tables)):
            if table not in spark_tables and (schema, table) in disabled:
                skipped = TableResult(schema, table, ["-"])
                skipped.notes.append("skipped: model disabled on Spark")
                results.append(skipped)
            elif table not in spark_tables:
                results.append(TableResult(schema, table, [], problem="table missing in the Spark build"))
            elif table not in duckdb_tables:
                results.append(TableResult(schema, table, [], problem="table missing in the DuckDB build"))
            else:
                results.append(checker.compare(
                    schema, table, keys.get((schema, table), []),
                    frozenset(duckdb_only.get((schema, table), set())),
                ))
    if not results:
        print(f"spark_parity: no table to compare in schemas {', '.join(args.schemas)}", file=sys.stderr)
        return 2
    print_report(results)
    failed = [result for result in results if not result.ok]
    if failed:
        first = failed[0]
        print(f"\nPARITY FAILED: {len(failed)} of {len(results)} tables differ; first: {first.name}: {first.problem}")
        return 1
    compared = [result for result in results if result.key != ["-"]]
    print(f"\nparity ok: {len(compared)} tables identical on DuckDB and Spark, {len(results) - len(compared)} "
          f"skipped ({', '.join(args.schemas)}; doubles within {args.tolerance:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
