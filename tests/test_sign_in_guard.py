"""Sign-in that resists guessing (issue 16, point 4): growing waits and lock-outs per user name
and per client, kept in the database; a success resets the name's counter; unknown names lock
the same way; refusals cost the same for known and unknown names; every failure is logged; the
administrator sees the locks and lifts them (service and CLI). The clock is passed in (``now``),
never slept on. Both backends."""

from __future__ import annotations

import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlmodel import select

from sinkledger import catalogue
from sinkledger.cli.main import main as cli
from sinkledger.config import SignInLimits, load_settings, sign_in_limits_from_env
from sinkledger.services import admin, signin_guard
from sinkledger_base.errors import InvalidInput, NotFound, NotPermitted
from sinkledger_base.local_time import utc_text

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
RIGHT, WRONG = "right-password-1", "wrong-password"


@pytest.fixture
def users(service):  # type: ignore[no-untyped-def]
    service.create_user(username="boss", password="boss-password", role="admin", party_id="REGISTRY",
                        display_name="管理员")
    service.create_user(username="alice", password=RIGHT, role="bank", party_id="REGISTRY", display_name="Alice")
    service.create_user(username="bob", password=RIGHT, role="bank", party_id="REGISTRY", display_name="Bob")
    return service


def refused(service, name, password, *, client="198.51.100.7", now=T0):  # type: ignore[no-untyped-def]
    with pytest.raises(NotPermitted) as exc:
        service.authenticate(name, password, client=client, now=now)
    return exc.value


def test_five_failures_lock_the_name_even_for_the_right_password_until_the_wait_is_over(users) -> None:
    for i in range(5):
        assert refused(users, "alice", WRONG, now=T0 + timedelta(seconds=i)).code == "credentials_invalid"
    last = T0 + timedelta(seconds=4)
    locked = refused(users, "alice", RIGHT, now=last + timedelta(seconds=29))
    assert locked.code == "sign_in_locked" and locked.params["wait_s"] == 1
    assert locked.params["retry_at"] == "2026-12-04 16:00:34 (UTC+8)"  # T0 is UTC; people read Shanghai time
    zh, en = catalogue.messages(locked)
    assert "16:00:34" in zh and "16:00:34" in en and "1" in en
    # a refused locked attempt does not count: once the 30 s are over, the right password works
    assert users.authenticate("alice", RIGHT, client="198.51.100.7", now=last + timedelta(seconds=30)).username == "alice"


def test_the_wait_doubles_with_each_failure_and_is_capped(users) -> None:
    boss, now, waits = users.actor("boss"), T0, []
    for _ in range(12):
        assert refused(users, "alice", WRONG, now=now).code == "credentials_invalid"
        held = {k["subject"]: k for k in signin_guard.locks(users, boss, now=now)}
        wait = (datetime.fromisoformat(held["alice"]["locked_until"]) - now).total_seconds() if held else 0
        waits.append(wait)
        if wait:  # one second early the name is still locked
            assert refused(users, "alice", RIGHT, now=now + timedelta(seconds=wait - 1)).code == "sign_in_locked"
        now += timedelta(seconds=wait)
    assert waits == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]


def test_a_success_resets_the_name_and_another_name_is_not_held_back(users) -> None:
    for i in range(4):
        refused(users, "alice", WRONG, now=T0 + timedelta(seconds=i))
    assert users.authenticate("alice", RIGHT, client="198.51.100.7", now=T0 + timedelta(seconds=5)).username == "alice"
    for i in range(4):  # four more failures: still no wait, the counter started again
        assert refused(users, "alice", WRONG, now=T0 + timedelta(seconds=10 + i)).code == "credentials_invalid"
    for i in range(5):
        refused(users, "bob", WRONG, now=T0 + timedelta(seconds=20 + i))
    assert refused(users, "bob", RIGHT, now=T0 + timedelta(seconds=25)).code == "sign_in_locked"
    assert users.authenticate("alice", RIGHT, client="198.51.100.7", now=T0 + timedelta(seconds=26)).username == "alice"


def test_an_unknown_name_locks_exactly_like_an_existing_one(users) -> None:
    answers = {}
    for name in ("alice", "nobody-here"):
        codes, waits = [], []
        for i in range(7):
            exc = refused(users, name, WRONG, client=f"203.0.113.{len(answers)}", now=T0 + timedelta(seconds=i))
            codes.append(exc.code)
            waits.append(exc.params.get("wait_s"))
        answers[name] = (codes, waits)
    assert answers["alice"] == answers["nobody-here"]
    assert answers["alice"][0] == ["credentials_invalid"] * 5 + ["sign_in_locked"] * 2


def test_a_client_failing_across_names_is_held_back(users) -> None:
    attacker, now = "192.0.2.66", T0
    for i in range(20):  # 20 names, 1 failure each: no name reaches its own threshold
        assert refused(users, f"guess-{i}", WRONG, client=attacker, now=now).code == "credentials_invalid"
    locked = refused(users, "alice", RIGHT, client=attacker, now=now + timedelta(seconds=1))
    assert locked.code == "sign_in_locked" and locked.params["wait_s"] == 29
    # another client signs alice in at once; the attacker's address waits out its 30 s
    assert users.authenticate("alice", RIGHT, client="198.51.100.8", now=now).username == "alice"
    assert users.authenticate("alice", RIGHT, client=attacker, now=now + timedelta(seconds=30)).username == "alice"
    # a success does not wipe the client's own counter: the next failure waits 60 s
    refused(users, "guess-x", WRONG, client=attacker, now=now + timedelta(seconds=31))
    assert refused(users, "bob", RIGHT, client=attacker, now=now + timedelta(seconds=32)).params["wait_s"] == 59


def test_parallel_attempts_cannot_slip_past_the_limit(users) -> None:
    """Twelve wrong guesses at once (as from several app instances): exactly five are checked,
    the others are refused as locked, because each attempt is counted before its password is."""
    def guess(i: int) -> str:
        try:
            users.authenticate("alice", WRONG, client=f"10.0.0.{i}", now=T0)
        except NotPermitted as exc:
            return exc.code
        return "signed in"

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(guess, range(12)))
    assert sorted(codes) == ["credentials_invalid"] * 5 + ["sign_in_locked"] * 7


def test_counters_are_forgotten_after_a_quiet_while(users) -> None:
    for i in range(5):
        refused(users, "alice", WRONG, now=T0 + timedelta(seconds=i))
    for name in ("made-up-1", "made-up-2"):
        refused(users, name, WRONG, now=T0)
    later = T0 + timedelta(minutes=SignInLimits().forget_minutes, seconds=5)
    for i in range(4):
        assert refused(users, "alice", WRONG, now=later + timedelta(seconds=i)).code == "credentials_invalid"
    with users.db.read() as s:  # idle counters are deleted on the way: made-up names do not pile up
        kept = {(r.scope, r.subject) for r in s.exec(select(signin_guard.SignInGuardRow))}
    assert kept == {("user", "alice"), ("client", "198.51.100.7")}


def test_every_failure_is_logged_with_name_client_time_and_reason(users) -> None:
    boss = users.actor("boss")
    admin.set_active(users, boss, "deactivate-bob", username="bob", active=False)
    refused(users, "alice", WRONG, client="198.51.100.1", now=T0)
    refused(users, "ghost", WRONG, client="198.51.100.2", now=T0 + timedelta(seconds=1))
    refused(users, "bob", RIGHT, client="198.51.100.3", now=T0 + timedelta(seconds=2))
    refused(users, "alice", None, client="198.51.100.4", now=T0 + timedelta(seconds=3))  # type: ignore[arg-type]
    refused(users, "x" * 300, WRONG, client="198.51.100.5", now=T0 + timedelta(seconds=4))
    log = signin_guard.recent_failures(users, boss, limit=10)
    assert [(r["username"][:5], r["client"], r["event"]) for r in log] == [
        ("xxxxx", "198.51.100.5", "malformed"), ("alice", "198.51.100.4", "malformed"),
        ("bob", "198.51.100.3", "inactive_user"), ("ghost", "198.51.100.2", "unknown_user"),
        ("alice", "198.51.100.1", "wrong_password")]
    assert log[-1]["at"].startswith("2026-12-04T08:00:00") and len(log[0]["username"]) <= 64
    with pytest.raises(NotPermitted):
        signin_guard.recent_failures(users, users.actor("alice"))


def test_the_administrator_sees_and_lifts_locks_of_names_and_clients(users) -> None:
    boss = users.actor("boss")
    for i in range(5):
        refused(users, "alice", WRONG, client="192.0.2.1", now=T0 + timedelta(seconds=i))
    for i in range(20):
        refused(users, f"n{i}", WRONG, client="192.0.2.2", now=T0 + timedelta(seconds=i))
    locks = signin_guard.locks(users, boss, now=T0 + timedelta(seconds=20))
    assert {(k["scope"], k["subject"], k["locked"], k["known_user"]) for k in locks} == {
        ("user", "alice", True, True), ("client", "192.0.2.2", True, False)}
    with pytest.raises(NotPermitted):
        signin_guard.locks(users, users.actor("bob"))
    with pytest.raises(NotPermitted):
        signin_guard.unlock(users, users.actor("bob"), scope="user", subject="alice")
    out = signin_guard.unlock(users, boss, scope="user", subject="alice", now=T0 + timedelta(seconds=21))
    assert out == {"scope": "user", "subject": "alice", "failures": 5, "unlocked_by": "boss"}
    assert users.authenticate("alice", RIGHT, client="192.0.2.1", now=T0 + timedelta(seconds=22)).username == "alice"
    signin_guard.unlock(users, boss, scope="client", subject="192.0.2.2")
    assert users.authenticate("bob", RIGHT, client="192.0.2.2", now=T0 + timedelta(seconds=22)).username == "bob"
    with pytest.raises(NotFound) as exc:
        signin_guard.unlock(users, boss, scope="user", subject="alice")
    assert exc.value.code == "sign_in_lock_not_found"
    with pytest.raises(InvalidInput):
        signin_guard.unlock(users, boss, scope="planet", subject="alice")
    assert signin_guard.recent_failures(users, boss, limit=1)[0]["event"] == "unlocked"


def test_the_cli_lists_and_lifts_locks(users) -> None:
    url = users.settings.database_url
    for _ in range(6):  # the CLI's clock is the real one: lock with the real time (the 6th: locked)
        refused(users, "alice", WRONG, client="192.0.2.9", now=datetime.now(UTC))

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--database-url", url, "users", *args])

    listed = run("locked", "--actor", "boss", "--json")
    assert listed.exit_code == 0, listed.output
    assert [(k["scope"], k["subject"], k["locked"]) for k in json.loads(listed.output)] == [("user", "alice", True)]
    assert "alice" in run("locked", "--actor", "boss").output
    denied = run("unlock", "alice", "--actor", "alice", "--json")
    assert denied.exit_code == 2 and json.loads(denied.output)["error"]["code"] == "not_permitted"
    lifted = run("unlock", "alice", "--actor", "boss", "--json")
    assert lifted.exit_code == 0 and json.loads(lifted.output)["failures"] == 5
    again = run("unlock", "alice", "--actor", "boss", "--json")
    assert again.exit_code == 2 and json.loads(again.output)["error"]["code"] == "sign_in_lock_not_found"
    assert run("unlock", "192.0.2.9", "--client", "--actor", "boss").exit_code == 0  # its 5 failures forgotten
    failures = run("failures", "--actor", "boss", "--limit", "3", "--json")
    assert [r["event"] for r in json.loads(failures.output)] == ["unlocked", "unlocked", "locked"]
    assert users.authenticate("alice", RIGHT, client="192.0.2.9").username == "alice"


def test_refusals_cost_the_same_for_existing_and_unknown_names(users, monkeypatch) -> None:
    """Medians of several tries, with a hash costly enough to dominate (about 20 ms): an
    existing name refused and an unknown one take the same time within a factor of 2."""
    monkeypatch.setattr(admin, "HASHER", PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1))
    users.create_user(username="carol", password=RIGHT, role="bank", party_id="REGISTRY", display_name="Carol")
    users.settings = replace(users.settings, sign_in=replace(users.settings.sign_in, user_failures=1000,
                                                            client_failures=1000))
    times: dict[str, list[float]] = {"carol": [], "nobody": []}
    for i in range(9):
        for name in times:
            start = time.perf_counter()
            refused(users, name, WRONG, now=T0 + timedelta(seconds=i))
            times[name].append(time.perf_counter() - start)
    ratio = statistics.median(times["carol"]) / statistics.median(times["nobody"])
    assert 0.5 < ratio < 2, (ratio, times)


def test_client_address_trusts_only_the_configured_proxies() -> None:
    local = ("127.0.0.1/32", "::1/128")
    assert signin_guard.client_address(None, "203.0.113.5", local) == "203.0.113.5"
    assert signin_guard.client_address(None, "1.2.3.4, 203.0.113.5", local) == "203.0.113.5"  # spoofed left part
    assert signin_guard.client_address("198.51.100.9", "203.0.113.5", local) == "198.51.100.9"  # not a proxy
    assert signin_guard.client_address(None, "203.0.113.5", ()) == "127.0.0.1"
    assert signin_guard.client_address(None, "garbage", local) == "127.0.0.1"
    assert signin_guard.client_address("10.0.0.2", "2001:db8::1, 10.0.0.3", ("10.0.0.0/8",)) == "2001:db8::1"
    assert signin_guard.client_address(object(), "203.0.113.5", local) == "unknown"  # type: ignore[arg-type]
    assert signin_guard.client_address("not-an-ip", None, local) == signin_guard.UNKNOWN_CLIENT  # what authenticate accepts


@pytest.mark.parametrize("variable, value", [("SINKLEDGER_SIGNIN_USER_FAILURES", "0"),
                                             ("SINKLEDGER_SIGNIN_DELAY_SECONDS", "-3"),
                                             ("SINKLEDGER_SIGNIN_MAX_DELAY_SECONDS", "1e3"),
                                             ("SINKLEDGER_SIGNIN_FORGET_MINUTES", "99999999999"),
                                             ("SINKLEDGER_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")])
def test_bad_sign_in_settings_are_refused_at_start_up(variable, value) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as exc:
        load_settings({variable: value})
    assert exc.value.params["variable"] == variable
    zh, en = catalogue.messages(exc.value)
    assert variable in zh and variable in en


def test_sign_in_settings_have_documented_defaults() -> None:
    assert sign_in_limits_from_env({}) == SignInLimits(user_failures=5, client_failures=20, delay_s=30,
                                                       max_delay_s=900, forget_minutes=720, log_max_rows=100_000)
    assert sign_in_limits_from_env({"SINKLEDGER_SIGNIN_LOG_MAX_ROWS": "500"}).log_max_rows == 500
    assert sign_in_limits_from_env({"SINKLEDGER_TRUSTED_PROXIES": ""}).trusted_proxies == ()
    assert sign_in_limits_from_env({"SINKLEDGER_SIGNIN_CLIENT_FAILURES": " 50 "}).client_failures == 50


# -- h2: IPv6 clients by their /64, and a bounded log under a flood ---------------------------------

def test_an_ipv6_client_is_counted_by_its_64_network(users) -> None:
    """Given 20 failures from 20 different addresses of one IPv6 /64 (one address each, as a
    host that picks a fresh address per guess), then a 21st address of that /64 waits, even with
    the right password, while an address of the next /64 and IPv4 addresses (each its own
    counter) are not held back; the log keeps the full addresses; lifting the lock by any address
    of the /64 lifts it for the whole /64."""
    boss, now = users.actor("boss"), T0
    for i in range(20):
        assert refused(users, f"guess-{i}", WRONG, client=f"2001:db8:1:2::{i + 1:x}", now=now).code == \
            "credentials_invalid"
    locked = refused(users, "alice", RIGHT, client="2001:db8:1:2:ffff:ffff:ffff:fffe", now=now + timedelta(seconds=1))
    assert locked.code == "sign_in_locked"
    assert users.authenticate("alice", RIGHT, client="2001:db8:1:3::1", now=now + timedelta(seconds=1)).username == "alice"
    held = signin_guard.locks(users, boss, now=now + timedelta(seconds=1))
    assert [(k["scope"], k["subject"], k["failures"]) for k in held] == [("client", "2001:db8:1:2::/64", 20)]
    assert {r["client"] for r in signin_guard.recent_failures(users, boss, limit=50)
            if r["event"] == "unknown_user"} == {f"2001:db8:1:2::{i + 1:x}" for i in range(20)}
    for i in range(20):  # IPv4: by address, one failure each holds nobody back
        refused(users, f"other-{i}", WRONG, client=f"192.0.2.{i + 1}", now=now)
    assert users.authenticate("bob", RIGHT, client="192.0.2.21", now=now + timedelta(seconds=2)).username == "bob"
    assert users.authenticate("bob", RIGHT, client="::ffff:192.0.2.1", now=now + timedelta(seconds=2)).username == "bob"
    out = signin_guard.unlock(users, boss, scope="client", subject="2001:db8:1:2::abcd")
    assert out["subject"] == "2001:db8:1:2::/64" and out["failures"] == 20
    assert users.authenticate("alice", RIGHT, client="2001:db8:1:2::7", now=now + timedelta(seconds=3)).username == "alice"


def _log_rows(service) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func

    with service.db.read() as s:
        return int(s.exec(select(func.count()).select_from(signin_guard.SignInLogRow)).one())


def test_a_flood_of_attempts_leaves_the_log_bounded_and_the_guard_deciding(users) -> None:
    """Given the log bounded at 120 rows, when one client floods the sign-in with 600 attempts
    under made-up names after locking itself, then the log never holds more than 120 rows (the
    newest kept), the flooding client is still refused, even for a real name with its right
    password, and another client signs that name in at once; a log left larger (by an older
    release) shrinks by a batch per write."""
    cap = 120
    users.settings = replace(users.settings, sign_in=replace(users.settings.sign_in, log_max_rows=cap))
    flood, now = "192.0.2.200", T0
    for i in range(20):
        refused(users, f"flood-{i}", WRONG, client=flood, now=now)
    sizes = []
    for i in range(600):
        exc = refused(users, f"made-up-{i}", WRONG, client=flood, now=now + timedelta(seconds=1))
        assert exc.code == "sign_in_locked"
        if i % 50 == 0:
            sizes.append(_log_rows(users))
    assert max(sizes) <= cap and _log_rows(users) == cap
    newest = signin_guard.recent_failures(users, users.actor("boss"), limit=cap)
    assert newest[0]["username"] == "made-up-599" and newest[-1]["username"] == f"made-up-{600 - cap}"
    assert refused(users, "alice", RIGHT, client=flood, now=now + timedelta(seconds=2)).code == "sign_in_locked"
    assert users.authenticate("alice", RIGHT, client="198.51.100.50", now=now + timedelta(seconds=2)).username == "alice"

    with users.db.write() as s:  # an older release's log, far over the bound
        for i in range(2500):
            s.add(signin_guard.SignInLogRow(at=utc_text(now), username=f"old-{i}", client=flood,
                                            event="wrong_password"))
    before = _log_rows(users)
    refused(users, "again", WRONG, client=flood, now=now + timedelta(seconds=3))
    assert _log_rows(users) == before + 1 - signin_guard.LOG_PRUNE_BATCH
    for _ in range(3):
        refused(users, "again", WRONG, client=flood, now=now + timedelta(seconds=3))
    assert _log_rows(users) == cap
