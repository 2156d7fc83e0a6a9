"""Atomic publish of the warehouse (issue 9).

Builds into a new DuckDB file next to the published one
(warehouse/.crm.duckdb.building-<pid>) with `dbt build`, validates it with
scripts/validate.py, and only when both succeed swaps it in place of the
published file with os.replace (an atomic rename on POSIX). A reader that opened
the published file before or during the build keeps its handle on the old file
and consistent answers; the next reader opens the new one. On any failure the
last good warehouse is left untouched, the partial file is deleted, and the
script says so and exits non-zero.

    python scripts/publish.py [--warehouse warehouse/crm.duckdb] [--vars "{as_of_date: '2026-06-30'}"]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("CRM_DUCKDB_PATH", "warehouse/crm.duckdb"),
        help="the published DuckDB file (default: $CRM_DUCKDB_PATH or warehouse/crm.duckdb)",
    )
    parser.add_argument("--vars", default=None, help="dbt --vars, passed through (YAML mapping)")
    parser.add_argument("--target-path", default="target/publish", help="dbt target path (default target/publish)")
    parser.add_argument("--skip-validation", action="store_true", help="publish after dbt build alone")
    parser.add_argument(
        "--validate-args", default="", help="extra arguments for scripts/validate.py, e.g. '--as-of-date 2026-06-30'"
    )
    return parser.parse_args(argv)


def building_path(published: Path) -> Path:
    return published.with_name(f".{published.name}.building-{os.getpid()}")


def remove_quietly(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        try:
            candidate.unlink()
        except FileNotFoundError:
            pass


def run(command: list[str], env: dict[str, str]) -> int:
    print("publish: $ " + " ".join(command), flush=True)
    return subprocess.run(command, cwd=PROJECT_DIR, env=env, check=False).returncode


def publish(args: argparse.Namespace) -> int:
    published = Path(args.warehouse)
    if not published.is_absolute():
        published = PROJECT_DIR / published
    published.parent.mkdir(parents=True, exist_ok=True)
    building = building_path(published)
    remove_quietly(building)
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ)
    env.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR / "profiles"))
    env["CRM_DUCKDB_PATH"] = str(building)
    state = "the last good warehouse" if published.exists() else "no warehouse (none was published yet)"
    try:
        command = [str(bin_dir / "dbt"), "build", "--target-path", args.target_path]
        if args.vars:
            command += ["--vars", args.vars]
        if run(command, env) != 0:
            print(f"publish: FAILED: dbt build failed; {published} is untouched ({state}).", file=sys.stderr)
            return 1
        if not args.skip_validation:
            html = published.parent / "data_docs" / f"{published.stem}.html"
            command = [sys.executable, str(PROJECT_DIR / "scripts" / "validate.py"),
                       "--warehouse", str(building), "--html", str(html), *args.validate_args.split()]
            if run(command, env) != 0:
                print(f"publish: FAILED: validation failed; {published} is untouched ({state}).", file=sys.stderr)
                return 1
        # A DuckDB file closed by dbt has its WAL checkpointed: the single file is the database.
        if building.with_name(building.name + ".wal").exists():
            print("publish: FAILED: the new warehouse still has a WAL file; not published.", file=sys.stderr)
            return 1
        os.replace(building, published)
        print(f"publish: published {published}")
        return 0
    except KeyboardInterrupt:
        print(f"publish: interrupted; {published} is untouched ({state}).", file=sys.stderr)
        return 130
    finally:
        remove_quietly(building)


def main(argv: list[str] | None = None) -> int:
    return publish(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
