"""Compensation programmes and quota obligations over real HTTP (issue 22), on the seeded demo:
the authority's programme with its payments, an obligation met with its certificate (checked by
anyone at /public), and bad input refused as problem documents that write nothing."""

from __future__ import annotations

from sinkledger.demo.instruments import PROGRAMME


def test_the_demo_programme_and_payments_are_read_by_whom_they_concern(api_server):  # type: ignore[no-untyped-def]
    with api_server.client(api_server.key("authority")) as http:
        programmes = http.get("/v1/compensation/programmes").json()
        mine = {p["code"]: p for p in programmes["items"]}[PROGRAMME["code"]]
        assert mine["paid_fen"] > 0 and mine["paid_fen"] + mine["remaining_fen"] == PROGRAMME["budget_fen"]
        payments = http.get("/v1/compensation/payments", params={"programme_code": PROGRAMME["code"]}).json()
        assert len(payments) == mine["payments"] == 2
        detail = http.get(f"/v1/compensation/payments/{payments[-1]['id']}").json()
        assert sum(line["amount_fen"] for line in detail["lines"]) == detail["amount_fen"]
    with api_server.client(api_server.key("collection_centre")) as http:
        to_centre = http.get("/v1/compensation/payments").json()
        assert [p["payee_party_id"] for p in to_centre] == ["CENTRE-AJ"]
        assert to_centre[0]["villages_fen"] > 0  # the tea households' part, due from the centre
        dues = http.get("/v1/due-items", params={"limit": 1000}).json()["items"]
        mine = [i for i in dues if i["source_id"] == to_centre[0]["id"]]
        assert {i["source_kind"] for i in mine} == {"compensation"}
        assert sum(i["amount_fen"] for i in mine) == to_centre[0]["villages_fen"]
    with api_server.client(api_server.key("household")) as http:
        refused = http.get("/v1/compensation/programmes")
        assert refused.status_code == 403 and refused.json()["code"] == "not_permitted"


def test_a_payment_over_http_is_paid_once(api_server):  # type: ignore[no-untyped-def]
    before = api_server.head()
    with api_server.client(api_server.key("authority")) as http:
        created = http.post("/v1/compensation/programmes", headers={"Idempotency-Key": "api-prog-1"}, json={
            "code": "API-TEST-1", "name": "接口测试补偿", "reference": "API-1", "basis": "per_t", "rate_fen": 200,
            "budget_fen": 10_000_000, "sink_types": ["bamboo_forest", "tea_garden", "wetland"], "vintage_from": 2000,
            "vintage_to": 2100, "period_start": "2026-01-01", "period_end": "2026-12-31"})
        assert created.status_code == 201, created.text
        payable = http.get("/v1/compensation/programmes/API-TEST-1/payable").json()
        estimate = payable[0]["estimate_id"]
        preview = http.get("/v1/compensation/payments/preview",
                           params={"programme_code": "API-TEST-1", "estimate_id": estimate}).json()
        body = {"programme_code": "API-TEST-1", "estimate_id": estimate, "paid_date": "2026-11-30",
                "reference": "API-PAY-1"}
        paid = http.post("/v1/compensation/payments", headers={"Idempotency-Key": "api-pay-1"}, json=body)
        again = http.post("/v1/compensation/payments", headers={"Idempotency-Key": "api-pay-1"}, json=body)
        assert paid.status_code == again.status_code == 201
        assert paid.json()["amount_fen"] == preview["amount_fen"] == 200 * payable[0]["quantity_t"]
        assert again.json()["seq"] == paid.json()["seq"] and again.json()["replayed"]
        twice = http.post("/v1/compensation/payments", headers={"Idempotency-Key": "api-pay-2"}, json=body)
        assert twice.status_code == 409 and twice.json()["code"] == "compensation_already_paid"
        broke = http.post("/v1/compensation/programmes", json={"code": "API-TEST-2",
                          "name": "x", "reference": "x", "basis": "per_t", "rate_fen": 0, "budget_fen": 1,
                          "sink_types": ["wetland"], "vintage_from": 2020, "vintage_to": 2021,
                          "period_start": "2026-01-01", "period_end": "2026-12-31"},
                          headers={"Accept-Language": "en"})
        assert broke.status_code == 422 and broke.json()["code"] == "amount_must_be_positive"
        assert "positive" in broke.json()["detail"]
    assert api_server.head() != before  # the programme and the payment, nothing else


def test_obligations_status_certificate_and_bad_input(api_server):  # type: ignore[no-untyped-def]
    with api_server.client(api_server.key("enterprise")) as http:
        mine = http.get("/v1/obligations").json()["items"]
        assert [o["enterprise_party_id"] for o in mine] == ["ENT-0001"] and mine[0]["status"] == "met"
        detail = http.get(f"/v1/obligations/{mine[0]['id']}").json()
        code = detail["certificates"][0]["code"]
        assert detail["shortfall_t"] == 0 and [c["how"] for c in detail["credits"]] == ["surrender", "surrender"]
    with api_server.client(api_server.key("authority")) as http:
        both = {o["enterprise_party_id"]: o for o in http.get("/v1/obligations", params={"as_of": "2027-07-01"})
                .json()["items"]}
        assert both["ENT-0002"]["status"] == "overdue" and both["ENT-0002"]["shortfall_t"] == 40
        before = api_server.head()
        terms = {"enterprise_party_id": "ENT-0002", "quantity_t": 10, "deadline": "2027-12-31",
                 "sink_types": ["wetland"], "vintage_from": 2023, "vintage_to": 2026, "reference": "API-OB",
                 "start_date": "2026-12-01"}
        for changes, status, refusal in (({"quantity_t": 0}, 422, "quantity_must_be_positive"),
                                      ({"deadline": "2026-11-30"}, 422, "obligation_deadline_invalid"),
                                      ({"deadline": "9999-12-31"}, 422, "date_out_of_range"),
                                      ({"enterprise_party_id": "ENT-9999"}, 404, "enterprise_not_found")):
            refused = http.post("/v1/obligations", json={**terms, **changes})
            assert (refused.status_code, refused.json()["code"]) == (status, refusal), refused.text
        met = http.post(f"/v1/obligations/{mine[0]['id']}/surrenders", json={"quantity_t": 1})
        assert met.status_code == 403  # an authority surrenders nothing
        assert api_server.head() == before
    with api_server.client(api_server.key("enterprise")) as http:
        again = http.post(f"/v1/obligations/{mine[0]['id']}/surrenders", json={"quantity_t": 1})
        assert again.status_code == 409 and again.json()["code"] == "obligation_already_met"
    with api_server.client() as anyone:  # no key: the public check
        check = anyone.get(f"/public/obligation-certificates/{code}").json()
        assert check["ok"] and check["record"]["totals"]["counted_t"] == 30
        for lang in ("zh", "en"):
            pdf = anyone.get(f"/public/obligation-certificates/{code}/certificate.pdf", params={"lang": lang})
            assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        forged = anyone.get("/public/obligation-certificates/AAAA-BBBB-CCCC-DDDD")
        assert forged.status_code == 404 and forged.json()["code"] == "obligation_certificate_not_found"
