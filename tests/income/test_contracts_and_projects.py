"""Collection contracts (documents, stated costs), bundled projects and fixed-payment schedules."""

from __future__ import annotations

import hashlib

import pytest

from tests.income.conftest import BAMBOO, PARCELS, PROJECT, assert_refused, bundle, contract_no

# --- contracts ----------------------------------------------------------------------------------

def test_a_contract_keeps_its_documents_by_hash(contracted):  # type: ignore[no-untyped-def]
    """Given a contract, the centre attaches the signed contract; the journal keeps its hash."""
    income = contracted
    svc = income.service
    content = "收储合同（示例）\n甲方：示例收储中心\n乙方：示例甲村股份经济合作社\n".encode()
    out = income.register_contract_document(svc.actor("centre"), "doc-1", contract_no=contract_no("COL-A"),
                                            title="收储合同文本", content=content, file_name="AJSC-2021-A.txt")
    assert out["sha256"] == hashlib.sha256(content).hexdigest() and out["media_type"] == "text/plain"
    (doc,) = income.contract(svc.actor("coop-a"), contract_no("COL-A"))["documents"]
    assert doc["content_kept"] and doc["content_matches"] and doc["id"] == out["document_id"]
    assert_refused("not_permitted", lambda: income.register_contract_document(
        svc.actor("coop-a"), "doc-2", contract_no=contract_no("COL-A"), title="x", content=b"x", file_name="x.txt"))
    assert_refused("contract_not_found", lambda: income.register_contract_document(
        svc.actor("centre"), "doc-3", contract_no="NO-SUCH", title="x", content=b"x", file_name="x.txt"))
    assert svc.verify().ok


def test_a_contract_states_its_costs(contracted):  # type: ignore[no-untyped-def]
    income = contracted
    terms = income.contract(income.service.actor("centre"), contract_no("COL-A"))["payment_terms"]
    assert terms == {"kind": "proceeds_share", "share_bp": 8000, "cost_share_bp": 500, "cost_fen_per_t": 200,
                     "costs_note": "交易服务费 5%，监测核证费 2 元/吨"}


@pytest.mark.parametrize("terms", [
    {"kind": "proceeds_share", "share_bp": 8000, "cost_share_bp": 10_001},
    {"kind": "proceeds_share", "share_bp": 8000, "cost_fen_per_t": -1},
    {"kind": "proceeds_share", "share_bp": 8000, "cost_fen_per_t": "2"},
    {"kind": "fixed_per_mu_year", "fen_per_mu_per_year": 3000, "cost_share_bp": 500},
])
def test_stated_costs_are_checked(income, terms):  # type: ignore[no-untyped-def]
    svc = income.service
    assert_refused("value_invalid", lambda: svc.collect(
        svc.actor("centre"), "col-bad", contract_no="X-1", collective_party_id="COL-A", parcel_codes=["HZ-BF-A01"],
        term_start="2021-01-01", term_end="2051-01-01", signed_date="2020-12-20", payment_terms=terms))


# --- bundled projects ---------------------------------------------------------------------------

def test_a_bundle_groups_collected_parcels_under_one_schedule(contracted):  # type: ignore[no-untyped-def]
    income = contracted
    out = bundle(income)
    assert out["parcel_codes"] == sorted(PARCELS) and out["centre_party_id"] == "CENTRE-1"
    view = income.project(income.service.actor("coop-a"), PROJECT)
    assert view["monitoring_periods"][:2] == [("2021-11-15", "2023-11-15"), ("2023-11-15", "2025-11-15")]
    assert len(view["parcels"]) == 6 and view["area_ha"] > 800


def test_project_refusals(contracted):  # type: ignore[no-untyped-def]
    income = contracted
    svc = income.service

    def register(request: str, actor: str = "centre", **kw):  # type: ignore[no-untyped-def]
        args = {"project_code": "HZB2", "name": "二期", "sink_type": "bamboo_forest", "methodology_id": BAMBOO,
                "monitoring_start": "2021-11-15", "interval_months": 24, "parcel_codes": ["HZ-BF-A01"]} | kw
        return income.register_project(svc.actor(actor), request, **args)

    assert_refused("not_permitted", lambda: register("p1", actor="coop-a"))
    assert_refused("value_invalid", lambda: register("p2", project_code="hz-lower"))
    assert_refused("methodology_unknown", lambda: register("p3", methodology_id="no.such"))
    assert_refused("value_invalid", lambda: register("p4", sink_type="wetland"))
    assert_refused("value_invalid", lambda: register("p5", interval_months=0))
    assert_refused("parcel_not_found", lambda: register("p6", parcel_codes=["NO-SUCH"]))
    register("p7")
    assert_refused("project_code_taken", lambda: register("p8"))
    assert_refused("parcel_in_project", lambda: register("p9", project_code="HZB3"))
    svc.register_parcel(svc.actor("centre"), "reg:free", parcel_code="HZ-BF-F01", sink_type="bamboo_forest",
                        holder_party_id="COL-A", county_code="330523",
                        geometry={"type": "Polygon", "coordinates": [[[119.31, 30.70], [119.32, 30.70],
                                                                      [119.32, 30.71], [119.31, 30.70]]]})
    assert_refused("parcel_not_collected", lambda: register("p10", project_code="HZB4", parcel_codes=["HZ-BF-F01"]))
    assert_refused("project_not_found", lambda: income.add_project_parcels(svc.actor("centre"), "a1", project_code="NOPE",
                                                                    parcel_codes=["HZ-BF-A02"]))
    added = income.add_project_parcels(svc.actor("centre"), "a2", project_code="HZB2", parcel_codes=["HZ-BF-A02"])
    assert added["parcel_codes"] == ["HZ-BF-A01", "HZ-BF-A02"]


# --- fixed payments -----------------------------------------------------------------------------

FIXED_TERMS = {"kind": "fixed_per_mu_year", "fen_per_mu_per_year": 3_000}  # 30 yuan per mu per year


@pytest.fixture
def fixed(income):  # type: ignore[no-untyped-def]
    """Given COL-B's parcels under a fixed-payment contract from 2022-07-01 to 2025-03-01."""
    svc = income.service
    svc.collect(svc.actor("centre"), "col:fixed", contract_no="AJZL-2022-B", collective_party_id="COL-B",
                parcel_codes=["HZ-BF-B01", "HZ-BF-B02"], term_start="2022-07-01", term_end="2025-03-01",
                signed_date="2022-06-20", payment_terms=FIXED_TERMS)
    return income


def test_fixed_payments_are_scheduled_per_contract_year(fixed):  # type: ignore[no-untyped-def]
    """Then each contract year's obligation is 30 yuan × area in mu (pro rata for the short last
    year), split to households by share and to the collective for B02."""
    income = fixed
    svc = income.service
    out = income.schedule_payments(svc.actor("centre"), "sch-1", contract_no="AJZL-2022-B", through="2023-12-31")
    assert [o["period_start"] for o in out["obligations"]] == ["2022-07-01", "2023-07-01"]
    mu = 15 * sum(p["area_ha"] for p in svc.parcels() if p["parcel_code"] in ("HZ-BF-B01", "HZ-BF-B02"))
    assert out["obligations"][0]["amount_fen"] == pytest.approx(3_000 * mu, abs=10)  # area_ha has 4 decimals
    items = income.due_items(svc.actor("coop-b"), source_id=out["obligations"][0]["obligation_id"])
    assert sum(i["amount_fen"] for i in items) == out["obligations"][0]["amount_fen"]
    assert {i["party_id"] for i in items} == {"HH-B1", "HH-B2", "COL-B"}
    assert {i["due_date"] for i in items} == {"2023-07-01"}
    rest = income.schedule_payments(svc.actor("centre"), "sch-2", contract_no="AJZL-2022-B", through="2030-01-01")
    (last,) = rest["obligations"]
    assert (last["period_start"], last["period_end"]) == ("2024-07-01", "2025-03-01")
    assert last["amount_fen"] == pytest.approx(out["obligations"][0]["amount_fen"] * 243 / 365, abs=2)
    assert_refused("nothing_to_schedule", lambda: income.schedule_payments(
        svc.actor("centre"), "sch-3", contract_no="AJZL-2022-B", through="2030-01-01"))
    statement = income.statement(svc.actor("hh-b1"), party_id="HH-B1", period_start="2023-01-01",
                                 period_end="2023-12-31")
    assert [i["source_kind"] for i in statement["items"]] == ["fixed_payment"]
    assert svc.verify().ok


def test_fixed_payment_refusals(fixed):  # type: ignore[no-untyped-def]
    income = fixed
    svc = income.service
    svc.collect(svc.actor("centre"), "col:share", contract_no="AJSC-2022-A", collective_party_id="COL-A",
                parcel_codes=["HZ-BF-A01"], term_start="2022-01-01", term_end="2052-01-01", signed_date="2021-12-20",
                payment_terms={"kind": "proceeds_share", "share_bp": 8000})
    assert_refused("contract_not_fixed_payment", lambda: income.schedule_payments(
        svc.actor("centre"), "s1", contract_no="AJSC-2022-A", through="2030-01-01"))
    assert_refused("not_permitted", lambda: income.schedule_payments(
        svc.actor("coop-b"), "s2", contract_no="AJZL-2022-B", through="2030-01-01"))
    assert_refused("nothing_to_schedule", lambda: income.schedule_payments(
        svc.actor("centre"), "s3", contract_no="AJZL-2022-B", through="2022-06-30"))
    assert_refused("contract_not_found", lambda: income.schedule_payments(
        svc.actor("centre"), "s4", contract_no="NO-SUCH", through="2030-01-01"))


def test_projects_are_listed_with_their_parcels(contracted):  # type: ignore[no-untyped-def]
    """Given the bundle, the list names it with its parcels; a buyer may not read it."""
    income = contracted
    assert income.projects(income.service.actor("centre")) == []
    bundle(income)
    listed = income.projects(income.service.actor("centre"))
    assert [p["project_code"] for p in listed] == [PROJECT]
    assert listed[0]["parcel_codes"] == sorted(PARCELS) and listed[0]["sink_type"] == "bamboo_forest"
    assert_refused("not_permitted", lambda: income.projects(income.service.actor("ent")))
