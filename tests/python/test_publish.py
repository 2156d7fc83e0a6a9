"""scripts/publish.py: a reader process querying the published warehouse during a
build keeps consistent answers; a failed build leaves the published file
byte-identical; a good build is swapped in for the next reader."""

from __future__ import annotations

import hashlib
import os
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
