"""A full verify walks the derived tables in key order beside the replay; an index must hold that
order, so the database never sorts a table of a million rows for it (issue 16). On PostgreSQL
the walk orders text by code point (``COLLATE "C"``, as Python compares), which the key columns
collate as since migration 0022; on SQLite text compares by code point already.

Every ordered statement a full verify sends (one process, ``jobs=1``, so all are captured here)
is planned with sorting discouraged: a plan that still sorts has no index in that order."""

from __future__ import annotations

import json
import re
import sqlite3
import sys

from sqlalchemy import text

from ledger import sql as sql_module

WALKED = ("credit_block", "price_trade", "sale")  # the tables compared in key order


def _ordered_statements(service, monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The statements a full verify streams (``ledger.sql.stream_pages``, on the driver's own
    cursor, where no engine event sees them), wherever that function was imported."""
    import ledger.audit  # noqa: F401 - imported by a verify only when it runs: patched here before
    import ledger.table_audits  # noqa: F401

    sent: list[str] = []
    original = sql_module.stream_pages

    def capture(session, sql, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(sql)
        return original(session, sql, *args, **kwargs)

    for module in list(sys.modules.values()):
        if getattr(module, "stream_pages", None) is original:
            monkeypatch.setattr(module, "stream_pages", capture)
    report = service.verify(full=True, jobs=1)
    assert report.ok, report
    return [s for s in sent if "ORDER BY" in s and re.search(rf"FROM ({'|'.join(WALKED)})\b", s)]


def _sorts(node: dict) -> list[str]:  # type: ignore[type-arg]
    found = [node["Node Type"]] if "Sort" in node["Node Type"] else []
    for child in node.get("Plans", []):
        found += _sorts(child)
    return found


def test_the_tables_a_full_verify_walks_in_order_are_read_by_index(service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    statements = _ordered_statements(service, monkeypatch)
    walked = {t for t in WALKED for s in statements if re.search(rf"FROM {t}\b", s)}
    assert walked == set(WALKED), statements
    if service.db.engine.dialect.name == "postgresql":
        assert all('COLLATE "C"' in s for s in statements if "credit_block" in s or "price_trade" in s)
        with service.db.engine.connect() as conn:
            conn.execute(text("SET enable_sort = off"))
            for sql in statements:
                plan = conn.execute(text("EXPLAIN (FORMAT JSON) " + sql.replace("%(", "%%("))).scalar()
                plan = plan if isinstance(plan, list) else json.loads(plan)
                assert _sorts(plan[0]["Plan"]) == [], (sql, plan)
    else:
        path = service.db.engine.url.database
        with sqlite3.connect(path) as conn:
            for sql in statements:
                steps = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, [0] * sql.count("?"))]
                assert not [s for s in steps if "TEMP B-TREE" in s], (sql, steps)
