"""Fixtures for court scenarios: a registry with courts, a procurator, defendants and credits.

Everything is synthetic: courts are "示例" courts, defendants appear by pseudonym only.
"""

from __future__ import annotations

import pytest

import ledger.court
import ledger.court.store  # noqa: F401 - registers the court tables before the schema is created
from ledger.domain import PartyKind
from sinkledger.services.court import CourtService
from sinkledger.services.registry import SYSTEM_ACTOR
from tests.ledger.conftest import BAMBOO, assert_refused, funded, held, registry  # noqa: F401

COURT_PARTIES = (("COURT-1", PartyKind.court, "示例县人民法院"), ("COURT-2", PartyKind.court, "另一示例县人民法院"),
                 ("PROC-1", PartyKind.procuratorate, "示例县人民检察院"),
                 ("DEF-1", PartyKind.defendant, "被告人甲（化名）"), ("DEF-2", PartyKind.defendant, "被告人乙（化名）"),
                 ("DEF-3", PartyKind.enterprise, "示例采石有限公司"))
COURT_USERS = (("judge", "court", "COURT-1"), ("judge2", "court", "COURT-2"), ("procurator", "procurator", "PROC-1"))
# A synthetic 1,300 ha bamboo parcel north of the demo parcels (Anji), to have credits by the thousand.
BIG_PARCEL = {"type": "Polygon", "coordinates": [[[119.20, 30.70], [119.24, 30.70], [119.24, 30.733],
                                                  [119.20, 30.733], [119.20, 30.70]]]}
CASE_NO = "（2024）浙0521刑初999号"
PRICE_FEN_PER_T = 5_883  # 58.83 yuan/t: Deqing's first wetland trade (METHODOLOGIES.md §3.1)
AMOUNT_FEN = 12_236_600  # 122,366 yuan: the Chongqing judgment (METHODOLOGIES.md §5.5)


@pytest.fixture
def court(registry):  # type: ignore[no-untyped-def]
    """Given courts, a procurator and defendants (pseudonyms) in the registry."""
    for pid, kind, name in COURT_PARTIES:
        registry.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=kind.value, name=name,
                                county_code="330521")
    for user, role, pid in COURT_USERS:
        registry.create_user(username=user, password="password-1", role=role, party_id=pid, display_name=user)
    return CourtService(registry)


@pytest.fixture
def stocked(court):  # type: ignore[no-untyped-def]
    """Given about 3,000 bamboo credits of county 330523 held by the collective COL-1."""
    svc = court.service
    coop, verifier = svc.actor("coop"), svc.actor("verifier")
    svc.register_parcel(coop, "reg:big", parcel_code="AJ-BF-9001", sink_type="bamboo_forest", holder_party_id="COL-1",
                        geometry=BIG_PARCEL, county_code="330523")
    from methodologies.registry import get_methodology

    example = get_methodology(BAMBOO).example_inputs()
    est = svc.record_estimate(coop, "est:big", parcel_codes=["AJ-BF-9001"], methodology_id=BAMBOO, inputs=example)
    svc.issue(verifier, "iss:big", estimate_id=est["estimate_id"], verified_kg_co2e=est["net_kg_co2e"],
              project_code="AJBF02", buffer_share_bp=1000)
    return court


def register_case(court, case_no: str = CASE_NO, *, request: str = "case:1", sink_type: str = "bamboo_forest",
                  county_code: str = "330523", area_ha: str = "0.062355", defendants=("DEF-1",)):  # type: ignore[no-untyped-def]
    return court.register_case(court.service.actor("judge"), request, case_no=case_no, judgment_date="2024-03-15",
                               defendants=list(defendants), sink_type=sink_type, county_code=county_code,
                               ecosystem_name="示例竹林生态系统（受损林地）", damaged_area_ha=area_ha,
                               description="非法采石毁坏林地 623.55 平方米；补植复绿后仍有生态服务功能损失。")


def money_order(court, case_no: str = CASE_NO, *, request: str = "order:1", **extra):  # type: ignore[no-untyped-def]
    return court.issue_order(court.service.actor("judge"), request, case_no=case_no, item="判决第二项", kind="money",
                             amount_fen=AMOUNT_FEN, due_date="2024-12-31", **extra)
