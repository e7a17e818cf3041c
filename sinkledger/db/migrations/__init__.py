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

from sinkledger_base.errors import Conflict

HERE = Path(__file__).resolve().parent
BASELINE = "0001"


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a database stamped by a newer release (a revision these
    migration files do not know) is refused (``database_newer_than_software``), never touched."""
    tables = set(inspect(connection).get_table_names())
    cfg = config(connection)
    if "alembic_version" in tables:
        stamped = MigrationContext.configure(connection).get_current_revision()
        if stamped is not None:
            try:
                ScriptDirectory.from_config(cfg).get_revision(stamped)
            except Exception:  # alembic's CommandError / ResolutionError: not a revision we ship
                raise Conflict("database_newer_than_software", revision=stamped[:60],
                               head=head_revision()) from None
    if "journal_entry" in tables and "alembic_version" not in tables:
        command.stamp(cfg, BASELINE)
    command.upgrade(cfg, revision)


@functools.lru_cache(maxsize=1)
def head_revision() -> str:
    return ScriptDirectory.from_config(config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
