"""Atomic publish of the warehouse (issues 9, 19, 22).

Builds into a new DuckDB file next to the published one
(warehouse/.crm.duckdb.building-<pid>) with `dbt build`, validates it with
scripts/validate.py, and only when both succeed swaps it in place of the
published file with os.replace (an atomic rename on POSIX). A reader that opened
the published file before or during the build keeps its handle on the old file
and consistent answers; the next reader opens the new one. On any failure the
last good warehouse is left untouched, the partial file is deleted, and the
script says so and exits non-zero.

    python scripts/publish.py [--warehouse warehouse/crm.duckdb] [--vars "{raw_orders: /data/orders.parquet}"]
                              [--as-of-date 2026-06-30]

- dbt's console output goes to logs/publish/<name>/build.log (dbt's debug log,
  dbt.log, next to it); the terminal gets progress lines, the errors of a failed
  step and a summary (models, tests, rows in / kept / rejected per input,
  as_of_date, the published file).
- --vars / --as-of-date default to the environment variables CRM_BUILD_VARS /
  CRM_AS_OF_DATE (what `make build VARS=... AS_OF_DATE=...` sets): values are
  parsed as YAML here and handed to dbt as one argument, never through a shell.
- CRM_ATTACH=/path/source.duckdb attaches a DuckDB database read-only (alias
  CRM_ATTACH_ALIAS, default `source`) so a relation input such as
  `raw_orders: myschema.orders` is read from it (profile target duckdb_attach).
- When the rejected-share guard stops the build, the failed build's
  staging.rejected_rows and staging.row_accounting are kept as
  <dir>/<name>.rejected_rows.parquet and <dir>/<name>.row_accounting.parquet.
- SIGTERM (or Ctrl-C) stops the dbt child, deletes the half-built file and says so.
- A stale WAL left next to the published file by a crashed read-write session is
  moved aside (<name>.wal.stale-<time>) before the swap: it belongs to the old
  file and would break every reader of the new one.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
PROGRESS_EVERY_SECONDS = 20
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DBT_TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d\s+")
NODE_DONE = re.compile(r"^(\d+) of (\d+) (OK|PASS|ERROR|FAIL|WARN|SKIP|NO-OP)\b")
REJECTED_SHARE_MARK = "max_rejected_share"


class Terminated(Exception):
    """SIGTERM arrived."""


class PublishError(Exception):
    """A failure with a one-line message for the user."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("CRM_DUCKDB_PATH", "warehouse/crm.duckdb"),
        help="the published DuckDB file (default: $CRM_DUCKDB_PATH or warehouse/crm.duckdb)",
    )
    parser.add_argument(
        "--vars", default=os.environ.get("CRM_BUILD_VARS") or None,
        help="dbt vars as a YAML mapping (default: $CRM_BUILD_VARS)",
    )
    parser.add_argument(
        "--as-of-date", default=os.environ.get("CRM_AS_OF_DATE") or None,
        help="var as_of_date, merged into --vars (default: $CRM_AS_OF_DATE)",
    )
    parser.add_argument("--target-path", default="target/publish", help="dbt target path (default target/publish)")
    parser.add_argument("--log-dir", default=None, help="where the full logs go (default logs/publish/<name>)")
    parser.add_argument("--skip-validation", action="store_true", help="publish after dbt build alone")
    parser.add_argument(
        "--validate-args", default="", help="extra arguments for scripts/validate.py, e.g. '--as-of-date 2026-06-30'"
    )
    return parser.parse_args(argv)


def building_path(published: Path) -> Path:
    return published.with_name(f".{published.name}.building-{os.getpid()}")


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def remove_quietly(path: Path) -> bool:
    removed = False
    for candidate in (path, wal_of(path)):
        try:
            candidate.unlink()
            removed = True
        except FileNotFoundError:
            pass
    return removed


def dbt_vars(text: str | None, as_of_date: str | None) -> dict | None:
    """The vars mapping from YAML text plus as_of_date; a clear error when it is not a mapping."""
    import yaml  # PyYAML, a dependency of dbt-core

    values: dict = {}
    if text and text.strip():
        try:
            values = yaml.safe_load(text)
        except yaml.YAMLError as error:
            first = str(error).splitlines()[0]
            raise PublishError(f"VARS is not valid YAML ({first}): {text!r}. "
                               "Write a mapping, e.g. VARS=\"{raw_orders: /data/orders.parquet}\".") from None
        if not isinstance(values, dict):
            raise PublishError(f"VARS must be a YAML mapping such as {{raw_orders: /data/orders.parquet}}; got {text!r}.")
    if as_of_date:
        values["as_of_date"] = str(as_of_date)
    return values or None


def vars_argument(values: dict | None) -> list[str]:
    # JSON is YAML: dbt reads it back exactly; dates parsed by YAML go back as their ISO text.
    return ["--vars", json.dumps(values, default=str)] if values else []


class Child:
    """One subprocess whose output goes to a log file; progress lines on the terminal."""

    current: subprocess.Popen | None = None

    @classmethod
    def run(cls, label: str, command: list[str], env: dict[str, str], log: Path) -> int:
        log.parent.mkdir(parents=True, exist_ok=True)
        started = last_note = time.monotonic()
        with log.open("w", encoding="utf-8") as sink:
            sink.write("$ " + " ".join(command) + "\n")
            sink.flush()
            cls.current = subprocess.Popen(
                command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, encoding="utf-8", errors="replace", bufsize=1,
            )
            done = total = 0
            assert cls.current.stdout is not None
            for line in cls.current.stdout:
                sink.write(line)
                match = NODE_DONE.match(DBT_TIMESTAMP.sub("", ANSI.sub("", line).strip()))
                if match:
                    done, total = int(match.group(1)), int(match.group(2))
                now = time.monotonic()
                if now - last_note >= PROGRESS_EVERY_SECONDS:
                    progress = f"{done} of {total} nodes, " if total else ""
                    print(f"publish: {label}: {progress}{now - started:.0f} s ...", flush=True)
                    last_note = now
            code = cls.current.wait()
        cls.current = None
        return code

    @classmethod
    def stop(cls) -> int | None:
        """Stops the running child: SIGINT (dbt cancels its queries), SIGTERM after 5 s (a child
        started in the background by a non-interactive shell ignores SIGINT), SIGKILL after 10 s."""
        child = cls.current
        if child is None or child.poll() is not None:
            return None
        for stop in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            child.send_signal(stop)
            try:
                child.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                continue
        child.wait()
        return child.pid


def error_lines(log: Path, limit: int = 30) -> list[str]:
    """The failure section of a dbt console log (after 'Completed with'), else its last lines."""
    lines = [DBT_TIMESTAMP.sub("", ANSI.sub("", line)).rstrip() for line in log.read_text("utf-8", "replace").splitlines()]
    start = next((i for i, line in enumerate(lines) if line.startswith("Completed with")), None)
    chosen = lines[start + 1:] if start is not None else lines[-limit:]
    chosen = [line for line in chosen if line.strip() and not line.strip().startswith(("Done. PASS=", "> "))]
    return chosen[:limit]


def rejected_share_failed(target_path: Path) -> bool:
    try:
        results = json.loads((target_path / "run_results.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return False
    return any(r.get("status") == "error" and REJECTED_SHARE_MARK in (r.get("message") or "") for r in results)


def keep_rejected_rows(building: Path, published: Path, values: dict | None, env: dict[str, str],
                       args: argparse.Namespace, log_dir: Path) -> list[Path]:
    """The failed build's rejected rows and row accounting as Parquet next to the published file.

    The guard stops the base model of the input before staging.rejected_rows is built, so the
    validation layer is rebuilt into the failed file with the guard off (max_rejected_share: 1)."""
    import duckdb

    rerun_vars = dict(values or {}, max_rejected_share=1)
    command = [str(Path(sys.executable).parent / "dbt"), "run", "--no-use-colors", "--target-path",
               str(Path(args.target_path) / "rejected"), "--log-path", str(log_dir),
               "--select", "+rejected_rows", "+row_accounting", *vars_argument(rerun_vars)]
    print("publish: keeping the failed build's rejected rows (staging models again, threshold off) ...", flush=True)
    if Child.run("rejected rows", command, env, log_dir / "rejected_rows.log") != 0:
        print(f"publish: could not rebuild staging.rejected_rows; see {log_dir / 'rejected_rows.log'}", file=sys.stderr)
        return []
    kept = []
    with duckdb.connect(str(building), read_only=True) as connection:
        for table in ("rejected_rows", "row_accounting"):
            out = published.with_name(f"{published.stem}.{table}.parquet")
            partial = out.with_name(f".{out.name}.{os.getpid()}")
            connection.execute(f"copy (select * from staging.{table}) to '{partial}' (format parquet)")
            os.chmod(partial, 0o600)  # raw values of rejected rows: the owner's eyes only
            os.replace(partial, out)
            kept.append(out)
    return kept


def summary(building: Path, target_path: Path, published: Path, log_dir: Path) -> list[str]:
    """Models, tests, rows per input and as_of_date of the build (read from the new file)."""
    import duckdb

    lines = []
    try:
        results = json.loads((target_path / "run_results.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        results = []
    kinds: dict[str, dict[str, int]] = {}
    for result in results:
        kind = result.get("unique_id", "").split(".")[0]
        kinds.setdefault(kind, {}).setdefault(result.get("status"), 0)
        kinds[kind][result.get("status")] += 1
    for kind, label in (("seed", "seeds"), ("model", "models"), ("test", "tests"), ("unit_test", "unit tests")):
        if kind in kinds:
            counts = ", ".join(f"{n} {status}" for status, n in sorted(kinds[kind].items()))
            lines.append(f"  {label:<11} {counts}")
    with duckdb.connect(str(building), read_only=True) as connection:
        try:
            rows = connection.execute(
                "select input_name, rows_in, rows_kept, rows_rejected, duplicates_collapsed + versions_superseded"
                " from staging.row_accounting order by input_name"
            ).fetchall()
        except duckdb.Error:
            rows = []
        if rows:
            lines.append(f"  {'input':<18}{'rows in':>12}{'kept':>12}{'rejected':>10}{'duplicates, old versions':>26}")
            lines += [f"  {name:<18}{rows_in:>12,}{kept:>12,}{rejected:>10,}{other:>26,}"
                      for name, rows_in, kept, rejected, other in rows]
        try:
            as_of = connection.execute("select max(as_of_date) from marts.customer_rfm").fetchone()[0]
            lines.append(f"  as_of_date  {as_of}")
        except duckdb.Error:
            pass
    lines.append(f"  warehouse   {published}")
    lines.append(f"  full logs   {log_dir}/")
    return lines


def set_aside_stale_wal(published: Path) -> Path | None:
    """Moves a WAL left by a crashed read-write session of the old file out of the way.

    Raises PublishError when a live read-write session still holds the file."""
    wal = wal_of(published)
    if not wal.exists():
        return None
    if published.exists():
        with published.open("rb") as handle:
            try:  # DuckDB writers hold an exclusive POSIX lock, readers a shared one
                fcntl.lockf(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                fcntl.lockf(handle, fcntl.LOCK_UN)
            except OSError:
                raise PublishError(
                    f"a read-write session holds {published} (its WAL is in use); close it and publish again."
                ) from None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = wal.with_name(f"{wal.name}.stale-{stamp}")
    os.replace(wal, aside)
    return aside


def on_sigterm(signum, frame):  # noqa: ARG001 - signal handler signature
    raise Terminated


def publish(args: argparse.Namespace) -> int:
    published = Path(args.warehouse)
    if not published.is_absolute():
        published = PROJECT_DIR / published
    published.parent.mkdir(parents=True, exist_ok=True)
    target_path = Path(args.target_path)
    if not target_path.is_absolute():
        target_path = PROJECT_DIR / target_path
    log_dir = Path(args.log_dir) if args.log_dir else PROJECT_DIR / "logs" / "publish" / published.stem
    building = building_path(published)
    remove_quietly(building)
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ)
    env.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR / "profiles"))
    env["CRM_DUCKDB_PATH"] = str(building)
    state = "the last good warehouse" if published.exists() else "no warehouse (none was published yet)"
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        values = dbt_vars(args.vars, args.as_of_date)
        if env.get("CRM_ATTACH"):
            attach = Path(env["CRM_ATTACH"])
            if not attach.is_file():
                raise PublishError(f"CRM_ATTACH: no DuckDB file at '{attach}'; set it to the database to read from.")
            if env.get("CRM_TARGET", "duckdb") == "duckdb":
                env["CRM_TARGET"] = "duckdb_attach"
            print(f"publish: {attach} attached read-only as "
                  f"'{env.get('CRM_ATTACH_ALIAS', 'source')}' for relation inputs", flush=True)
        command = [str(bin_dir / "dbt"), "build", "--no-use-colors", "--target-path", str(target_path),
                   "--log-path", str(log_dir), *vars_argument(values)]
        print(f"publish: dbt build into {building.name} (log: {log_dir / 'build.log'}) ...", flush=True)
        started = time.monotonic()
        if Child.run("dbt build", command, env, log_dir / "build.log") != 0:
            for line in error_lines(log_dir / "build.log"):
                print("  " + line, file=sys.stderr)
            kept = []
            if rejected_share_failed(target_path):
                try:
                    kept = keep_rejected_rows(building, published, values, env, args, log_dir)
                except Exception as error:  # noqa: BLE001 - the build's own failure is the message that matters
                    print(f"publish: could not keep the rejected rows: {error}", file=sys.stderr)
            print(f"publish: FAILED: dbt build failed; {published} is untouched ({state}). "
                  f"Full log: {log_dir / 'build.log'}", file=sys.stderr)
            for path in kept:
                print(f"publish: the failed build's {path.name.split('.')[-2]}: {path}", file=sys.stderr)
            return 1
        print(f"publish: dbt build done in {time.monotonic() - started:.0f} s", flush=True)
        if not args.skip_validation:
            html = published.parent / "data_docs" / f"{published.stem}.html"
            command = [sys.executable, str(PROJECT_DIR / "scripts" / "validate.py"),
                       "--warehouse", str(building), "--html", str(html), *args.validate_args.split()]
            print(f"publish: validating (Great Expectations; results {html}) ...", flush=True)
            if Child.run("validation", command, env, log_dir / "validate.log") != 0:
                lines = (log_dir / "validate.log").read_text("utf-8", "replace").splitlines()
                for line in [line for line in lines if "FAILED" in line][:30] or lines[-20:]:
                    print("  " + line, file=sys.stderr)
                print(f"publish: FAILED: validation failed; {published} is untouched ({state}).", file=sys.stderr)
                return 1
        # A DuckDB file closed by dbt has its WAL checkpointed: the single file is the database.
        if wal_of(building).exists():
            print("publish: FAILED: the new warehouse still has a WAL file; not published.", file=sys.stderr)
            return 1
        lines = summary(building, target_path, published, log_dir)
        aside = set_aside_stale_wal(published)
        if aside:
            print(f"publish: moved a stale WAL of the previous file (a crashed read-write session) aside: {aside}")
        os.replace(building, published)
        for table in ("rejected_rows", "row_accounting"):  # a previous failure's rows no longer apply
            remove_quietly(published.with_name(f"{published.stem}.{table}.parquet"))
        print(f"publish: published {published}")
        print("\n".join(lines), flush=True)
        return 0
    except PublishError as error:
        print(f"publish: FAILED: {error} {published} is untouched ({state}).", file=sys.stderr)
        return 1
    except (Terminated, KeyboardInterrupt) as stop:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        pid = Child.stop()
        removed = remove_quietly(building)
        why = "terminated (SIGTERM)" if isinstance(stop, Terminated) else "interrupted"
        stopped = f"stopped dbt (pid {pid}); " if pid else ""
        half = f"removed the half-built {building}; " if removed else ""
        print(f"publish: {why}: {stopped}{half}{published} is untouched ({state}).", file=sys.stderr, flush=True)
        return 143 if isinstance(stop, Terminated) else 130
    finally:
        remove_quietly(building)


def main(argv: list[str] | None = None) -> int:
    return publish(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
