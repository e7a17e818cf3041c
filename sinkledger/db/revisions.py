"""The schema revision without Alembic: what every start-up asks, at the price of one query.

Alembic (and its Mako templates) loads only when a database is actually migrated
(:mod:`sinkledger.db.migrations`); opening a database that is already current reads
``alembic_version`` with a plain query and compares it with the head revision read from the
migration files' ``revision`` / ``down_revision`` lines (issue 17: a command imports only what it
needs). ``tests/test_cli_imports.py`` checks that this head is Alembic's own.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"
CURRENT_SQL = "SELECT version_num FROM alembic_version"
_ASSIGNMENT = re.compile(r"""^(revision|down_revision)\s*(?::[^=]*)?=\s*(?:['"]([^'"]+)['"]|None)""", re.M)


@functools.lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The one revision no other revision names as its ``down_revision``; None when the files do
    not show exactly one (then the caller asks Alembic, which knows every form a script may take)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in VERSIONS.glob("*.py"):
        found = dict((m.group(1), m.group(2)) for m in _ASSIGNMENT.finditer(script.read_text(encoding="utf-8")))
        if "revision" not in found or found["revision"] is None:
            continue
        revisions.add(found["revision"])
        if found.get("down_revision"):
            parents.add(found["down_revision"])
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def current_revision(rows: Any) -> str | None:
    """The stamped revision, from ``rows(sql)`` (a callable returning the result rows), or None
    when the stamp table holds no row."""
    found = rows(CURRENT_SQL)
    return found[0][0] if len(found) == 1 else None
