#!/usr/bin/env bash
# Local test of the `thrift` profile target (docs/operations.md "Running on a Spark cluster").
#
# Starts a Spark Thrift Server (HiveThriftServer2, from the jars of the pyspark in .venv)
# on 127.0.0.1, waits for its port, runs `dbt build` against it with CRM_TARGET=thrift
# from a separate virtualenv that has dbt-spark's PyHive extra, then stops the server.
# With --parity it then builds the same selection on DuckDB and compares every table
# with scripts/spark_parity.py (it reads the Parquet files the server wrote).
#
#   scripts/spark_thrift_local.sh                            # the whole project
#   scripts/spark_thrift_local.sh --parity --select +customer_rfm --indirect-selection cautious
# dbt build arguments pass through. A selection needs --indirect-selection cautious: the
# server starts empty, so a test that also reads an unselected model (a relationships
# test) would fail on the missing table.
#
# Not part of `make test` (a CI time budget); `make test-spark-thrift` runs it.
# The PyHive / thrift / SASL libraries go into their own virtualenv, never into .venv:
#   python3.11 -m venv .venv-thrift
#   .venv-thrift/bin/pip install -c requirements.txt \
#       dbt-core==1.11.16 dbt-duckdb==1.11.1 "dbt-spark[PyHive]==1.11.0"
#
# Environment (defaults in brackets):
#   CRM_THRIFT_VENV       the virtualenv with dbt-spark[PyHive]               [.venv-thrift]
#   CRM_THRIFT_DIR        fresh directory (deleted first) for the server's tables and logs
#                                                                             [warehouse/spark-thrift]
#   CRM_SPARK_PORT        Thrift port, bound to 127.0.0.1                     [10000]
#   CRM_SPARK_MASTER      [local[2]]      CRM_SPARK_DRIVER_MEMORY [4g]     CRM_SPARK_THREADS [2]
#   CRM_SPARK_SHUFFLE_PARTITIONS  the server's shuffle partitions                [2]
#   CRM_SPARK_ADAPTIVE    adaptive execution of dbt's sessions (the thrift target sends
#                         it; the server keeps Spark's default, on, as a cluster does) [false]
#   CRM_SPARK_CATALOG     in-memory (tables live as long as the server) or hive (Derby
#                         metastore under CRM_THRIFT_DIR)                     [in-memory]
#   CRM_THRIFT_NICE       nice level of the server and dbt                    [19]
#   CRM_THRIFT_START_TIMEOUT  seconds to wait for the port                    [300]
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD

parity=0
args=()
for arg in "$@"; do
    case $arg in
        --parity) parity=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) args+=("$arg") ;;
    esac
done

venv=${CRM_THRIFT_VENV:-.venv-thrift}
spark_dir=${CRM_THRIFT_DIR:-warehouse/spark-thrift}
port=${CRM_SPARK_PORT:-10000}
nice_level=${CRM_THRIFT_NICE:-19}
start_timeout=${CRM_THRIFT_START_TIMEOUT:-300}
catalog=${CRM_SPARK_CATALOG:-in-memory}
ref_duckdb=${CRM_THRIFT_REF_DUCKDB:-warehouse/spark_thrift_ref.duckdb}
target_path=target/spark_thrift

fail() { echo "spark_thrift_local: $*" >&2; exit 1; }

# --- prerequisites ---------------------------------------------------------------------
command -v java >/dev/null || fail "needs Java 17 (apt-get install openjdk-17-jre-headless)"
[[ -x .venv/bin/python ]] || fail "needs .venv with pyspark (make venv-spark)"
spark_home=$(.venv/bin/python -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null) \
    || fail "pyspark is not installed in .venv (make venv-spark)"
compgen -G "$spark_home/jars/spark-hive-thriftserver_*.jar" >/dev/null \
    || fail "$spark_home/jars has no spark-hive-thriftserver jar (pyspark from PyPI ships it)"
if [[ ! -x $venv/bin/dbt ]] || ! "$venv/bin/python" -c 'import pyhive.hive, thrift, thrift_sasl, dbt.adapters.spark' 2>/dev/null; then
    fail "needs a virtualenv with dbt-spark's PyHive extra at $venv (CRM_THRIFT_VENV), e.g.
    python3.11 -m venv $venv
    $venv/bin/pip install -c requirements.txt dbt-core==1.11.16 dbt-duckdb==1.11.1 'dbt-spark[PyHive]==1.11.0'"
fi
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_open "$port" && fail "port $port on 127.0.0.1 is already in use (another Thrift server?); set CRM_SPARK_PORT"

# --- start the server ------------------------------------------------------------------
rm -rf "$spark_dir"
mkdir -p "$spark_dir/tmp"
spark_dir=$(cd "$spark_dir" && pwd)
log=$spark_dir/server.log
# Server settings only, as a cluster's server has them: the session settings (UTC, ANSI
# off, Parquet tables, adaptive execution) come from the thrift target of
# profiles/profiles.yml, which this run tests.
conf=(
    --conf "spark.sql.catalogImplementation=$catalog"
    --conf "spark.sql.warehouse.dir=$spark_dir/warehouse"
    --conf "spark.local.dir=$spark_dir/tmp"
    --conf "spark.sql.shuffle.partitions=${CRM_SPARK_SHUFFLE_PARTITIONS:-2}"
    --conf spark.ui.enabled=false
)
if [[ $catalog == hive ]]; then
    # A file Derby metastore under spark_dir. Not with in-memory: derby.system.home then
    # breaks the Thrift server's own temporary (in-memory Derby) metastore.
    conf+=(--conf "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName=$spark_dir/metastore_db;create=true"
           --driver-java-options "-Dderby.system.home=$spark_dir")
fi
echo "== Spark Thrift Server on 127.0.0.1:$port (${CRM_SPARK_MASTER:-local[2]}, $catalog catalog, tables under $spark_dir/warehouse; log $log)"
start=$(date +%s)
# The working directory holds derby.log and the server's scratch files.
(cd "$spark_dir" && SPARK_HOME=$spark_home SPARK_LOCAL_IP=127.0.0.1 exec nice -n "$nice_level" \
    "$spark_home/bin/spark-submit" --class org.apache.spark.sql.hive.thriftserver.HiveThriftServer2 \
    --name crm-thrift-local --master "${CRM_SPARK_MASTER:-local[2]}" \
    --driver-memory "${CRM_SPARK_DRIVER_MEMORY:-4g}" "${conf[@]}" spark-internal \
    --hiveconf "hive.server2.thrift.port=$port" --hiveconf hive.server2.thrift.bind.host=127.0.0.1 \
    --hiveconf "hive.server2.logging.operation.log.location=$spark_dir/operation_logs" \
    >"$log" 2>&1) &
server_pid=$!

stop_server() {
    if kill -0 "$server_pid" 2>/dev/null; then
        echo "== stopping the Thrift server (pid $server_pid)"
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 30); do kill -0 "$server_pid" 2>/dev/null || return 0; sleep 1; done
        kill -9 "$server_pid" 2>/dev/null || true
    fi
}
trap stop_server EXIT

until port_open "$port"; do
    kill -0 "$server_pid" 2>/dev/null || { tail -n 30 "$log" >&2; fail "the Thrift server exited before opening port $port (log: $log)"; }
    (( $(date +%s) - start < start_timeout )) || { tail -n 30 "$log" >&2; fail "port $port not open after $start_timeout s (log: $log)"; }
    sleep 2
done
up=$(date +%s)
echo "== server up after $((up - start)) s"

# --- dbt through the thrift method -----------------------------------------------------
set +e
CRM_TARGET=thrift CRM_SPARK_HOST=127.0.0.1 CRM_SPARK_PORT=$port CRM_SPARK_AUTH=NONE \
    CRM_SPARK_THREADS=${CRM_SPARK_THREADS:-2} DBT_PROFILES_DIR=$root/profiles \
    nice -n "$nice_level" "$venv/bin/dbt" build --target-path "$target_path" ${args[@]+"${args[@]}"}
dbt_rc=$?
set -e
built=$(date +%s)
echo "== dbt build through thrift: exit $dbt_rc, $((built - up)) s (server start $((up - start)) s)"
stop_server
trap - EXIT
(( dbt_rc == 0 )) || exit "$dbt_rc"

# --- parity with DuckDB ----------------------------------------------------------------
if (( parity )); then
    echo "== DuckDB build of the same selection into $ref_duckdb"
    mkdir -p "$(dirname "$ref_duckdb")"
    rm -f "$ref_duckdb" "$ref_duckdb.wal"
    CRM_TARGET=duckdb CRM_DUCKDB_PATH=$ref_duckdb DBT_PROFILES_DIR=$root/profiles \
        nice -n "$nice_level" .venv/bin/dbt build --resource-type seed --resource-type model \
        --target-path target/spark_thrift_ref ${args[@]+"${args[@]}"}
    if (( ${#args[@]} )); then
        # A selection's upstream differs by engine (on DuckDB, int_customer_state also reads
        # the CLV Python models): compare only what the Spark build made.
        echo "== keeping in $ref_duckdb only the tables the Spark build made"
        .venv/bin/python - "$ref_duckdb" "$target_path" <<'PY'
import json, sys
import duckdb
ref, target = sys.argv[1], sys.argv[2]
manifest = json.load(open(f"{target}/manifest.json"))
results = json.load(open(f"{target}/run_results.json"))["results"]
built = {(manifest["nodes"][r["unique_id"]]["schema"].lower(), manifest["nodes"][r["unique_id"]]["alias"].lower())
         for r in results if r["unique_id"] in manifest["nodes"] and r["status"] == "success"}
con = duckdb.connect(ref)
for schema, table, kind in con.execute(
        "select table_schema, table_name, table_type from information_schema.tables"
        " where table_schema in ('marts', 'intermediate', 'staging', 'raw')").fetchall():
    if (schema.lower(), table.lower()) not in built:
        con.execute(f'drop {"view" if kind == "VIEW" else "table"} "{schema}"."{table}"')
        print(f"  dropped {schema}.{table}")
con.close()
PY
    fi
    echo "== Parity"
    .venv/bin/python scripts/spark_parity.py --spark-dir "$spark_dir" --duckdb "$ref_duckdb" \
        --manifest "$target_path/manifest.json" --compiled-dir "$target_path/compiled"
fi
echo "spark_thrift_local: $(( $(date +%s) - start )) s in all"
