"""Each institution's work over HTTP with its own key and nothing else: the trading centre's
sales and receipts, an enterprise's retirement, a bank's pledge and release and its lien, a
court's case, order, fulfilment and certificate, an insurer's loss and claim, the centre's
distributions, reads of balances, holdings and serial blocks, a parcel file uploaded as a job
to poll, and estimates. Each answer is checked against the service's own records."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from sinkledger.config import REPO_ROOT
from sinkledger.services import jobs, queries

JOB_TIMEOUT_S = 120


def _id() -> dict[str, str]:
    return {"Idempotency-Key": f"api-{uuid.uuid4()}"}


def test_the_trading_centre_records_a_sale_and_gets_its_receipt(api_server):  # type: ignore[no-untyped-def]
    with api_server.client(api_server.key("trading_clerk")) as http:
        made = http.post("/v1/sales", headers=_id(), json={
            "seller_account": "COL-0001-H", "buyer_account": "ENT-0002-H", "quantity": 2,
            "price_fen_per_t": 7300, "contract_no": "API-SALE-1"})
        assert made.status_code == 201, made.text
        seq = made.json()["seq"]
        one = http.get(f"/v1/sales/{seq}").json()
        listed = http.get("/v1/sales", params={"contract": "API-SALE-1"}).json()
        pdf_zh = http.get(f"/v1/sales/{seq}/receipt.pdf")
        pdf_en = http.get(f"/v1/sales/{seq}/receipt.pdf", params={"lang": "en"})
        bad_lang = http.get(f"/v1/sales/{seq}/receipt.pdf", params={"lang": "fr"})
    assert one == queries.sale(api_server.service, seq)
    assert one["amount_fen"] == 14_600 and sum(b["quantity"] for b in one["blocks"]) == 2
    assert [s["seq"] for s in listed["items"]] == [seq]
    for pdf in (pdf_zh, pdf_en):
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    assert pdf_zh.content != pdf_en.content
    assert bad_lang.status_code == 422 and bad_lang.json()["code"] == "request_invalid"


def test_a_sale_keeps_the_clerks_dates(api_server):  # type: ignore[no-untyped-def]
    """The sale and contract dates (Asia/Shanghai days) are recorded and read back; a contract
    signed after the sale, or a sale in the future, is refused and records nothing."""
    sale = {"seller_account": "COL-0001-H", "buyer_account": "ENT-0002-H", "quantity": 1,
            "price_fen_per_t": 7300, "contract_no": "API-SALE-DATED"}
    with api_server.client(api_server.key("trading_clerk")) as http:
        made = http.post("/v1/sales", headers=_id(), json={**sale, "sale_date": "2026-03-18",
                                                           "contract_date": "2026-03-10"})
        assert made.status_code == 201, made.text
        one = http.get(f"/v1/sales/{made.json()['seq']}").json()
        before = api_server.head()
        late = http.post("/v1/sales", headers=_id(), json={**sale, "sale_date": "2026-03-01",
                                                           "contract_date": "2026-03-10"})
        future = http.post("/v1/sales", headers=_id(), json={**sale, "sale_date": "2999-01-01"})
        after = api_server.head()
    assert (one["sale_date"], one["contract_date"]) == ("2026-03-18", "2026-03-10")
    assert one == queries.sale(api_server.service, made.json()["seq"])
    assert (late.status_code, late.json()["code"]) == (422, "contract_after_sale")
    assert future.status_code == 422 and future.json()["params"]["field"] == "sale_date"
    assert before == after


def test_an_enterprise_retires_its_own_credits(api_server):  # type: ignore[no-untyped-def]
    with api_server.client(api_server.key("enterprise")) as http:
        before = http.get("/v1/accounts/ENT-0001-H/balance").json()
        made = http.post("/v1/retirements", headers=_id(), json={
            "account_id": "ENT-0001-H", "quantity": 1, "beneficiary": "示例绿色纺织有限公司（虚构）",
            "purpose": "2025 年度自愿抵消"})
        after = http.get("/v1/accounts/ENT-0001-H/balance").json()
        listed = http.get("/v1/retirements").json()["items"]
        by_name = http.get("/v1/retirements", params={"beneficiary": "绿色纺织"}).json()["items"]
        this_year = http.get("/v1/retirements", params={"year": int(made.json()["recorded_at"][:4])}).json()["items"]
        absurd_year = http.get("/v1/retirements", params={"year": 99999})
        totals = {row["account_id"]: row for row in http.get("/v1/balances").json()["items"]}
        others = http.post("/v1/retirements", headers=_id(), json={
            "account_id": "COL-0001-H", "quantity": 1, "beneficiary": "b", "purpose": "p"})
    assert made.status_code == 201, made.text
    assert after["held_t"] == before["held_t"] - 1
    assert made.json()["seq"] in {r["seq"] for r in by_name} & {r["seq"] for r in this_year}
    assert absurd_year.status_code == 422 and absurd_year.json()["code"] == "date_out_of_range"
    assert listed[0]["seq"] == made.json()["seq"] and all(r["account_id"] == "ENT-0001-H" for r in listed)
    assert list(totals) == ["ENT-0001-H"] and totals["ENT-0001-H"]["held_t"] == after["held_t"]
    assert others.status_code == 403 and others.json()["code"] == "not_permitted"


def test_a_bank_pledges_and_releases(api_server):  # type: ignore[no-untyped-def]
    with api_server.client(api_server.key("bank")) as http:
        made = http.post("/v1/pledges", headers=_id(), json={
            "account_id": "COL-0004-H", "quantity": 3, "loan_reference": "API-LOAN-1",
            "loan_amount_fen": 3_000_000, "term_end": "2030-12-31"})
        assert made.status_code == 201, made.text
        pledge_id = made.json()["pledge_id"]
        held = http.get("/v1/accounts/COL-0004-H/balance").json()
        listed = http.get("/v1/pledges", params={"account_id": "COL-0004-H"}).json()["items"]
        released = http.post(f"/v1/pledges/{pledge_id}/release", headers=_id())
        after = http.get("/v1/accounts/COL-0004-H/balance").json()
    assert held["pledged_t"] >= 3 and any(p["id"] == pledge_id and p["status"] == "active" for p in listed)
    assert released.status_code == 200, released.text
    assert after["pledged_t"] == held["pledged_t"] - 3 and after["held_t"] == held["held_t"] + 3


def test_holdings_and_blocks_add_up_to_the_balance(api_server):  # type: ignore[no-untyped-def]
    with api_server.client(api_server.key("collection_centre")) as http:
        balances = http.get("/v1/balances", params={"limit": 1000}).json()["items"]
        account = max(balances, key=lambda b: b["held_t"])["account_id"]
        holdings = http.get(f"/v1/accounts/{account}/holdings").json()
        blocks = http.get(f"/v1/accounts/{account}/blocks", params={"limit": 1000}).json()["items"]
        unknown = http.get("/v1/accounts/NOBODY-H/holdings")
    held = holdings["balance"]["held_t"]
    assert held == sum(h["quantity"] for h in holdings["holdings"] if h["state"] == "held") > 0
    assert sum(b["quantity"] for b in blocks if b["state"] == "held") == held
    assert all(b["serials"].startswith("CN") for b in blocks)
    assert unknown.status_code == 404 and unknown.json()["code"] == "account_not_found"


def test_a_court_orders_and_a_clerk_fulfils_with_a_certificate(api_server):  # type: ignore[no-untyped-def]
    case_no = f"（2025）浙0521刑初{int(time.time() * 1000) % 100000}号"
    with api_server.client(api_server.key("court")) as court:
        case = court.post("/v1/court/cases", headers=_id(), json={
            "case_no": case_no, "judgment_date": "2025-03-01", "defendants": ["ENT-0002"],
            "sink_type": "bamboo_forest", "county_code": "330523", "ecosystem_name": "示例山林（演示）",
            "damaged_area_ha": "1.5", "description": "滥伐林木（演示）"})
        assert case.status_code == 201, case.text
        judgment = court.post(f"/v1/court/cases/{case_no}/documents", headers=_id(), data={"title": "判决书"},
                              files={"file": ("judgment.pdf", b"%PDF-1.4 judgment (synthetic)", "application/pdf")})
        assert judgment.status_code == 201, judgment.text
        order = court.post("/v1/court/orders", headers=_id(), json={
            "case_no": case_no, "item": "判决第二项", "kind": "quantity", "due_date": "2026-12-31", "quantity_t": 2})
        assert order.status_code == 201, order.text
        order_id = order.json()["order_id"]
        with api_server.client(api_server.key("trading_clerk")) as clerk:
            done = clerk.post(f"/v1/court/orders/{order_id}/fulfilments", headers=_id(), json={
                "seller_account": "COL-0005-H", "price_fen_per_t": 6000, "contract_no": "API-COURT-1",
                "quantity_t": 2})
        assert done.status_code == 201, done.text
        certificate = court.post(f"/v1/court/orders/{order_id}/certificate")
        second = court.post("/v1/court/orders", headers=_id(), json={
            "case_no": case_no, "item": "判决第三项", "kind": "quantity", "due_date": "2026-12-31", "quantity_t": 1})
        second_id = second.json()["order_id"]
        amended = court.post(f"/v1/court/orders/{second_id}/amendments", headers=_id(),
                             json={"reason": "二审改判", "quantity_t": 3})
        unchanged = court.post(f"/v1/court/orders/{second_id}/amendments", headers=_id(), json={"reason": "无"})
        withdrawn = court.post(f"/v1/court/orders/{second_id}/withdrawal", headers=_id(), json={"reason": "撤回"})
        second_status = court.get(f"/v1/court/orders/{second_id}").json()["orders"][0]
        status = court.get(f"/v1/court/orders/{order_id}").json()
        cases = court.get("/v1/court/cases", params={"limit": 1000}).json()["items"]
    assert certificate.status_code == 201, certificate.text
    assert amended.status_code == 201 and withdrawn.status_code == 201, (amended.text, withdrawn.text)
    assert unchanged.status_code == 422 and unchanged.json()["code"] == "amendment_changes_nothing"
    assert second_status["quantity_t"] == 3 and second_status["status"] == "withdrawn"
    assert second_status["withdrawal_reason"] == "撤回"
    assert status["orders"][0]["certificates"] and status["case"]["case_no"] == case_no
    assert [(d["title"], d["media_type"]) for d in status["documents"]] == [("判决书", "application/pdf")]
    assert case_no in [c["case_no"] for c in cases]


def test_an_insurer_records_a_loss_and_a_claim(api_server):  # type: ignore[no-untyped-def]
    with api_server.client(api_server.key("insurer")) as http:
        loss = http.post("/v1/losses", headers=_id(), json={
            "cause": "snow", "event_date": "2024-01-20", "description": "雪压断梢（合成示例）",
            "parcels": [{"parcel_code": "AJ-BF-0001", "affected_area_ha": "1", "damage_share_bp": 1000}]})
        assert loss.status_code == 201, loss.text
        claim = http.post("/v1/claims", headers=_id(), json={
            "claim_no": f"API-CLAIM-{uuid.uuid4().hex[:6]}", "event_id": loss.json()["event_id"],
            "policy_no": "POL-1", "product": "毛竹碳汇价值恢复补偿保险", "insured_party_id": "COL-0001",
            "payout_fen": 100_000})
        losses = http.get("/v1/losses").json()["items"]
    assert claim.status_code == 201, claim.text
    assert loss.json()["event_id"] in [e.get("event_id", e.get("id")) for e in losses]


def test_a_bank_registers_and_releases_a_lien(api_server):  # type: ignore[no-untyped-def]
    with api_server.client(api_server.key("collection_centre")) as centre:
        contract_no = centre.get("/v1/contracts").json()["items"][0]["contract_no"]
        annex = centre.post(f"/v1/contracts/{contract_no}/documents", headers=_id(), data={"title": "补充协议"},
                            files={"file": ("annex.txt", "补充协议（合成示例）".encode(), "text/plain")})
        documents = centre.get(f"/v1/contracts/{contract_no}").json()["documents"]
    assert annex.status_code == 201, annex.text
    assert "补充协议" in [d["title"] for d in documents]
    with api_server.client(api_server.key("bank")) as http:
        lien = http.post("/v1/liens", headers=_id(), json={
            "contract_no": contract_no, "loan_reference": f"API-LIEN-{uuid.uuid4().hex[:6]}",
            "loan_amount_fen": 500_000, "term_end": "2031-12-31"})
        assert lien.status_code == 201, lien.text
        lien_id = lien.json()["lien_id"]
        listed = http.get("/v1/liens").json()["items"]
        released = http.post(f"/v1/liens/{lien_id}/release", headers=_id())
    assert lien_id in [x.get("lien_id", x.get("id")) for x in listed]
    assert released.status_code == 200, released.text


def test_distributions_projects_and_due_items_are_read(api_server):  # type: ignore[no-untyped-def]
    with api_server.client(api_server.key("collection_centre")) as http:
        distributions = http.get("/v1/distributions").json()["items"]
        one = http.get(f"/v1/distributions/{distributions[0]['id']}").json()
        preview = http.get("/v1/distributions/preview", params={"sale_seq": distributions[0]["sale_seq"]})
        projects = http.get("/v1/projects").json()["items"]
        project = http.get(f"/v1/projects/{projects[0]['project_code']}").json()
        due = http.get("/v1/due-items", params={"limit": 5}).json()
        again = http.post("/v1/distributions", json={"sale_seq": distributions[0]["sale_seq"]})
    assert one["seq"] == distributions[0]["seq"]
    assert preview.status_code in (200, 409), preview.text  # a distributed sale may be refused a second draft
    assert project["project_code"] == projects[0]["project_code"]
    assert due["total"] >= len(due["items"])
    assert again.status_code == 409  # one distribution per sale


def _poll(http: Any, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        state = http.get(f"/v1/jobs/{job['job_id']}").json()
        if state["status"] != "running":
            return state
        time.sleep(0.5)
    raise AssertionError(f"job {job['job_id']} did not finish")


def test_a_parcel_file_is_checked_and_imported_as_a_job(api_server):  # type: ignore[no-untyped-def]
    """The demo's own parcel file uploaded again: the dry run reports every row (each overlaps
    a registered parcel), the import is refused as a whole with every problem; nothing is
    registered; another user's key cannot see the job."""
    layer = Path(REPO_ROOT / "gis_data" / "demo_parcels.gpkg")
    before = api_server.head()
    with api_server.client(api_server.key("collection_centre")) as http:
        with open(layer, "rb") as f:
            dry = http.post("/v1/parcel-imports", files={"file": ("parcels.gpkg", f)}, data={"dry_run": "true"})
        assert dry.status_code == 202, dry.text
        report = _poll(http, dry.json())
        with open(layer, "rb") as f:
            real = http.post("/v1/parcel-imports", files={"file": ("parcels.gpkg", f)}, headers=_id())
        refused = _poll(http, real.json())
        with api_server.client(api_server.key("admin")) as other:
            hidden = other.get(f"/v1/jobs/{dry.json()['job_id']}")
    assert report["status"] == "done" and report["result"]["parcels"], report
    centre = api_server.service.actor("centre")  # the job is in the database: any instance answers
    assert jobs.job(api_server.service, centre, report["job_id"]) == report
    assert report["progress"]["total"] > 0
    assert refused["status"] == "refused" and refused["problem"]["code"] == "parcel_import_has_problems"
    assert refused["problem"]["message_zh"] and refused["problem"]["message_en"]
    assert hidden.status_code == 404 and hidden.json()["code"] == "job_not_found"
    assert api_server.head() == before


def test_a_verifier_reads_the_waiting_estimates_and_issues_one(api_server):  # type: ignore[no-untyped-def]
    """The verifier's queue over HTTP: the waiting estimates, one read with its trace and state,
    issued (credits as a serial block), then no longer waiting."""
    with api_server.client(api_server.key("verifier")) as http:
        waiting = http.get("/v1/estimates", params={"state": "waiting", "limit": 1000}).json()["items"]
        chosen = max(waiting, key=lambda e: e["net_kg_co2e"])
        found = http.get(f"/v1/estimates/{chosen['estimate_id']}").json()
        issued = http.post("/v1/issuances", headers=_id(), json={
            "estimate_id": chosen["estimate_id"], "verified_kg_co2e": chosen["net_kg_co2e"],
            "project_code": "APIWL01", "buffer_share_bp": 1000})
        after = http.get(f"/v1/estimates/{chosen['estimate_id']}").json()
        missing = http.get("/v1/estimates/EST-NONE")
        bad_state = http.get("/v1/estimates", params={"state": "lost"})
    assert found == api_server.service.estimate(chosen["estimate_id"]) | {"state": "waiting", "returns": []}
    assert issued.status_code == 201, issued.text
    assert after["state"] == "issued"
    assert missing.status_code == 404 and missing.json()["code"] == "estimate_not_found"
    assert bad_state.status_code == 422 and bad_state.json()["code"] == "request_invalid"
