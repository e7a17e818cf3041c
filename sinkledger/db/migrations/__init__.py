"""Schema migrations (Alembic), run by :meth:`sinkledger.db.database.Database.create_schema`: the one way
the schema is created and upgraded, on both backends, in the app, the CLI, tests and benchmarks.

``upgrade(connection)`` brings a database to the newest revision. A database created before
migrations existed (its tables are there but ``alembic_version`` is not) is stamped with the
baseline and then upgraded.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

HERE = Path(__file__).resolve().parent
BASELINE = "0001"


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(connection: Connection, revision: str = "head") -> None:
    tables = set(inspect(connection).get_table_names())
    cfg = config(connection)
    if "journal_entry" in tables and "alembic_version" not in tables:
        command.stamp(cfg, BASELINE)
    command.upgrade(cfg, revision)


@functools.lru_cache(maxsize=1)
def head_revision() -> str:
    return ScriptDirectory.from_config(config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
