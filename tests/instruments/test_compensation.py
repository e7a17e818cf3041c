"""Ecological protection compensation, from a programme to money reaching households (issue 22.3).

The world: the income scenario's bundle of six parcels issued to the collection centre under
three proceeds-share contracts (80 % of net to the villages, stated costs differing), nine
households. A programme pays per tonne (or per hectare) of the verified estimate's sink; the
money follows the contracts as a sale's proceeds do; each tonne is paid once; the budget holds.
"""

from __future__ import annotations

import json

from sqlalchemy import text

from ledger.compensation.domain import AREA_UNITS_PER_HA, days_in_vintage
from tests.instruments.conftest import CENTRE, assert_refused, programme


def test_a_payment_reaches_households_under_the_contracts(world):  # type: ignore[no-untyped-def]
    """Given a per-tonne programme, when the authority pays the bundle's estimate, then the
    amount is rate × the verified tonnes of each vintage, the entry names the estimate's hash and
    the issuance's entry hash, the lines follow the contracts to the households to the fen, the
    households' statements show the items, and the centre's payment of them is recorded."""
    svc = world
    programme(svc)
    payable = svc.compensation.payable_estimates(svc.actor("authority"), programme_code="HZ-EPC-1")
    assert len(payable) == 1
    estimate = payable[0]
    preview = svc.compensation.preview_payment(svc.actor("authority"), programme_code="HZ-EPC-1",
                                               estimate_id=estimate["estimate_id"])
    paid = svc.compensation.pay(svc.actor("authority"), "pay-1", programme_code="HZ-EPC-1",
                                estimate_id=estimate["estimate_id"], paid_date="2026-06-30", reference="财政拨付 001")
    # the amount: rate × tonnes of every vintage (buffer included: the verified sink)
    assert paid["quantity_t"] == estimate["quantity_t"]
    assert paid["amount_fen"] == 1_500 * estimate["quantity_t"] == preview["amount_fen"]
    assert sorted(u["vintage_year"] for u in paid["units"]) == estimate["vintages"]
    # traceable: the entry body names the estimate's reproducibility hash and the issuance entry's hash
    with svc.db.read() as s:
        est_hash = s.execute(text("SELECT reproducibility_hash FROM estimate WHERE id = :e"),
                             {"e": estimate["estimate_id"]}).scalar_one()
        iss_hash = s.execute(text("SELECT entry_hash FROM journal_entry WHERE seq = :s"),
                             {"s": estimate["issuance_seq"]}).scalar_one()
        stored = json.loads(s.execute(text("SELECT body FROM journal_entry WHERE seq = :s"),
                                      {"s": paid["seq"]}).scalar_one())["payload"]["payment"]
    assert stored["estimate_hash"] == est_hash and stored["issuance_entry_hash"] == iss_hash
    # the lines add up to the amount; the households' lines are due from the centre
    detail = svc.compensation.payment(svc.actor("authority"), payment_id=paid["payment_id"])
    assert sum(line["amount_fen"] for line in detail["lines"]) == paid["amount_fen"]
    assert {c["contract_no"] for c in detail["contracts"]} == {"AJSC-2021-A", "AJSC-2021-B", "AJSC-2021-C"}
    for c in detail["contracts"]:  # 80 % of net to the villages
        assert c["villages_fen"] + c["centre_fen"] == c["net_fen"] == c["gross_fen"] - c["costs_fen"]
    household_lines = [line for line in detail["lines"] if line["role"] == "household"]
    assert household_lines and {line["party_id"] for line in household_lines} >= {"HH-A1", "HH-B1", "HH-C1"}
    assert paid["villages_fen"] == sum(line["amount_fen"] for line in detail["lines"]
                                       if line["role"] in ("household", "collective"))
    # the household sees it on its statement, then the centre pays it
    statement = svc.income.statement(svc.actor("hh-a1"), party_id="HH-A1", period_start="2026-01-01",
                                     period_end="2026-12-31")
    items = [i for i in statement["items"] if i["source_kind"] == "compensation"]
    assert items and all(i["source_id"] == paid["payment_id"] for i in items)
    assert all(i["programme_code"] == "HZ-EPC-1" for i in items)
    due = sum(i["amount_fen"] for i in items)
    assert due == sum(line["amount_fen"] for line in household_lines if line["party_id"] == "HH-A1")
    svc.income.record_payment(svc.actor("centre"), "pay-hh", paid_date="2026-07-05", reference="转账 A1",
                              items=[{"due_id": i["id"], "amount_fen": i["amount_fen"]} for i in items])
    after = svc.income.statement(svc.actor("hh-a1"), party_id="HH-A1", period_start="2026-01-01",
                                 period_end="2026-12-31")
    assert sum(i["paid_fen"] for i in after["items"] if i["source_kind"] == "compensation") == due
    # the programme's account: paid and remaining
    prog = svc.compensation.programme(svc.actor("authority"), code="HZ-EPC-1")
    assert prog["paid_fen"] == paid["amount_fen"] and prog["remaining_fen"] == 100_000_000 - paid["amount_fen"]
    assert svc.verify().ok


def test_no_tonne_is_paid_twice_and_the_budget_holds(world):  # type: ignore[no-untyped-def]
    """Given a paid estimate, when the same programme pays it again (all vintages or one), then
    ``compensation_already_paid``; another programme may pay it; a programme whose budget is short
    refuses (``programme_budget_exceeded``); nothing changes on a refusal."""
    svc, authority = world, world.actor("authority")
    programme(svc)
    estimate = svc.compensation.payable_estimates(authority, programme_code="HZ-EPC-1")[0]
    first = svc.compensation.pay(authority, "pay-1", programme_code="HZ-EPC-1", estimate_id=estimate["estimate_id"],
                                 paid_date="2026-06-30", reference="R1")
    head = svc.journal(limit=1)[-1]["seq"]
    assert_refused("compensation_already_paid", lambda: svc.compensation.pay(
        authority, "pay-2", programme_code="HZ-EPC-1", estimate_id=estimate["estimate_id"], paid_date="2026-07-01",
        reference="R2"))
    assert_refused("compensation_already_paid", lambda: svc.compensation.pay(
        authority, "pay-3", programme_code="HZ-EPC-1", estimate_id=estimate["estimate_id"], paid_date="2026-07-01",
        reference="R3", vintages=[estimate["vintages"][-1]]))
    assert svc.compensation.payable_estimates(authority, programme_code="HZ-EPC-1") == []
    # a programme with a small budget: refused before anything is written
    programme(svc, "HZ-EPC-2", budget_fen=first["amount_fen"] - 1)
    assert_refused("programme_budget_exceeded", lambda: svc.compensation.pay(
        authority, "pay-4", programme_code="HZ-EPC-2", estimate_id=estimate["estimate_id"], paid_date="2026-07-01",
        reference="R4"))
    assert svc.journal(limit=1)[-1]["seq"] == head + 1  # only the second programme's registration
    # but one vintage fits, and is paid; the rest later would overdraw
    one = estimate["vintages"][0]
    part = svc.compensation.pay(authority, "pay-5", programme_code="HZ-EPC-2", estimate_id=estimate["estimate_id"],
                                paid_date="2026-07-01", reference="R5", vintages=[one])
    assert [u["vintage_year"] for u in part["units"]] == [one]
    prog = svc.compensation.programme(authority, code="HZ-EPC-2")
    assert prog["paid_fen"] + prog["remaining_fen"] == prog["budget_fen"] and prog["remaining_fen"] >= 0
    assert svc.verify().ok


def test_per_hectare_pays_area_times_days_in_each_vintage(world):  # type: ignore[no-untyped-def]
    """Given a per-hectare programme, then each vintage's amount is rate × the estimate's area ×
    the period's days in that year ÷ the year's days, rounded down, computed here by hand."""
    svc, authority = world, world.actor("authority")
    programme(svc, "HZ-EPC-HA", basis="per_ha", rate_fen=30_000)
    estimate = svc.compensation.payable_estimates(authority, programme_code="HZ-EPC-HA")[0]
    paid = svc.compensation.pay(authority, "pay-ha", programme_code="HZ-EPC-HA", estimate_id=estimate["estimate_id"],
                                paid_date="2026-06-30", reference="R")
    with svc.db.read() as s:
        weights = s.execute(text("SELECT c.batch_id, sum(c.weight), b.vintage_year, b.period_start, b.period_end "
                                 "FROM issuance_contribution c JOIN batch b ON b.id = c.batch_id "
                                 "WHERE b.estimate_id = :e GROUP BY c.batch_id, b.vintage_year, b.period_start, "
                                 "b.period_end"), {"e": estimate["estimate_id"]}).all()
    expected = {}
    for _batch, area, vintage, start, end in weights:
        days, year_days = days_in_vintage(start, end, vintage)
        expected[vintage] = 30_000 * int(area) * days // (AREA_UNITS_PER_HA * year_days)
    assert {u["vintage_year"]: u["amount_fen"] for u in paid["units"]} == expected
    assert paid["amount_fen"] == sum(expected.values()) > 0


def test_eligibility_period_and_roles(world):  # type: ignore[no-untyped-def]
    """Given programmes that do not accept the bundle (another sink type, another county, other
    vintages), a payment date outside the period, another authority, an estimate never issued:
    each is refused with its own code."""
    svc, authority = world, world.actor("authority")
    programme(svc, "TEA-ONLY", sink_types=["tea_garden"])
    programme(svc, "OTHER-COUNTY", county_codes=["330521"])
    programme(svc, "LATER", vintage_from=2030, vintage_to=2035)
    programme(svc, "SHORT", period_start="2026-01-01", period_end="2026-03-31")
    est = svc.compensation.payable_estimates(authority, programme_code="SHORT")[0]["estimate_id"]
    for code, refusal in (("TEA-ONLY", "estimate_not_eligible"), ("OTHER-COUNTY", "estimate_not_eligible"),
                          ("LATER", "estimate_not_eligible")):
        assert svc.compensation.payable_estimates(authority, programme_code=code) == []
        assert_refused(refusal, lambda code=code: svc.compensation.pay(
            authority, f"p:{code}", programme_code=code, estimate_id=est, paid_date="2026-06-30", reference="R"))
    assert_refused("payment_outside_programme_period", lambda: svc.compensation.pay(
        authority, "p:short", programme_code="SHORT", estimate_id=est, paid_date="2026-06-30", reference="R"))
    assert_refused("not_permitted", lambda: svc.compensation.pay(
        svc.actor("authority2"), "p:other", programme_code="SHORT", estimate_id=est, paid_date="2026-02-01",
        reference="R"))
    assert_refused("not_permitted", lambda: svc.compensation.pay(
        svc.actor("centre"), "p:centre", programme_code="SHORT", estimate_id=est, paid_date="2026-02-01",
        reference="R"))
    assert_refused("estimate_not_found", lambda: svc.compensation.pay(
        authority, "p:none", programme_code="SHORT", estimate_id="EST-NOPE", paid_date="2026-02-01", reference="R"))
    assert_refused("programme_not_found", lambda: svc.compensation.pay(
        authority, "p:nop", programme_code="NOPE", estimate_id=est, paid_date="2026-02-01", reference="R"))


def test_bad_programmes_are_refused(world):  # type: ignore[no-untyped-def]
    """Zero or negative budgets and rates, reversed periods and vintages, unknown sink types,
    malformed counties, a code taken: each refused with a stable code, nothing recorded."""
    svc = world
    programme(svc, "TAKEN")
    head = svc.journal(limit=1)[-1]["seq"]
    for changes, code in (({"budget_fen": 0}, "amount_must_be_positive"), ({"rate_fen": -5}, "amount_must_be_positive"),
                          ({"rate_fen": 1.5}, "value_invalid"), ({"basis": "per_acre"}, "value_invalid"),
                          ({"period_end": "2019-12-31"}, "programme_period_invalid"),
                          ({"period_start": "1066-10-14"}, "date_out_of_range"),
                          ({"vintage_from": 2027, "vintage_to": 2021}, "vintages_invalid"),
                          ({"sink_types": ["mangrove"]}, "value_invalid"), ({"sink_types": []}, "field_required"),
                          ({"county_codes": ["33052"]}, "value_invalid"), ({"code": "TAKEN"}, "programme_code_taken"),
                          ({"name": ""}, "field_required")):
        code_ = changes.pop("code", "NEW-1")
        assert_refused(code, lambda: programme(svc, code_, request=f"bad:{code}:{sorted(changes)}", **changes))
    assert svc.journal(limit=1)[-1]["seq"] == head
    assert_refused("not_permitted", lambda: svc.compensation.register_programme(
        svc.actor("centre"), "bad:role", code="X", name="X", reference="X", basis="per_t", rate_fen=1, budget_fen=1,
        sink_types=["wetland"], vintage_from=2020, vintage_to=2021, period_start="2020-01-01",
        period_end="2021-01-01"))


def test_payments_are_read_by_whom_they_concern(world):  # type: ignore[no-untyped-def]
    """The authority reads its programmes' payments, the payee centre its own, another authority none."""
    svc, authority = world, world.actor("authority")
    programme(svc)
    est = svc.compensation.payable_estimates(authority, programme_code="HZ-EPC-1")[0]["estimate_id"]
    paid = svc.compensation.pay(authority, "pay", programme_code="HZ-EPC-1", estimate_id=est, paid_date="2026-06-30",
                                reference="R")
    assert [p["id"] for p in svc.compensation.payments(authority)] == [paid["payment_id"]]
    assert [p["id"] for p in svc.compensation.payments(svc.actor("centre"))] == [paid["payment_id"]]
    assert svc.compensation.payments(svc.actor("authority2")) == []
    assert svc.compensation.payments(svc.actor("coop-a")) == []
    assert paid["payee_party_id"] == CENTRE
    assert_refused("not_permitted", lambda: svc.compensation.payment(svc.actor("coop-a"),
                                                                     payment_id=paid["payment_id"]))
