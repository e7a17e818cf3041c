"""``ledger.queries.page_of``: one page of a query and how many rows match, the count left out
when the page itself tells the total."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, event
from sqlmodel import Session, create_engine, select

from ledger.queries import page_of

# a table of its own metadata: the project's (SQLModel.metadata) is the declared schema
_ROWS = Table("page_of_row", MetaData(), Column("id", Integer, primary_key=True))
_ENGINE = create_engine("sqlite://")
_ROWS.metadata.create_all(_ENGINE)
_STATEMENTS: list[str] = []
event.listen(_ENGINE, "before_cursor_execute", lambda *args: _STATEMENTS.append(args[2]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(0, 30), limit=st.one_of(st.none(), st.integers(1, 12)), offset=st.integers(0, 40))
def test_a_page_is_the_slice_of_every_row_and_the_total_is_exact(n: int, limit: int | None, offset: int) -> None:
    with Session(_ENGINE) as s:
        s.connection().execute(_ROWS.delete())
        if n:
            s.connection().execute(_ROWS.insert(), [{"id": i} for i in range(n)])
        _STATEMENTS.clear()
        rows, total = page_of(s, select(_ROWS.c.id).order_by(_ROWS.c.id), limit=limit, offset=offset)
        expected = list(range(n))[offset:None if limit is None else offset + limit]
        assert list(rows) == expected and total == n
        counted = any("count(" in sql.lower() for sql in _STATEMENTS)
        # counted only when the page cannot tell: a full page, or nothing after a skip
        assert counted == ((limit is not None and len(rows) == limit) or (not rows and offset > 0))
        s.rollback()
