"""Gaps a review found in the register's integrity (issue 16), closed:

- a register wiped whole (every row, the sealed heads, the seal row and the key check) right
  after its first use, before anyone ran ``people anchor``, was an empty register that verified:
  the first register transaction now anchors the register in the journal, and ``verify`` requires
  the heads (and the anchored rows) once the journal anchored it;
- ``people anchor`` verified the register, read its heads and wrote the journal entry in three
  transactions: it now verifies and reads the heads inside the journal command's transaction,
  under the register's lock.

Every case runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json

from sqlalchemy import text

from ledger.people import chain
from sinkledger.demo.people import synthetic_person
from sinkledger.services.people import ANCHOR_ATTEMPTS, PeopleService
from tests.people.conftest import CONSENT, PURPOSE, TEST_KEY, add_households
from tests.people.test_chain import attacker, problems, scalar
from tests.ledger.conftest import assert_refused

PERSON_TABLES = ("person_version", "person_event", "person_access_log", "person_chain_head", "person_meta",
                 "person_designation", "person")


def anchors(svc) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    with svc.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, actor, body FROM journal_entry WHERE kind = 'people_anchor' "
                                 "ORDER BY seq")).all()
    return [{"seq": seq, "actor": actor, "heads": json.loads(body)["payload"]["result"]["heads"]}
            for seq, actor, body in rows]


def test_a_register_wiped_whole_after_its_first_use_is_found(registry):  # type: ignore[no-untyped-def]
    """Given a new register whose first use registers one household (which anchors it in the
    journal at once, as the system), when someone deletes every row of every person table (the
    sealed heads, the seal row and the key check included), then ``people verify`` fails naming
    the missing heads, the anchored rows and the key check; the journal itself still verifies."""
    add_households(registry)
    api = PeopleService(registry, data_key=TEST_KEY)
    admin = registry.actor("admin")
    assert anchors(registry) == []
    api.register(admin, party_id="HH-1", **synthetic_person(1), purpose=PURPOSE, consent_date=CONSENT,
                 handler_party_id="CENTRE-1")
    first = anchors(registry)
    assert len(first) == 1 and first[0]["actor"] == "system"
    with registry.db.read() as s:
        assert first[0]["heads"] == chain.anchor_content(s)["heads"]  # the register as its first use left it
    api.view(admin, "HH-1")  # later use does not anchor again (that is the daily people anchor's job)
    assert len(anchors(registry)) == 1
    assert api.verify(admin)["ok"] is True

    with attacker(type("P", (), {"api": api})) as conn:
        for table in PERSON_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
    found = {(p["table"], tuple(sorted(p["key"].items())), p["problem"]) for p in api.verify(admin)["problems"]}
    assert {("person_chain_head", (("chain", c),), "head_missing") for c in chain.CHAINS} <= found
    log_head = first[0]["heads"]["person_access_log"]["last_key"]
    event_head = first[0]["heads"]["person_event"]["last_key"]
    assert ("person_access_log", (("seq", log_head),), "anchored_row_missing") in found
    assert ("person_event", (("seq", event_head),), "anchored_row_missing") in found
    assert ("person_meta", (("key", chain.KEY_CHECK),), "missing") in found
    assert registry.verify().ok


def test_an_empty_register_never_used_verifies_and_writes_no_anchor(registry):  # type: ignore[no-untyped-def]
    """Given a registry whose person register was never used, then verify is ok (nothing to
    check) and checking it anchors nothing: verify only reads."""
    api = PeopleService(registry, data_key=TEST_KEY)
    report = api.verify(registry.actor("admin"))
    assert report["ok"] is True and report["problems"] == []
    assert anchors(registry) == []


def test_a_wiped_register_with_its_heads_put_back_unsealed_is_found(people):  # type: ignore[no-untyped-def]
    """Given a register anchored on first use, when someone wipes it and puts back the unsealed,
    empty heads of a new database (what an upgrade leaves), then verify fails: once anchored, an
    unsealed head is a finding, not a warning."""
    api, admin = people.api, people.actor("admin")
    with attacker(people) as conn:
        for table in PERSON_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
        for c in chain.CHAINS:
            conn.execute(text("INSERT INTO person_chain_head (chain, size, last_key, head_hash) "
                              "VALUES (:c, 0, 0, :h)"), {"c": c, "h": "0" * 64})
    report = api.verify(admin)
    assert report["ok"] is False
    assert {p["key"]["chain"] for p in report["problems"] if p["problem"] == "head_unsealed"} == set(chain.CHAINS)


def test_anchor_verifies_and_reads_the_heads_inside_its_own_transaction(people, monkeypatch):  # type: ignore[no-untyped-def]
    """Given an anchor whose heads were read, when the register is tampered with before the
    journal command runs (the window between two transactions), then the anchor is refused
    (``person_register_broken``) and no entry is written: the check happens where the entry is
    written, not before."""
    api, admin, svc = people.api, people.actor("admin"), people.api.service
    before = anchors(svc)
    run = svc._run

    def tampered_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        with attacker(people) as conn:
            conn.execute(text("UPDATE person SET purpose = '别的目的' WHERE party_id = 'HH-2'"))
        return run(*args, **kwargs)

    monkeypatch.setattr(svc, "_run", tampered_first)
    assert_refused("person_register_broken", lambda: api.anchor(admin))
    assert anchors(svc) == before
    assert problems(people) == [("person", {"party_id": "HH-2"}, "differs_from_event")]


def test_anchor_records_the_heads_as_they_are_when_it_writes(people, monkeypatch):  # type: ignore[no-untyped-def]
    """Given an anchor whose heads were read, when a register transaction (a logged read) moves
    them before the journal command locks the register, then the anchor starts again and records
    the heads as they are when it writes, never the stale ones; a register that keeps moving is
    refused (``person_register_busy``) with nothing written."""
    api, admin, svc = people.api, people.actor("admin"), people.api.service
    run, calls = svc._run, []

    def read_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[2])
        if len(calls) == 1:
            api.view(people.actor("cashier"), "HH-1", "revenue_payment", note="meanwhile")
        return run(*args, **kwargs)

    monkeypatch.setattr(svc, "_run", read_first)
    result = api.anchor(admin)
    assert len(calls) == 2 and calls[0] != calls[1]  # named again after the heads moved
    with svc.db.read() as s:
        now = chain.anchor_content(s)["heads"]
    assert anchors(svc)[-1]["heads"] == now and anchors(svc)[-1]["seq"] == result["seq"]
    assert now["person_access_log"]["last_key"] == scalar(people, "SELECT max(seq) FROM person_access_log")

    api.view(admin, "HH-2")  # heads not anchored yet (the same heads again would be a replay)
    before, calls[:] = anchors(svc), []

    def always_moving(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[2])
        api.view(people.actor("cashier"), "HH-1", "revenue_payment", note="meanwhile")
        return run(*args, **kwargs)

    monkeypatch.setattr(svc, "_run", always_moving)
    assert_refused("person_register_busy", lambda: api.anchor(admin))
    assert len(calls) == ANCHOR_ATTEMPTS and anchors(svc) == before
