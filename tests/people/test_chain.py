"""The person register's own integrity (issue 16): an attacker with database access who edits,
deletes, inserts, reorders or fakes an erasure in the register is found by ``people verify``,
which names the table, the key and the problem; the newest row cut off is found too (sealed
heads). Every case runs on SQLite and PostgreSQL."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import text

from ledger.people.store import APPEND_ONLY_PEOPLE_TABLES
from tests.people.conftest import assert_refused


@contextmanager
def attacker(people):  # type: ignore[no-untyped-def]
    """A connection of someone who can write the database directly, with the append-only
    triggers out of the way."""
    engine = people.api.service.db.engine
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        for table in APPEND_ONLY_PEOPLE_TABLES:
            if sqlite:
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_update")
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            else:
                conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield conn


def verify(people) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return people.api.verify(people.actor("admin"))


def problems(people) -> list[tuple[str, dict, str]]:  # type: ignore[no-untyped-def]
    report = verify(people)
    assert report["ok"] is (not report["problems"])
    return [(p["table"], p["key"], p["problem"]) for p in report["problems"]]


def scalar(people, sql: str, **params: Any) -> Any:  # type: ignore[no-untyped-def]
    with people.api.service.db.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture
def history(people):  # type: ignore[no-untyped-def]
    """Given the fixture's people, two corrections of HH-1, one of HH-2, reads, and HH-3 erased."""
    api, centre, admin = people.api, people.actor("centre"), people.actor("admin")
    api.correct(centre, party_id="HH-1", changes={"phone": "13900007777"}, reason="核对 C-1")
    api.correct(centre, party_id="HH-2", changes={"bank_account": None}, reason="销户 C-2")
    api.correct(centre, party_id="HH-1", changes={"purpose": "收益支付（更正）"}, reason="核对 C-3")
    api.view(people.actor("cashier"), "HH-1", "revenue_payment", note="第 2 期")
    api.people(admin)
    api.correct(admin, party_id="HH-3", changes={"phone": None}, reason="核对 C-4")
    api.erase(admin, party_id="HH-3", reason="删除申请 E-1")
    return people


def test_an_untouched_register_verifies_with_every_chain_sealed(history):  # type: ignore[no-untyped-def]
    """Given registrations, corrections, reads, an erasure, a re-registration and a revoked and
    renewed designation, then verify is ok, with no warning, and names each chain's size."""
    api, admin = history.api, history.actor("admin")
    api.register(admin, party_id="HH-3", **history.details["HH-3"], purpose="再次同意", consent_date="2024-05-01",
                 handler_party_id="CENTRE-2")
    api.revoke(admin, username="cashier")
    api.designate(admin, username="cashier")
    report = verify(history)
    assert report["ok"] is True and report["problems"] == [] and report["warnings"] == []
    assert {c: v["rows"] for c, v in report["chains"].items()} == {
        "person_event": 9, "person_version": 4,
        "person_access_log": scalar(history, "SELECT count(*) FROM person_access_log")}
    assert report["first_bad_seq"] is None
    assert_refused("not_permitted", lambda: api.verify(history.actor("centre")))


@pytest.mark.parametrize(("column", "value"), [("purpose", "别的目的"), ("consent_date", "2020-01-01"),
                                               ("handler_party_id", "CENTRE-2")])
def test_an_edited_term_of_a_record_is_found(history, column, value):  # type: ignore[no-untyped-def]
    """When someone rewrites HH-1's purpose, consent date or collecting centre in the database,
    then verify names the record and the column, against the event that last changed it."""
    with attacker(history) as conn:
        conn.execute(text(f"UPDATE person SET {column} = :v WHERE party_id = 'HH-1'"), {"v": value})
    report = verify(history)
    assert report["ok"] is False
    (problem,) = report["problems"]
    assert (problem["table"], problem["key"], problem["problem"], problem["columns"]) == (
        "person", {"party_id": "HH-1"}, "differs_from_event", [column])


def test_a_faked_erasure_of_a_record_is_found(history):  # type: ignore[no-untyped-def]
    """When someone makes HH-1 look erased (flag, time, reason set, every value and the blind
    index removed) without an erasure, then verify says so: there is no erasure event."""
    with attacker(history) as conn:
        conn.execute(text("UPDATE person SET erased = :t, erased_at = '2025-05-01T00:00:00+00:00', "
                          "erasure_reason = 'E-fake', name_enc = NULL, resident_id_enc = NULL, phone_enc = NULL, "
                          "bank_account_enc = NULL, bank_name_enc = NULL, resident_id_index = NULL "
                          "WHERE party_id = 'HH-1'"), {"t": True})
    assert problems(history) == [("person", {"party_id": "HH-1"}, "erased_without_event")]


def test_a_faked_erasure_of_a_version_is_found(history):  # type: ignore[no-untyped-def]
    """When someone destroys one of HH-1's replaced versions as an erasure would, without one,
    then verify names that version; HH-3's versions, really erased, still check."""
    first = scalar(history, "SELECT min(id) FROM person_version WHERE party_id = 'HH-1'")
    assert scalar(history, "SELECT count(*) FROM person_version WHERE party_id = 'HH-3' AND snapshot_enc IS NULL") == 1
    with attacker(history) as conn:
        conn.execute(text("UPDATE person_version SET snapshot_enc = NULL WHERE id = :i"), {"i": first})
    assert problems(history) == [("person_version", {"id": first}, "erased_without_event")]


def test_deleting_the_newest_access_log_row_is_found(history):  # type: ignore[no-untyped-def]
    """When someone deletes the newest access-log row (the chain alone could not tell), then
    the sealed head names it; a read afterwards does not re-seal over the gap."""
    api = history.api
    api.view(history.actor("cashier"), "HH-2", "revenue_payment", note="to be hidden")
    newest = scalar(history, "SELECT max(seq) FROM person_access_log")
    with attacker(history) as conn:
        conn.execute(text("DELETE FROM person_access_log WHERE seq = :s"), {"s": newest})
    assert problems(history) == [("person_access_log", {"seq": newest}, "sealed_head_row_missing"),
                                 ("person_access_log", {}, "chain_shorter_than_sealed_head")]
    assert history.api.verify_access_log(history.actor("admin"))["ok"] is False
    api.view(history.actor("admin"), "HH-1")  # the next read takes seq `newest` again
    found = problems(history)
    assert ("person_access_log", {"seq": newest}, "sealed_head_hash_differs") in found


def test_a_cut_chain_with_a_forged_head_is_found_without_the_key(history):  # type: ignore[no-untyped-def]
    """When someone deletes the newest row and also moves the head back to the row before it
    (re-hashing is easy, the seal needs the data key), then the seal gives it away."""
    newest = scalar(history, "SELECT max(seq) FROM person_access_log")
    before = scalar(history, "SELECT row_hash FROM person_access_log WHERE seq = :s", s=newest - 1)
    with attacker(history) as conn:
        conn.execute(text("DELETE FROM person_access_log WHERE seq = :s"), {"s": newest})
        conn.execute(text("UPDATE person_chain_head SET size = :n, last_key = :n, head_hash = :h "
                          "WHERE chain = 'person_access_log'"), {"n": newest - 1, "h": before})
    assert problems(history) == [("person_chain_head", {"chain": "person_access_log"}, "head_seal_invalid")]


def test_a_deleted_version_is_found(history):  # type: ignore[no-untyped-def]
    """Deleting a version in the middle breaks the next link; deleting the newest is found by
    the event that announced it and the sealed head."""
    ids = [r for r, in history.api.service.db.engine.connect().execute(text("SELECT id FROM person_version ORDER BY id"))]
    with attacker(history) as conn:
        conn.execute(text("DELETE FROM person_version WHERE id = :i"), {"i": ids[1]})
    found = problems(history)
    assert ("person_version", {"id": ids[2]}, "link_broken") in found
    assert ("person_version", {"id": ids[1]}, "missing") in found


def test_the_newest_version_deleted_is_found(history):  # type: ignore[no-untyped-def]
    newest = scalar(history, "SELECT max(id) FROM person_version")
    with attacker(history) as conn:
        conn.execute(text("DELETE FROM person_version WHERE id = :i"), {"i": newest})
    found = problems(history)
    assert ("person_version", {"id": newest}, "missing") in found
    assert ("person_version", {"id": newest}, "sealed_head_row_missing") in found


def test_an_inserted_version_is_found(history):  # type: ignore[no-untyped-def]
    """A version row nobody made (even with correct-looking hashes) is not announced by any
    event and does not fit the sealed head."""
    newest = scalar(history, "SELECT max(id) FROM person_version")
    head = scalar(history, "SELECT row_hash FROM person_version WHERE id = :i", i=newest)
    from ledger.people.chain import link_hash

    content = {"id": newest + 1, "party_id": "HH-2", "version": 7, "snapshot_digest": "0" * 64,
               "replaced_at": "2025-01-01T00:00:00+00:00", "replaced_by": "centre"}
    with attacker(history) as conn:
        conn.execute(text("INSERT INTO person_version (id, party_id, version, snapshot_enc, replaced_at, replaced_by, "
                          "snapshot_digest, prev_hash, row_hash) VALUES (:id, :party_id, :version, NULL, "
                          ":replaced_at, :replaced_by, :snapshot_digest, :prev, :row)"),
                     content | {"prev": head, "row": link_hash(head, content)})
    found = problems(history)
    assert ("person_version", {"id": newest + 1}, "not_recorded") in found
    assert ("person_version", {"id": newest + 1}, "rows_after_sealed_head") in found


def test_reordered_versions_are_found(history):  # type: ignore[no-untyped-def]
    """Swapping two versions' places (their ids) breaks the chain at both."""
    first, second = [r for r, in history.api.service.db.engine.connect().execute(
        text("SELECT id FROM person_version ORDER BY id LIMIT 2"))]
    with attacker(history) as conn:
        conn.execute(text("UPDATE person_version SET id = -1 WHERE id = :a"), {"a": first})
        conn.execute(text("UPDATE person_version SET id = :a WHERE id = :b"), {"a": first, "b": second})
        conn.execute(text("UPDATE person_version SET id = :b WHERE id = -1"), {"b": second})
    found = problems(history)
    assert ("person_version", {"id": first}, "hash_mismatch") in found
    assert ("person_version", {"id": second}, "hash_mismatch") in found


def test_a_deleted_erasure_event_is_found(history):  # type: ignore[no-untyped-def]
    """Deleting HH-3's erasure event (the newest event) leaves an erasure nobody recorded: the
    sealed head, the record and its destroyed version all say so."""
    seq = scalar(history, "SELECT seq FROM person_event WHERE action = 'erase'")
    with attacker(history) as conn:
        conn.execute(text("DELETE FROM person_event WHERE seq = :s"), {"s": seq})
    found = problems(history)
    assert ("person_event", {"seq": seq}, "sealed_head_row_missing") in found
    assert found[2:] == [("person", {"party_id": "HH-3"}, "erased_without_event"),
                         ("person_version", {"id": 4}, "erased_without_event")]


def test_a_forged_designation_is_found(history):  # type: ignore[no-untyped-def]
    """A payment officer added in the table but never designated (no access-log row) is found."""
    with attacker(history) as conn:
        conn.execute(text("INSERT INTO person_designation (username, duty, party_id, granted_by, granted_at) "
                          "VALUES ('centre', 'payment_officer', 'CENTRE-1', 'admin', '2025-01-01T00:00:00+00:00')"))
    assert problems(history) == [("person_designation", {"username": "centre"}, "not_recorded")]


# -- property: any edit of any column of any row of the register is found ---------------------------

KEYS = {"person": "party_id", "person_version": "id", "person_event": "seq", "person_access_log": "seq",
        "person_designation": "username", "person_chain_head": "chain", "person_meta": "key"}


def _new_value(data, column, current):  # type: ignore[no-untyped-def]
    """A value of the column's type (within its length) other than ``current``."""
    from hypothesis import strategies as st

    kind = column.type.python_type
    if kind is bool:
        options = st.just(not current)
    elif kind is int:
        options = st.integers(-(2**31), 2**31 - 1)
    elif kind is bytes:
        options = st.binary(max_size=48)
    else:
        options = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                          max_size=getattr(column.type, "length", None) or 80)
    if column.nullable and current is not None:
        options = st.one_of(st.none(), options)
    return data.draw(options.filter(lambda v: v != current and not (kind is bytes and v is not None and current is not None
                                                                    and bytes(current) == v)), label=column.name)


def test_any_edit_of_any_column_of_any_row_is_found(history):  # type: ignore[no-untyped-def]
    """For a random table of the register, row, column and new value, written directly in the
    database (triggers out of the way), verify is not ok; the edit is rolled back after each try."""
    from hypothesis import HealthCheck, given, reject, settings
    from hypothesis import strategies as st
    from sqlmodel import Session, SQLModel

    from ledger.people import chain

    api = history.api
    with attacker(history):
        pass  # triggers off for the rest of the test
    assert verify(history)["ok"] is True
    engine, cipher = api.service.db.engine, api.cipher

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(sorted(KEYS)), st.data())
    def edit_is_found(table: str, data) -> None:  # type: ignore[no-untyped-def]
        meta = SQLModel.metadata.tables[table]
        with engine.connect() as conn:
            outer = conn.begin()
            try:
                rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY {KEYS[table]}")).mappings().all()
                row = data.draw(st.sampled_from(rows), label="row")
                column = meta.columns[data.draw(st.sampled_from(sorted(meta.columns.keys())), label="column")]
                value = _new_value(data, column, row[column.name])
                savepoint = conn.begin_nested()
                try:
                    conn.execute(text(f"UPDATE {table} SET {column.name} = :v WHERE {KEYS[table]} = :k"),
                                 {"v": value, "k": row[KEYS[table]]})
                except Exception:  # noqa: BLE001 - a key taken, a foreign key: the database refuses it
                    savepoint.rollback()
                    reject()
                savepoint.commit()
                with Session(bind=conn) as session:
                    report = chain.verify(session, cipher)
                assert report["ok"] is False, (table, column.name, row[KEYS[table]], value)
                assert report["problems"]
            finally:
                outer.rollback()

    edit_is_found()
    assert verify(history)["ok"] is True  # every edit was rolled back


# -- anchors: the heads recorded in the journal ----------------------------------------------------

def test_an_anchor_pins_the_register_even_against_a_restored_older_copy(history):  # type: ignore[no-untyped-def]
    """Given the heads anchored in the journal (a people_anchor entry with a checkpoint), when
    someone puts back an older copy of the access log with its older, genuinely sealed head (a
    seal cannot tell: it was valid then), then the anchor finds the rows it recorded missing;
    the journal itself still verifies."""
    api, admin, svc = history.api, history.actor("admin"), history.api.service
    older = scalar(history, "SELECT max(seq) FROM person_access_log")
    with svc.db.engine.connect() as conn:
        old_head = conn.execute(text("SELECT size, last_key, head_hash, seal, sealed_at FROM person_chain_head "
                                     "WHERE chain = 'person_access_log'")).mappings().one()
    api.view(history.actor("cashier"), "HH-1", "revenue_payment", note="later read")
    anchored = api.anchor(admin)
    assert anchored["replayed"] is False and api.anchor(admin)["replayed"] is True  # same heads: a replay
    entry = svc.journal(limit=1)[0]
    assert entry["kind"] == "people_anchor" and entry["seq"] == anchored["seq"]
    assert verify(history)["last_anchor"]["seq"] == anchored["seq"]
    newest = scalar(history, "SELECT max(seq) FROM person_access_log")
    with attacker(history) as conn:
        conn.execute(text("DELETE FROM person_access_log WHERE seq > :s"), {"s": older})
        conn.execute(text("UPDATE person_chain_head SET size = :size, last_key = :last_key, head_hash = :head_hash, "
                          "seal = :seal, sealed_at = :sealed_at WHERE chain = 'person_access_log'"), dict(old_head))
    assert problems(history) == [("person_access_log", {"seq": newest}, "anchored_row_missing")]
    assert svc.verify().ok
    assert_refused("person_register_broken", lambda: api.anchor(admin))
    assert_refused("not_permitted", lambda: api.anchor(history.actor("centre")))


def test_unsealing_the_heads_is_found_and_not_sealed_over(history):  # type: ignore[no-untyped-def]
    """Once the register was used, a head without a seal is a finding (``head_unsealed``), and
    the next transaction does not seal it again: first-use sealing happens once."""
    with attacker(history) as conn:
        conn.execute(text("UPDATE person_chain_head SET seal = NULL"))
    history.api.view(history.actor("admin"), "HH-1")
    found = problems(history)
    assert [p for p in found if p[2] == "head_unsealed"] == [
        ("person_chain_head", {"chain": c}, "head_unsealed") for c in ("person_event", "person_version",
                                                                        "person_access_log")]
    assert ("person_access_log", {"seq": scalar(history, "SELECT max(seq) FROM person_access_log")},
            "rows_after_sealed_head") in found
