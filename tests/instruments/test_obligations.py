"""Quota obligations, from an authority's decision to a compliance certificate (issue 22.4).

The world: the income scenario's bundle issued to the collection centre (bamboo forest, county
330523, vintages 2021-2023); the trading clerk sells some of it to the enterprise ENT-1. What
counts against an obligation: retirements from the enterprise's own account of eligible credits,
either surrendered for it (bought in the same entry or held) or an earlier voluntary retirement
claimed; each retirement counts for one obligation at most.
"""

from __future__ import annotations

from datetime import date

import pytest

from sinkledger_base.errors import SinkLedgerError
from tests.instruments.conftest import CENTRE, assert_refused, held

ENT = "ENT-1-H"


def oblige(svc, quantity_t: int = 30, request: str = "ob-1", **changes):  # type: ignore[no-untyped-def]
    terms = {"enterprise_party_id": "ENT-1", "quantity_t": quantity_t, "deadline": "2026-12-31",
             "sink_types": ["bamboo_forest"], "vintage_from": 2020, "vintage_to": 2026,
             "reference": "示例环〔2026〕7号", "start_date": "2026-01-01"} | changes
    return svc.obligations.set_obligation(svc.actor("authority"), request, **terms)


@pytest.fixture
def stocked(world):  # type: ignore[no-untyped-def]
    """Given the enterprise holding 20 t of the bundle, bought from the centre."""
    world.sell(world.actor("clerk"), "sale-ent", seller_account=f"{CENTRE}-H", buyer_account=ENT, quantity=20,
               price_fen_per_t=7_341, contract_no="HZGT-2026-01")
    return world


def test_an_obligation_met_by_surrender_purchase_and_claim_gets_a_certificate(stocked, tmp_path):  # type: ignore[no-untyped-def]
    """Given an obligation of 30 t, when the enterprise surrenders 10 t it holds, retires 5 t
    voluntarily and claims it, and the clerk buys 15 t from the centre and surrenders them in one
    entry, then the obligation is met on that day with no shortfall; its certificate verifies by
    code and as a PDF in both languages; issuing again gives the same code; nothing more counts."""
    svc, ent = stocked, stocked.actor("ent")
    ob = oblige(svc)
    oid = ob["obligation_id"]
    assert ob["shortfall_t"] == 30 and ob["status"] == "open"
    first = svc.obligations.surrender(ent, "s-1", obligation_id=oid, quantity_t=10)
    assert first["counted_t"] == 10 and first["shortfall_t"] == 20 and held(svc, ENT) == 10
    retired = svc.retire(ent, "vol-1", account_id=ENT, quantity=5, beneficiary="示例企业甲", purpose="自愿减排")
    claimed = svc.obligations.claim(ent, "c-1", obligation_id=oid, retirement_id=retired["retirement_id"])
    assert claimed["counted_t"] == 15 and claimed["shortfall_t"] == 15
    centre_before = held(svc, f"{CENTRE}-H")
    bought = svc.obligations.surrender(svc.actor("clerk"), "s-2", obligation_id=oid, quantity_t=15,
                                       seller_account=f"{CENTRE}-H", price_fen_per_t=8_000, contract_no="HZGT-2026-02")
    assert bought["status"] == "met" and bought["shortfall_t"] == 0 and bought["met_seq"] == bought["seq"]
    assert held(svc, f"{CENTRE}-H") == centre_before - 15 and held(svc, ENT) == 5  # bought and retired at once
    detail = svc.obligations.obligation(ent, obligation_id=oid, as_of=date(2027, 3, 1))
    assert detail["status"] == "met" and detail["met_on_time"] and detail["counted_t"] == 30
    assert [c["how"] for c in detail["credits"]] == ["surrender", "claim", "surrender"]
    # the certificate
    cert = svc.obligations.issue_certificate(svc.actor("authority"), obligation_id=oid)
    again = svc.obligations.issue_certificate(svc.actor("clerk"), obligation_id=oid)
    assert again["code"] == cert["code"] and again["seq"] == cert["seq"]
    check = svc.obligations.verify_certificate(cert["code"].lower())
    assert check["ok"], check["problems"]
    assert check["record"]["totals"] == {"counted_t": 30, "shortfall_t": 0, "met_date": detail["met_date"],
                                         "met_on_time": True}
    assert sum(b["quantity_t"] for c in check["record"]["credits"] for b in c["blocks"]) == 30
    for lang in ("zh", "en"):
        pdf = svc.obligations.certificate_pdf(cert["code"], lang=lang)
        assert pdf.startswith(b"%PDF")
        assert svc.obligations.verify_certificate_pdf(pdf)["ok"]
    # nothing more counts, and no second obligation can use these retirements
    assert_refused("obligation_already_met", lambda: svc.obligations.surrender(ent, "s-3", obligation_id=oid,
                                                                               quantity_t=1))
    other = oblige(svc, 5, "ob-2")
    assert_refused("retirement_already_counted", lambda: svc.obligations.claim(
        ent, "c-2", obligation_id=other["obligation_id"], retirement_id=retired["retirement_id"]))
    assert_refused("retirement_already_counted", lambda: svc.obligations.claim(  # a surrender is counted too
        ent, "c-3", obligation_id=other["obligation_id"], retirement_id=first["retirement_id"]))
    assert svc.verify().ok


def test_status_shortfall_and_who_reads(stocked):  # type: ignore[no-untyped-def]
    """An obligation partly met is open before its deadline and overdue after it, with its
    shortfall; the enterprise and the authority that set it read it, another enterprise and
    another authority do not."""
    svc = stocked
    oid = oblige(svc, 12)["obligation_id"]
    svc.obligations.surrender(svc.actor("ent"), "s", obligation_id=oid, quantity_t=4)
    before = svc.obligations.obligation(svc.actor("authority"), obligation_id=oid, as_of="2026-12-31")
    after = svc.obligations.obligation(svc.actor("ent"), obligation_id=oid, as_of="2027-01-01")
    assert (before["status"], after["status"], after["shortfall_t"]) == ("open", "overdue", 8)
    assert after["eligible_held_t"] == 16
    assert [o["obligation_id"] for o in svc.obligations.obligations(svc.actor("ent"))] == [oid]
    assert svc.obligations.obligations(svc.actor("ent2")) == []
    assert svc.obligations.obligations(svc.actor("authority2")) == []
    assert [o["id"] for o in svc.obligations.obligations(svc.actor("clerk"))] == [oid]
    for user in ("ent2", "authority2"):
        assert_refused("not_permitted", lambda user=user: svc.obligations.obligation(svc.actor(user),
                                                                                     obligation_id=oid))
    assert_refused("not_permitted", lambda: svc.obligations.obligations(svc.actor("hh-a1")))


def test_bad_obligations_are_refused_and_change_nothing(stocked):  # type: ignore[no-untyped-def]
    """Absurd dates, zero or negative tonnes, an enterprise that does not exist (or a party that is
    no enterprise), reversed vintages, over-surrender, ineligible credits, another's obligation,
    a certificate before it is met, an obligation retirement through the ordinary command."""
    svc, ent = stocked, stocked.actor("ent")
    head = svc.journal(limit=1)[-1]["seq"]
    for changes, code in (({"deadline": "2025-12-31"}, "obligation_deadline_invalid"),
                          ({"deadline": "2199-12-31"}, "obligation_deadline_invalid"),
                          ({"deadline": "1066-10-14"}, "date_out_of_range"),
                          ({"start_date": "2026-02-30"}, "value_invalid"),
                          ({"quantity_t": 0}, "quantity_must_be_positive"),
                          ({"quantity_t": -3}, "quantity_must_be_positive"),
                          ({"quantity_t": "30"}, "value_invalid"),
                          ({"enterprise_party_id": "ENT-404"}, "enterprise_not_found"),
                          ({"enterprise_party_id": "COL-A"}, "enterprise_not_found"),
                          ({"vintage_from": 2026, "vintage_to": 2020}, "vintages_invalid"),
                          ({"sink_types": ["coral"]}, "value_invalid"),
                          ({"reference": ""}, "field_required")):
        assert_refused(code, lambda changes=changes, code=code: oblige(svc, request=f"bad:{code}:{sorted(changes)}",
                                                                      **changes))
    assert svc.journal(limit=1)[-1]["seq"] == head
    assert_refused("not_permitted", lambda: svc.obligations.set_obligation(
        ent, "bad:role", enterprise_party_id="ENT-1", quantity_t=1, deadline="2026-12-31",
        sink_types=["wetland"], vintage_from=2020, vintage_to=2026, reference="X"))
    oid = oblige(svc, 10)["obligation_id"]
    wet = oblige(svc, 10, "ob-wet", sink_types=["wetland"])["obligation_id"]
    assert_refused("quantity_exceeds_obligation_remaining", lambda: svc.obligations.surrender(
        ent, "x1", obligation_id=oid, quantity_t=11))
    assert_refused("insufficient_eligible_credits", lambda: svc.obligations.surrender(
        ent, "x2", obligation_id=wet, quantity_t=1))
    assert_refused("not_permitted", lambda: svc.obligations.surrender(
        svc.actor("ent2"), "x3", obligation_id=oid, quantity_t=1))
    assert_refused("not_permitted", lambda: svc.obligations.surrender(  # only the clerk records a purchase
        ent, "x4", obligation_id=oid, quantity_t=1, seller_account=f"{CENTRE}-H", price_fen_per_t=1,
        contract_no="C"))
    assert_refused("obligation_not_met", lambda: svc.obligations.issue_certificate(svc.actor("authority"),
                                                                                   obligation_id=oid))
    assert_refused("obligation_not_found", lambda: svc.obligations.surrender(ent, "x5", obligation_id="QO-404",
                                                                             quantity_t=1))
    assert_refused("value_invalid", lambda: svc.retire(ent, "x6", account_id=ENT, quantity=1, beneficiary="B",
                                                       purpose="P", kind="obligation"))
    early = svc.retire(ent, "x7", account_id=ENT, quantity=1, beneficiary="B", purpose="P")
    late_start = oblige(svc, 3, "ob-late", start_date="2199-01-01", deadline="2199-06-30")["obligation_id"]
    assert_refused("retirement_before_obligation", lambda: svc.obligations.claim(
        ent, "x8", obligation_id=late_start, retirement_id=early["retirement_id"]))
    assert_refused("retirement_not_eligible", lambda: svc.obligations.claim(
        ent, "x9", obligation_id=wet, retirement_id=early["retirement_id"]))
    judicial = svc.retire(ent, "x11", account_id=ENT, quantity=1, beneficiary="B", purpose="P", kind="judicial")
    assert_refused("retirement_not_voluntary", lambda: svc.obligations.claim(
        ent, "x12", obligation_id=oid, retirement_id=judicial["retirement_id"]))
    assert_refused("retirement_not_enterprise_own", lambda: svc.obligations.claim(
        svc.actor("clerk"), "x13", obligation_id=oid, retirement_id=svc.retire(
            svc.actor("clerk"), "x14", account_id=f"{CENTRE}-H", quantity=1, beneficiary="B",
            purpose="P")["retirement_id"]))
    assert_refused("retirement_not_found", lambda: svc.obligations.claim(
        ent, "x10", obligation_id=oid, retirement_id="RT-404"))
    with pytest.raises(SinkLedgerError):
        svc.obligations.verify_certificate("AAAA-BBBB-CCCC-DDDD")
    assert svc.verify().ok
