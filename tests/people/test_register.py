"""Registering, correcting and erasing a household's details (scenarios, both backends)."""

from __future__ import annotations

from sqlmodel import select

from ledger.people.store import PersonRow, PersonVersionRow
from sinkledger.demo.people import synthetic_person
from sinkledger.services.registry import SYSTEM_ACTOR
from tests.people.conftest import CONSENT, PURPOSE, assert_refused


def test_registering_the_same_details_again_is_a_harmless_retry(people):  # type: ignore[no-untyped-def]
    """Given HH-1 registered, when the same details are sent again, then nothing changes; when
    other details are sent, then they are refused: a correction is the way to change them."""
    api, admin, details = people.api, people.actor("admin"), people.details["HH-1"]
    again = api.register(admin, party_id="HH-1", **details, purpose=PURPOSE, consent_date=CONSENT,
                         handler_party_id="CENTRE-1")
    assert again["replayed"] is True and again["version"] == 1
    assert_refused("person_already_registered", lambda: api.register(
        admin, party_id="HH-1", **(details | {"phone": "13900009999"}), purpose=PURPOSE, consent_date=CONSENT,
        handler_party_id="CENTRE-1"))


def test_who_collects_for_whom(people):  # type: ignore[no-untyped-def]
    """A centre user collects for its own centre only; an administrator names a centre; others may not collect."""
    api, svc = people.api, people.api.service
    svc.register_party(SYSTEM_ACTOR, "p:HH-4", party_id="HH-4", kind="household", name="农户 HH-4（化名）")
    new = synthetic_person(4) | {"purpose": PURPOSE, "consent_date": CONSENT}
    assert_refused("not_permitted", lambda: api.register(people.actor("centre"), party_id="HH-4", **new,
                                                  handler_party_id="CENTRE-2"))
    assert_refused("field_required", lambda: api.register(people.actor("admin"), party_id="HH-4", **new))
    assert_refused("handler_not_collection_centre", lambda: api.register(people.actor("admin"), party_id="HH-4", **new,
                                                                 handler_party_id="COL-1"))
    for user in ("hh", "coop", "clerk", "bank", "public"):
        assert_refused("not_permitted", lambda user=user: api.register(people.actor(user), party_id="HH-4", **new))
    out = api.register(people.actor("centre"), party_id="HH-4", **new)
    assert out["handler_party_id"] == "CENTRE-1" and out["warnings"] == []


def test_only_households_have_a_person_record(people):  # type: ignore[no-untyped-def]
    new = synthetic_person(5) | {"purpose": PURPOSE, "consent_date": CONSENT, "handler_party_id": "CENTRE-1"}
    assert_refused("person_party_not_household", lambda: people.api.register(people.actor("admin"), party_id="COL-1", **new))
    assert_refused("party_not_found", lambda: people.api.register(people.actor("admin"), party_id="HH-404", **new))


def test_one_resident_id_belongs_to_one_household(people):  # type: ignore[no-untyped-def]
    api, svc = people.api, people.api.service
    svc.register_party(SYSTEM_ACTOR, "p:HH-4", party_id="HH-4", kind="household", name="农户 HH-4（化名）")
    duplicate = synthetic_person(4) | {"resident_id": people.details["HH-1"]["resident_id"]}
    assert_refused("resident_id_already_registered", lambda: api.register(
        people.actor("centre"), party_id="HH-4", **duplicate, purpose=PURPOSE, consent_date=CONSENT))
    assert_refused("resident_id_already_registered", lambda: api.correct(
        people.actor("centre"), party_id="HH-2", changes={"resident_id": people.details["HH-1"]["resident_id"]},
        reason="核对"))


def test_a_pseudonym_that_names_the_person_is_flagged(people):  # type: ignore[no-untyped-def]
    """The journal keeps a household's pseudonym for ever: registering details that the pseudonym
    gives away is warned about (the details themselves still stay out of the journal)."""
    api, svc = people.api, people.api.service
    svc.register_party(SYSTEM_ACTOR, "p:HH-6", party_id="HH-6", kind="household", name="测试丁某")
    out = api.register(people.actor("centre"), party_id="HH-6", **(synthetic_person(6) | {"name": "测试丁某"}),
                       purpose=PURPOSE, consent_date=CONSENT)
    assert out["warnings"] == ["party_name_reveals_person"]


def test_a_correction_replaces_values_and_keeps_the_old_version_encrypted(people):  # type: ignore[no-untyped-def]
    """Given HH-1, when its bank account is corrected, then the household and the payment officer
    see the new account and, in the history, the old one; the log names the field, not the values."""
    api, old = people.api, people.details["HH-1"]
    new_account = synthetic_person(77)["bank_account"]
    out = api.correct(people.actor("centre"), party_id="HH-1", changes={"bank_account": new_account},
                      reason="本人申请更换银行卡（申请单 C-2025-001）")
    assert out == {"party_id": "HH-1", "version": 2, "changed": ["bank_account"], "updated_at": out["updated_at"]}
    mine = api.view(people.actor("hh"), "HH-1", "self_access", history=True)
    assert mine["bank_account"] == new_account and mine["version"] == 2
    assert [v["values"]["bank_account"] for v in mine["history"]] == [old["bank_account"]]
    assert "history" not in api.view(people.actor("centre"), "HH-1", history=True)
    log = api.access_log(people.actor("admin"), party_id="HH-1")
    correction = next(r for r in log if r["action"] == "correct")
    assert correction["fields"] == {"bank_account": "written"} and correction["detail"]["changed"] == ["bank_account"]
    assert new_account not in str(log) and old["bank_account"] not in str(log)


def test_corrections_are_checked_like_registrations(people):  # type: ignore[no-untyped-def]
    api, centre = people.api, people.actor("centre")
    assert_refused("resident_id_check_digit_invalid", lambda: api.correct(
        centre, party_id="HH-1", changes={"resident_id": "330523195102020013"}, reason="核对"))
    assert_refused("person_field_unknown", lambda: api.correct(centre, party_id="HH-1", changes={"email": "x"}, reason="核对"))
    assert_refused("correction_changes_nothing", lambda: api.correct(
        centre, party_id="HH-1", changes={"phone": people.details["HH-1"]["phone"]}, reason="核对"))
    assert_refused("correction_reason_required", lambda: api.correct(centre, party_id="HH-1", changes={"phone": None},
                                                              reason=" "))
    assert_refused("not_permitted", lambda: api.correct(people.actor("centre2"), party_id="HH-1",
                                                 changes={"phone": None}, reason="核对"))
    assert_refused("not_permitted", lambda: api.correct(people.actor("hh"), party_id="HH-1", changes={"phone": None},
                                                 reason="本人"))
    cleared = api.correct(centre, party_id="HH-1", changes={"bank_account": None, "bank_name": None}, reason="销户")
    assert cleared["changed"] == ["bank_account", "bank_name"]
    assert api.view(people.actor("hh"), "HH-1", "self_access")["bank_account"] is None


def test_erasure_removes_every_value_and_keeps_the_pseudonymous_party(people):  # type: ignore[no-untyped-def]
    """Given HH-1 with a corrected phone, when the administrator erases it on request, then no
    value or old version remains, the party and its pseudonym remain, and the erasure is logged."""
    api, admin, svc = people.api, people.actor("admin"), people.api.service
    api.correct(people.actor("centre"), party_id="HH-1", changes={"phone": "13900007777"}, reason="核对")
    assert_refused("not_permitted", lambda: api.erase(people.actor("centre"), party_id="HH-1", reason="E-1"))
    assert_refused("erasure_reason_required", lambda: api.erase(admin, party_id="HH-1", reason=""))
    out = api.erase(admin, party_id="HH-1", reason="本人删除申请 E-2025-007（2025-05-01）")
    assert out["versions_destroyed"] == 1 and out["replayed"] is False
    with svc.db.read() as s:
        row = s.get(PersonRow, "HH-1")
        assert row.erased and row.resident_id_index is None
        assert all(getattr(row, f"{f}_enc") is None for f in ("name", "resident_id", "phone", "bank_account",
                                                              "bank_name"))
        kept = s.exec(select(PersonVersionRow).where(PersonVersionRow.party_id == "HH-1")).all()
        assert [(v.version, v.snapshot_enc) for v in kept] == [(1, None)]  # the row and its digest stay, not the data
    assert api.verify(admin)["ok"] is True  # the erased version still checks
    mine = api.view(people.actor("hh"), "HH-1", "self_access")
    assert mine["erased"] is True and mine["name"] is None and mine["pseudonym"] == "农户 HH-1（化名）"
    assert {p["party_id"] for p in svc.parties()} >= {"HH-1"}
    log = api.access_log(admin, party_id="HH-1")
    assert log[1]["action"] == "erase" and log[1]["note"].startswith("本人删除申请")
    assert api.erase(admin, party_id="HH-1", reason="again")["replayed"] is True
    assert_refused("person_erased", lambda: api.correct(people.actor("centre"), party_id="HH-1", changes={"phone": None},
                                                 reason="核对"))
    assert api.lookup_resident_id(admin, people.details["HH-1"]["resident_id"]) is None


def test_an_erased_household_may_consent_again(people):  # type: ignore[no-untyped-def]
    api, admin = people.api, people.actor("admin")
    api.erase(admin, party_id="HH-2", reason="E-2")
    again = api.register(people.actor("centre"), party_id="HH-2", **people.details["HH-2"], purpose=PURPOSE,
                         consent_date=CONSENT)
    assert again["replayed"] is False and again["version"] == 3
    assert api.view(people.actor("hh2"), "HH-2", "self_access")["name"] == people.details["HH-2"]["name"]


def test_lookup_by_resident_id_uses_the_blind_index(people):  # type: ignore[no-untyped-def]
    """An administrator finds the household of an erasure request by the number the person shows,
    and sees it masked; a centre finds only its own households."""
    api = people.api
    number = people.details["HH-3"]["resident_id"]
    found = api.lookup_resident_id(people.actor("admin"), number.lower(), "erasure_request", note="E-2025-008")
    assert found["party_id"] == "HH-3" and found["resident_id"] == number[:4] + "*" * 10 + number[-4:]
    assert api.lookup_resident_id(people.actor("centre"), number) is None
    assert api.lookup_resident_id(people.actor("centre2"), number)["party_id"] == "HH-3"
    assert_refused("not_permitted", lambda: api.lookup_resident_id(people.actor("coop"), number))
    log = api.access_log(people.actor("admin"), unmasked_only=False, limit=3)
    assert [r["action"] for r in log] == ["lookup"] * 3 and number not in str(log)


def test_capabilities_tell_pages_what_to_offer(people):  # type: ignore[no-untyped-def]
    caps = {u: people.api.capabilities(people.actor(u)) for u in ("hh", "cashier", "centre", "coop", "admin", "clerk")}
    assert caps["hh"]["my_details"] and caps["hh"]["access_log"] and not caps["hh"]["list_people"]
    assert caps["cashier"]["payment_list_unmasked"] and not caps["centre"]["payment_list_unmasked"]
    assert caps["admin"]["erase"] and caps["admin"]["designate"] and not caps["admin"]["payment_list_unmasked"]
    assert not any(caps["clerk"].values())
    assert people.api.public_label("HH-1") == "农户 HH-1（化名）"


def test_a_consent_date_before_1900_is_refused_and_changes_nothing(people):  # type: ignore[no-untyped-def]
    """Given a registration or a correction with a consent date before 1900, then it is refused
    (``date_out_of_range`` naming ``consent_date``, both languages) and the register, its access
    log and its events are as they were."""
    api, svc, admin = people.api, people.api.service, people.actor("admin")
    svc.register_party(SYSTEM_ACTOR, "p:HH-5", party_id="HH-5", kind="household", name="农户 HH-5（化名）")

    def counts() -> tuple[int, ...]:
        from sqlalchemy import text

        with svc.db.engine.connect() as conn:
            return tuple(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                         for t in ("person", "person_access_log", "person_event", "person_version"))

    before = counts()
    refused = assert_refused("date_out_of_range", lambda: api.register(
        admin, party_id="HH-5", **synthetic_person(5), purpose=PURPOSE, consent_date="1899-12-31",
        handler_party_id="CENTRE-1"))
    assert refused.params["field"] == "consent_date"
    assert_refused("date_out_of_range", lambda: api.correct(admin, party_id="HH-1",
                                                            changes={"consent_date": "1800-01-01"}, reason="核对"))
    assert counts() == before
    assert api.view(admin, "HH-1")["consent_date"] == CONSENT
