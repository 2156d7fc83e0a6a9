"""The map customer_id -> member_id when var customer_key = hash (DuckDB only).

With customer_key = hash, staging reads every member id as
md5(salt || '|' || member_id) (macros/customer_key.sql), so no table of the
warehouse file BI tools read holds a member_id. The CRM system still needs the
member behind a customer_id (a win-back list is activated by member), so this
model writes the map to a Parquet file outside the warehouse file: var
customer_key_map_path (default warehouse/keys/customer_key_map.parquet), in a
directory created with mode 0700, the file with mode 0600 (readable by the
owner of the build only), replaced atomically. The table this model leaves in
the warehouse holds no member_id: the file's path, the number of ids and when
it was written.

The salt comes from the environment variable CRM_CUSTOMER_KEY_SALT (checked
before the run starts); the hash is the same expression as the SQL macro's, and
tests/python/test_real_exports.py checks the marts' customer_ids against the map.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def write_private_parquet(table: pa.Table, path: Path) -> None:
    """Write table to path readable by its owner only: a 0600 temporary file, then an atomic rename."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            pq.write_table(table, handle)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def model(dbt, session):
    dbt.config(materialized="table")
    sources = dbt.ref("customer_key_sources")  # a DuckDB relation over the view
    sources_view = f'"{dbt.this.database}"."{dbt.this.schema}"."customer_key_sources"'
    path = Path(dbt.config.meta_get("customer_key_map_path"))
    salt = os.environ["CRM_CUSTOMER_KEY_SALT"].strip()
    salt_literal = "'" + (salt + "|").replace("'", "''") + "'"
    mapping = sources.query(
        "ids", f"select md5({salt_literal} || member_id) as customer_id, member_id from ids order by member_id"
    ).df()
    try:
        write_private_parquet(pa.Table.from_pandas(mapping, preserve_index=False), path)
    finally:
        # The view over the raw member ids must not stay in the file BI tools read.
        session.execute(f"drop view if exists {sources_view}")
    return pd.DataFrame({
        "map_path": [str(path.resolve())],
        "customers": [len(mapping)],
        "written_at": [dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)],
    })
