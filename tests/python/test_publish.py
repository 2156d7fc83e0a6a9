"""scripts/publish.py: a reader process querying the published warehouse during a
build keeps consistent answers; a failed build leaves the published file
byte-identical; a good build is swapped in for the next reader."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from conftest import FIXTURES_DIR, PROJECT_DIR

PUBLISH = PROJECT_DIR / "scripts" / "publish.py"
HOSTILE = FIXTURES_DIR / "hostile"

READER = r"""
import sys, time, duckdb
path, out, stop = sys.argv[1], sys.argv[2], sys.argv[3]
import os
import signal
connection = duckdb.connect(path, read_only=True)
answers = set()
while not os.path.exists(stop):
    answers.add(tuple(str(value) for value in connection.execute(
        "select count(*), sum(monetary), max(as_of_date) from marts.customer_rfm"
    ).fetchone()))
    time.sleep(0.05)
open(out, "w").write("\n".join("|".join(answer) for answer in sorted(answers)))
"""


def _publish(warehouse: Path, dbt_vars: str | None, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, DBT_PROFILES_DIR=str(PROJECT_DIR / "profiles"), CRM_TARGET="duckdb",
               CRM_DUCKDB_TEMP_DIR=str(tmp_path / ".tmp"))
    return subprocess.run(
        [sys.executable, str(PUBLISH), "--warehouse", str(warehouse), "--target-path", str(tmp_path / "target"),
         *(["--vars", dbt_vars] if dbt_vars else [])],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=1500, check=False,
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_publish_is_atomic_for_readers_and_failed_builds(tmp_path: Path) -> None:
    warehouse = tmp_path / "crm.duckdb"
    # the demo data: the whole project builds and validates on it
    first = _publish(warehouse, None, tmp_path)
    assert first.returncode == 0, (first.stdout + first.stderr)[-4000:]
    assert "publish: published" in first.stdout
    assert not list(tmp_path.glob(".crm.duckdb.building-*"))
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        before = connection.execute("select count(*), sum(monetary), max(as_of_date) from marts.customer_rfm").fetchone()

    # a reader holds the published file open and queries in a loop during the next builds
    stop, out = tmp_path / "stop", tmp_path / "answers.txt"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(warehouse), str(out), str(stop)])
    try:
        time.sleep(1)
        # a build that fails midway: orders models build, then the members input breaks
        digest = _digest(warehouse)
        bad_vars = f"{{raw_members: '{HOSTILE / 'members_without_member_id.csv'}'}}"
        failed = _publish(warehouse, bad_vars, tmp_path)
        assert failed.returncode != 0
        assert "FAILED: dbt build failed" in failed.stderr and "is untouched" in failed.stderr
        assert "Traceback" not in failed.stdout + failed.stderr
        assert _digest(warehouse) == digest
        assert not list(tmp_path.glob(".crm.duckdb.building-*"))

        # a good build with another as_of_date is swapped in while the reader still reads
        second = _publish(warehouse, "{as_of_date: '2026-06-29'}", tmp_path)
        assert second.returncode == 0, (second.stdout + second.stderr)[-4000:]
    finally:
        stop.touch()
        reader.wait(timeout=60)
    assert reader.returncode == 0
    answers = out.read_text().splitlines()
    # the open handle saw one consistent warehouse throughout, across the failed build and the swap
    assert answers == ["|".join(str(value) for value in before)], answers

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        after = connection.execute("select max(as_of_date) from marts.customer_rfm").fetchone()[0]
    assert str(after) == "2026-06-29"  # the next reader sees the new warehouse


# --- issue 19 (hostile operations) and 22 (quiet build) ------------------------------------------

DIRTY = FIXTURES_DIR / "dirty"
MINIMAL_ORDERS = FIXTURES_DIR / "minimal" / "raw_orders.csv"
VENV = Path(sys.executable).parent.parent


def _make_build(tmp_path: Path, warehouse: Path, *assignments: str, env: dict[str, str] | None = None,
                popen: bool = False):
    command = ["make", "--no-print-directory", "build", f"VENV={VENV}", f"CRM_DUCKDB_PATH={warehouse}",
               f"PUBLISH_TARGET_PATH={tmp_path / 'target'}", *assignments]
    full_env = dict(os.environ, CRM_TARGET="duckdb", CRM_DUCKDB_TEMP_DIR=str(tmp_path / ".tmp"), **(env or {}))
    full_env.pop("CRM_BUILD_VARS", None)
    full_env.pop("CRM_AS_OF_DATE", None)
    if popen:
        return subprocess.Popen(command, cwd=PROJECT_DIR, env=full_env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, cwd=PROJECT_DIR, env=full_env, capture_output=True, text=True,
                          timeout=1500, check=False)


def _csv_data_rows(path: Path) -> int:
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_rejected_share_failure_keeps_the_failed_builds_rejected_rows(tmp_path: Path) -> None:
    warehouse = tmp_path / "rejects.duckdb"
    failed = _publish(warehouse, f"{{raw_orders: '{DIRTY / 'raw_orders.csv'}'}}", tmp_path)
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output[-4000:]
    assert "Input 'orders'" in failed.stderr and "above the threshold" in failed.stderr
    assert "is untouched" in failed.stderr and "Traceback" not in output
    assert not warehouse.exists() and not list(tmp_path.glob(".rejects.duckdb.building-*"))
    rejected = tmp_path / "rejects.rejected_rows.parquet"
    accounting = tmp_path / "rejects.row_accounting.parquet"
    assert str(rejected) in failed.stderr and str(accounting) in failed.stderr
    assert oct(rejected.stat().st_mode & 0o777) == "0o600"  # raw values: the owner's eyes only
    with duckdb.connect() as connection:
        rows_in, kept, rejected_rows, duplicates, superseded = connection.execute(
            f"select rows_in, rows_kept, rows_rejected, duplicates_collapsed, versions_superseded"
            f" from '{accounting}' where input_name = 'orders'").fetchone()
        listed = connection.execute(
            f"select count(*), count(distinct reason_code) from '{rejected}' where input_name = 'orders'").fetchone()
    # every raw line of the file is accounted for, and the rejected ones are all listed with a reason
    assert rows_in == _csv_data_rows(DIRTY / "raw_orders.csv")
    assert rows_in == kept + rejected_rows + duplicates + superseded
    assert listed[0] == rejected_rows > 0 and listed[1] > 0


def test_make_build_passes_quotes_and_shell_syntax_verbatim(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    nasty = f"""/nonexistent/it's "q" $(touch {marker}1); `touch {marker}2`; $$HOME $(shell touch {marker}3).csv"""
    dbt_vars = "{raw_orders: '" + nasty.replace("'", "''") + "'}"
    result = _make_build(tmp_path, tmp_path / "quotes.duckdb", f"VARS={dbt_vars}")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"raw_orders: no file matches '{nasty}'" in output, output[-3000:]
    as_of = f"""2024-06-30'; touch {marker}4 #"$(touch {marker}5)`touch {marker}6`"""
    result = _make_build(tmp_path, tmp_path / "quotes.duckdb", f"VARS={{raw_orders: '{MINIMAL_ORDERS}'}}",
                         f"AS_OF_DATE={as_of}")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "var as_of_date" in output and "is not a date" in output, output[-3000:]
    assert as_of in output  # named verbatim
    assert not list(tmp_path.glob("pwned*")), "shell code in VARS / AS_OF_DATE ran"
    assert not (tmp_path / "quotes.duckdb").exists()


def test_sigterm_stops_dbt_and_removes_the_half_built_file(tmp_path: Path) -> None:
    warehouse = tmp_path / "sigterm.duckdb"
    build = _make_build(tmp_path, warehouse, popen=True)
    log = PROJECT_DIR / "logs" / "publish" / "sigterm" / "build.log"
    deadline = time.monotonic() + 600
    # wait until dbt has created the new file and is building models
    while time.monotonic() < deadline and build.poll() is None:
        if list(tmp_path.glob(".sigterm.duckdb.building-*")) and log.exists() and " OK created " in log.read_text():
            break
        time.sleep(0.5)
    assert build.poll() is None, "the build ended before the test could interrupt it"
    build.send_signal(signal.SIGTERM)
    stdout, stderr = build.communicate(timeout=120)
    assert build.returncode != 0
    assert "terminated (SIGTERM): stopped dbt (pid" in stderr, stdout[-2000:] + stderr[-2000:]
    assert "removed the half-built" in stderr and "is untouched" in stderr
    assert not list(tmp_path.glob(".sigterm.duckdb.building-*")) and not warehouse.exists()
    pid = int(stderr.split("stopped dbt (pid ")[1].split(")")[0])
    time.sleep(1)
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text(), \
        "dbt still runs"


CRASHED_WRITER = r"""
import os, signal, sys, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("set checkpoint_threshold = '1TB'")
connection.execute("create table main.scratch as select 42 as answer")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_stale_wal_never_breaks_readers_after_the_next_publish(tmp_path: Path) -> None:
    warehouse = tmp_path / "walled.duckdb"
    minimal = f"{{raw_orders: '{MINIMAL_ORDERS}'}}"
    first = _publish(warehouse, minimal, tmp_path)
    assert first.returncode == 0, (first.stdout + first.stderr)[-4000:]
    # a read-write session on the published file crashes, leaving its WAL behind
    subprocess.run([sys.executable, "-c", CRASHED_WRITER, str(warehouse)], check=False, timeout=120)
    wal = warehouse.with_name(warehouse.name + ".wal")
    assert wal.exists()

    second = _publish(warehouse, minimal, tmp_path)
    assert second.returncode == 0, (second.stdout + second.stderr)[-4000:]
    assert "moved a stale WAL" in second.stdout
    assert not wal.exists()
    aside = list(tmp_path.glob("walled.duckdb.wal.stale-*"))
    assert len(aside) == 1  # kept, not deleted
    reader = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True);"
         " print(c.execute('select count(*) from marts.customers').fetchone()[0])", str(warehouse)],
        capture_output=True, text=True, timeout=120, check=False)
    assert reader.returncode == 0 and int(reader.stdout) > 0, reader.stderr
    # the premise: the old WAL next to the new file is what breaks a reader
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    copy.with_name(copy.name + ".wal").write_bytes(aside[0].read_bytes())
    try:
        with duckdb.connect(str(copy), read_only=True) as connection:
            connection.execute("select 1").fetchone()
        broke = False
    except duckdb.Error:
        broke = True
    assert broke, "an old WAL next to a new file no longer breaks readers: the test lost its premise"


def test_relation_input_from_an_attached_database_through_make_build(tmp_path: Path) -> None:
    source = tmp_path / "crm_source.duckdb"
    with duckdb.connect(str(source)) as connection:
        connection.execute("create schema myschema")
        connection.execute(f"create table myschema.orders as select * from read_csv('{MINIMAL_ORDERS}', all_varchar=true)")
    warehouse = tmp_path / "attached.duckdb"
    result = _make_build(tmp_path, warehouse, "VARS={raw_orders: myschema.orders}", env={"CRM_ATTACH": str(source)})
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "attached read-only as 'source'" in result.stdout
    import csv

    with MINIMAL_ORDERS.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows_in = connection.execute(
            "select rows_in from staging.row_accounting where input_name = 'orders'").fetchone()[0]
        members = connection.execute("select count(distinct customer_id) from marts.orders").fetchone()[0]
    assert rows_in == len(rows)
    assert members == len({row["member_id"] for row in rows} - {""})  # a blank member_id is a guest
    # the source database was only read
    with duckdb.connect(str(source), read_only=True) as connection:
        assert connection.execute("select count(*) from myschema.orders").fetchone()[0] == len(rows)

    missing = _make_build(tmp_path, tmp_path / "attached2.duckdb", "VARS={raw_orders: myschema.nosuch}",
                          env={"CRM_ATTACH": str(source)})
    assert missing.returncode != 0
    assert "raw_orders: relation 'myschema.nosuch' does not exist" in missing.stdout + missing.stderr


LIVE_WRITER = r"""
import sys, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("set checkpoint_threshold = '1TB'")
connection.execute("create table main.scratch as select 42 as answer")
print("writing", flush=True)
sys.stdin.read()
"""


def test_a_wal_of_a_live_writer_stops_the_publish_instead_of_being_moved(tmp_path: Path) -> None:
    sys.path.insert(0, str(PUBLISH.parent))
    import publish

    warehouse = tmp_path / "live.duckdb"
    writer = subprocess.Popen([sys.executable, "-c", LIVE_WRITER, str(warehouse)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        assert warehouse.with_name("live.duckdb.wal").exists()
        try:
            publish.set_aside_stale_wal(warehouse)
            refused = False
        except publish.PublishError as error:
            refused = "a read-write session holds" in str(error)
        assert refused
        assert warehouse.with_name("live.duckdb.wal").exists()  # left alone
    finally:
        assert writer.stdin is not None
        writer.stdin.close()
        writer.wait(timeout=60)
