"""The access log: every read and change of personal data is recorded (who, when, what, why),
is visible to the administrator (and to each household for itself), and cannot be edited."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.people.conftest import assert_refused


def latest(people, n: int = 1) -> list[dict]:  # type: ignore[no-untyped-def]
    return people.api.access_log(people.actor("admin"), limit=n)


def test_a_full_view_is_logged_with_who_when_what_and_why(people):  # type: ignore[no-untyped-def]
    """When the payment officer opens HH-1 to pay it, then the log says who (user, role, centre),
    when, what (HH-1, each field and how much of it) and why (purpose and note)."""
    people.api.view(people.actor("cashier"), "HH-1", "revenue_payment", note="2025 年第 2 期收益支付")
    (row,) = latest(people)
    assert row["actor"] == "cashier" and row["actor_role"] == "collection_centre" and row["actor_party_id"] == "CENTRE-1"
    assert row["at"].startswith(people.api.service.clock()[:10])
    assert (row["action"], row["party_id"], row["purpose"], row["note"]) == ("view", "HH-1", "revenue_payment",
                                                                             "2025 年第 2 期收益支付")
    assert row["fields"] == dict.fromkeys(("name", "resident_id", "phone", "bank_account", "bank_name"), "full")
    assert row["disclosed_full"] is True and row["detail"]["viewer"] == "payment_officer"


def test_every_kind_of_read_is_logged(people):  # type: ignore[no-untyped-def]
    api = people.api
    start = latest(people)[0]["seq"]
    api.view(people.actor("admin"), "HH-2")
    api.my_details(people.actor("hh"))
    api.people(people.actor("admin"))  # an all-masked list: one row naming the people
    api.people(people.actor("centre"))  # names in full: one row per person
    api.payment_list(people.actor("cashier"), [{"party_id": "HH-1", "amount_fen": 5}, {"party_id": "COL-1"}])
    api.lookup_resident_id(people.actor("admin"), people.details["HH-3"]["resident_id"])
    api.statement_payee(people.actor("hh"), "HH-1")
    rows = [r for r in reversed(latest(people, 50)) if r["seq"] > start]
    assert [(r["action"], r["party_id"]) for r in rows] == [
        ("view", "HH-2"), ("view", "HH-1"), ("list", None), ("list", "HH-1"), ("list", "HH-2"),
        ("payment_list", "HH-1"), ("lookup", "HH-3"), ("statement", "HH-1")]
    assert rows[2]["detail"]["party_ids"] == ["HH-1", "HH-2", "HH-3"] and rows[2]["disclosed_full"] is False
    assert rows[3]["fields"]["name"] == "full" and rows[3]["fields"]["bank_account"] == "masked"
    assert rows[5]["fields"] == {"name": "full", "bank_name": "full", "bank_account": "full"}  # no ID, no phone
    assert rows[7]["fields"]["bank_account"] == "masked"  # a statement travels: masked even for the household


def test_the_log_holds_no_personal_value(people):  # type: ignore[no-untyped-def]
    people.api.view(people.actor("cashier"), "HH-1", "revenue_payment")
    people.api.correct(people.actor("centre"), party_id="HH-1", changes={"bank_account": None}, reason="销户")
    log = str(people.api.access_log(people.actor("admin")))
    for details in people.details.values():
        assert not [v for v in details.values() if v in log and v != details["bank_name"]]


def test_who_may_read_the_log(people):  # type: ignore[no-untyped-def]
    """The administrator reads all of it; a household the rows about itself, without staff user
    names; nobody else."""
    api = people.api
    api.view(people.actor("cashier"), "HH-1", "revenue_payment")
    api.view(people.actor("cashier"), "HH-2", "revenue_payment")
    mine = api.access_log(people.actor("hh"), party_id="HH-2")
    assert mine and {r["party_id"] for r in mine} == {"HH-1"}
    assert {r["actor"] for r in mine} == {None} and {r["actor_party_id"] for r in mine} >= {"CENTRE-1"}
    assert len(api.access_log(people.actor("admin"), user="cashier")) == 2
    assert len(api.access_log(people.actor("admin"), unmasked_only=True)) == 2
    for user in ("cashier", "centre", "coop", "clerk", "public"):
        assert_refused("not_permitted", lambda user=user: api.access_log(people.actor(user)))


def test_the_log_is_append_only(people):  # type: ignore[no-untyped-def]
    """Triggers reject UPDATE and DELETE, as for the journal."""
    engine = people.api.service.db.engine
    for statement in ("UPDATE person_access_log SET purpose = 'audit'", "DELETE FROM person_access_log"):
        with pytest.raises(DBAPIError, match="access_log_is_append_only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert people.api.verify_access_log(people.actor("admin"))["ok"] is True


@pytest.mark.parametrize("backend_url", ["sqlite"], indirect=True)
def test_the_hash_chain_finds_an_edited_row(people):  # type: ignore[no-untyped-def]
    """Given someone who drops the trigger and rewrites a row's purpose, then ``verify`` names that row."""
    api, admin = people.api, people.actor("admin")
    api.view(people.actor("cashier"), "HH-1", "revenue_payment")
    seq = latest(people)[0]["seq"]
    with api.service.db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER person_access_log_no_update"))
        conn.execute(text("UPDATE person_access_log SET purpose = 'audit' WHERE seq = :s"), {"s": seq})
    report = api.verify_access_log(admin)
    assert (report["ok"], report["rows"], report["first_bad_seq"]) == (False, seq, seq)
    assert report["problems"] == [{"table": "person_access_log", "key": {"seq": seq}, "problem": "hash_mismatch"}]
    assert_refused("not_permitted", lambda: api.verify_access_log(people.actor("centre")))


def test_concurrent_readers_keep_one_unbroken_chain(people):  # type: ignore[no-untyped-def]
    """Given eight threads reading at once, then every read has its row and the chain holds."""
    from concurrent.futures import ThreadPoolExecutor

    api, users = people.api, ["cashier", "centre", "admin", "hh"] * 2
    before = latest(people)[0]["seq"]

    def read(user: str) -> None:
        for _ in range(5):
            party = "HH-1" if user != "admin" else "HH-3"
            api.view(people.actor(user), party, "revenue_payment" if user == "cashier" else "display")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(read, users))
    check = api.verify_access_log(people.actor("admin"))
    assert check["ok"] and check["rows"] == before + 40
