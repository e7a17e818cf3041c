"""The public registry reads by index, never by scanning a table (issue 18: fast at 1,000,000
entries). Every statement the reads send is captured on SQLite and its query plan asked for:
each ledger table must be searched through an index; only the unfiltered, newest-first list
walks an index in order, and it stops after one page."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from sqlalchemy import event

from ledger.domain import format_serial
from sinkledger.config import load_settings

BIG_TABLES = ("journal_entry", "retirement", "credit_block", "batch", "balance", "parcel", "account", "party")


@pytest.fixture(scope="module")
def traced(sqlite_world_template, tmp_path_factory):  # type: ignore[no-untyped-def]
    """(service, statements, database path): every statement the service sends, as run."""
    from sinkledger.services.registry import Service

    folder = tmp_path_factory.mktemp("plans")
    shutil.copyfile(sqlite_world_template["path"], folder / "public.db")
    service = Service.open(load_settings({"DATABASE_URL": f"sqlite:///{folder / 'public.db'}",
                                          "SINKLEDGER_HOME": str(folder)}))
    service.db.engine.dispose()
    statements: list[str] = []
    event.listen(service.db.engine, "connect", lambda conn, record: conn.set_trace_callback(statements.append))
    yield service, statements, folder / "public.db"
    service.db.dispose()


def plans(path, statements):  # type: ignore[no-untyped-def]
    with sqlite3.connect(path) as conn:
        return {sql: [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
                for sql in statements if sql.lstrip().upper().startswith("SELECT")}


def scans(plan: list[str]) -> list[str]:
    return [step for step in plan if step.startswith("SCAN") and step.split()[1] in BIG_TABLES + ("c", "b", "r")]


def test_lookups_search_indexes(traced) -> None:  # type: ignore[no-untyped-def]
    service, statements, path = traced
    public = service.public
    newest = public.retirements(limit=1)["items"][0]
    retirement = public.retirement(newest["retirement_id"])
    prefix, first = retirement["blocks"][0]["serials"].split("..")[0].rsplit("-", 1)
    parcel = public.project(retirement["blocks"][0]["project_code"])["parcel_codes"][0]
    statements.clear()
    public.serial(format_serial(prefix, int(first)))
    public.retirement(newest["retirement_id"])
    public.entry(retirement["entry_hash"], proof=False)
    public.entry(retirement["seq"], proof=False)
    public.retirements(beneficiary=newest["beneficiary"][:3])
    public.retirements(purpose=newest["purpose"][:3])
    public.retirements(year=int(newest["recorded_at"][:4]))
    public.parcel(parcel)
    found = plans(path, statements)
    assert len(found) >= 10
    scanned = {sql: plan for sql, plan in found.items() if scans(plan)}
    assert not scanned, f"statements that scan a table: {scanned}"


def test_the_year_list_reads_in_index_order(traced) -> None:  # type: ignore[no-untyped-def]
    """A year's retirements come newest first straight off ``ix_retirement_recorded_at``: no
    sort of the year's rows to return one page."""
    service, statements, path = traced
    year = int(service.public.retirements(limit=1)["items"][0]["recorded_at"][:4])
    statements.clear()
    service.public.retirements(year=year)
    [plan] = [p for sql, p in plans(path, statements).items() if "FROM retirement" in sql]
    assert plan == ["SEARCH retirement USING INDEX ix_retirement_recorded_at (recorded_at>? AND recorded_at<?)"]
