"""Issue 22 over real HTTP (``sinkledger api`` on each backend, the seeded demo): the public price
index without a key, a price index insurance policy by the insurer's key (seen by the insured
collective's key, refused to others), settlement refused before the period ends, pricing factors
with their evidence, and the reference price before a sale; bad input refused as problem documents."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import date, timedelta

from sinkledger.demo.roles import HOUSEHOLD_CONTRACT_NO


def problem(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code and body["message_zh"] and body["message_en"]
    return body


def test_the_public_index_needs_no_key_and_is_the_services(api_server):  # type: ignore[no-untyped-def]
    with api_server.client() as http:
        markets = http.get("/public/price-index/markets").json()
        assert {"sink_type": "bamboo_forest", "county_code": "330523"}.items() <= markets[0].items()
        query = {"sink_type": "bamboo_forest", "county_code": "330523", "date_from": "2024-01-01",
                 "date_to": "2026-12-31"}
        served = http.get("/public/price-index", params=query)
        assert served.status_code == 200
        body = served.json()
        assert len(body["windows"]) == 36 and body["rule"]["min_trades"] == 3
        expected = api_server.service.prices.index(**query)
        assert body["windows"] == expected["windows"]
        month = next(w["window"] for w in body["windows"] if w["trades"])
        trace = http.get("/public/price-index/trace", params={"sink_type": "bamboo_forest", "county_code": "330523",
                                                              "frequency": "monthly", "window": month}).json()
        assert trace["inputs"] and all(len(i["entry_hash"]) == 64 for i in trace["inputs"])
        assert api_server.service.prices.check_trace(trace)["ok"]
        problem(http.get("/public/price-index", params={**query, "sink_type": "forest"}), 422, "value_invalid")
        problem(http.get("/public/price-index", params={**query, "frequency": "daily"}), 422,
                "price_index_range_too_long")


def test_a_policy_over_http_seen_by_its_collective_refused_to_settle_early(api_server):  # type: ignore[no-untyped-def]
    start = date.today() + timedelta(days=5)
    policy_no = f"API-JZ-{uuid.uuid4().hex[:6]}"
    body = {"policy_no": policy_no, "insured_party_id": "COL-0001", "contract_no": HOUSEHOLD_CONTRACT_NO,
            "sink_type": "bamboo_forest", "county_code": "330523", "period_start": start.isoformat(),
            "period_end": (start + timedelta(days=90)).isoformat(), "strike_fen_per_t": 8000, "insured_t": 600,
            "premium_fen": 180_000, "product": None}
    insurer = api_server.key("insurer")
    with api_server.client(insurer, **{"Idempotency-Key": policy_no}) as http:
        made = http.post("/v1/index-policies", json=body)
        assert made.status_code == 201, made.text
        assert made.json()["max_payout_fen"] == 4_800_000
        again = http.post("/v1/index-policies", json=body)
        assert again.json()["replayed"] is True and again.json()["seq"] == made.json()["seq"]
    with api_server.client(insurer) as http:
        problem(http.post(f"/v1/index-policies/{policy_no}/settlement", json={"reference": "X"}), 409,
                "index_policy_period_not_ended")
        problem(http.post("/v1/index-policies", json={**body, "policy_no": "API-ZERO", "insured_t": 0}), 422,
                "quantity_must_be_positive")
        problem(http.post("/v1/index-policies", json={**body, "policy_no": "API-PAST", "period_start": "2020-01-01"}),
                422, "policy_period_in_past")
        problem(http.post("/v1/index-policies", json={**body, "insured_t": "600"}), 422, "request_invalid")
        assert any(p["policy_no"] == policy_no for p in http.get("/v1/index-policies").json()["items"])
    with api_server.client(api_server.key("cooperative")) as http:
        seen = http.get(f"/v1/index-policies/{policy_no}")
        assert seen.status_code == 200 and seen.json()["status"] == "open"
    with api_server.client(api_server.key("enterprise")) as http:
        problem(http.get("/v1/index-policies"), 403, "not_permitted")


def test_pricing_factors_and_the_reference_price_over_http(api_server):  # type: ignore[no-untyped-def]
    evidence = "安吉竹林生物多样性评估（演示）".encode()
    factors = {"factors": [{"factor": "biodiversity", "value": "1.12", "evidence_title": "生物多样性评估（演示）",
                            "evidence_file_name": "bio.pdf",
                            "evidence_content_base64": base64.b64encode(evidence).decode()}]}
    with api_server.client(api_server.key("admin")) as http:
        made = http.post("/v1/projects/AJBF01/pricing-factors", json=factors)
        assert made.status_code == 201, made.text
        problem(http.post("/v1/projects/AJBF01/pricing-factors",
                          json={"factors": [{**factors["factors"][0], "value": "9"}]}), 422,
                "pricing_factor_out_of_range")
        problem(http.post("/v1/projects/NOPE/pricing-factors", json=factors), 404, "project_not_found")
    with api_server.client() as http:
        public = http.get("/public/projects/AJBF01/pricing-factors").json()
        assert public["factors"][0]["evidence_sha256"] == hashlib.sha256(evidence).hexdigest()
    seller = next(r["account_id"] for r in api_server.service.balances()["by_account"]
                  if r["account_id"].startswith("COL-") and r["held_t"] > 5)
    with api_server.client(api_server.key("trading_clerk")) as http:
        out = http.get("/v1/reference-price", params={"seller_account": seller, "quantity": 2})
        assert out.status_code == 200, out.text
        lines = out.json()["lines"]
        assert lines and all(line["project_code"] == "AJBF01" and line["product"] == "1.12" for line in lines)
        problem(http.get("/v1/reference-price", params={"seller_account": "NOPE-H", "quantity": 2}), 404,
                "account_not_found")
