#!/usr/bin/env python3
"""Snapshot the public marts of a warehouse to Parquet, and compare two snapshots (issue 20, item 9).

    python scripts/compare_marts.py snapshot --warehouse warehouse/crm.duckdb --out /tmp/before
    python scripts/compare_marts.py compare --before /tmp/before --after /tmp/after

snapshot writes every table and view of the published schema (`marts`, --schema to
change or add) as <out>/<schema>.<table>.parquet, plus snapshot.json with each
table's row count and column types as DuckDB reports them in the warehouse.

compare says for each table: identical, or different with what differs (row counts,
rows in one snapshot and not in the other over all common columns, counted as
multisets, columns added / removed / retyped, tables added / removed). Values are
compared exactly, floats too; when only float columns differ, the rows are aligned on
the other columns and the largest absolute difference per float column is reported.
Two builds of the same commit already differ in the last bits of a few float sums
(parallel aggregation order: CLV fits, LMDI effects); --float-tolerance 1e-9 accepts
float differences up to that share of the larger value (absolute below 1) and reports
those tables as "equal within tolerance".
Exit codes: 0 every table identical (or within tolerance), 1 a difference, 2 a
snapshot cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from tqdm import tqdm

SNAPSHOT_FILE = "snapshot.json"
FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- snapshot ------------------------------------------------------------------------

def snapshot(warehouse: Path, out: Path, schemas: Sequence[str]) -> dict[str, dict]:
    """Write every table / view of `schemas` to <out>/<schema>.<name>.parquet; returns snapshot.json's content."""
    if not warehouse.is_file():
        raise SystemExit(f"compare_marts: warehouse {warehouse} does not exist")
    out.mkdir(parents=True, exist_ok=True)
    tables: dict[str, dict] = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        names = connection.execute(
            "select table_schema, table_name from information_schema.tables"
            f" where table_schema in ({', '.join(literal(schema) for schema in schemas)})"
            " order by table_schema, table_name"
        ).fetchall()
        if not names:
            raise SystemExit(f"compare_marts: {warehouse} has no table in schema(s) {', '.join(schemas)}")
        for schema, name in tqdm(names, desc="snapshot", unit="table"):
            relation = f"{quote(schema)}.{quote(name)}"
            columns = connection.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
            path = out / f"{schema}.{name}.parquet"
            connection.execute(f"copy (select * from {relation}) to {literal(str(path))} (format parquet)")
            rows = connection.execute(f"select count(*) from {relation}").fetchone()[0]
            tables[f"{schema}.{name}"] = {"rows": rows, "columns": [[column, kind] for column, kind in columns]}
    content = {"warehouse": str(warehouse), "schemas": list(schemas), "tables": tables}
    (out / SNAPSHOT_FILE).write_text(json.dumps(content, indent=2) + "\n")
    return content


# --- compare -------------------------------------------------------------------------

@dataclass
class TableDiff:
    table: str
    notes: list[str] = field(default_factory=list)
    tolerated: list[str] = field(default_factory=list)  # float differences within --float-tolerance

    @property
    def identical(self) -> bool:
        return not self.notes


def load_snapshot(directory: Path) -> dict[str, dict]:
    path = directory / SNAPSHOT_FILE
    if not path.is_file():
        raise SystemExit(f"compare_marts: {path} not found (make it with `compare_marts.py snapshot`)")
    return json.loads(path.read_text())["tables"]


def compare_table(connection, table: str, before: Path, after: Path,
                  before_meta: dict, after_meta: dict, float_tolerance: float = 0.0) -> TableDiff:
    diff = TableDiff(table)
    before_types = dict(map(tuple, before_meta["columns"]))
    after_types = dict(map(tuple, after_meta["columns"]))
    removed = [column for column in before_types if column not in after_types]
    added = [column for column in after_types if column not in before_types]
    retyped = [f"{column} {before_types[column]} -> {after_types[column]}"
               for column in before_types if column in after_types and before_types[column] != after_types[column]]
    if removed:
        diff.notes.append(f"columns removed: {', '.join(removed)}")
    if added:
        diff.notes.append(f"columns added: {', '.join(added)}")
    if retyped:
        diff.notes.append(f"column types changed: {'; '.join(retyped)}")
    if before_meta["rows"] != after_meta["rows"]:
        diff.notes.append(f"rows {before_meta['rows']:,} -> {after_meta['rows']:,}")

    common = [column for column in before_types if column in after_types]
    if not common:
        return diff
    select = ", ".join(quote(column) for column in common)
    left = f"(select {select} from read_parquet({literal(str(before / f'{table}.parquet'))}))"
    right = f"(select {select} from read_parquet({literal(str(after / f'{table}.parquet'))}))"
    only_before = connection.execute(f"select count(*) from ({left} except all {right})").fetchone()[0]
    only_after = connection.execute(f"select count(*) from ({right} except all {left})").fetchone()[0]
    if only_before or only_after:
        rows_note = (f"{only_before:,} rows only before, {only_after:,} rows only after "
                     f"(over the {len(common)} common columns)")
        floats = [column for column in common
                  if before_types[column].upper().startswith(FLOAT_TYPES)
                  or after_types[column].upper().startswith(FLOAT_TYPES)]
        float_notes, worst = float_differences(connection, left, right, common, floats) if floats else ([], None)
        if worst is not None and worst <= float_tolerance and not diff.notes:
            diff.tolerated = [rows_note, *float_notes, f"largest scaled difference {worst:.3g}"]
        else:
            diff.notes += [rows_note, *float_notes]
    return diff


def float_differences(connection, left: str, right: str, common: list[str],
                      floats: list[str]) -> tuple[list[str], float | None]:
    """Largest absolute difference of each float column, rows aligned on the other columns, and the
    largest difference scaled by max(|before|, |after|, 1) over all float columns.

    Only meaningful when the other columns agree (as multisets); otherwise says so (scaled: None)."""
    others = [column for column in common if column not in floats]
    if others:
        select_others = ", ".join(quote(column) for column in others)
        mismatched = sum(connection.execute(
            f"select count(*) from ((select {select_others} from {one}) except all (select {select_others} from {two}))"
        ).fetchone()[0] for one, two in ((left, right), (right, left)))
        if mismatched:
            return [f"non-float columns differ too ({mismatched:,} rows): no float alignment"], None
    partition = f"partition by {', '.join(quote(column) for column in others)}" if others else ""
    order = ", ".join(quote(column) for column in floats)
    numbered = "select *, row_number() over ({} order by {}) as _row_in_group from {}"
    join_on = " and ".join([f"b.{quote(column)} is not distinct from a.{quote(column)}" for column in others]
                           + ["b._row_in_group = a._row_in_group"])
    measures = ", ".join(
        f"max(abs(cast(b.{quote(column)} as double) - cast(a.{quote(column)} as double)))"
        f" filter (where b.{quote(column)} is distinct from a.{quote(column)})" for column in floats)
    counts = ", ".join(f"count(*) filter (where b.{quote(column)} is distinct from a.{quote(column)})"
                       for column in floats)
    # A null on one side only, or NaN against a number, is not a rounding difference: infinite.
    scaled = ", ".join(
        f"max(case when b.{quote(column)} is not distinct from a.{quote(column)} then 0"
        f" when b.{quote(column)} is null or a.{quote(column)} is null"
        f" or isnan(cast(b.{quote(column)} as double)) or isnan(cast(a.{quote(column)} as double))"
        f" then cast('inf' as double)"
        f" else abs(cast(b.{quote(column)} as double) - cast(a.{quote(column)} as double))"
        f" / greatest(abs(cast(b.{quote(column)} as double)), abs(cast(a.{quote(column)} as double)), 1) end)"
        for column in floats)
    joined = (f" from ({numbered.format(partition, order, left)}) as b"
              f" join ({numbered.format(partition, order, right)}) as a on {join_on}")
    row = connection.execute(f"select {measures}, {counts}, {scaled}, count(*) {joined}").fetchone()
    size = len(floats)
    sizes = {connection.execute(f"select count(*) from {side}").fetchone()[0] for side in (left, right)}
    notes = []
    for index, column in enumerate(floats):
        differing = row[size + index]
        if differing:
            notes.append(f"float {column}: {differing:,} values differ, max abs diff {row[index]!r}")
    aligned = sizes == {row[-1]}  # every row of both sides has its partner
    worst = max((value for value in row[2 * size:3 * size] if value is not None), default=0.0)
    return notes, (worst if aligned else None)


def compare(before: Path, after: Path, float_tolerance: float = 0.0) -> list[TableDiff]:
    before_tables, after_tables = load_snapshot(before), load_snapshot(after)
    diffs = []
    with duckdb.connect() as connection:
        for table in sorted(set(before_tables) | set(after_tables)):
            if table not in after_tables:
                diffs.append(TableDiff(table, ["table removed"]))
            elif table not in before_tables:
                diffs.append(TableDiff(table, ["table added"]))
            else:
                diffs.append(compare_table(connection, table, before, after,
                                           before_tables[table], after_tables[table], float_tolerance))
    return diffs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("snapshot", help="write the marts of a warehouse to Parquet")
    take.add_argument("--warehouse", type=Path, required=True, help="DuckDB file (opened read-only)")
    take.add_argument("--out", type=Path, required=True, help="directory for the Parquet files")
    take.add_argument("--schema", action="append", default=None,
                      help="schema to snapshot (repeatable; default: marts, the published schema)")
    check = commands.add_parser("compare", help="compare two snapshots table by table")
    check.add_argument("--before", type=Path, required=True, help="snapshot directory of the reference build")
    check.add_argument("--after", type=Path, required=True, help="snapshot directory of the build under test")
    check.add_argument("--float-tolerance", type=float, default=0.0,
                       help="accept float differences up to this share of max(|before|, |after|, 1) "
                            "(default 0: exact; 1e-9 absorbs the run-to-run noise of float sums)")
    args = parser.parse_args(argv)

    if args.command == "snapshot":
        content = snapshot(args.warehouse, args.out, args.schema or ["marts"])
        rows = sum(table["rows"] for table in content["tables"].values())
        print(f"compare_marts: {len(content['tables'])} tables, {rows:,} rows -> {args.out}")
        return 0

    diffs = compare(args.before, args.after, args.float_tolerance)
    for diff in diffs:
        if not diff.identical:
            print(f"{diff.table}: DIFFERENT: {'; '.join(diff.notes)}")
        elif diff.tolerated:
            print(f"{diff.table}: equal within --float-tolerance {args.float_tolerance:g}: {'; '.join(diff.tolerated)}")
        else:
            print(f"{diff.table}: identical")
    different = [diff for diff in diffs if not diff.identical]
    tolerated = [diff for diff in diffs if diff.identical and diff.tolerated]
    print(f"compare_marts: {len(diffs) - len(different) - len(tolerated)} of {len(diffs)} tables identical"
          + (f", {len(tolerated)} equal within float tolerance" if tolerated else "")
          + (f", {len(different)} different" if different else ""))
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
