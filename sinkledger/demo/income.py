"""The demo's income chain (收储 → 收益分配), added on top of :func:`sinkledger.demo.seed.seed_demo`.

Everything here is SYNTHETIC (contract numbers, loans, policies and references are marked 演示).
It touches only parcels the rest of the demo never issues and adds no parcel, so every
parcel, sale and holder's available balance of the base demo stays as it was (the buffer pool
gives 29 credits to the loss below, and the base demo's enterprise buyer retires what it buys):

- a collection contract (80 % of net proceeds, stated costs 5 % + 2 yuan/t) on five tea gardens
  of one collective, bundled into project ``AJTG01``; its first monitoring period is estimated,
  verified and issued (credits accrue to the centre), the clerk sells 50 t (which the buyer
  retires), the centre distributes the proceeds and pays part of it;
- a fixed-payment contract (20 yuan per mu per year) on three wetlands of another collective,
  three contract years scheduled and two paid; bundled into project ``DQWL01`` whose
  estimate is recorded and **left waiting** for the verifier, under a bank's lien (收储贷), so
  that approving it issues credits that arrive pledged;
- a snow loss on one bamboo parcel, its buffer reversal and an insurance claim
  (毛竹碳汇价值恢复补偿保险);
- two demo users for the tea collective and one of its households (``tea_coop``,
  ``tea_household``).

Every command goes through the service with a fixed request id and content that does not depend
on the day it runs (dates are constants, or taken from the replayed sale), so seeding twice
records each command once. A demo layer without these parcels (the fuzz tests' small layer)
gets no income chain.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sinkledger.config import REPO_ROOT
from sinkledger.demo import DEMO_PASSWORD
from sinkledger.services.registry import Service

Progress = Callable[[int, int, str], None]

TEA_CONTRACT_NO = "AJSC-TG-2024-01（演示）"
WETLAND_CONTRACT_NO = "DQSC-WL-2024-01（演示）"
TEA_PARCELS = ("AJ-TG-0003", "AJ-TG-0006", "AJ-TG-0009", "AJ-TG-0010", "AJ-TG-0013")
TEA_PARCELS_FIRST = TEA_PARCELS[:3]  # registered with the project; the others are added after
WETLAND_PARCELS = ("DQ-WL-0003", "DQ-WL-0004", "DQ-WL-0012")
LOSS_PARCEL = "AJ-BF-0040"
TEA_PROJECT_CODE = "AJTG01"
WETLAND_PROJECT_CODE = "DQWL01"
TEA_METHODOLOGY = "sinkledger.tea-garden"
WETLAND_METHODOLOGY = "sinkledger.wetland-lake-marsh"
TEA_TERMS = {"kind": "proceeds_share", "share_bp": 8000, "cost_share_bp": 500, "cost_fen_per_t": 200,
             "costs_note": "交易服务费 5%，监测核证费 2 元/吨（演示）"}
WETLAND_TERMS = {"kind": "fixed_per_mu_year", "fen_per_mu_per_year": 2000}  # 20 yuan per mu per year
# contract no → (term start, term end, signed); each term covers its project's first monitoring period
TERMS = {TEA_CONTRACT_NO: ("2024-01-01", "2054-01-01", "2023-12-20"),
         WETLAND_CONTRACT_NO: ("2023-06-01", "2043-06-01", "2023-05-20")}
SCHEDULE_THROUGH = "2025-12-31"  # three contract years started (from 2023-06-01, 2024-06-01, 2025-06-01)
FIXED_PAID = (("2024-06-01", "2024-06-12"), ("2025-06-01", "2025-06-10"))  # (due date, paid date); the third stays due
BUFFER_SHARE_BP = 1000
SALE_PRICE_FEN_PER_T = 7341
SALE_QUANTITY_T = 50  # of 63 held: the centre keeps 13 t to sell in the app
SALE_CONTRACT_NO = "HZGX-2026-0101（演示）"
BUYER_ACCOUNT = "ENT-0001-H"  # the demo user "enterprise"
RETIREMENT = {"beneficiary": "示例绿色纺织有限公司（虚构）", "purpose": "2026 年度茶园碳汇自愿抵消（演示）"}
LOAN = {"loan_reference": "AJNS-SCD-2026-008（演示）", "loan_amount_fen": 50_000_000, "term_end": "2028-12-31"}
LOSS = {"cause": "snow", "event_date": "2025-01-22", "policy_no": "PICC-AJ-MZ-2025-017（演示）",
        "description": "2025 年 1 月雪压毛竹，倒伏、破竹（演示）",
        "parcels": [{"parcel_code": LOSS_PARCEL, "affected_area_ha": "1.2", "damage_share_bp": 2500}]}
CLAIM = {"claim_no": "CLM-2025-0031（演示）", "product": "毛竹碳汇价值恢复补偿保险", "payout_fen": 1_860_000,
         "paid_date": "2025-03-15", "reference": "理赔转账 2025-03-15（演示）"}
CONTRACT_DOCUMENT = ("收储合同（演示，虚构）\n合同编号：AJSC-TG-2024-01\n甲方：安吉县两山竹林碳汇收储交易中心（演示）\n"
                     "乙方：溪龙乡龙坞村股份经济合作社（演示）\n收储期限：2024-01-01 至 2054-01-01\n"
                     "收益分配：扣除约定成本（交易服务费 5%、监测核证费 2 元/吨）后，净收益 80% 归村。\n").encode()
DEMO_USERS = (("tea_coop", "cooperative", "茶园合作社会计（演示）"), ("tea_household", "household", "茶农（演示）"))


def _example_inputs(name: str) -> dict[str, Any]:
    """A methodology's cited worked example (``methodologies/examples``), decimals kept as text."""
    path = REPO_ROOT / "methodologies" / "examples" / name
    return json.loads(path.read_text(encoding="utf-8"), parse_float=str)


def _tea_inputs() -> dict[str, Any]:
    """The tea example, its biomass inventories moved to the project's first monitoring period."""
    inputs = _example_inputs("tea_garden.json")
    inputs["biomass_events"] = [{"date": "2024-04-10", "biomass_t_per_ha": "18.2"},
                                {"date": "2026-04-10", "biomass_t_per_ha": "20.1"}]
    return inputs


def _wetland_inputs() -> dict[str, Any]:
    """The lake-marsh example as it stands (its period is the project's first, 2023-06 to 2025-06)."""
    return _example_inputs("wetland_lake_marsh.json")


def has_income_parcels(codes: set[str]) -> bool:
    return set(TEA_PARCELS) | set(WETLAND_PARCELS) | {LOSS_PARCEL} <= codes


def seed_income(service: Service, codes: set[str], *, progress: Progress | None = None) -> dict[str, Any]:
    """Record the demo's income chain (see the module docstring); ``{}`` if its parcels are absent."""
    if not has_income_parcels(codes):
        return {}
    progress = progress or (lambda i, n, label: None)
    steps = 6
    progress(1, steps, "income: contracts")
    tea_collective, wetland_collective = _contracts(service)
    progress(2, steps, "income: projects")
    issuance = _tea_project(service)
    waiting = _wetland_project(service)
    progress(3, steps, "income: sale and distribution")
    sale, distribution = _sale_and_distribution(service, issuance)
    progress(4, steps, "income: payments")
    fixed = _fixed_payments(service)
    _payments(service, distribution, sale)
    progress(5, steps, "income: lien, loss, claim")
    lien = service.income.register_lien(service.actor("bank"), "demo:income:lien", contract_no=WETLAND_CONTRACT_NO,
                                        **LOAN)
    loss, claim = _loss_and_claim(service)
    progress(6, steps, "income: users")
    household = _users(service, tea_collective)
    return {"tea_collective": tea_collective, "wetland_collective": wetland_collective, "tea_household": household,
            "issued_t": issuance["issued_t"], "buffer_t": issuance["buffer_t"], "sale_seq": sale["seq"],
            "sale_amount_fen": sale["amount_fen"], "distribution_id": distribution["distribution_id"],
            "obligations": [o["obligation_id"] for o in fixed["obligations"]],
            "waiting_estimate_id": waiting["estimate_id"], "lien_id": lien["lien_id"],
            "loss_event_id": loss["event_id"], "reversed_t": loss["reversed_t"], "claim_no": claim["claim_no"]}


def _contracts(service: Service) -> tuple[str, str]:
    centre = service.actor("centre")
    holders = []
    for request, contract_no, parcels, terms in (("tea", TEA_CONTRACT_NO, TEA_PARCELS, TEA_TERMS),
                                                 ("wetland", WETLAND_CONTRACT_NO, WETLAND_PARCELS, WETLAND_TERMS)):
        holder = service.parcel(parcels[0])["holder_party_id"]
        start, end, signed = TERMS[contract_no]
        service.collect(centre, f"demo:income:collect:{request}", contract_no=contract_no, collective_party_id=holder,
                        parcel_codes=list(parcels), term_start=start, term_end=end, signed_date=signed,
                        payment_terms=terms)
        holders.append(holder)
    service.income.register_contract_document(centre, "demo:income:document", contract_no=TEA_CONTRACT_NO,
                                              title="收储合同文本（演示）", content=CONTRACT_DOCUMENT,
                                              file_name="AJSC-TG-2024-01.txt")
    return holders[0], holders[1]


def _tea_project(service: Service) -> dict[str, Any]:
    """Bundle the tea gardens (three, then two more), estimate period 0 and issue it to the centre."""
    income, centre = service.income, service.actor("centre")
    income.register_project(centre, "demo:income:project:tea", project_code=TEA_PROJECT_CODE,
                            name="安吉溪龙茶园碳汇打捆项目（演示）", sink_type="tea_garden", methodology_id=TEA_METHODOLOGY,
                            monitoring_start="2024-04-10", interval_months=24, parcel_codes=list(TEA_PARCELS_FIRST))
    income.add_project_parcels(centre, "demo:income:project:tea:add", project_code=TEA_PROJECT_CODE,
                               parcel_codes=list(TEA_PARCELS[len(TEA_PARCELS_FIRST):]))
    estimate = income.estimate_project(centre, "demo:income:estimate:tea", project_code=TEA_PROJECT_CODE,
                                       inputs=_tea_inputs(), period_index=0)
    return income.issue_project(service.actor("verifier"), "demo:income:issue:tea", project_code=TEA_PROJECT_CODE,
                                estimate_id=estimate["estimate_id"], verified_kg_co2e=estimate["net_kg_co2e"],
                                buffer_share_bp=BUFFER_SHARE_BP)


def _wetland_project(service: Service) -> dict[str, Any]:
    """Bundle the wetlands and record their first period's estimate, left for the verifier."""
    income, centre = service.income, service.actor("centre")
    income.register_project(centre, "demo:income:project:wetland", project_code=WETLAND_PROJECT_CODE,
                            name="德清下渚湖湿地碳汇项目（演示）", sink_type="wetland", methodology_id=WETLAND_METHODOLOGY,
                            monitoring_start="2023-06-01", interval_months=24, parcel_codes=list(WETLAND_PARCELS))
    return income.estimate_project(centre, "demo:income:estimate:wetland", project_code=WETLAND_PROJECT_CODE,
                                   inputs=_wetland_inputs(), period_index=0)


def _sale_and_distribution(service: Service, issuance: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    held_t = issuance["issued_t"] - issuance["buffer_t"]
    sale = service.sell(service.actor("clerk"), "demo:income:sale", seller_account=issuance["to_account"],
                        buyer_account=BUYER_ACCOUNT, quantity=min(SALE_QUANTITY_T, held_t),
                        price_fen_per_t=SALE_PRICE_FEN_PER_T, contract_no=SALE_CONTRACT_NO)
    # The buyer retires exactly what it bought, so no holder's available balance changes (the
    # app's pages pick default sellers by balance, and the base demo's tests rely on those).
    service.retire(service.actor("enterprise"), "demo:income:retire", account_id=BUYER_ACCOUNT,
                   quantity=sale["quantity"], serials=[b["serials"] for b in sale["blocks"]], **RETIREMENT)
    distribution = service.income.distribute(service.actor("centre"), sale_seq=sale["seq"],
                                             request_id="demo:income:distribution")
    return sale, distribution


def _fixed_payments(service: Service) -> dict[str, Any]:
    return service.income.schedule_payments(service.actor("centre"), "demo:income:schedule",
                                            contract_no=WETLAND_CONTRACT_NO, through=SCHEDULE_THROUGH)


def _payments(service: Service, distribution: dict[str, Any], sale: dict[str, Any]) -> None:
    """The centre pays the first household's share of the sale and two contract years in full;
    the rest stays due (for the payment pages). Items come from all due items, not the
    outstanding ones, so a re-run asks for exactly the same payments."""
    income, centre = service.income, service.actor("centre")
    lines = income.due_items(centre, source_id=distribution["distribution_id"])
    first = min(i["party_id"] for i in lines)
    income.record_payment(centre, "demo:income:pay:sale", paid_date=sale["recorded_at"][:10],
                          reference="农商行代发 2026-0101（演示）",
                          items=[{"due_id": i["id"], "amount_fen": i["amount_fen"]} for i in lines if i["party_id"] == first])
    fixed = income.due_items(centre, contract_no=WETLAND_CONTRACT_NO)
    for n, (due_date, paid_date) in enumerate(FIXED_PAID, start=1):
        income.record_payment(centre, f"demo:income:pay:fixed:{n}", paid_date=paid_date,
                              reference=f"固定收益第 {n} 年度（演示）",
                              items=[{"due_id": i["id"], "amount_fen": i["amount_fen"]} for i in fixed
                                     if i["due_date"] == due_date])


def _loss_and_claim(service: Service) -> tuple[dict[str, Any], dict[str, Any]]:
    insurer = service.actor("insurer")
    loss = service.income.record_loss(insurer, "demo:income:loss", **LOSS)
    insured = service.parcel(LOSS_PARCEL)["holder_party_id"]
    claim = service.income.record_claim(insurer, "demo:income:claim", event_id=loss["event_id"],
                                        policy_no=LOSS["policy_no"], insured_party_id=insured, **CLAIM)
    return loss, claim


def _users(service: Service, tea_collective: str) -> str:
    """``tea_coop`` for the tea collective, ``tea_household`` for its largest household."""
    shares = service.parcel(TEA_PARCELS[0])["household_shares_bp"]
    household = min(shares, key=lambda h: (-shares[h], h))
    known = {u["username"] for u in service.users()}
    for (username, role, display), party in zip(DEMO_USERS, (tea_collective, household)):
        if username not in known:
            service.create_user(username=username, password=DEMO_PASSWORD, role=role, party_id=party,
                                display_name=display)
    return household
