"""Alembic environment: the schema of every sinkledger table, on SQLite or PostgreSQL.

Run through :func:`sinkledger.db.migrations.upgrade` (``Database.create_schema`` does), or by hand
with ``alembic -c sinkledger/db/migrations/alembic.ini upgrade head`` and ``DATABASE_URL`` set.
Every run ends by installing the triggers and spatial indexes the tables present need
(:func:`sinkledger.db.schema.install_extras`, idempotent), so the guards come with the tables
whichever way the migrations are run.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import sinkledger.db.database  # noqa: F401 - imports every table module
from sinkledger.config import load_settings
from sinkledger.db.schema import install_extras

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return

    engine = create_engine(config.get_main_option("sqlalchemy.url") or load_settings().database_url)
    with engine.begin() as conn:
        _run(conn)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)

    with context.begin_transaction():
        context.run_migrations()
        install_extras(connection)


run_migrations_online()
