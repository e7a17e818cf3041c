"""Schema migrations (Alembic): from an empty database to the newest revision, on SQLite and
PostgreSQL, give exactly the schema the code declares, with every guard installed. They are the
only way the schema comes to be: services never create tables (``tests/test_release_database.py``
opens a database made by a released version)."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import sinkledger.db.database  # noqa: F401 - every table module
from sinkledger.db import migrations

EXTRA_TABLES = {"alembic_version", "parcel_rtree", "parcel_rtree_node", "parcel_rtree_parent",
                "parcel_rtree_rowid", "spatial_ref_sys"}


def _include(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    if type_ == "table" and (name in EXTRA_TABLES or (reflected and compare_to is None)):
        return False  # extras, and tables that are not sinkledger's (the database may be shared)
    if type_ == "column" and name == "geom":  # the PostGIS column kept by a trigger
        return False
    if type_ == "index" and name == "ix_parcel_geom":
        return False
    return True


def schema_differences(url: str) -> list:  # type: ignore[type-arg]
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _include, "compare_type": True,
                                                         "compare_server_default": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    return diff


GUARDED_TABLES = {"journal_entry", "estimate", "checkpoint", "parcel_version", "person_access_log"}


def _tables_with_triggers(conn) -> set[str]:  # type: ignore[no-untyped-def]
    if conn.dialect.name == "sqlite":
        return set(conn.execute(text("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    return set(conn.execute(text("SELECT c.relname FROM pg_trigger t JOIN pg_class c "
                                 "ON c.oid = t.tgrelid WHERE NOT t.tgisinternal")).scalars())


def test_migrations_from_empty_give_the_declared_schema(backend_url):  # type: ignore[no-untyped-def]
    """Alembic's own comparison (tables, columns, types, nullability, server defaults, indexes,
    unique and foreign keys) finds nothing between the migrated database and the declared tables;
    the migrations alone, with no service involved, install the append-only guards."""
    engine = create_engine(backend_url)
    with engine.begin() as conn:
        migrations.upgrade(conn)
        assert migrations.current_revision(conn) == _head()
        assert GUARDED_TABLES <= _tables_with_triggers(conn)
    engine.dispose()
    assert schema_differences(backend_url) == [], "a table or column has no migration: write one"


def test_services_never_create_tables(backend_url):  # type: ignore[no-untyped-def]
    """Given a migrated database that lacks a court, an income and a person table, when the
    services open it and the court, income and person services start, then not one DDL statement
    runs and the tables stay absent: tables come from the migrations alone (a missing one is a
    fault to see, not to paper over)."""
    from sqlalchemy import event

    from sinkledger.config import load_settings
    from sinkledger.services.people import PeopleService
    from sinkledger.services.registry import Service

    gone = ("court_certificate", "insurance_claim", "person_designation")
    svc = Service.open(load_settings({"DATABASE_URL": backend_url}))
    svc.initialise()
    svc.db.dispose()
    engine = create_engine(backend_url)
    with engine.begin() as conn:
        for table in gone:
            conn.exec_driver_sql(f"DROP TABLE {table}" + ("" if conn.dialect.name == "sqlite" else " CASCADE"))
    engine.dispose()

    svc = Service.open(load_settings({"DATABASE_URL": backend_url}))
    ddl: list[str] = []

    @event.listens_for(svc.db.engine, "before_cursor_execute")
    def _watch(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().split(" ", 1)[0].upper() in {"CREATE", "ALTER", "DROP"}:
            ddl.append(statement)

    try:
        assert svc.court.today() and svc.income.today()
        PeopleService(svc).ensure_schema()
        report = svc.verify()  # verify names the audited tables that are gone, and creates nothing
        assert {(p["table"], p["code"]) for p in report.problems} == {("court_certificate", "table_missing"),
                                                                      ("insurance_claim", "table_missing")}
        assert ddl == []
        assert not set(gone) & set(inspect(svc.db.engine).get_table_names())
    finally:
        svc.db.dispose()


def test_migrated_database_has_every_guard(backend_url):  # type: ignore[no-untyped-def]
    from sinkledger.config import load_settings
    from sinkledger.services.registry import Service

    svc = Service.open(load_settings({"DATABASE_URL": backend_url}))
    svc.initialise()
    with svc.db.engine.connect() as conn:
        with pytest.raises(Exception, match="append_only"):  # the registry's first entry is there
            conn.execute(text("DELETE FROM journal_entry"))
        conn.rollback()
        assert GUARDED_TABLES <= _tables_with_triggers(conn)
    with svc.db.read() as s:
        from sinks.store import spatial_index_kind

        assert spatial_index_kind(s) == ("rtree" if svc.db.is_sqlite else "postgis")
    svc.db.dispose()


def test_downgrade_to_nothing_and_up_again(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        migrations.upgrade(conn)
        command.downgrade(migrations.config(conn), "base")
        assert set(inspect(conn).get_table_names()) <= EXTRA_TABLES
        migrations.upgrade(conn)
    engine.dispose()
    assert schema_differences(url) == []


def test_a_database_made_before_migrations_is_stamped_and_kept(tmp_path):  # type: ignore[no-untyped-def]
    """Given tables created directly (as before migrations existed) with data, when the schema is
    brought up to date, then the baseline is stamped, nothing is recreated and the ledger verifies."""
    from sinkledger.config import load_settings
    from sinkledger.services.registry import SYSTEM_ACTOR, Service

    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)  # how databases were made before migrations (only here)
    engine.dispose()
    with engine.begin() as conn:  # a registry entry written by the old code
        conn.execute(text("INSERT INTO party (id, kind, name) VALUES ('REGISTRY', 'registry', 'r')"))
    svc = Service.open(load_settings({"DATABASE_URL": url}))  # opening migrates it
    with svc.db.engine.connect() as conn:
        assert migrations.current_revision(conn) == _head()
        assert conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'parcel_rtree'")).first()
    svc.register_party(SYSTEM_ACTOR, "p", party_id="COL-1", kind="collective", name="村")
    svc.db.create_schema()  # again: a later start
    with svc.db.engine.connect() as conn:
        assert migrations.current_revision(conn) == _head()
    report = svc.verify()  # the party row above was written without an entry: the one difference named
    assert report.entries == 1
    assert [(p.get("table"), p.get("key"), p.get("code")) for p in report.problems] == [
        ("party", "REGISTRY", "row_not_in_journal")]
    svc.db.dispose()


def _head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrations.config()).get_current_head()


def test_the_take_order_keys_are_filled_from_the_batches_on_upgrade(tmp_path):  # type: ignore[no-untyped-def]
    """Given a ledger with credits of several batches written before 0009 (no take-order keys on
    ``balance``), when it is upgraded, then every balance row has its batch's vintage year and
    issuance seq, the take-order index exists and the ledger verifies."""
    from sinkledger.config import load_settings
    from sinkledger.services.registry import Service
    from tests.ledger.conftest import PARTIES, USERS, issue_parcel
    from sinkledger.services.registry import SYSTEM_ACTOR

    url = f"sqlite:///{tmp_path / 'before-0009.db'}"
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    svc.initialise()
    for pid, kind, party_name in PARTIES:
        svc.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=kind.value, name=party_name, county_code="330523")
    for user, role, pid in USERS:
        svc.create_user(username=user, password="password-1", role=role, party_id=pid, display_name=user)
    issue_parcel(svc, "AJ-BF-0001", "a")
    issue_parcel(svc, "AJ-BF-0002", "b")
    with svc.db.engine.begin() as conn:
        command.downgrade(migrations.config(conn), "0008_verified_checkpoint")
        assert "vintage_year" not in {c["name"] for c in inspect(conn).get_columns("balance")}
        migrations.upgrade(conn)
        rows = conn.execute(text("SELECT q.vintage_year, q.issuance_seq, b.vintage_year, b.issuance_seq "
                                 "FROM balance q JOIN batch b ON b.id = q.batch_id")).all()
    assert len(rows) >= 4 and all(r[0] == r[2] and r[1] == r[3] and r[0] >= 2000 for r in rows)
    assert "ix_balance_take" in {i["name"] for i in inspect(svc.db.engine).get_indexes("balance")}
    assert svc.verify(full=True).ok
    svc.db.dispose()
    assert schema_differences(url) == []


def test_a_database_from_a_newer_release_is_refused_untouched(tmp_path):  # type: ignore[no-untyped-def]
    """Given a database stamped with a revision these migrations do not know (made by a newer
    release), when it is opened (the service and the CLI), then it is refused with a stable code
    and both messages, no traceback, and the stamp and tables are as they were."""
    import subprocess
    import sys

    from sinkledger.config import load_settings
    from sinkledger.services.registry import Service
    from sinkledger_base.errors import Conflict

    url = f"sqlite:///{tmp_path / 'newer.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        migrations.upgrade(conn)
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
        before = sorted(inspect(conn).get_table_names())
    with pytest.raises(Conflict) as refused:
        Service.open(load_settings({"DATABASE_URL": url})).db.create_schema()
    assert refused.value.code == "database_newer_than_software"
    out = subprocess.run([sys.executable, "-m", "sinkledger", "--database-url", url, "verify"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "Traceback" not in out.stderr + out.stdout
    assert "0099_from_the_future" in out.stderr + out.stdout
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0099_from_the_future"
        assert sorted(inspect(conn).get_table_names()) == before
    engine.dispose()
