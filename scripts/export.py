"""Export every public mart to Parquet, for BI tools that do not speak DuckDB (issue 11).

Reads the warehouse through a read-only DuckDB connection (a running build or a
BI tool reading the file is never disturbed) and writes, under the output
directory (default warehouse/export/):

    <mart>.parquet                          one file per mart, or, for a large mart,
    <mart>/<date column>_year=<YYYY>/*.parquet  Hive-style partitions by year
    manifest.json                           per mart: row count, columns (DuckDB type,
                                            description), files (rows, bytes),
                                            partitioning, export time, as_of_date

Public marts are the enabled table models under models/marts/ in the dbt
manifest (the `manifest.json` of the build that made the warehouse); their
descriptions come from the same file. A mart is partitioned when it has at least
--partition-threshold rows (default 1,000,000) and a date column other than
as_of_date: the first such column in the table's column order, by its year. The
partition key (`<column>_year`) is a directory name, not a column of the files;
readers that enable Hive partitioning see it as an extra column (null dates go to
`__HIVE_DEFAULT_PARTITION__`).

The export is atomic: everything is written to a temporary sibling directory,
checked (rows in the files = rows in the mart), and only then renamed over the
previous export. On any error the previous export is left as it was.

    python scripts/export.py [--warehouse warehouse/crm.duckdb] [--out warehouse/export]
                             [--dbt-manifest target/publish/manifest.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from tqdm import tqdm

PROJECT_DIR = Path(__file__).resolve().parents[1]
PROJECT_NAME = "crm_warehouse"
MARTS_PATH_PREFIX = "models/marts/"
DEFAULT_PARTITION_THRESHOLD = 1_000_000
MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


class ExportError(Exception):
    """A problem the user can fix (missing file, stale manifest, ...): printed without a traceback."""


@dataclass(frozen=True)
class Mart:
    """A public mart as the dbt manifest describes it."""

    name: str
    schema: str
    relation: str
    description: str
    column_descriptions: dict[str, str]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("CRM_DUCKDB_PATH", "warehouse/crm.duckdb"),
        help="DuckDB file to export (default: $CRM_DUCKDB_PATH or warehouse/crm.duckdb)",
    )
    parser.add_argument("--out", default="warehouse/export", help="output directory (default warehouse/export)")
    parser.add_argument(
        "--dbt-manifest",
        default="target/publish/manifest.json",
        help="dbt manifest.json of the build that made the warehouse: which models are marts, and their "
        "descriptions (default target/publish/manifest.json, written by `make build`)",
    )
    parser.add_argument(
        "--partition-threshold",
        type=int,
        default=DEFAULT_PARTITION_THRESHOLD,
        help=f"partition a mart by year when it has at least this many rows (default {DEFAULT_PARTITION_THRESHOLD:,})",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def _resolve(path: str) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else PROJECT_DIR / candidate


def load_marts(manifest_path: Path) -> list[Mart]:
    """The enabled table models under models/marts/, sorted by name."""
    if not manifest_path.exists():
        raise ExportError(
            f"dbt manifest {manifest_path} not found: pass --dbt-manifest <target path>/manifest.json of the "
            "build that made the warehouse (`make build` writes target/publish/manifest.json)"
        )
    manifest = json.loads(manifest_path.read_text())
    marts = [
        Mart(
            name=node["name"],
            schema=node["schema"],
            relation=node["alias"] or node["name"],
            description=(node.get("description") or "").strip(),
            column_descriptions={
                column.lower(): (spec.get("description") or "").strip() for column, spec in node["columns"].items()
            },
        )
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["package_name"] == PROJECT_NAME
        and node["original_file_path"].startswith(MARTS_PATH_PREFIX)
        and node["config"].get("enabled", True)
        and node["config"].get("materialized") in ("table", "incremental")
    ]
    if not marts:
        raise ExportError(f"{manifest_path} lists no mart models (models under {MARTS_PATH_PREFIX})")
    return sorted(marts, key=lambda mart: mart.name)


def connect_read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.exists():
        raise ExportError(f"warehouse {warehouse} not found: build it first (`make build`) or pass --warehouse")
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:
        raise ExportError(
            f"cannot open {warehouse} read-only ({error}); a process writing to it (a dbt build) holds the lock: "
            "export the published file, or wait for the build to finish"
        ) from error


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_columns(con: duckdb.DuckDBPyConnection, mart: Mart) -> list[tuple[str, str, bool]]:
    """(name, DuckDB type, nullable) in column order."""
    return [
        (name, data_type, nullable == "YES")
        for name, data_type, nullable in con.execute(
            "select column_name, data_type, is_nullable from information_schema.columns"
            " where table_schema = ? and table_name = ? order by ordinal_position",
            [mart.schema, mart.relation],
        ).fetchall()
    ]


def partition_source(columns: list[tuple[str, str, bool]]) -> str | None:
    """The column whose year partitions a large mart: its first DATE column other than as_of_date."""
    for name, data_type, _ in columns:
        if data_type == "DATE" and name != "as_of_date":
            return name
    return None


def _file_entries(paths: list[Path], root: Path) -> list[dict]:
    return [
        {
            "path": path.relative_to(root).as_posix(),
            "rows": pq.read_metadata(path).num_rows,
            "bytes": path.stat().st_size,
        }
        for path in sorted(paths)
    ]


def export_mart(con: duckdb.DuckDBPyConnection, mart: Mart, out_dir: Path, threshold: int) -> dict:
    """Write one mart to Parquet under out_dir; return its manifest entry."""
    source = f"{_quote(mart.schema)}.{_quote(mart.relation)}"
    columns = table_columns(con, mart)
    row_count = con.execute(f"select count(*) from {source}").fetchone()[0]
    as_of_dates = []
    if any(name == "as_of_date" for name, _, _ in columns):
        as_of_dates = [
            value.isoformat()
            for (value,) in con.execute(
                f"select distinct as_of_date from {source} where as_of_date is not null order by 1"
            ).fetchall()
        ]
    date_column = partition_source(columns) if row_count >= threshold else None
    partitioning = None
    if date_column is None:
        target = out_dir / f"{mart.relation}.parquet"
        con.execute(
            f"copy (select * from {source}) to {_sql_string(str(target))} (format parquet, compression zstd)"
        )
        files = [target]
    else:
        key = f"{date_column}_year"
        target = out_dir / mart.relation
        con.execute(
            f"copy (select *, year({_quote(date_column)}) as {_quote(key)} from {source})"
            f" to {_sql_string(str(target))} (format parquet, compression zstd, partition_by ({_quote(key)}))"
        )
        files = list(target.rglob("*.parquet"))
        partitioning = {
            "style": "hive",
            "key": key,
            "source_column": date_column,
            "expression": f"year({date_column})",
            "null_value": "__HIVE_DEFAULT_PARTITION__",
            "values": sorted(
                {path.parent.name.split("=", 1)[1] for path in files},
            ),
        }
    entries = _file_entries(files, out_dir)
    written = sum(entry["rows"] for entry in entries)
    if written != row_count:
        raise ExportError(f"{mart.name}: wrote {written} rows, the mart has {row_count}")
    return {
        "relation": f"{mart.schema}.{mart.relation}",
        "description": mart.description,
        "row_count": row_count,
        "columns": [
            {
                "name": name,
                "type": data_type,
                "nullable": nullable,
                "description": mart.column_descriptions.get(name.lower(), ""),
            }
            for name, data_type, nullable in columns
        ],
        "partitioning": partitioning,
        "files": entries,
        "as_of_date": as_of_dates[0] if len(as_of_dates) == 1 else None,
        "exported_at": _now(),
    }


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _check_replaceable(out: Path) -> None:
    """Refuse to replace a directory that is not a previous export (or empty)."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST_NAME).exists())):
        raise ExportError(f"{out} exists and is not a previous export (no {MANIFEST_NAME}): choose another --out")


def swap_in(staging: Path, out: Path) -> None:
    """Put the finished export in place of the previous one with two renames."""
    previous = out.with_name(f".{out.name}.previous-{os.getpid()}")
    if out.exists():
        os.rename(out, previous)
    os.rename(staging, out)
    shutil.rmtree(previous, ignore_errors=True)


def export(args: argparse.Namespace) -> Path:
    warehouse = _resolve(args.warehouse)
    out = _resolve(args.out)
    marts = load_marts(_resolve(args.dbt_manifest))
    _check_replaceable(out)
    con = connect_read_only(warehouse)
    try:
        existing = {
            (schema, name)
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }
        missing = [f"{mart.schema}.{mart.relation}" for mart in marts if (mart.schema, mart.relation) not in existing]
        if missing:
            raise ExportError(
                f"{warehouse} lacks marts the manifest lists: {missing}; the manifest "
                f"({args.dbt_manifest}) comes from another build"
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = out.with_name(f".{out.name}.tmp-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        started = time.monotonic()
        try:
            con.execute("begin transaction")  # one snapshot for every mart
            tables = {}
            for mart in tqdm(marts, desc="export", unit="mart", disable=args.quiet):
                tables[mart.name] = export_mart(con, mart, staging, args.partition_threshold)
            con.execute("commit")
            as_of_dates = sorted({entry["as_of_date"] for entry in tables.values() if entry["as_of_date"]})
            manifest = {
                "manifest_version": MANIFEST_VERSION,
                "generated_at": _now(),
                "warehouse": str(warehouse),
                "dbt_manifest": str(_resolve(args.dbt_manifest)),
                "duckdb_version": duckdb.__version__,
                "as_of_date": as_of_dates[0] if len(as_of_dates) == 1 else None,
                "partition_threshold_rows": args.partition_threshold,
                "tables": tables,
            }
            (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
            swap_in(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        con.close()
    rows = sum(entry["row_count"] for entry in tables.values())
    print(
        f"export: {len(tables)} marts, {rows:,} rows -> {out} ({time.monotonic() - started:.1f} s)",
        file=sys.stderr,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        export(args)
    except ExportError as error:
        print(f"export: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
