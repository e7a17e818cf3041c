"""A database made by a released version (``tests/data/``: the demo as commit 4bd8bf1 made it, on
SQLite and PostgreSQL) migrates when today's code opens it, its hash chain verifies with the head
hash recorded when it was made, and it takes new commands that verify too."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from sinkledger.config import REPO_ROOT, load_settings
from sinkledger.db import migrations
from tests.conftest import PG_URL, pg_available
from tests.data.make_release_db import TEST_ONLY_DATA_KEY
from tests.test_migrations import schema_differences

DATA = Path(__file__).resolve().parent / "data"
RECORD = json.loads((DATA / "release_demo.json").read_text(encoding="utf-8"))


@pytest.fixture(params=["sqlite", "postgres"])
def release_url(request, tmp_path):  # type: ignore[no-untyped-def]
    """A URL of a fresh copy of the release's demo database, untouched by today's code."""
    if request.param == "sqlite":
        target = tmp_path / "release.db"
        with gzip.open(DATA / "release_demo.sqlite.gz", "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        yield f"sqlite:///{target}", RECORD["backends"]["sqlite"]
        return
    ok, reason = pg_available()
    if not ok:
        pytest.skip(reason)
    engine = create_engine(PG_URL)
    with engine.begin() as conn:  # empty the test database; PostGIS stays
        names = conn.exec_driver_sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                     "AND tablename <> 'spatial_ref_sys'").scalars().all()
        for name in names:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}" CASCADE')
    raw = engine.raw_connection()
    try:  # a plain pg_dump without psql meta-commands: one script, run as is
        raw.cursor().execute(gzip.open(DATA / "release_demo.pg.sql.gz", "rt", encoding="utf-8").read())
        raw.commit()
    finally:
        raw.close()
    engine.dispose()
    yield PG_URL, RECORD["backends"]["postgresql"]


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    with engine.connect() as conn:
        revision = migrations.current_revision(conn)
    engine.dispose()
    return revision


def _env(url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINKLEDGER_")}
    return env | {"DATABASE_URL": url, "SINKLEDGER_HOME": str(home), "SINKLEDGER_DATA_KEY": TEST_ONLY_DATA_KEY}


def test_the_fixture_is_from_the_release():  # type: ignore[no-untyped-def]
    """The fixture says which commit made it and carries that release's Alembic revision."""
    assert RECORD["commit"].startswith("4bd8bf1")
    assert {b["revision"] for b in RECORD["backends"].values()} == {"0004_web_session"}


def test_opening_migrates_and_the_chain_still_verifies(release_url, tmp_path):  # type: ignore[no-untyped-def]
    """Given the release's demo database, when today's Service opens it, then it is at the head
    revision with exactly the declared schema, verify reports the recorded head hash, personal
    data still decrypts, and a retirement by the demo enterprise is recorded and verifies."""
    from sinkledger.services.people import PeopleService
    from sinkledger.services.registry import Service

    url, made = release_url
    assert _revision(url) == made["revision"]  # untouched so far
    svc = Service.open(load_settings(_env(url, tmp_path)))
    try:
        assert _revision(url) == migrations.head_revision()
        assert schema_differences(url) == []
        report = svc.verify()
        assert report.ok, report.problems
        assert (report.entries, report.head_hash, report.merkle_root) == (
            made["entries"], made["head_hash"], made["merkle_root"])

        details = PeopleService(svc).my_details(svc.actor("household"))
        assert details["party_id"] == "HH-0001" and details["name"] and details["resident_id"]

        before = svc.account_balance("ENT-0001-H")
        svc.retire(svc.actor("enterprise"), "release-fixture-retire", account_id="ENT-0001-H", quantity=1,
                   beneficiary="示例绿色纺织有限公司", purpose="升级后的第一笔注销 (first retirement after the upgrade)")
        after = svc.account_balance("ENT-0001-H")
        assert sum(after.values()) == sum(before.values()) - 1
        report = svc.verify()
        # the retirement, and the person register's first-use anchor (the household's read above
        # was the register's first transaction under today's code: docs/personal-data.md §10)
        assert report.ok and report.entries == made["entries"] + 2
        with svc.db.read() as s:
            from sqlalchemy import text  # noqa: PLC0415 - this assertion's only query

            kinds = s.execute(text("SELECT kind FROM journal_entry WHERE seq > :n"), {"n": made["entries"]}).scalars()
            assert sorted(kinds) == ["people_anchor", "retirement"]
    finally:
        svc.db.dispose()


def test_the_cli_migrates_verifies_and_sells(release_url, tmp_path):  # type: ignore[no-untyped-def]
    """Given the release's demo database, when the CLI's ``verify`` opens it, then it exits 0 with
    the recorded head hash (migrating on the way); a sale then goes through and verify still
    exits 0, one entry longer."""
    url, made = release_url
    env = _env(url, tmp_path)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sinkledger", *args, "--json"], env=env, cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=300)

    done = cli("verify")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["head_hash"] == made["head_hash"]
    assert _revision(url) == migrations.head_revision()
    done = cli("sell", "--from", "ENT-0001-H", "--to", "ENT-0002-H", "--quantity", "2", "--price-fen", "7300",
               "--contract", "REL-UPGRADE-1", "--actor", "enterprise")
    assert done.returncode == 0, done.stderr
    done = cli("verify")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["entries"] == made["entries"] + 1
