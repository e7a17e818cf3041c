"""What every README demo user lands on: data of its own (issue 19, point 9).

The base demo (:mod:`sinkledger.demo.seed`) and its income chain (:mod:`sinkledger.demo.income`)
leave some users' first page empty: the first household (user ``household``, ``HH-0001``) had
parcels but no income, the court and the procurator no case, the bank no pledge. These steps
give each of them its own history, dated within the demo's three years (each step runs on its
day of the walking clock, between the trading seasons):

- **the first collective's fixed-payment contract** (2024-11-20): the centre collects two of
  ``COL-0001``'s bamboo parcels (``AJ-BF-0012``, ``AJ-BF-0015``; not ``AJ-BF-0001``/``-0006``, which
  the README's and the tests' own examples collect) for 20 yuan per mu a year from 2024-12-01,
  after their issued period, so no issuance changes hands; its first year is paid to the three
  households by their shares (2025-12-10), the second stays due (2026-12-01): ``household`` and
  ``coop`` see paid and outstanding items;
- **a judicial compensation case** (Deqing court, 2025): a quantity order fulfilled by buying and
  retiring credits of a collective that never sells in the demo (``COL-0019``), with its
  certificate; and a second case (2026) with a money order still open;
- **a bank pledge** (2025-08-18) on another such collective's credits (``COL-0026``), active.

Everything is SYNTHETIC (marked 演示, the defendant a pseudonym), through the service API with
fixed request ids and content that does not depend on the day it runs, so seeding twice records
each step once. A demo layer without these parcels and parties (the fuzz tests' small layer) gets
none of it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from ledger.domain import PartyKind
from sinkledger.services.registry import SYSTEM_ACTOR, Service

HOUSEHOLD_CONTRACT_NO = "AJSC-BF-2024-07（演示）"
HOUSEHOLD_PARCELS = ("AJ-BF-0012", "AJ-BF-0015")  # COL-0001's: HH-0001 holds 40 % of them
HOUSEHOLD_TERMS = {"kind": "fixed_per_mu_year", "fen_per_mu_per_year": 2000}  # 20 yuan per mu a year
HOUSEHOLD_TERM = ("2024-12-01", "2044-12-01", "2024-11-20")  # start, end, signed
FIRST_YEAR_DUE, FIRST_YEAR_PAID = "2025-12-01", "2025-12-10"
DEFENDANT = ("DEF-DQ-01", "被告人丁（化名，演示）")
COURT_SELLER = "COL-0019-H"  # a collective the demo's clerk never sells from
PLEDGED_ACCOUNT = "COL-0026-H"  # another
CASE_FULFILLED = "(2025)浙0521刑初27号（演示）"
CASE_OPEN = "(2026)浙0521民初15号（演示）"
PLEDGE = {"account_id": PLEDGED_ACCOUNT, "quantity": 15, "loan_reference": "AJNS-ZY-2025-031（演示）",
          "loan_amount_fen": 30_000_000, "term_end": "2027-08-31"}

Step = tuple[date, str, Callable[[Service], Any]]


def dated_steps(service: Service, codes: set[str]) -> list[Step]:
    """The steps, each with the day it runs on; none if the demo layer lacks their parcels."""
    if not set(HOUSEHOLD_PARCELS) <= codes or not {"COL-0019", "COL-0026"} <= {p["party_id"] for p in service.parties()}:
        return []
    return [(date(2024, 11, 20), "household contract", _household_contract),
            (date(2025, 4, 21), "court case", _case_fulfilled),
            (date(2025, 6, 23), "court fulfilment", _fulfilment),
            (date(2025, 8, 18), "bank pledge", _pledge),
            (date(2025, 12, 10), "household payment", _household_payment),
            (date(2026, 5, 18), "court money order", _case_open)]


def _household_contract(service: Service) -> None:
    start, end, signed = HOUSEHOLD_TERM
    collective = service.parcel(HOUSEHOLD_PARCELS[0])["holder_party_id"]
    service.collect(service.actor("centre"), "demo:roles:collect", contract_no=HOUSEHOLD_CONTRACT_NO,
                    collective_party_id=collective, parcel_codes=list(HOUSEHOLD_PARCELS), term_start=start,
                    term_end=end, signed_date=signed, payment_terms=HOUSEHOLD_TERMS)


def _household_payment(service: Service) -> None:
    """The contract's years started by the day scheduled; the first paid to every household in full."""
    income, centre = service.income, service.actor("centre")
    income.schedule_payments(centre, "demo:roles:schedule", contract_no=HOUSEHOLD_CONTRACT_NO, through=FIRST_YEAR_PAID)
    due = [i for i in income.due_items(centre, contract_no=HOUSEHOLD_CONTRACT_NO) if i["due_date"] == FIRST_YEAR_DUE]
    income.record_payment(centre, "demo:roles:pay", paid_date=FIRST_YEAR_PAID, reference="固定收益第 1 年度（演示）",
                          items=[{"due_id": i["id"], "amount_fen": i["amount_fen"]} for i in due])


def _case_fulfilled(service: Service) -> None:
    party_id, name = DEFENDANT
    if party_id not in {p["party_id"] for p in service.parties()}:
        service.register_party(SYSTEM_ACTOR, f"demo:party:{party_id}", party_id=party_id,
                               kind=PartyKind.defendant.value, name=name, county_code="330521")
    court = service.actor("court")
    service.court.register_case(court, "demo:roles:case:1", case_no=CASE_FULFILLED, judgment_date="2025-04-15",
                                defendants=[party_id], sink_type="wetland", county_code="330521",
                                ecosystem_name="下渚湖湿地（演示）", damaged_area_ha="0.8",
                                description="非法围垦湿地 0.8 公顷，已退垦还湿；判令认购碳汇替代性修复（演示）。")
    service.court.issue_order(court, "demo:roles:order:1", case_no=CASE_FULFILLED, item="判决第三项",
                              kind="quantity", quantity_t=6, due_date="2025-09-30")


def _fulfilment(service: Service) -> None:
    court = service.actor("court")
    order = service.court.status(court, case_no=CASE_FULFILLED)["orders"][0]["order_id"]
    service.court.fulfil(court, "demo:roles:fulfil:1", order_id=order, seller_account=COURT_SELLER,
                         price_fen_per_t=7634, contract_no="HZGX-2025-9101（演示）", purchase_date="2025-06-23")
    service.court.issue_certificate(court, order_id=order)


def _pledge(service: Service) -> None:
    service.pledge(service.actor("bank"), "demo:roles:pledge", **PLEDGE)


def _case_open(service: Service) -> None:
    court = service.actor("court")
    service.court.register_case(court, "demo:roles:case:2", case_no=CASE_OPEN, judgment_date="2026-05-12",
                                defendants=[DEFENDANT[0]], sink_type="bamboo_forest", county_code="330521",
                                ecosystem_name="莫干山镇毛竹林（演示）", damaged_area_ha="0.3",
                                description="盗伐毛竹 0.3 公顷；判令出资认购碳汇（演示）。")
    service.court.issue_order(court, "demo:roles:order:2", case_no=CASE_OPEN, item="判决第二项", kind="money",
                              amount_fen=300_000, due_date="2026-12-31")
