"""The demo's price index, price index insurance and pricing factors (issue 22; docs/prices.md).

The base demo's three largest holders each sell in their own month, so no month of it has the
three trades from two sellers an index needs (P4). These steps, run on their days of the walking
clock between the base demo's sales (like :mod:`sinkledger.demo.roles`), give it a market:

- **bamboo, Anji (330523), April 2025 and September 2026**: two more collectives sell in each of
  these months beside one of the three largest holders, so the monthly indexes of 2025-04 and
  2026-09 are published (three trades, three sellers), and so is the index of the spring 2025
  period (five trades);
- **price index insurance** (竹林碳汇富余价格指数保险): on 2025-01-06 the insurer (``insurer``)
  insures the first collective's (``coop``, ``COL-0001``) fixed-payment contract
  (:data:`sinkledger.demo.roles.HOUSEHOLD_CONTRACT_NO`) against the spring 2025 index falling
  below 80 yuan/t; on 2025-06-20 it settles: the index is below the strike, the payout goes to the
  collective and on to its households by their shares; on 2025-06-30 the collective pays them
  (the household ``household``, ``HH-0001``, sees the line in its statement);
- **a priced wetland sale**: on 2026-07-06 three Deqing wetlands of three collectives are
  estimated and issued under project ``DQWL02``; the administrator sets the project's pricing
  factors (biodiversity, ecological-product value) with their evidence documents on 2026-07-20;
  the three collectives sell in August 2026 (so the wetland index of 2026-08 is published) and
  one sells again on 2026-09-22: that sale records its reference index and factors (the clerk's
  sale form shows them for the next sale).

The buyer of these sales, the enterprise (``enterprise``), retires what it buys at once.

Everything is SYNTHETIC (policy, contract numbers and evidence documents marked 演示), through the
service API with fixed request ids and content that does not depend on the day it runs, so
seeding twice records each step once. None of these parcels is contracted, and no step touches
the parcels and sellers the other demo steps use. A demo layer without these parcels (the fuzz
tests' small layer) gets none of it.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ledger.parties import holding_account_id
from sinkledger.config import REPO_ROOT
from sinkledger.demo.roles import HOUSEHOLD_CONTRACT_NO, HOUSEHOLD_PARCELS, Step
from sinkledger.services.registry import Service

BAMBOO_MARKET = {"sink_type": "bamboo_forest", "county_code": "330523"}
WETLAND_MARKET = {"sink_type": "wetland", "county_code": "330521"}
INDEX_MONTHS = ("2025-04", "2026-09")  # the bamboo months the extra sales publish
# (day, seller collective, tonnes, price fen/t): collectives the base demo never sells from
BAMBOO_SALES = ((date(2025, 4, 21), "COL-0024", 6, 7560), (date(2025, 4, 28), "COL-0022", 5, 7710),
                (date(2026, 9, 21), "COL-0027", 6, 8010), (date(2026, 9, 24), "COL-0015", 4, 8150))
POLICY = {"policy_no": "PIX-AJ-2025-001（演示）", "insured_party_id": "COL-0001", "contract_no": HOUSEHOLD_CONTRACT_NO,
          **BAMBOO_MARKET, "period_start": "2025-03-01", "period_end": "2025-05-31", "strike_fen_per_t": 8000,
          "insured_t": 300, "premium_fen": 36_000, "product": "竹林碳汇富余价格指数保险（演示）"}
POLICY_ISSUED, POLICY_SETTLED, POLICY_PAID_ON = date(2025, 1, 6), date(2025, 6, 20), date(2025, 6, 30)
SETTLEMENT_REFERENCE = "保险赔款转账 2025-06-20（演示）"
HOUSEHOLD_PAYMENT_REFERENCE = "价格指数保险赔款分配（演示）"
WETLAND_PROJECT = "DQWL02"
WETLAND_METHODOLOGY = "sinkledger.wetland-lake-marsh"
WETLAND_PARCELS = ("DQ-WL-0005", "DQ-WL-0009", "DQ-WL-0008")  # three small wetlands of three collectives
WETLAND_ISSUED, FACTORS_SET = date(2026, 7, 6), date(2026, 7, 20)
# (day, parcel whose holder sells, tonnes, price fen/t); the last is the sale priced by the factors
WETLAND_SALES = ((date(2026, 8, 10), "DQ-WL-0005", 4, 9200), (date(2026, 8, 17), "DQ-WL-0009", 3, 9450),
                 (date(2026, 8, 24), "DQ-WL-0008", 3, 9300))
PRICED_SALE = (date(2026, 9, 22), "DQ-WL-0005", 3, 11480)
BUYER = "ENT-0001"  # the demo user "enterprise"; it retires what it buys here
OFFSET_PURPOSE = "2025 年度碳汇自愿抵消（演示）"
EVIDENCE = (
    ("biodiversity", "1.15", "下渚湖湿地生物多样性调查报告（演示，虚构）", "DQWL02-biodiversity.txt",
     "下渚湖湿地生物多样性调查报告（演示，虚构数据）\n项目：DQWL02\n调查日期：2025-05\n"
     "记录鸟类 142 种，其中国家一级重点保护野生动物朱鹮（放归种群）。\n结论：生物多样性定价因子 1.15。\n"),
    ("ecological_product_value", "1.08", "湿地生态产品价值核算（GEP）报告（演示，虚构）", "DQWL02-gep.txt",
     "湿地生态产品价值（GEP）核算报告（演示，虚构数据）\n项目：DQWL02\n核算年度：2024\n"
     "水源涵养、洪水调蓄、水质净化等调节服务价值合计（演示）。\n结论：生态产品价值定价因子 1.08。\n"),
)


def contract_nos() -> set[str]:
    """The contract numbers of the sales these steps record (the base demo's tests leave them out)."""
    return ({_contract_no("BF", n) for n in range(1, len(BAMBOO_SALES) + 1)}
            | {_contract_no("WL", n) for n in range(1, len(WETLAND_SALES) + 2)})


def _contract_no(kind: str, n: int) -> str:
    return f"HZGX-PX-{kind}{n:02d}（演示）"


def dated_steps(service: Service, codes: set[str]) -> list[Step]:
    """The steps, each with the day it runs on; none if the demo layer lacks their parcels or parties."""
    parties = {p["party_id"] for p in service.parties()}
    if not ({*HOUSEHOLD_PARCELS, *WETLAND_PARCELS} <= codes and {"COL-0001", *(s[1] for s in BAMBOO_SALES)} <= parties):
        return []
    steps: list[Step] = [(POLICY_ISSUED, "index policy", _issue_policy)]
    steps += [(day, "bamboo sale", _bamboo_sale(n, seller, t, price))
              for n, (day, seller, t, price) in enumerate(BAMBOO_SALES, start=1)]
    steps += [(POLICY_SETTLED, "index policy settled", _settle_policy),
              (POLICY_PAID_ON, "index payout to households", _pay_households),
              (WETLAND_ISSUED, "wetland issuance", _wetland_issuance),
              (FACTORS_SET, "pricing factors", _set_factors)]
    steps += [(day, "wetland sale", _wetland_sale(n, parcel, t, price))
              for n, (day, parcel, t, price) in enumerate((*WETLAND_SALES, PRICED_SALE), start=1)]
    return steps


def _issue_policy(service: Service) -> None:
    service.prices.issue_policy(service.actor("insurer"), "demo:prices:policy", **POLICY)


def _sell_and_retire(service: Service, request_id: str, seller: str, tonnes: int, price: int, contract_no: str) -> None:
    """The clerk sells to the enterprise, which retires exactly what it bought: no holder's
    available balance grows (the app's pages pick default holders by balance)."""
    sale = service.sell(service.actor("clerk"), request_id, seller_account=holding_account_id(seller),
                        buyer_account=holding_account_id(BUYER), quantity=tonnes, price_fen_per_t=price,
                        contract_no=contract_no)
    service.retire(service.actor("enterprise"), f"{request_id}:retire", account_id=holding_account_id(BUYER),
                   quantity=sale["quantity"], serials=[b["serials"] for b in sale["blocks"]],
                   beneficiary="示例绿色纺织有限公司（虚构）", purpose=OFFSET_PURPOSE)


def _bamboo_sale(n: int, seller: str, tonnes: int, price: int) -> Any:
    def run(service: Service) -> None:
        _sell_and_retire(service, f"demo:prices:bamboo:{n}", seller, tonnes, price, _contract_no("BF", n))
    return run


def _settle_policy(service: Service) -> None:
    service.prices.settle_policy(service.actor("insurer"), "demo:prices:settle", policy_no=POLICY["policy_no"],
                                 paid_date=POLICY_SETTLED.isoformat(), reference=SETTLEMENT_REFERENCE)


def _pay_households(service: Service) -> None:
    """The insured collective passes the payout on: every household line paid in full."""
    coop = service.actor("coop")
    policy = service.prices.policy(coop, policy_no=POLICY["policy_no"])
    lines = [i for i in policy["settlement"]["due_items"]]
    service.income.record_payment(coop, "demo:prices:pay", paid_date=POLICY_PAID_ON.isoformat(),
                                  reference=HOUSEHOLD_PAYMENT_REFERENCE,
                                  items=[{"due_id": i["id"], "amount_fen": i["amount_fen"]} for i in lines])


def _wetland_inputs() -> dict[str, Any]:
    path = REPO_ROOT / "methodologies" / "examples" / "wetland_lake_marsh.json"
    return json.loads(path.read_text(encoding="utf-8"), parse_float=str)


def _wetland_issuance(service: Service) -> None:
    centre, verifier = service.actor("centre"), service.actor("verifier")
    for code in WETLAND_PARCELS:
        area = service.parcel(code)["area_ha"]
        inputs = _wetland_inputs() | {"area_ha": str(area)}
        est = service.record_estimate(centre, f"demo:prices:estimate:{code}", parcel_codes=[code],
                                      methodology_id=WETLAND_METHODOLOGY, inputs=inputs)
        service.issue(verifier, f"demo:prices:issue:{code}", estimate_id=est["estimate_id"],
                      verified_kg_co2e=est["net_kg_co2e"], project_code=WETLAND_PROJECT, buffer_share_bp=1000)


def _set_factors(service: Service) -> None:
    service.prices.set_factors(service.actor("admin"), "demo:prices:factors", project_code=WETLAND_PROJECT,
                               factors=[{"factor": f, "value": v, "evidence_title": title, "evidence_file_name": name,
                                         "evidence_content": text.encode()} for f, v, title, name, text in EVIDENCE])


def _wetland_sale(n: int, parcel: str, tonnes: int, price: int) -> Any:
    def run(service: Service) -> None:
        _sell_and_retire(service, f"demo:prices:wetland:{n}", service.parcel(parcel)["holder_party_id"], tonnes, price,
                         _contract_no("WL", n))
    return run
