"""An institution's whole job over HTTP (issue 18, point 2), the parts added last: the collection
centre signs a collection contract, bundles the parcels into a project, adds parcels and records
the bundle's estimate, and a verifier issues it; a court reads its report (data and workbook)
and checks and downloads a certificate; every list is a page read by the database, the pages
together being exactly the service's whole list. Forbidden roles are refused (403, nothing
written) here and in test_roles.py's matrix."""

from __future__ import annotations

import io
import time
import uuid
from typing import Any

import openpyxl
import pytest
from sqlalchemy import text

from sinkledger.demo.income import TEA_METHODOLOGY, _tea_inputs
from sinkledger.services import ledger_reads, queries
from tests.api.conftest import USER_OF_ROLE


def _id() -> dict[str, str]:
    return {"Idempotency-Key": f"api-{uuid.uuid4()}"}


def free_tea_parcels(api_server) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """A collective's active tea-garden parcels under no contract, in no project, never issued and
    in no recorded estimate (so that nothing another test does can take them)."""
    with api_server.service.db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT p.parcel_code, p.holder_party_id FROM parcel p JOIN party q ON q.id = p.holder_party_id "
            "WHERE q.kind = 'collective' AND p.sink_type = 'tea_garden' AND p.status = 'active' "
            "AND p.parcel_code NOT IN (SELECT parcel_code FROM contract_parcel) "
            "AND p.parcel_code NOT IN (SELECT parcel_code FROM issued_period) "
            "AND p.parcel_code NOT IN (SELECT parcel_code FROM bundled_project_parcel) "
            "AND NOT EXISTS (SELECT 1 FROM estimate e WHERE e.parcel_codes LIKE '%\"' || p.parcel_code || '\"%') "
            "ORDER BY p.holder_party_id, p.parcel_code")).all()
    by_holder: dict[str, list[str]] = {}
    for code, holder in rows:
        by_holder.setdefault(holder, []).append(code)
    holder, codes = max(by_holder.items(), key=lambda kv: (len(kv[1]), kv[0]))
    assert len(codes) >= 2, by_holder
    return holder, codes


def test_a_centre_contracts_and_bundles_and_a_verifier_issues(api_server):  # type: ignore[no-untyped-def]
    """Given a collective's free tea parcels, when the centre signs a contract over them, bundles
    them into a project (one parcel, then the rest), records the bundle's estimate, and a verifier
    issues it, all over HTTP, then each step is the service's record, retries are harmless, and
    the other roles are refused at each step with nothing written."""
    collective, codes = free_tea_parcels(api_server)
    suffix = str(int(time.time() * 1000) % 10**6)
    contract_no, project_code = f"API-SC-{suffix}", f"APITG{suffix}"
    contract = {"contract_no": contract_no, "collective_party_id": collective, "parcel_codes": codes,
                "term_start": "2024-01-01", "term_end": "2044-01-01", "signed_date": "2024-01-01",
                "payment_terms": {"kind": "proceeds_share", "share_bp": 8000}}
    project = {"project_code": project_code, "name": "API 茶园打捆项目（演示）", "sink_type": "tea_garden",
               "methodology_id": TEA_METHODOLOGY, "monitoring_start": "2024-04-10", "interval_months": 24,
               "parcel_codes": codes[:1]}
    with api_server.client(api_server.key("enterprise")) as other:
        before = api_server.head()
        refused = other.post("/v1/contracts", headers=_id(), json=contract)
        assert refused.status_code == 403 and refused.json()["code"] == "not_permitted", refused.text
        assert api_server.head() == before
    with api_server.client(api_server.key("collection_centre")) as centre:
        key = _id()
        made = centre.post("/v1/contracts", headers=key, json=contract)
        again = centre.post("/v1/contracts", headers=key, json=contract)
        changed = centre.post("/v1/contracts", headers=key, json={**contract, "signed_date": "2024-01-02"})
        bad_terms = centre.post("/v1/contracts", headers=_id(), json={**contract, "contract_no": f"{contract_no}-B",
                                                                      "payment_terms": {"kind": "gift"}})
        read = centre.get(f"/v1/contracts/{contract_no}").json()
        bundled = centre.post("/v1/projects", headers=_id(), json=project)
        added = centre.post(f"/v1/projects/{project_code}/parcels", headers=_id(), json={"parcel_codes": codes[1:]})
        estimate = centre.post(f"/v1/projects/{project_code}/estimates", headers=_id(),
                               json={"inputs": _tea_inputs(), "period_index": 0})
        refused_issue = centre.post(f"/v1/projects/{project_code}/issuances", headers=_id(), json={
            "estimate_id": "EST-NONE", "verified_kg_co2e": 1000, "buffer_share_bp": 1000})
        project_read = centre.get(f"/v1/projects/{project_code}").json()
    assert made.status_code == 201, made.text
    assert made.json()["parcel_codes"] == codes and made.json()["replayed"] is False
    assert again.status_code == 201 and again.json()["seq"] == made.json()["seq"] and again.json()["replayed"] is True
    assert changed.status_code == 409 and changed.json()["code"] == "request_id_conflict"
    assert bad_terms.status_code == 422 and bad_terms.json()["params"]["field"] == "payment_terms.kind"
    assert read["parcel_codes"] == codes and read["payment_terms"]["share_bp"] == 8000
    assert read == api_server.service.income.contract(api_server.service.actor("centre"), contract_no)
    assert bundled.status_code == 201, bundled.text
    assert added.status_code == 201 and added.json()["parcel_codes"] == sorted(codes), added.text
    assert estimate.status_code == 201, estimate.text
    assert refused_issue.status_code == 403 and refused_issue.json()["code"] == "not_permitted"
    assert [p["parcel_code"] for p in project_read["parcels"]] == sorted(codes)
    estimate_id, net = estimate.json()["estimate_id"], estimate.json()["net_kg_co2e"]
    with api_server.client(api_server.key("verifier")) as verifier:
        waiting = verifier.get(f"/v1/estimates/{estimate_id}").json()
        issued = verifier.post(f"/v1/projects/{project_code}/issuances", headers=_id(), json={
            "estimate_id": estimate_id, "verified_kg_co2e": net, "buffer_share_bp": 1000})
        after = verifier.get(f"/v1/estimates/{estimate_id}").json()
        listed = verifier.get("/v1/estimates", params={"parcel_code": codes[0]}).json()["items"]
    assert waiting["state"] == "waiting" and waiting["estimate_id"] == estimate_id and waiting["returns"] == []
    assert issued.status_code == 201, issued.text
    assert issued.json()["to_account"] == "CENTRE-AJ-H" and issued.json()["issued_t"] == net // 1000
    assert after["state"] == "issued" and [e["estimate_id"] for e in listed] == [estimate_id]


def _court_flow(api_server) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A case, an order fulfilled by the clerk, its certificate: (order id, certificate code)."""
    case_no = f"（2025）浙0521刑初{int(time.time() * 1000) % 100000 + 200000}号"
    with api_server.client(api_server.key("court")) as court:
        assert court.post("/v1/court/cases", headers=_id(), json={
            "case_no": case_no, "judgment_date": "2025-03-01", "defendants": ["ENT-0002"],
            "sink_type": "bamboo_forest", "county_code": "330523", "ecosystem_name": "示例山林（演示）",
            "damaged_area_ha": "1.5", "description": "滥伐林木（演示）"}).status_code == 201
        order = court.post("/v1/court/orders", headers=_id(), json={
            "case_no": case_no, "item": "判决第二项", "kind": "quantity", "due_date": "2026-12-31", "quantity_t": 1})
        order_id = order.json()["order_id"]
        with api_server.client(api_server.key("trading_clerk")) as clerk:
            done = clerk.post(f"/v1/court/orders/{order_id}/fulfilments", headers=_id(), json={
                "seller_account": "COL-0005-H", "price_fen_per_t": 6000, "contract_no": "API-COURT-R", "quantity_t": 1})
            assert done.status_code == 201, done.text
        certificate = court.post(f"/v1/court/orders/{order_id}/certificate")
        assert certificate.status_code == 201, certificate.text
    return order_id, certificate.json()["code"]


def test_a_court_reads_its_report_and_checks_a_certificate(api_server):  # type: ignore[no-untyped-def]
    order_id, code = _court_flow(api_server)
    svc = api_server.service
    with api_server.client(api_server.key("court")) as court:
        report = court.get("/v1/court/report")
        of_year = court.get("/v1/court/report", params={"year": 2025, "as_of": "2026-01-01"}).json()
        workbook = court.get("/v1/court/report.xlsx", params={"year": 2025})
        bad_year = court.get("/v1/court/report", params={"year": 1800})
        bad_day = court.get("/v1/court/report", params={"as_of": "2026-13-01"})
        checked = court.get(f"/v1/court/certificates/{code}").json()
        pdf = court.get(f"/v1/court/certificates/{code}/certificate.pdf", params={"lang": "en"})
        unknown = court.get("/v1/court/certificates/NOPE-0000/certificate.pdf")
    assert report.status_code == 200, report.text
    assert report.json() == svc.court.report(svc.actor("court"))
    assert of_year == svc.court.report(svc.actor("court"), year=2025, as_of="2026-01-01")
    assert order_id in [line["order_id"] for line in of_year["orders"]] and of_year["as_of"] == "2026-01-01"
    assert workbook.status_code == 200 and workbook.headers["content-type"].startswith("application/vnd.openxml")
    sheets = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert sheets.sheetnames == ["汇总 Summary", "判令 Orders", "逾期 Overdue", "说明 About"]
    assert order_id in [row[0] for row in sheets["判令 Orders"].iter_rows(min_row=2, values_only=True)]
    assert bad_year.status_code == 422 and bad_year.json()["code"] == "value_invalid"
    assert bad_day.status_code == 422 and bad_day.json()["message_en"]
    assert checked["ok"] is True and checked["code"] == code
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/v1/court/report", "/v1/court/report.xlsx"])
def test_the_court_report_is_refused_to_roles_without_court_view(api_server, path):  # type: ignore[no-untyped-def]
    for role in ("enterprise", "household", "bank", "cooperative"):
        with api_server.client(api_server.key(role)) as http:
            response = http.get(path)
        assert response.status_code == 403 and response.json()["code"] == "not_permitted", (role, response.text)


# -- every list a page of the database ------------------------------------------------------------

def _all_pages(http, path: str, params: dict[str, Any] | None = None) -> tuple[list, int]:  # type: ignore[no-untyped-def]
    """Every item of a list endpoint, page after page along ``next_offset`` (at least 3 pages when
    it has that many items, at most about 20: the key's rate limit); and its ``total``."""
    first = http.get(path, params={**(params or {}), "limit": 1}).json()
    limit = max(1, min(3, first["total"] // 3), -(-first["total"] // 20))
    items, offset, totals = [], 0, set()
    while offset is not None:
        response = http.get(path, params={**(params or {}), "limit": limit, "offset": offset})
        assert response.status_code == 200, (path, response.text)
        page = response.json()
        assert page["limit"] == limit and page["offset"] == offset and len(page["items"]) <= limit
        items += page["items"]
        totals.add(page["total"])
        offset = page["next_offset"]
    assert len(totals) == 1 and totals == {len(items)}, (path, totals, len(items))
    return items, totals.pop()


LISTS = [  # (role, path, params, the service's whole list for that role's actor)
    ("collection_centre", "/v1/contracts", None, lambda svc, a: svc.income.contracts(a)),
    ("collection_centre", "/v1/projects", None, lambda svc, a: svc.income.projects(a)),
    ("collection_centre", "/v1/distributions", None, lambda svc, a: svc.income.distributions(a)),
    ("collection_centre", "/v1/due-items", None, lambda svc, a: svc.income.due_items(a)),
    ("collection_centre", "/v1/due-items", {"outstanding_only": "true"},
     lambda svc, a: svc.income.due_items(a, outstanding_only=True)),
    ("cooperative", "/v1/due-items", None, lambda svc, a: svc.income.due_items(a)),
    ("household", "/v1/due-items", None, lambda svc, a: svc.income.due_items(a)),
    ("collection_centre", "/v1/payments", None, lambda svc, a: svc.income.payments(a)),
    ("cooperative", "/v1/payments", None, lambda svc, a: svc.income.payments(a)),
    ("household", "/v1/payments", None, lambda svc, a: svc.income.payments(a)),
    ("bank", "/v1/liens", None, lambda svc, a: svc.income.liens(a)),
    ("insurer", "/v1/losses", None, lambda svc, a: svc.income.losses(a)),
    ("court", "/v1/court/cases", None, lambda svc, a: svc.court.cases(a)),
    ("bank", "/v1/pledges", None, lambda svc, a: ledger_reads.pledges(svc, a)),
    ("trading_clerk", "/v1/balances", None, lambda svc, a: ledger_reads.balances(svc, a)),
    ("enterprise", "/v1/balances", None, lambda svc, a: ledger_reads.balances(svc, a)),
    ("trading_clerk", "/v1/accounts/COL-0001-H/blocks", None, lambda svc, a: ledger_reads.blocks(svc, a, "COL-0001-H")),
    ("verifier", "/v1/estimates", None, lambda svc, a: queries.estimates(svc)),
    ("verifier", "/v1/estimates", {"state": "waiting"},
     lambda svc, a: [e for e in queries.estimates(svc) if e["state"] == "waiting"]),
]


@pytest.mark.parametrize(("role", "path", "params", "whole"), LISTS,
                         ids=[f"{r}:{p}{'?' + str(q) if q else ''}" for r, p, q, _ in LISTS])
def test_every_list_pages_through_the_whole_list(api_server, role, path, params, whole):  # type: ignore[no-untyped-def]
    """Given a list endpoint, when it is read three items at a time along ``next_offset``, then the
    pages hold the service's whole list for that role, in its order, each item once, and every
    page states the same total."""
    with api_server.client(api_server.key(role)) as http:
        items, total = _all_pages(http, path, params)
    expected = whole(api_server.service, api_server.service.actor(USER_OF_ROLE[role]))
    assert items == expected
    assert total == len(expected)


@pytest.mark.parametrize("path", ["/v1/contracts", "/v1/pledges", "/v1/estimates", "/v1/court/cases"])
def test_a_page_out_of_bounds_is_refused(api_server, path):  # type: ignore[no-untyped-def]
    role = {"/v1/pledges": "bank", "/v1/estimates": "verifier", "/v1/court/cases": "court"}.get(path, "collection_centre")
    with api_server.client(api_server.key(role)) as http:
        for params in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "x"}):
            response = http.get(path, params=params)
            assert response.status_code == 422 and response.json()["code"] == "request_invalid", (params, response.text)
        past = http.get(path, params={"offset": 10**9}).json()
    assert past["items"] == [] and past["next_offset"] is None


def test_the_services_refuse_a_bad_page_too(api_server):  # type: ignore[no-untyped-def]
    """The page bounds are a rule of the services, not only of the HTTP edge."""
    from sinkledger_base.errors import InvalidInput

    svc = api_server.service
    for call in (lambda: svc.income.contracts_page(svc.actor("centre"), limit=0),
                 lambda: svc.court.cases_page(svc.actor("court"), offset=-1),
                 lambda: ledger_reads.pledges_page(svc, svc.actor("bank"), limit=True),
                 lambda: svc.estimates_page(svc.actor("verifier"), state="lost")):
        with pytest.raises(InvalidInput) as refused:
            call()
        assert refused.value.code == "value_invalid"
