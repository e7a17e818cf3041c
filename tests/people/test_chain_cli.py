"""``sinkledger people verify`` and ``people log --verify`` as an operator runs them (a real
process): exit 0 on an intact register, 1 with a JSON report naming table, key and problem when
anything differs, 2 on a refusal; and a register written by a released version (before the
chains existed) verifies after the upgrade."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

from sqlalchemy import text

from sinkledger.config import REPO_ROOT, load_settings
from tests.people.conftest import TEST_KEY
from tests.people.test_chain import attacker, scalar
from tests.test_release_database import _env, release_url  # noqa: F401 - the fixture, reused


def cli(env: dict[str, str], *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    done = subprocess.run([sys.executable, "-m", "sinkledger", "people", *args, "--json"], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {"stderr": done.stderr}


def test_exit_codes_of_people_verify_and_log_verify(people, backend_url, tmp_path):  # type: ignore[no-untyped-def]
    """Given an intact register, verify, log --verify and verify --anchor (which writes a
    people_anchor journal entry) exit 0; after someone rewrites HH-1's
    purpose, verify exits 1 naming person HH-1; after the newest access-log row is deleted,
    log --verify exits 1 too; a centre user is refused (2)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINKLEDGER_")} | {
        "DATABASE_URL": backend_url, "SINKLEDGER_HOME": str(tmp_path), "PYTHONPATH": str(REPO_ROOT),
        "SINKLEDGER_DATA_KEY": base64.b64encode(TEST_KEY).decode()}
    code, report = cli(env, "verify", "--actor", "admin")
    assert code == 0 and report["ok"] is True, report
    code, report = cli(env, "log", "--verify", "--actor", "admin")
    assert code == 0 and report["ok"] is True, report
    code, report = cli(env, "verify", "--anchor", "--actor", "admin")
    assert code == 0 and report["anchored"]["replayed"] is False
    assert people.api.service.journal(limit=1)[0]["seq"] == report["anchored"]["seq"]

    with attacker(people) as conn:
        conn.execute(text("UPDATE person SET purpose = '别的目的' WHERE party_id = 'HH-1'"))
    code, report = cli(env, "verify", "--actor", "admin")
    assert code == 1 and report["ok"] is False
    assert [(p["table"], p["key"], p["problem"]) for p in report["problems"]] == [
        ("person", {"party_id": "HH-1"}, "differs_from_event")]
    code, _ = cli(env, "log", "--verify", "--actor", "admin")
    assert code == 0  # the access log itself is intact

    newest = scalar(people, "SELECT max(seq) FROM person_access_log")
    with attacker(people) as conn:
        conn.execute(text("DELETE FROM person_access_log WHERE seq = :s"), {"s": newest})
    code, report = cli(env, "log", "--verify", "--actor", "admin")
    assert code == 1 and report["ok"] is False and report["first_bad_seq"] == newest
    code, refused = cli(env, "verify", "--actor", "centre")
    assert code == 2 and refused["error"]["code"] == "not_permitted"


def test_a_register_from_the_release_verifies_after_the_upgrade(release_url, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    """Given the release's demo database (registered, corrected, read, designated before the
    chains existed), when today's code opens it, then ``people verify`` exits 0 (heads not yet
    sealed: a note, not a failure); the first use seals them and says so in the access log; a
    rewritten purpose is then found."""
    from sinkledger.services.people import PeopleService
    from sinkledger.services.registry import Service

    url, _ = release_url
    env = _env(url, tmp_path) | {"PYTHONPATH": str(REPO_ROOT)}
    code, report = cli(env, "verify", "--actor", "admin")
    assert code == 0 and report["ok"] is True, report
    assert {w["problem"] for w in report["warnings"]} == {"head_not_yet_sealed"}
    assert report["chains"]["person_event"]["rows"] == scalar_url(url, "SELECT count(*) FROM person")

    svc = Service.open(load_settings(env))
    try:
        api = PeopleService(svc)
        api.my_details(svc.actor("household"))  # first use
        (seal,) = [r for r in api.access_log(svc.actor("admin"), limit=5) if r["action"] == "seal"]
        assert set(seal["detail"]["chains"]) == {"person_event", "person_version", "person_access_log"}
        report = api.verify(svc.actor("admin"))
        assert report["ok"] is True and report["warnings"] == [], report
        with svc.db.engine.begin() as conn:
            conn.execute(text("UPDATE person SET purpose = 'x' WHERE party_id = 'HH-0001'"))
    finally:
        svc.db.dispose()
    code, report = cli(env, "verify", "--actor", "admin")
    assert code == 1 and report["problems"][0]["key"] == {"party_id": "HH-0001"}


def scalar_url(url: str, sql: str) -> int:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return value


