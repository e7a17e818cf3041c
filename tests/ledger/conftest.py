"""Fixtures for ledger scenarios: a registry with parties, users and credits issued."""

from __future__ import annotations

import functools
import json

import geopandas as gpd
import pytest
import shapely

from ledger.domain import PartyKind
from sinkledger import catalogue
from sinkledger.config import REPO_ROOT
from sinkledger.services.registry import SYSTEM_ACTOR

GIS = REPO_ROOT / "gis_data"
BAMBOO = "sinkledger.bamboo-moso-management"
PARTIES = (("COL-1", PartyKind.collective, "示例村股份经济合作社"), ("VER-1", PartyKind.verifier, "示例核证机构"),
           ("TRADE-1", PartyKind.trading_centre, "示例交易中心"), ("ENT-1", PartyKind.enterprise, "示例企业甲"),
           ("ENT-2", PartyKind.enterprise, "示例企业乙"), ("BANK-1", PartyKind.bank, "示例银行"),
           ("BANK-2", PartyKind.bank, "另一示例银行"), ("INS-1", PartyKind.insurer, "示例保险"))
USERS = (("coop", "cooperative", "COL-1"), ("verifier", "verifier", "VER-1"), ("clerk", "trading_clerk", "TRADE-1"),
         ("ent", "enterprise", "ENT-1"), ("ent2", "enterprise", "ENT-2"), ("bank", "bank", "BANK-1"),
         ("bank2", "bank", "BANK-2"), ("insurer", "insurer", "INS-1"))


@functools.lru_cache(maxsize=1)
def demo_layer() -> gpd.GeoDataFrame:
    return gpd.read_file(GIS / "demo_parcels.gpkg", layer="parcels")


def demo_parcel_inputs(code: str) -> tuple[dict, dict]:
    layer = demo_layer()
    row = layer[layer["parcel_code"] == code].iloc[0]
    record = json.loads((GIS / "demo_monitoring.json").read_text(encoding="utf-8"))["parcels"][code]
    inputs = {"period_start": record["events"][0]["date"], "period_end": record["events"][-1]["date"], **record}
    return shapely.geometry.mapping(row.geometry), inputs


@pytest.fixture
def registry(service):  # type: ignore[no-untyped-def]
    """Given a registry with a collective, a verifier, a clerk, two enterprises, two banks, an insurer."""
    for pid, kind, name in PARTIES:
        service.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=kind.value, name=name, county_code="330523")
    for user, role, pid in USERS:
        service.create_user(username=user, password="password-1", role=role, party_id=pid, display_name=user)
    service.create_user(username="admin", password="password-1", role="admin", party_id="REGISTRY", display_name="admin")
    return service


def issue_parcel(service, code: str, request: str) -> dict:  # type: ignore[no-untyped-def]
    geometry, inputs = demo_parcel_inputs(code)
    coop, verifier = service.actor("coop"), service.actor("verifier")
    service.register_parcel(coop, f"reg:{request}", parcel_code=code, sink_type="bamboo_forest",
                            holder_party_id="COL-1", geometry=geometry, county_code="330523")
    est = service.record_estimate(coop, f"est:{request}", parcel_codes=[code], methodology_id=BAMBOO, inputs=inputs)
    return service.issue(verifier, f"iss:{request}", estimate_id=est["estimate_id"],
                         verified_kg_co2e=est["net_kg_co2e"], project_code="AJBF01", buffer_share_bp=1000)


@pytest.fixture
def funded(registry):  # type: ignore[no-untyped-def]
    """Given credits of two demo bamboo parcels issued to COL-1 (and 10 % of the stock to the buffer)."""
    a = issue_parcel(registry, "AJ-BF-0001", "a")
    b = issue_parcel(registry, "AJ-BF-0002", "b")
    registry.issued = [a, b]  # type: ignore[attr-defined]
    return registry


def held(service, account: str) -> int:  # type: ignore[no-untyped-def]
    return service.account_balance(account)["held_t"]


def pledged(service, account: str) -> int:  # type: ignore[no-untyped-def]
    return service.account_balance(account)["pledged_t"]


def assert_refused(code: str, call):  # type: ignore[no-untyped-def]
    """Then the command is refused with ``code`` and messages in both languages."""
    from sinkledger_base.errors import SinkLedgerError

    with pytest.raises(SinkLedgerError) as exc:
        call()
    assert exc.value.code == code, exc.value
    assert catalogue.messages(exc.value)[0] and catalogue.messages(exc.value)[1]
    return exc.value
