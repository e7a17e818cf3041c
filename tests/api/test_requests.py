"""Requests that must not write: one Idempotency-Key retried at once from many threads gives one
sale; bad input to every writing endpoint (wrong types, negative quantities, absurd dates,
unknown accounts, unknown fields, no JSON at all) is a problem document and leaves the journal
and the records as they were; unknown paths and methods are problem documents too."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.api.conftest import BURST
from tests.api.test_roles import SALE

THREADS = 8


def test_one_idempotency_key_retried_concurrently_gives_one_sale(api_server):  # type: ignore[no-untyped-def]
    """Given a clerk's sale sent with the same Idempotency-Key from several threads at once,
    then one sale is recorded, every answer is that sale, and the same key with another body is
    refused 409 (``request_id_conflict``)."""
    key, request_id = api_server.key("trading_clerk"), f"api-test-{uuid.uuid4()}"
    body = {**SALE, "contract_no": "API-IDEMPOTENT-1"}
    before = api_server.head()

    def send(_: int) -> Any:
        with api_server.client(key, **{"Idempotency-Key": request_id}) as http:
            return http.post("/v1/sales", json=body)

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(send, range(THREADS)))
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    assert len({a.json()["seq"] for a in answers}) == 1
    after = api_server.head()
    assert after[0][0] == before[0][0] + 1 and after[1][0] == before[1][0] + 1  # one entry, one sale
    with api_server.client(key, **{"Idempotency-Key": request_id}) as http:
        other = http.post("/v1/sales", json={**body, "quantity": 2})
    assert other.status_code == 409 and other.json()["code"] == "request_id_conflict"
    assert api_server.head() == after


GOOD_PLEDGE = {"account_id": "COL-0003-H", "quantity": 1, "loan_reference": "L-BAD", "loan_amount_fen": 100,
               "term_end": "2030-01-01"}
GOOD_RETIRE = {"account_id": "ENT-0001-H", "quantity": 1, "beneficiary": "b", "purpose": "p"}
# (role, path, body, expected status, expected code)
BAD: list[tuple[str, str, Any, int, str]] = [
    ("trading_clerk", "/v1/sales", {**SALE, "quantity": "1"}, 422, "request_invalid"),
    ("trading_clerk", "/v1/sales", {**SALE, "quantity": 1.5}, 422, "request_invalid"),
    ("trading_clerk", "/v1/sales", {**SALE, "quantity": -3}, 422, "quantity_must_be_positive"),
    ("trading_clerk", "/v1/sales", {**SALE, "quantity": 0}, 422, "quantity_must_be_positive"),
    ("trading_clerk", "/v1/sales", {**SALE, "quantity": 10**30}, 422, None),
    ("trading_clerk", "/v1/sales", {**SALE, "price_fen_per_t": -1}, 422, None),
    ("trading_clerk", "/v1/sales", {**SALE, "seller_account": "NOBODY-H"}, 404, None),
    ("trading_clerk", "/v1/sales", {**SALE, "buyer_account": "NOBODY-H"}, 404, None),
    ("trading_clerk", "/v1/sales", {**SALE, "quantity": 10**9}, 409, None),
    ("trading_clerk", "/v1/sales", {**SALE, "contract_no": ""}, 422, None),
    ("trading_clerk", "/v1/sales", {**SALE, "extra": 1}, 422, "request_invalid"),
    ("trading_clerk", "/v1/sales", {k: v for k, v in SALE.items() if k != "quantity"}, 422, "request_invalid"),
    ("trading_clerk", "/v1/sales", [SALE], 422, "request_invalid"),
    ("trading_clerk", "/v1/sales", "not json", 422, "request_invalid"),
    ("trading_clerk", "/v1/sales", {**SALE, "serials": ["no-such-serial"]}, 422, None),
    ("enterprise", "/v1/retirements", {**GOOD_RETIRE, "quantity": -1}, 422, "quantity_must_be_positive"),
    ("enterprise", "/v1/retirements", {**GOOD_RETIRE, "beneficiary": ""}, 422, None),
    ("enterprise", "/v1/retirements", {**GOOD_RETIRE, "kind": "forever"}, 422, None),
    ("bank", "/v1/pledges", {**GOOD_PLEDGE, "term_end": "9999-99-99"}, 422, None),
    ("bank", "/v1/pledges", {**GOOD_PLEDGE, "term_end": "2400-01-01"}, 422, None),
    ("bank", "/v1/pledges", {**GOOD_PLEDGE, "loan_amount_fen": -5}, 422, None),
    ("bank", "/v1/pledges", {**GOOD_PLEDGE, "account_id": "NOBODY-H"}, 404, None),
    ("bank", "/v1/pledges/NO-SUCH/release", None, 404, None),
    ("court", "/v1/court/orders", {"case_no": "none", "item": "i", "kind": "quantity", "due_date": "1066-10-14",
                                   "quantity_t": 1}, None, None),  # no such case: 404 before the date
    ("insurer", "/v1/losses", {"cause": "snow", "event_date": "2025-13-45", "parcels": [], "description": "d"},
     422, None),
    ("collection_centre", "/v1/distributions", {"sale_seq": -1}, None, None),
    ("cooperative", "/v1/payments", {"items": [{"due_id": "x", "amount_fen": -1}], "paid_date": "2025-01-01",
                                     "reference": "r"}, None, None),
]


@pytest.mark.parametrize(("role", "path", "body", "status", "code"), BAD,
                         ids=[f"{i}-{row[1]}" for i, row in enumerate(BAD)])
def test_bad_input_is_a_problem_and_writes_nothing(api_server, role, path, body, status, code):  # type: ignore[no-untyped-def]
    before = api_server.head()
    with api_server.client(api_server.key(role)) as http:
        if isinstance(body, str):
            response = http.post(path, content=body, headers={"Content-Type": "application/json"})
        else:
            response = http.post(path, json=body)
    assert 400 <= response.status_code < 500, response.text
    if status is not None:
        assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    if code is not None:
        assert problem["code"] == code
    assert problem["code"] not in ("internal_error", "not_permitted") and problem["message_en"]
    assert "{" not in problem["message_en"]  # every parameter of the message filled
    assert api_server.head() == before


def test_paths_methods_and_pages_answer_problems(api_server):  # type: ignore[no-untyped-def]
    with api_server.client(api_server.key("admin")) as http:
        missing = http.get("/v1/nothing-here")
        wrong = http.delete("/v1/sales")
        too_many = http.get("/v1/sales", params={"limit": 100_000})
        negative = http.get("/v1/sales", params={"offset": -1})
        absurd = http.get("/v1/sales", params={"date_from": "2025-02-30"})
        paged = http.get("/v1/sales", params={"limit": 2, "offset": 1})
        everything = http.get("/v1/sales", params={"limit": 1000})
        # (a control character HTTP itself forbids, such as DEL, is refused by the server's HTTP
        # parser before the app: plain 400, docs/api.md)
        idem = http.post("/v1/sales", json=SALE, headers={"Idempotency-Key": b"\x85"})
        long_idem = http.post("/v1/sales", json=SALE, headers={"Idempotency-Key": "k" * 201})
    assert (missing.status_code, missing.json()["code"]) == (404, "route_not_found")
    assert (wrong.status_code, wrong.json()["code"]) == (405, "method_not_allowed")
    for response in (too_many, negative):
        assert response.status_code == 422 and response.json()["code"] == "request_invalid"
    assert absurd.status_code == 422 and absurd.json()["code"] in ("value_invalid", "date_out_of_range", "date_invalid")
    for response in (idem, long_idem):
        assert response.status_code == 422 and response.json()["code"] == "idempotency_key_invalid"
    page, whole = paged.json(), everything.json()
    assert page["items"] == whole["items"][1:3] and page["total"] == whole["total"] >= 3
    assert page["next_offset"] == 3 and whole["next_offset"] is None
    assert all(item["recorded_at"][-6:] == "+00:00" for item in whole["items"])  # ISO 8601 with offset
    assert BURST > 9  # the calls above fit in one key's burst


def test_problem_types_resolve(api_server):  # type: ignore[no-untyped-def]
    with api_server.client() as http:
        known = http.get("/problems/quantity_must_be_positive")
        unknown = http.get("/problems/no_such_code")
    assert known.json()["message_en"].startswith("Quantity")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"


def test_a_body_over_its_limit_is_413_before_it_is_read_whole(api_server):  # type: ignore[no-untyped-def]
    """A JSON body over 1 MiB is refused 413 ``upload_too_large``, whether its length is declared
    or it comes in chunks; nothing is written."""
    before = api_server.head()
    big = b'{"contract_no": "' + b"x" * (2 * 1024 * 1024) + b'"}'

    def chunks():  # type: ignore[no-untyped-def]
        for start in range(0, len(big), 64 * 1024):
            yield big[start:start + 64 * 1024]

    with api_server.client(api_server.key("trading_clerk"), **{"Content-Type": "application/json"}) as http:
        declared = http.post("/v1/sales", content=big)
        chunked = http.post("/v1/sales", content=chunks())
    for response in (declared, chunked):
        assert response.status_code == 413, response.text
        assert response.json()["code"] == "upload_too_large" and response.json()["params"]["max_mb"] == 1
    assert api_server.head() == before


@pytest.mark.parametrize("filters", [{}, {"account_id": "ENT-0001-H"}, {"date_from": "2025-01-01"},
                                     {"date_to": "2024-12-31"}, {"contract": "hz"}, {"contract": "%"},
                                     {"account_id": "COL-0001-H", "date_from": "2020-01-01", "date_to": "2030-12-31"}])
def test_sales_pages_match_the_clerks_list(api_server, filters):  # type: ignore[no-untyped-def]
    """The API's sales, filtered and paged by the database, are the trading centre page's list
    (:func:`sinkledger.services.queries.sales`), page after page."""
    from sinkledger.services import queries

    expected = queries.sales(api_server.service, **filters)
    got: list = []  # type: ignore[type-arg]
    with api_server.client(api_server.key("trading_clerk")) as http:
        offset: int | None = 0
        while offset is not None:
            page = http.get("/v1/sales", params={**filters, "limit": 7, "offset": offset}).json()
            assert page["total"] == len(expected)
            got += page["items"]
            offset = page["next_offset"]
    assert got == expected


def test_retirement_pages_match_the_registry(api_server):  # type: ignore[no-untyped-def]
    """Retirements paged by the database are the service's whole list, in order, page after page."""
    from sinkledger.services import queries

    expected = queries.retirements(api_server.service)
    got: list = []  # type: ignore[type-arg]
    with api_server.client(api_server.key("trading_clerk")) as http:
        offset: int | None = 0
        while offset is not None:
            page = http.get("/v1/retirements", params={"limit": 3, "offset": offset}).json()
            got += page["items"]
            offset = page["next_offset"]
    assert got == expected and expected
