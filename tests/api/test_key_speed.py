"""A key check writes nothing per request (issue 18, point 5), and keeps every guarantee
docs/api.md states ("What a key check costs"): a keyed read answers while another writer holds
the database's write lock (SQLite) or the key's row (PostgreSQL); a revoked key is refused at its
next request on every instance; the rate limit is shared by instances behind one database; the
use log is written every flush interval, by a request that finds the queue full, and completely
at shutdown. The public registry is rate-limited per client address. Every answer carries
``Server-Timing``."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from sinkledger.services import admin as admin_service
from sinkledger.services import apikeys
from tests.api.conftest import BURST, LOG_WAIT_S, RATE_PER_MINUTE, Server

LOCK_HELD_S = 3  # how long the test holds the lock a key check must not wait for


@contextmanager
def another_server(api_server, tmp_path: Path, **env: str) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    """A second instance over the same database, with some settings of its own."""
    server = Server({**api_server.env, **env}, tmp_path)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def writer_holding(api_server, key: str) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Another writer in the middle of a transaction: SQLite's one write lock, or on PostgreSQL
    the key's own row locked (what the old per-request bucket update waited for)."""
    db = api_server.service.db
    if db.is_sqlite:
        with db.write():  # BEGIN IMMEDIATE; nothing written
            yield
        return
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1 FROM api_key WHERE key_id = :k FOR UPDATE"), {"k": key.split("_")[1]})
        try:
            yield
        finally:
            conn.rollback()


def test_a_keyed_read_waits_for_no_writer(api_server):  # type: ignore[no-untyped-def]
    """Given a key, when another writer holds the write lock (SQLite) or the key's row
    (PostgreSQL) for seconds, then reads with the key answer at once, and their uses reach the log
    after the writer lets go."""
    key = api_server.key("trading_clerk")
    with api_server.client(key) as http, writer_holding(api_server, key):
        started = time.monotonic()
        answers = [http.get("/v1/accounts/COL-0001-H/balance") for _ in range(5)]
        took_s = time.monotonic() - started
    assert [a.status_code for a in answers] == [200] * 5, answers[0].text
    assert took_s < LOCK_HELD_S, f"the keyed reads waited {took_s:.1f} s for the writer"
    assert [u["event"] for u in api_server.uses(key, 5)] == ["used"] * 5


def test_a_revoked_key_is_refused_by_every_instance_at_once(api_server, tmp_path):  # type: ignore[no-untyped-def]
    key = api_server.key("bank")
    with another_server(api_server, tmp_path) as second, api_server.client(key) as one, second.client(key) as two:
        assert one.get("/v1/whoami").status_code == 200 and two.get("/v1/whoami").status_code == 200
        apikeys.revoke_key(api_server.service, api_server.service.actor("admin"), key_id=key.split("_")[1])
        assert one.get("/v1/whoami").json()["code"] == "api_key_revoked"
        assert two.get("/v1/whoami").json()["code"] == "api_key_revoked"


def test_a_deactivated_users_key_stops_at_once(api_server):  # type: ignore[no-untyped-def]
    svc = api_server.service
    admin = svc.actor("admin")
    username = f"bank-{uuid.uuid4().hex[:8]}"
    admin_service.create_user(svc, admin, str(uuid.uuid4()), username=username, password="long-enough-1",
                              role="bank", party_id="BANK-0001", display_name="测试银行")
    key = apikeys.create_key(svc, admin, username=username)["key"]
    with api_server.client(key) as http:
        assert http.get("/v1/whoami").status_code == 200
        admin_service.set_active(svc, admin, str(uuid.uuid4()), username=username, active=False)
        assert http.get("/v1/whoami").json()["code"] == "api_key_invalid"
    assert api_server.uses(key, 2)[0]["event"] == "user_inactive"


def test_the_rate_limit_is_shared_by_instances(api_server, tmp_path):  # type: ignore[no-untyped-def]
    """Given one key on two instances, when the first empties its bucket, then once the first
    has written what it spent (one flush interval), the second admits no more than the rate has
    refilled since."""
    key = api_server.key("court")
    with another_server(api_server, tmp_path) as second:
        started = time.monotonic()
        with api_server.client(key) as one:
            first = [one.get("/v1/whoami").status_code for _ in range(BURST + 5)]
        assert first.count(200) == BURST and first.count(429) == 5
        assert len(api_server.uses(key, BURST + 5)) == BURST + 5  # written: the bucket with it
        with second.client(key) as two:
            then = [two.get("/v1/whoami") for _ in range(10)]
        refilled = math.ceil((time.monotonic() - started) * RATE_PER_MINUTE / 60)
    admitted = [r.status_code for r in then].count(200)
    assert admitted <= refilled, (admitted, refilled)
    limited = next(r for r in then if r.status_code == 429)
    assert limited.json()["code"] == "api_rate_limited" and int(limited.headers["retry-after"]) >= 1


def test_the_use_log_is_bounded_in_memory_and_complete_after_shutdown(api_server, tmp_path):  # type: ignore[no-untyped-def]
    """Given an instance that would write its log only every ten minutes and holds at most 10
    unwritten rows, when a key makes 25 requests, then 20 are written while it runs (a request
    finding the queue full writes it), and all 25, in order, once it has shut down."""
    key = api_server.key("insurer")
    with another_server(api_server, tmp_path, SINKLEDGER_API_FLUSH_MS="600000",
                        SINKLEDGER_API_LOG_BUFFER_ROWS="10") as server:
        with server.client(key) as http:
            paths = [f"/v1/sales/{900000 + n}" for n in range(25)]
            for path in paths:
                assert http.get(path).status_code == 404
        time.sleep(LOG_WAIT_S / 10)
        assert len(apikeys.uses(api_server.service, api_server.service.actor("admin"), key_id=key.split("_")[1],
                                limit=100)) == 20
    logged = apikeys.uses(api_server.service, api_server.service.actor("admin"), key_id=key.split("_")[1], limit=100)
    assert [u["path"] for u in logged] == paths[::-1] and {u["event"] for u in logged} == {"used"}
    listed = next(k for k in apikeys.keys(api_server.service, api_server.service.actor("admin"))
                  if k["key_id"] == key.split("_")[1])
    assert listed["last_used_at"] == logged[0]["at"]


def test_a_refusal_writes_nothing_either(api_server):  # type: ignore[no-untyped-def]
    """Unknown keys and wrong secrets are queued too: a flood of them takes no write lock per
    request, and each is in the log within the flush interval."""
    key = api_server.key("verifier")
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    with api_server.client(forged) as http, writer_holding(api_server, key):
        started = time.monotonic()
        codes = [http.get("/v1/whoami").json()["code"] for _ in range(5)]
        assert time.monotonic() - started < LOCK_HELD_S
    assert codes == ["api_key_invalid"] * 5
    assert [u["event"] for u in api_server.uses(key, 5)] == ["wrong_secret"] * 5


def _public_problem(response: Any) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "public_rate_limited" and body["message_zh"] and body["message_en"]
    assert int(response.headers["retry-after"]) == body["params"]["retry_after_s"] >= 1
    return body


def test_the_public_registry_is_rate_limited_per_address(api_server, tmp_path):  # type: ignore[no-untyped-def]
    """Given an instance allowing 5 public requests at once and 60 a minute per address, when one
    address asks 8 times at once, then 5 answer and 3 are 429 problem documents with Retry-After;
    another address and the keyed API are not held back."""
    with another_server(api_server, tmp_path, SINKLEDGER_PUBLIC_BURST="5", SINKLEDGER_PUBLIC_RATE_PER_MINUTE="60",
                        SINKLEDGER_TRUSTED_PROXIES="127.0.0.1") as server:
        with server.client(**{"X-Forwarded-For": "203.0.113.7"}) as first:
            answers = [first.get("/public/projects?limit=1") for _ in range(8)]
            assert [a.status_code for a in answers].count(200) == 5, [a.status_code for a in answers]
            _public_problem(answers[-1])
        with server.client(**{"X-Forwarded-For": "203.0.113.8"}) as other:
            assert other.get("/public/projects?limit=1").status_code == 200
        with server.client(api_server.key("trading_clerk"), **{"X-Forwarded-For": "203.0.113.7"}) as keyed:
            assert keyed.get("/v1/whoami").status_code == 200
        time.sleep(1.1)  # the rate refills one request a second
        with server.client(**{"X-Forwarded-For": "203.0.113.7"}) as first:
            assert first.get("/public/projects?limit=1").status_code == 200


@pytest.mark.parametrize("path", ["/health", "/v1/whoami", "/public/projects?limit=1"])
def test_every_answer_says_its_server_time(api_server, path):  # type: ignore[no-untyped-def]
    with api_server.client(api_server.key("trading_clerk")) as http:
        response = http.get(path)
    timings = dict(part.strip().split(";dur=") for part in response.headers["server-timing"].split(","))
    assert response.status_code == 200 and set(timings) == {"app", "cpu"}
    assert 0 < float(timings["app"]) < 60_000 and 0 <= float(timings["cpu"]) < 60_000

