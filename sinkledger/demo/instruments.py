"""The demo's compensation programme and quota obligations (issue 22; docs/instruments.md).

After the income chain (:mod:`sinkledger.demo.income`), on its own days of the walking clock:

- **a compensation programme** of the demo authority (``AUTH-HZ``, user ``authority``): 15 yuan per
  tonne of verified bamboo, tea or wetland sink in Anji and Deqing, vintages 2023-2026, a budget of
  200,000 yuan, payments dated in 2026. It pays the tea project ``AJTG01`` (issued to the centre
  under the tea contract: 80 % of the net reaches the three tea households; ``tea_household`` sees
  it on its statement, paid by the centre) and the first bamboo estimate a collective holds
  itself (no contract: the collective keeps it);
- **an obligation met** on ``ENT-0001`` (user ``enterprise``): 30 t of bamboo or tea sink of
  vintages 2023-2026 by 2026-12-31; the enterprise surrenders half from what it holds, the trading
  clerk buys the other half from a collective in the same entry, and the authority issues the
  compliance certificate (checkable on the public certificate page);
- **an obligation open** on ``ENT-0002``: 40 t by 2027-06-30, nothing surrendered yet, so the
  authority's page shows a shortfall.

SYNTHETIC throughout (marked 演示), through the service API with fixed request ids, so seeding
twice records each step once. A demo layer without the income chain still gets the programme and
the obligations, with what it can pay and surrender.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sinkledger.demo.county import WalkingClock
from sinkledger.services.registry import Service

AUTHORITY = ("AUTH-HZ", "湖州市生态环境局（演示）")
PROGRAMME = {"code": "HZSTBC-2026", "name": "湖州市碳汇生态保护补偿 2026 年度（演示）",
             "reference": "湖环发〔2026〕18号（演示）", "basis": "per_t", "rate_fen": 1_500, "budget_fen": 20_000_000,
             "sink_types": ["bamboo_forest", "tea_garden", "wetland"], "county_codes": ["330521", "330523"],
             "vintage_from": 2023, "vintage_to": 2026, "period_start": "2026-01-01", "period_end": "2026-12-31"}
PAY_DAY, HOUSEHOLD_PAY_DAY = date(2026, 10, 20), date(2026, 10, 26)
OBLIGATION_DAY, SURRENDER_DAY = date(2026, 10, 28), date(2026, 11, 5)
MET = {"enterprise_party_id": "ENT-0001", "quantity_t": 30, "deadline": "2026-12-31", "start_date": "2026-10-28",
       "sink_types": ["bamboo_forest", "tea_garden"], "vintage_from": 2023, "vintage_to": 2026,
       "reference": "湖环函〔2026〕52号（演示）"}
OPEN = {"enterprise_party_id": "ENT-0002", "quantity_t": 40, "deadline": "2027-06-30", "start_date": "2026-10-28",
        "sink_types": ["bamboo_forest", "wetland"], "vintage_from": 2023, "vintage_to": 2026,
        "reference": "湖环函〔2026〕53号（演示）"}
SELLER_PRICE_FEN_PER_T = 8_200
PURCHASE_CONTRACT = "HZGX-2026-1105（演示）"


def seed_instruments(service: Service, clock: WalkingClock) -> dict[str, Any]:
    """Record the demo's programme, payments and obligations (see the module docstring)."""
    authority, compensation, obligations = service.actor("authority"), service.compensation, service.obligations
    clock.day(PAY_DAY)
    compensation.register_programme(authority, "demo:instruments:programme", **PROGRAMME)
    paid = sorted(compensation.payments(authority, programme_code=PROGRAMME["code"]), key=lambda p: p["seq"])
    # seeding again pays the same estimates (the same requests), whatever is left payable now
    chosen = [{"estimate_id": p["estimate_id"]} for p in paid] or _chosen(
        service, compensation.payable_estimates(authority, programme_code=PROGRAMME["code"]))
    payments = [compensation.pay(authority, f"demo:instruments:pay:{n}", programme_code=PROGRAMME["code"],
                                 estimate_id=e["estimate_id"], paid_date=PAY_DAY.isoformat(),
                                 reference=f"财政直达 2026-{n + 1:03d}（演示）") for n, e in enumerate(chosen)]
    clock.day(HOUSEHOLD_PAY_DAY)
    paid_households = _pay_households(service, payments)
    clock.day(OBLIGATION_DAY)
    met = obligations.set_obligation(authority, "demo:instruments:obligation:met", **MET)
    open_ = obligations.set_obligation(authority, "demo:instruments:obligation:open", **OPEN)
    clock.day(SURRENDER_DAY)
    certificate = _meet(service, met["obligation_id"])
    return {"programme": PROGRAMME["code"], "payments": [p["payment_id"] for p in payments],
            "paid_fen": sum(p["amount_fen"] for p in payments), "households_paid_fen": paid_households,
            "obligation_met": met["obligation_id"], "obligation_open": open_["obligation_id"],
            "certificate": certificate}


def _chosen(service: Service, payable: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tea project's estimate (contracted: reaches households) and the first bamboo estimate a
    collective holds itself; whatever is payable when those are absent (a smaller layer)."""
    tea = [e for e in payable if e["sink_type"] == "tea_garden"][:1]
    bamboo = [e for e in payable if e["sink_type"] == "bamboo_forest"][:1]
    return (tea + bamboo) or payable[:1]


def _pay_households(service: Service, payments: list[dict[str, Any]]) -> int:
    """The centre pays the first household of each payment its compensation lines, in full."""
    income, total = service.income, 0
    for payment in payments:
        if payment["payee_party_id"] != "CENTRE-AJ":
            continue
        items = [i for i in income.due_items(service.actor("centre"), source_id=payment["payment_id"])]
        first = sorted({i["party_id"] for i in items if i["role"] == "household"})[:1]
        mine = [i for i in items if i["party_id"] in first]
        if mine:
            income.record_payment(service.actor("centre"), f"demo:instruments:households:{payment['payment_id']}",
                                  paid_date=HOUSEHOLD_PAY_DAY.isoformat(), reference="生态补偿转付（演示）",
                                  items=[{"due_id": i["id"], "amount_fen": i["amount_fen"]} for i in mine])
            total += sum(i["amount_fen"] for i in mine)
    return total


def _meet(service: Service, obligation_id: str) -> str | None:
    """The enterprise surrenders half the obligation from its eligible holding (what it has of
    it), the clerk buys the rest from the collective holding most credits; the authority certifies."""
    obligations = service.obligations
    detail = obligations.obligation(service.actor("enterprise"), obligation_id=obligation_id)
    own = min(detail["eligible_held_t"], detail["shortfall_t"] // 2)
    if own:
        obligations.surrender(service.actor("enterprise"), "demo:instruments:surrender:own",
                              obligation_id=obligation_id, quantity_t=own)
    rest = detail["shortfall_t"] - own
    if rest:
        seller = _seller(service, rest)
        if seller is None:
            return None
        obligations.surrender(service.actor("clerk"), "demo:instruments:surrender:bought", obligation_id=obligation_id,
                              quantity_t=rest, seller_account=seller, price_fen_per_t=SELLER_PRICE_FEN_PER_T,
                              contract_no=PURCHASE_CONTRACT)
    return obligations.issue_certificate(service.actor("authority"), obligation_id=obligation_id)["code"]


def _seller(service: Service, needed: int) -> str | None:
    """A collective's account holding enough held credits (the largest; ties by id)."""
    held = [r for r in service.balances()["by_account"] if r["account_id"].startswith("COL-") and r["held_t"] >= needed]
    return min(held, key=lambda r: (-r["held_t"], r["account_id"]))["account_id"] if held else None
