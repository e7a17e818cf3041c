"""The commands' fast path (sinkledger/api/fast.py) answers exactly as FastAPI does.

Two servers over two copies of one seeded SQLite world, each a real uvicorn on 127.0.0.1: one
with the fast path, one with every request left to FastAPI (``create_app(fast_commands=False)``).
The same requests, in the same order, go to both; their answers must agree in status, media
type, headers that matter and body (the entry's time and hash aside, which differ by the clock).
PostgreSQL runs the fast path through the worker threads: every other API test drives it there
(tests/api/conftest.py's server has it on, as an operator's has).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from sinkledger.api import deps
from sinkledger.api.app import ROUTERS, create_app
from sinkledger.api.fast import command_routes, post_routes
from sinkledger.config import load_settings
from tests.api.conftest import Threaded
from tests.public_world import sqlite_world_template  # noqa: F401 - fixture

VOLATILE = {"recorded_at", "entry_hash", "issued_at", "created_at"}  # the clock's, not the request's
SALE = {"seller_account": "COL-0001-H", "buyer_account": "ENT-0001-H", "quantity": 1, "price_fen_per_t": 6800,
        "contract_no": "FAST-1（合成）"}


class Served:
    def __init__(self, folder: Path, template: dict[str, Any], fast: bool) -> None:
        from sinkledger.services import apikeys
        from sinkledger.services.registry import Service

        shutil.copyfile(template["path"], folder / "public.db")
        self.service = Service.open(load_settings({"DATABASE_URL": f"sqlite:///{folder / 'public.db'}",
                                                   "SINKLEDGER_HOME": str(folder)}))
        admin = self.service.actor("admin")
        self.keys = {user: apikeys.create_key(self.service, admin, username=user)["key"]
                     for user in ("clerk", "bank", "enterprise", "court")}
        self.served = Threaded(create_app(self.service, fast_commands=fast))
        self.http = httpx.Client(base_url=self.served.url, timeout=30)

    def post(self, path: str, *, user: str | None, content: bytes | None = None, json: Any = None,
             headers: dict[str, str] | None = None) -> httpx.Response:
        sent = dict(headers or {})
        if user is not None:
            sent["Authorization"] = f"Bearer {self.keys[user]}"
        return self.http.post(path, content=content, json=json, headers=sent)

    def stop(self) -> None:
        self.http.close()
        self.served.stop()
        self.service.db.dispose()


@pytest.fixture(scope="module")
def pair(sqlite_world_template, tmp_path_factory) -> Iterator[tuple[Served, Served]]:  # noqa: F811
    fast = Served(tmp_path_factory.mktemp("fast"), sqlite_world_template, fast=True)
    plain = Served(tmp_path_factory.mktemp("plain"), sqlite_world_template, fast=False)
    yield fast, plain
    fast.stop()
    plain.stop()


def _comparable(response: httpx.Response) -> tuple[Any, ...]:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        body = {k: ("<volatile>" if k in VOLATILE else v) for k, v in body.items()}
        if "error_id" in body.get("params", {}):
            body = {**body, "detail": None, "message_zh": None, "message_en": None, "params": None}
    headers = {k: response.headers.get(k) for k in ("content-type", "www-authenticate", "retry-after")}
    return response.status_code, headers, body


# (status, name, path, user, how the body is sent, extra headers): valid commands, and every way of
# getting one wrong that the fast path must hand to FastAPI or refuse as FastAPI does.
CASES: list[tuple[int, str, str, str | None, dict[str, Any], dict[str, str]]] = [
    (201, "sale", "/v1/sales", "clerk", {"json": SALE}, {"Idempotency-Key": "fast-sale-1"}),
    (201, "the same sale retried", "/v1/sales", "clerk", {"json": SALE}, {"Idempotency-Key": "fast-sale-1"}),
    (409, "the key reused for another body", "/v1/sales", "clerk", {"json": {**SALE, "quantity": 2}},
     {"Idempotency-Key": "fast-sale-1"}),
    (409, "an overdraft", "/v1/sales", "clerk", {"json": {**SALE, "quantity": 10**9}}, {}),
    (403, "a role that may not sell", "/v1/sales", "enterprise", {"json": SALE}, {}),
    (401, "no key", "/v1/sales", None, {"json": SALE}, {}),
    (401, "a made-up key", "/v1/sales", None, {"json": SALE}, {"Authorization": "Bearer slk_000000000000_nothing"}),
    (401, "another scheme", "/v1/sales", None, {"json": SALE}, {"Authorization": "Basic Y2xlcms6ZGVtbw=="}),
    (422, "a bad idempotency key", "/v1/sales", "clerk", {"json": SALE}, {"Idempotency-Key": "k" * 201}),
    (422, "a missing field", "/v1/sales", "clerk", {"json": {k: v for k, v in SALE.items() if k != "quantity"}}, {}),
    (422, "an unknown field", "/v1/sales", "clerk", {"json": {**SALE, "discount": 1}}, {}),
    (422, "a text for a number", "/v1/sales", "clerk", {"json": {**SALE, "quantity": "1"}}, {}),
    (422, "a fraction", "/v1/sales", "clerk", {"json": {**SALE, "quantity": 1.5}}, {}),
    (422, "a boolean", "/v1/sales", "clerk", {"json": {**SALE, "quantity": True}}, {}),
    (422, "a list body", "/v1/sales", "clerk", {"json": [SALE]}, {}),
    (422, "no body", "/v1/sales", "clerk", {"content": b""}, {"Content-Type": "application/json"}),
    (422, "broken JSON", "/v1/sales", "clerk", {"content": b'{"quantity": '}, {"Content-Type": "application/json"}),
    (422, "NaN", "/v1/sales", "clerk", {"content": b'{"quantity": NaN}'}, {"Content-Type": "application/json"}),
    (422, "JSON as text/plain", "/v1/sales", "clerk", {"content": b"{}"}, {"Content-Type": "text/plain"}),
    (201, "JSON with a charset", "/v1/sales", "clerk",
     {"content": b'{"seller_account": "COL-0001-H", "buyer_account": "ENT-0001-H", "quantity": 1, '
                 b'"price_fen_per_t": 6800, "contract_no": "FAST-2"}'},
     {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": "fast-sale-2"}),
    (422, "English refusal", "/v1/sales", "clerk", {"json": {**SALE, "quantity": 0}}, {"Accept-Language": "en"}),
    (201, "a pledge", "/v1/pledges", "bank",
     {"json": {"account_id": "COL-0001-H", "quantity": 1, "loan_reference": "FAST-L1", "loan_amount_fen": 1000,
               "term_end": "2027-06-30"}}, {"Idempotency-Key": "fast-pledge-1"}),
    (404, "an unknown pledge's release", "/v1/pledges/PL-NOPE/release", "bank", {}, {}),
    (404, "a release with a body it ignores", "/v1/pledges/PL-NOPE/release", "bank", {"json": {"x": 1}}, {}),
    (201, "a retirement", "/v1/retirements", "enterprise",
     {"json": {"account_id": "ENT-0001-H", "quantity": 1, "beneficiary": "示例企业（合成）", "purpose": "测试"}},
     {"Idempotency-Key": "fast-retire-1"}),
    (404, "a path with an encoded slash", "/v1/pledges/a%2Fb/release", "bank", {}, {}),
    (404, "a court certificate of an unknown order", "/v1/court/orders/NOPE/certificate", "court", {}, {}),
]


def test_every_json_command_takes_the_fast_path() -> None:
    """Every POST endpoint taking JSON (or nothing) is answered by the fast path; the ones left
    to FastAPI are exactly the uploads."""
    fast = {c.path_regex.pattern for c in command_routes(ROUTERS)}
    left = [pattern.pattern for pattern, command in post_routes(ROUTERS) if command is None]
    assert "^/v1/sales$" in fast and "^/v1/pledges/(?P<pledge_id>[^/]+)/release$" in fast
    assert all(p.endswith(("/documents$", r"/parcel\-imports$")) for p in left), left


def test_the_fast_path_answers_as_fastapi_does(pair) -> None:  # type: ignore[no-untyped-def]
    fast, plain = pair
    for status, name, path, user, body, headers in CASES:
        answers = [server.post(path, user=user, headers=headers, **body) for server in (fast, plain)]
        assert answers[0].status_code == status, (name, answers[0].text)
        assert _comparable(answers[0]) == _comparable(answers[1]), name
    # what was recorded is the same too: the same sales, pledges and retirements, in the same order
    for table in ("sale", "pledge", "retirement"):
        rows = []
        for server in (fast, plain):
            with server.service.db.engine.connect() as conn:
                from sqlalchemy import text

                rows.append(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar())
        assert rows[0] == rows[1], table
    assert fast.service.verify().ok and plain.service.verify().ok


def test_the_fast_path_writes_the_key_use_log(pair) -> None:  # type: ignore[no-untyped-def]
    """A command on the fast path is a key use like any other: logged once, counted once."""
    from sinkledger.services import apikeys

    fast, _ = pair
    key = apikeys.create_key(fast.service, fast.service.actor("admin"), username="clerk")
    response = fast.http.post("/v1/sales", json={**SALE, "contract_no": "FAST-LOG"},
                              headers={"Authorization": f"Bearer {key['key']}"})
    assert response.status_code == 201, response.text
    deadline = time.monotonic() + 15
    while True:
        logged = apikeys.uses(fast.service, fast.service.actor("admin"), key_id=key["key_id"])
        if logged or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [(u["method"], u["path"], u["event"]) for u in logged] == [("POST", "/v1/sales", "used")]


@settings(max_examples=500)
@given(path=st.text(min_size=1, max_size=40).map(lambda t: "/" + t))
def test_the_logged_path_is_the_requests_url_path(path: str) -> None:
    """The key-use log's path is read from the scope without building the URL: the same text."""
    scope = {"type": "http", "method": "POST", "path": path, "query_string": b"a=1", "scheme": "http",
             "server": ("127.0.0.1", 80), "headers": [(b"host", b"example.test")]}
    assert deps.logged_path(scope) == Request(scope).url.path
