"""A command's statements on PostgreSQL are pipelined (``ledger.sql.Tx.pipeline``): writes whose
results nobody reads share round trips. What must hold, on both backends (on SQLite the pipeline
is absent and the same rules hold): a read sees every write sent before it; a write's error,
raised later at a read or at the commit, still refuses the whole command and leaves nothing; a
value the database cannot compare is refused as bad input; the ORM session, made mid-command,
sees the plain statements' rows."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from sinkledger_base.errors import InvalidInput
from tests.ledger.conftest import held


def count(db, table: str) -> int:  # type: ignore[no-untyped-def]
    with db.plain_read() as tx:
        return tx.one(f"SELECT count(*) FROM {table}")[0]


def test_reads_see_the_writes_sent_before_them_and_a_late_error_undoes_the_command(registry):  # type: ignore[no-untyped-def]
    db = registry.db
    parties = count(db, "party")
    with db.command() as tx:
        for i in range(3):
            tx.run("INSERT INTO party (id, kind, name, county_code) VALUES (:i, 'enterprise', :n, '330523')",
                   {"i": f"PIPE-{i}", "n": f"流水线企业{i}（合成）"})
        assert tx.one("SELECT count(*) FROM party WHERE id LIKE 'PIPE-%'")[0] == 3
        assert tx.session.execute(text("SELECT count(*) FROM party WHERE id LIKE 'PIPE-%'")).scalar() == 3
    assert count(db, "party") == parties + 3
    with pytest.raises(sa_exc.IntegrityError):
        with db.command() as tx:
            tx.run("INSERT INTO party (id, kind, name, county_code) VALUES ('PIPE-9', 'enterprise', 'x', '330523')")
            tx.run("INSERT INTO party (id, kind, name, county_code) VALUES ('PIPE-0', 'enterprise', 'dup', '330523')")
            tx.run("INSERT INTO party (id, kind, name, county_code) VALUES ('PIPE-8', 'enterprise', 'y', '330523')")
            tx.one("SELECT 1")  # the duplicate's error arrives with this result (PostgreSQL)
    with pytest.raises(sa_exc.IntegrityError):
        with db.command() as tx:  # the error of the last write arrives at the commit
            tx.run("INSERT INTO party (id, kind, name, county_code) VALUES ('PIPE-7', 'enterprise', 'x', '330523')")
            tx.run("INSERT INTO party (id, kind, name, county_code) VALUES ('PIPE-1', 'enterprise', 'dup', '330523')")
    assert count(db, "party") == parties + 3  # neither refused command left a row


def test_a_value_the_database_cannot_compare_is_refused_as_bad_input(registry):  # type: ignore[no-untyped-def]
    """PostgreSQL refuses ``text = integer`` (its error arrives with the read's result, after a
    pipelined write): bad input, and the write is undone. SQLite compares anything: no row, no
    error, and the command records its write."""
    def command() -> None:
        with registry.db.command() as tx:
            tx.run("INSERT INTO party (id, kind, name, county_code) VALUES ('PIPE-5', 'enterprise', 'x', '330523')")
            assert tx.one("SELECT kind FROM party WHERE id = :id", {"id": 7}) is None

    if registry.settings.is_sqlite:
        command()
    else:
        with pytest.raises(InvalidInput) as refused:
            command()
        assert refused.value.code == "query_value_invalid"
    assert count(registry.db, "party WHERE id = 'PIPE-5'") == (1 if registry.settings.is_sqlite else 0)


def test_commands_after_a_refusal_run_on_a_clean_connection(funded):  # type: ignore[no-untyped-def]
    """A refused sale (its error raised mid-pipeline) leaves the pooled connection usable: the
    next sale on it records and the ledger verifies."""
    svc = funded
    clerk = svc.actor("clerk")
    before = held(svc, "ENT-1-H")
    with pytest.raises(InvalidInput):
        svc.sell(clerk, "pipe-bad", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=1,
                 price_fen_per_t=5000, contract_no="bad\x00no")
    for i in range(3):
        svc.sell(clerk, f"pipe-{i}", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=1,
                 price_fen_per_t=5000, contract_no="P-1")
    assert held(svc, "ENT-1-H") == before + 3 and svc.verify().ok
