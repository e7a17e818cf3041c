"""What the schema needs beyond tables and indexes: triggers and spatial indexes.

Installed at the end of every run of the migrations (``sinkledger/db/migrations/env.py``; the
baseline migration calls it too); every statement is idempotent, so running it again changes
nothing.

- append-only guards on the journal, estimates, checkpoints and parcel history (UPDATE and
  DELETE rejected; TRUNCATE too on PostgreSQL);
- the spatial index of parcels: an R*Tree on SQLite, a PostGIS geometry column with a GiST
  index on PostgreSQL (when PostGIS is available).
"""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from ledger.people.store import install_triggers as install_person_register_guards
from ledger.store import APPEND_ONLY_TABLES
from sinkledger_base.rows import append_only_trigger_statements
from sinks import store as parcel_store


def append_only_triggers(table: str, *, sqlite: bool) -> list[str]:
    return append_only_trigger_statements(table, sqlite=sqlite, message="journal_is_append_only",
                                          function="sinkledger_append_only")


def install_extras(connection: Connection) -> None:
    """Create every trigger and spatial index the tables present need (idempotent)."""
    sqlite = connection.dialect.name == "sqlite"
    tables = set(inspect(connection).get_table_names())
    for table in APPEND_ONLY_TABLES:
        if table in tables:
            for statement in append_only_triggers(table, sqlite=sqlite):
                connection.exec_driver_sql(statement)
    if "person_access_log" in tables:
        install_person_register_guards(connection, sqlite=sqlite)
    if "parcel_version" in tables:
        parcel_store.install_parcel_history_guard(connection)
    if "parcel" in tables:
        parcel_store.install_spatial_index(connection)
