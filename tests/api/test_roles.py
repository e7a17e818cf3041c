"""Every role × every endpoint that is a role's privilege: the roles the service layer's table
(:data:`ledger.permissions.PERMISSIONS`) does not name are refused over HTTP with 403
problem+json (``not_permitted``) and nothing is written; the roles it names get past the role
check (whatever the record then says). The table is read, not copied, so a rule changed there
is the rule the API enforces."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.permissions import PERMISSIONS
from tests.api.conftest import USER_OF_ROLE

SALE = {"seller_account": "COL-0001-H", "buyer_account": "ENT-0001-H", "quantity": 1, "price_fen_per_t": 6000,
        "contract_no": "API-ROLE-1"}
# (method, path, body, the permission the service checks)
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("POST", "/v1/sales", SALE, "sell"),
    ("POST", "/v1/retirements", {"account_id": "COL-0001-H", "quantity": 1, "beneficiary": "x", "purpose": "y"},
     "retire"),
    ("POST", "/v1/pledges", {"account_id": "COL-0001-H", "quantity": 1, "loan_reference": "L-1",
                             "loan_amount_fen": 100, "term_end": "2030-01-01"}, "pledge"),
    ("POST", "/v1/pledges/P-NONE/release", None, "release"),
    ("POST", "/v1/pledges/P-NONE/default", None, "pledge_default"),
    ("POST", "/v1/court/cases", {"case_no": "（2025）浙0521刑初99号", "judgment_date": "2025-03-01",
                                 "defendants": ["ENT-0002"], "sink_type": "bamboo_forest", "county_code": "330521",
                                 "ecosystem_name": "山林", "damaged_area_ha": "1.5", "description": "d"}, "court_case"),
    ("POST", "/v1/court/orders", {"case_no": "none", "item": "i", "kind": "quantity", "due_date": "2026-12-31",
                                  "quantity_t": 1}, "court_order"),
    ("POST", "/v1/court/orders/none/fulfilments", {"seller_account": "COL-0001-H", "price_fen_per_t": 1,
                                                   "contract_no": "c"}, "court_fulfil"),
    ("POST", "/v1/court/orders/none/certificate", None, "court_certificate"),
    ("POST", "/v1/court/orders/none/amendments", {"reason": "r", "quantity_t": 3}, "court_amend"),
    ("POST", "/v1/court/orders/none/withdrawal", {"reason": "r"}, "court_withdraw"),
    ("GET", "/v1/court/cases", None, "court_view"),
    ("POST", "/v1/distributions", {"sale_seq": 1}, "distribute"),
    ("POST", "/v1/payments", {"items": [], "paid_date": "2025-01-01", "reference": "r"}, "record_payment"),
    ("POST", "/v1/payment-schedules", {"contract_no": "none"}, "schedule_payments"),
    ("GET", "/v1/projects", None, "income_view"),
    ("GET", "/v1/distributions/preview?sale_seq=1", None, "income_view"),
    ("POST", "/v1/liens", {"contract_no": "none", "loan_reference": "L", "loan_amount_fen": 1,
                           "term_end": "2030-01-01"}, "lien_register"),
    ("POST", "/v1/liens/none/release", None, "lien_release"),
    ("POST", "/v1/liens/none/default", None, "lien_default"),
    ("POST", "/v1/losses", {"cause": "snow", "event_date": "2025-01-01", "parcels": [], "description": "d"},
     "loss_record"),
    ("POST", "/v1/claims", {"claim_no": "C", "event_id": "E", "policy_no": "P", "product": "p",
                            "insured_party_id": "COL-0001", "payout_fen": 1}, "insurance_claim"),
    ("GET", "/v1/contracts", None, "income_view"),
    ("GET", "/v1/distributions", None, "income_view"),
    ("GET", "/v1/liens", None, "income_view"),
    ("GET", "/v1/losses", None, "income_view"),
    ("GET", "/v1/due-items", None, "income_view"),
    ("GET", "/v1/sales", None, "ledger_read"),
    ("GET", "/v1/retirements", None, "ledger_read"),
    ("GET", "/v1/pledges", None, "ledger_read"),
    ("GET", "/v1/balances", None, "ledger_read"),
    ("GET", "/v1/accounts/COL-0001-H/holdings", None, "ledger_read"),
    ("POST", "/v1/issuances", {"estimate_id": "EST-NONE", "verified_kg_co2e": 1000, "project_code": "X",
                               "buffer_share_bp": 1000}, "issue"),
    ("POST", "/v1/estimates", {"parcel_codes": ["AJ-TG-0001"], "methodology_id": "none", "inputs": {}},
     "record_estimate"),
    # issue 18 (helper h3): the rest of an institution's job
    ("GET", "/v1/estimates", None, "estimate_view"),
    ("GET", "/v1/estimates/EST-NONE", None, "estimate_view"),
    ("GET", "/v1/accounts/COL-0001-H/blocks", None, "ledger_read"),
    ("GET", "/v1/court/report", None, "court_view"),
    ("GET", "/v1/court/report.xlsx", None, "court_view"),
    ("POST", "/v1/contracts", {"contract_no": "API-ROLE-C", "collective_party_id": "NONE", "parcel_codes": ["NONE"],
                               "term_start": "2025-01-01", "term_end": "2045-01-01", "signed_date": "2025-01-01",
                               "payment_terms": {"kind": "proceeds_share", "share_bp": 8000}}, "collect"),
    ("POST", "/v1/projects", {"project_code": "APIROLE1", "name": "n", "sink_type": "tea_garden",
                              "methodology_id": "none", "monitoring_start": "2025-01-01", "interval_months": 12,
                              "parcel_codes": ["NONE"]}, "project_register"),
    ("POST", "/v1/projects/NONE/parcels", {"parcel_codes": ["NONE"]}, "project_add_parcels"),
    ("POST", "/v1/projects/NONE/estimates", {"inputs": {}}, "record_estimate"),
    ("POST", "/v1/projects/NONE/issuances", {"estimate_id": "EST-NONE", "verified_kg_co2e": 1000,
                                             "buffer_share_bp": 1000}, "issue"),
]
CALLS_PER_KEY = 30  # below the server's burst (conftest.BURST)


@pytest.mark.parametrize("role", sorted(USER_OF_ROLE))
def test_every_forbidden_pair_is_refused_and_writes_nothing(api_server, role):  # type: ignore[no-untyped-def]
    """Given a key of ``role``, when it calls every endpoint, then each one whose permission
    does not name the role answers 403 problem+json ``not_permitted`` and the journal and the
    records stay as they were. (The roles it names are driven through the endpoints' own tests,
    test_endpoints.py: past the role check, a record-level rule, such as selling only one's own
    credits, may still refuse with the same code.)"""
    refused = []
    for n, (method, path, body, permission) in enumerate(ENDPOINTS):
        if n % CALLS_PER_KEY == 0:
            key = api_server.key(role)  # a fresh key every CALLS_PER_KEY calls: below the rate limit's burst
        before = api_server.head()
        with api_server.client(key) as http:
            response = http.request(method, path, json=body)
        allowed = role in {r.value for r in PERMISSIONS[permission]}
        problem = response.json() if "json" in response.headers["content-type"] else {}
        if not allowed:
            assert response.status_code == 403, (role, method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert problem["code"] == "not_permitted" and problem["params"]["role"] == role
            assert problem["message_zh"] and problem["message_en"]
            refused.append(path)
        if not allowed:
            assert api_server.head() == before, (role, path)
    expected_refusals = sum(1 for *_, p in ENDPOINTS if role not in {r.value for r in PERMISSIONS[p]})
    assert len(refused) == expected_refusals


def test_an_enterprise_reads_only_its_own_account(api_server):  # type: ignore[no-untyped-def]
    """Given an enterprise's key, its sales are its own (every listed sale names its account),
    another's holdings are refused, and another's sale looks as if it did not exist."""
    with api_server.client(api_server.key("enterprise")) as http:
        sales = http.get("/v1/sales", params={"limit": 1000}).json()["items"]
        assert sales and all("ENT-0001-H" in (s["seller_account"], s["buyer_account"]) for s in sales)
        assert http.get("/v1/accounts/COL-0001-H/holdings").status_code == 403
        with api_server.client(api_server.key("trading_clerk")) as clerk:
            others = [s for s in clerk.get("/v1/sales", params={"limit": 1000}).json()["items"]
                      if "ENT-0001-H" not in (s["seller_account"], s["buyer_account"])]
        assert others
        response = http.get(f"/v1/sales/{others[0]['seq']}")
        assert response.status_code == 404 and response.json()["code"] == "entry_not_found"


def test_a_household_sees_only_its_own_statement(api_server):  # type: ignore[no-untyped-def]
    """A household's key reads its own statement and is refused another household's."""
    period = {"period_start": "2020-01-01", "period_end": "2030-12-31"}
    with api_server.client(api_server.key("household")) as http:
        own = http.get("/v1/statements/HH-0001", params=period)
        other = http.get("/v1/statements/HH-0002", params=period)
    assert own.status_code == 200, own.text
    assert other.status_code == 403 and other.json()["code"] == "not_permitted"


@pytest.mark.parametrize(("path", "permission"), [("/v1/court/cases/none/documents", "court_document"),
                                                 ("/v1/contracts/none/documents", "collection_document"),
                                                 ("/v1/parcel-imports", "register_parcel")])
def test_uploads_are_refused_to_other_roles(api_server, path, permission):  # type: ignore[no-untyped-def]
    """Each upload endpoint refuses every role its permission does not name (403), nothing written."""
    allowed = {r.value for r in PERMISSIONS[permission]}
    for role in sorted(set(USER_OF_ROLE) - allowed):
        before = api_server.head()
        with api_server.client(api_server.key(role)) as http:
            response = http.post(path, data={"title": "t"}, files={"file": ("a.txt", b"text", "text/plain")})
        assert response.status_code == 403 and response.json()["code"] == "not_permitted", (role, response.text)
        assert api_server.head() == before
