"""Keys over HTTP: no key, a malformed, unknown or revoked one is refused 401 problem+json with
``WWW-Authenticate``; a key acts as its user (or its own actor); an empty bucket is 429 with
``Retry-After``; every use and every refusal is in the key-use log; the key is stored only as a
hash."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from sinkledger.services import apikeys
from sinkledger_base.errors import InvalidInput, NotFound, NotPermitted
from tests.api.conftest import BURST


def _problem(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code and body["type"] == f"/problems/{code}" and body["status"] == status
    assert body["message_zh"] and body["message_en"] and body["detail"] == body["message_zh"]
    return body


@pytest.mark.parametrize(("header", "code"), [
    (None, "api_key_missing"), ("Bearer", "api_key_missing"), ("Basic YWRtaW46ZGVtbzEyMzQ=", "api_key_missing"),
    ("Bearer not-a-key", "api_key_invalid"), ("Bearer slk_000000000000_" + "A" * 43, "api_key_invalid")])
def test_no_key_or_a_bad_one_is_401(api_server, header, code):  # type: ignore[no-untyped-def]
    headers = {"Authorization": header} if header is not None else {}
    with api_server.client(**headers) as http:
        response = http.get("/v1/whoami")
    body = _problem(response, 401, code)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert body["instance"] == "/v1/whoami"


def test_a_key_with_the_wrong_secret_is_refused_and_logged(api_server):  # type: ignore[no-untyped-def]
    key = api_server.key("bank")
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    with api_server.client(forged) as http:
        _problem(http.get("/v1/whoami"), 401, "api_key_invalid")
    assert api_server.uses(key, 1)[0]["event"] == "wrong_secret"


def test_a_key_acts_as_its_user_and_its_use_is_logged(api_server):  # type: ignore[no-untyped-def]
    key = api_server.key("court")
    with api_server.client(key, **{"Accept-Language": "en-GB,en;q=0.9"}) as http:
        me = http.get("/v1/whoami").json()
        refused = http.get("/v1/sales/999999999")  # no such sale: English detail asked for
    assert me == {"username": "court", "role": "court", "party_id": "COURT-DQ"}
    body = _problem_en(refused)
    assert body["code"] == "entry_not_found" and body["params"] == {"seq": 999999999}
    key_id = key.split("_")[1]
    admin = api_server.service.actor("admin")
    logged = api_server.uses(key, 2)
    assert [(u["method"], u["path"], u["event"]) for u in logged] == [
        ("GET", "/v1/sales/999999999", "used"), ("GET", "/v1/whoami", "used")]
    listed = next(k for k in apikeys.keys(api_server.service, admin) if k["key_id"] == key_id)
    assert listed["last_used_at"] is not None and "key" not in listed and "secret_hash" not in listed


def _problem_en(response) -> dict:  # type: ignore[no-untyped-def,type-arg]
    body = response.json()
    assert response.status_code == 404 and body["detail"] == body["message_en"]
    return body


def test_the_key_is_stored_only_as_its_hash(api_server):  # type: ignore[no-untyped-def]
    admin = api_server.service.actor("admin")
    made = apikeys.create_key(api_server.service, admin, party_id="ENT-0002", role="enterprise", label="ERP")
    assert made["username"] == f"api-{made['key_id']}" and not made["acts_as_user"]
    with api_server.service.db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM api_key WHERE key_id = :k"), {"k": made["key_id"]}).mappings().one()
    assert made["key"] not in {str(v) for v in row.values()}
    assert row["secret_hash"] == hashlib.sha256(made["key"].encode()).hexdigest()
    with api_server.client(made["key"]) as http:  # its own actor, with the key's role and party
        assert http.get("/v1/whoami").json() == {"username": made["username"], "role": "enterprise",
                                                 "party_id": "ENT-0002"}


def test_a_revoked_key_is_refused_at_its_next_use(api_server):  # type: ignore[no-untyped-def]
    key = api_server.key("insurer")
    with api_server.client(key) as http:
        assert http.get("/v1/whoami").status_code == 200
        admin = api_server.service.actor("admin")
        first = apikeys.revoke_key(api_server.service, admin, key_id=key.split("_")[1])
        again = apikeys.revoke_key(api_server.service, admin, key_id=key.split("_")[1])
        assert first == again and first["revoked_by"] == "admin"
        body = _problem(http.get("/v1/whoami"), 401, "api_key_revoked")
    assert body["params"]["key_id"] == first["key_id"]


def test_an_empty_bucket_is_429_with_retry_after(api_server):  # type: ignore[no-untyped-def]
    """Given a key, when it makes more requests at once than the burst, then the ones beyond it
    are refused 429 with Retry-After (seconds), logged ``rate_limited``; other keys are not held back."""
    key = api_server.key("verifier")
    statuses = []
    with api_server.client(key) as http:
        for _ in range(BURST + 5):
            statuses.append(http.get("/v1/whoami"))
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    assert sum(r.status_code == 200 for r in statuses) >= BURST
    body = _problem(limited[0], 429, "api_rate_limited")
    assert int(limited[0].headers["retry-after"]) == body["params"]["retry_after_s"] >= 1
    with api_server.client(api_server.key("verifier")) as other:
        assert other.get("/v1/whoami").status_code == 200
    logged = api_server.uses(key, len(statuses))
    assert len(logged) == len(statuses) and {u["event"] for u in logged} == {"used", "rate_limited"}


def test_keys_are_the_administrators_and_checked(api_server):  # type: ignore[no-untyped-def]
    svc = api_server.service
    with pytest.raises(NotPermitted):
        apikeys.create_key(svc, svc.actor("clerk"), party_id="TRADE-HZ", role="trading_clerk")
    admin = svc.actor("admin")
    for bad, error in [({"party_id": "NOPE", "role": "bank"}, NotFound),
                       ({"party_id": "BANK-0001", "role": "king"}, InvalidInput),
                       ({"party_id": "BANK-0001", "role": "public"}, InvalidInput),
                       ({"username": "bank", "role": "insurer"}, InvalidInput),
                       ({"username": "nobody"}, NotFound)]:
        with pytest.raises(error):
            apikeys.create_key(svc, admin, **bad)
    with pytest.raises(NotFound):
        apikeys.revoke_key(svc, admin, key_id="0123456789ab")
    with pytest.raises(InvalidInput):
        apikeys.revoke_key(svc, admin, key_id="../etc")


@pytest.mark.parametrize("fails", [False, True])
def test_a_check_while_the_buckets_are_written_counts_the_spending_once(api_server, fails):  # type: ignore[no-untyped-def]
    """Given a key with one request left in its bucket, when it is checked while its spending is
    being written (after the commit, before the writer has taken it off what it holds, or while a
    write fails), then the request is allowed, and the next one is refused: spent once, never
    twice, never lost."""
    service = api_server.service
    import dataclasses

    gate = apikeys.KeyGate(service, background=False)
    gate.limits = dataclasses.replace(gate.limits, rate_per_minute=1)  # no refill to speak of within the test
    key = api_server.key("verifier")
    try:
        burst = gate.limits.burst
        for _ in range(burst - 1):
            gate.check(key, client="test", method="GET", path="/v1/whoami")
        seen = []
        real_write = gate._write

        def write_then_check(queue, spent, now):  # type: ignore[no-untyped-def]
            written = None if fails else real_write(queue, spent, now)
            seen.append(gate.check(key, client="test", method="GET", path="/v1/whoami"))  # the last token
            if fails:
                raise OSError("the database went away")
            return written

        gate._write = write_then_check  # type: ignore[method-assign]
        if fails:
            with pytest.raises(OSError):
                gate.flush()
        else:
            assert gate.flush() == burst - 1
        gate._write = real_write  # type: ignore[method-assign]
        assert len(seen) == 1 and seen[0].username == "verifier"
        with pytest.raises(Exception) as refused:  # the bucket is now empty
            gate.check(key, client="test", method="GET", path="/v1/whoami")
        assert getattr(refused.value, "code", None) == "api_rate_limited"
        gate.flush()  # whatever was kept (the failed write's uses and spending) is written now
        with service.db.engine.connect() as conn:
            bucket = conn.execute(text("SELECT bucket_milli FROM api_key WHERE key_id = :k"),
                                  {"k": key.split("_")[1]}).scalar()
        assert bucket < 1000  # every request's thousandth written once: below one request
    finally:
        gate.close()


def test_two_instances_flushing_out_of_order_move_the_stamp_forward_and_refill_once(api_server, monkeypatch):  # type: ignore[no-untyped-def]
    """Given two API processes (two gates) that each spent a request of the same key, when the
    one whose flush began later writes first and the other writes after it (it waited for the
    row's lock, or its clock is behind), then the row's stamp never goes back, and the time
    between the two flushes is refilled once, not twice."""
    import dataclasses
    from datetime import datetime, timedelta, timezone

    service = api_server.service
    key = api_server.key("verifier")
    key_id = key.split("_")[1]
    base = datetime(2031, 5, 1, 8, 0, tzinfo=timezone.utc)  # after the key's last stamp, whatever the test's clock
    first, second = apikeys.KeyGate(service, background=False), apikeys.KeyGate(service, background=False)
    for gate in (first, second):
        gate.limits = dataclasses.replace(gate.limits, rate_per_minute=60)  # one request a second
    clock = {"now": base}
    monkeypatch.setattr(apikeys, "utc_now", lambda: clock["now"])

    def row() -> tuple[int, str]:
        with service.db.engine.connect() as conn:
            return tuple(conn.execute(text("SELECT bucket_milli, bucket_at FROM api_key WHERE key_id = :k"),
                                      {"k": key_id}).one())  # type: ignore[return-value]

    try:
        first.check(key, client="a", method="GET", path="/v1/whoami", now=base)
        second.check(key, client="b", method="GET", path="/v1/whoami", now=base)
        clock["now"] = base
        first.flush()  # writes the full bucket less one, stamped at base
        assert row() == (first.limits.burst * 1000 - 1000, apikeys.utc_text(base))
        clock["now"] = base + timedelta(seconds=10)
        second.check(key, client="b", method="GET", path="/v1/whoami", now=clock["now"])
        second.flush()  # stamped base + 10 s: ten seconds refilled (up to the burst), two spent
        milli_b, at_b = row()
        assert at_b == apikeys.utc_text(base + timedelta(seconds=10))
        first.check(key, client="a", method="GET", path="/v1/whoami", now=base + timedelta(seconds=5))
        clock["now"] = base + timedelta(seconds=5)  # the first instance's flush, its clock behind
        first.flush()
        milli_a, at_a = row()
        assert at_a > at_b  # forward only: a microsecond after the later stamp
        assert at_a == apikeys.utc_text(base + timedelta(seconds=10, microseconds=1))
        assert milli_a == milli_b - 1000  # its one request spent, nothing refilled again
    finally:
        first.close()
        second.close()
