"""A purchase that buys and retires in one entry (a court's substitute restoration) distributes its
proceeds by the tonnes *sold*: the entry also moves the same tonnes from the buyer's holding to
retired, and those are not sold again. Counting every move of the entry would give each parcel
twice its tonnes; the shares would still sum, so only the trace shows it.

Given the income scenario's bundle issued to the centre, when a court buys 300 t of it for an
order and the centre distributes that purchase, then the trace says 300 t sold, exactly as a plain
sale of 300 t would, and every fen of the purchase is allocated."""

from __future__ import annotations

import ledger.court.store  # noqa: F401 - registers the court tables before the schema is created
from ledger.domain import PartyKind
from sinkledger.services.court import CourtService
from sinkledger.services.registry import SYSTEM_ACTOR
from tests.income.conftest import CENTRE, PRICE_FEN_PER_T, sell

BOUGHT_T = 300


def _court_purchase(income) -> dict:  # type: ignore[no-untyped-def,type-arg]
    svc = income.service
    for pid, kind, name in (("COURT-1", PartyKind.court, "示例县人民法院"), ("DEF-1", PartyKind.defendant, "被告人甲（化名）")):
        svc.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=kind.value, name=name, county_code="330523")
    svc.create_user(username="judge", password="password-1", role="court", party_id="COURT-1", display_name="judge")
    court, judge = CourtService(svc), svc.actor("judge")
    case = court.register_case(judge, "case:1", case_no="（2024）浙0523刑初1号", judgment_date="2024-03-15",
                               defendants=["DEF-1"], sink_type="bamboo_forest", county_code="330523",
                               ecosystem_name="示例竹林（受损林地）", damaged_area_ha="0.5", description="非法采伐（示例）")
    order = court.issue_order(judge, "order:1", case_no=case["case_no"], item="判决第二项", kind="quantity",
                              quantity_t=BOUGHT_T, due_date="2024-12-31")
    return court.fulfil(judge, "fulfil:1", order_id=order["order_id"], seller_account=f"{CENTRE}-H",
                        price_fen_per_t=PRICE_FEN_PER_T, contract_no="HZGT-2024-009", quantity_t=BOUGHT_T)


def test_a_court_purchase_distributes_the_tonnes_it_bought_once(issued) -> None:  # type: ignore[no-untyped-def]
    income, centre = issued, issued.service.actor("centre")
    bought = _court_purchase(income)
    out = income.distribute(centre, sale_seq=bought["seq"])
    record = income.distribution(centre, out["distribution_id"])
    assert sum(t["sold_t"] for t in record["sold"]) == BOUGHT_T
    assert out["amount_fen"] == BOUGHT_T * PRICE_FEN_PER_T == sum(line["amount_fen"] for line in record["lines"])
    # the same tonnes by a plain sale: the same trace of tonnes per parcel
    plain = sell(income, BOUGHT_T, request="sale-300")
    compared = income.distribution(centre, income.distribute(centre, sale_seq=plain["seq"])["distribution_id"])
    assert sum(t["sold_t"] for t in compared["sold"]) == BOUGHT_T
    parcels = [sorted(t["parcels_t"].items()) for t in record["sold"]]
    assert all(sum(dict(p).values()) == t["sold_t"] for p, t in zip(parcels, record["sold"], strict=True))
    assert issued.service.verify().ok
