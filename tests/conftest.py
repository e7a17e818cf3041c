"""Shared fixtures: a real database per test on each backend, demo data, shared data paths.

Backends: SQLite always; PostgreSQL when ``SINKLEDGER_TEST_PG_URL`` names a reachable server
(``.ci/run`` sets it). Browser tests: Chromium at ``SINKLEDGER_TEST_CHROMIUM`` (default:
``chromium`` on PATH, else ``/usr/bin/chromium``). With ``SINKLEDGER_REQUIRE_ALL=1`` (CI) a skipped
test is a failure, so nothing is silently left out there.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from sinkledger.config import REPO_ROOT, load_settings

# Property tests check what holds, not how fast: the machines are shared and a time limit per
# example (hypothesis's default 200 ms) fails a correct test when a neighbour is busy. A test
# that must be fast has a benchmark (bench/), measured against its floor in the same run.
hypothesis_settings.register_profile("sinkledger", deadline=None)
hypothesis_settings.load_profile("sinkledger")

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
PG_URL = os.environ.get("SINKLEDGER_TEST_PG_URL", "")


def database_beside(url: str, suffix: str) -> str:
    """The URL of database ``<name>_<suffix>`` beside ``url``'s, made (with PostGIS) on first use.
    Under pytest-xdist each worker empties and fills databases of its own (``<name>_<worker>``):
    the configured database is only the way in; a server that outlives its test gets one more."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{suffix}"
    try:
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        own = create_engine(base.set(database=name), isolation_level="AUTOCOMMIT")
        with own.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        own.dispose()
    except Exception:  # noqa: BLE001 - unreachable: pg_available() says so, with the reason
        return url
    return base.set(database=name).render_as_string(hide_password=False)


if PG_URL and os.environ.get("PYTEST_XDIST_WORKER"):
    PG_URL = database_beside(PG_URL, os.environ["PYTEST_XDIST_WORKER"])
    os.environ["SINKLEDGER_TEST_PG_URL"] = PG_URL  # for the subprocesses a test starts
REQUIRE_ALL = os.environ.get("SINKLEDGER_REQUIRE_ALL") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """In CI, turn every skip into a failure that keeps the skip's stated reason."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may skip: {report.longrepr}"


def pg_available() -> tuple[bool, str]:
    if not PG_URL:
        return False, "PostgreSQL not configured: set SINKLEDGER_TEST_PG_URL to run the PostgreSQL backend"
    try:
        from sqlalchemy import create_engine, text

        eng = create_engine(PG_URL)
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return True, ""
    except Exception as exc:  # noqa: BLE001
        return False, f"PostgreSQL at SINKLEDGER_TEST_PG_URL not reachable: {exc.__class__.__name__}"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):  # type: ignore[no-untyped-def]
    """Argon2 with its production cost (64 MiB, 3 passes) takes ~0.3 s a hash; tests that create
    users use the same algorithm with the smallest cost instead."""
    from argon2 import PasswordHasher

    import sinkledger.services.admin

    monkeypatch.setattr(sinkledger.services.admin, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def empty_database_url(backend: str, directory: Path) -> str:
    """The URL of an empty database on ``backend`` ("sqlite": a new file in ``directory``;
    "postgres": the test server's database, its schema dropped; skips when it is not there)."""
    if backend == "sqlite":
        return f"sqlite:///{directory / 'ledger.db'}"
    ok, reason = pg_available()
    if not ok:
        pytest.skip(reason)
    # deferred on purpose: the engine loads only for a test that asks for a database
    from sinkledger.db.database import Database

    db = Database(PG_URL)
    db.drop_schema()
    db.dispose()
    return PG_URL


@pytest.fixture(params=["sqlite", "postgres"])
def backend_url(request, tmp_path):  # type: ignore[no-untyped-def]
    """A database URL for an empty database on each backend."""
    return empty_database_url(request.param, tmp_path)


@pytest.fixture
def settings(backend_url, tmp_path):  # type: ignore[no-untyped-def]
    return load_settings({"DATABASE_URL": backend_url, "SINKLEDGER_HOME": str(tmp_path)})


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """An empty SQLite database brought to the head revision by the migrations, once a session:
    the ``service`` fixture starts from a copy instead of running the chain again per test."""
    from sinkledger.db.database import Database

    path = tmp_path_factory.mktemp("schema") / "migrated.db"
    db = Database(f"sqlite:///{path}")
    db.create_schema()
    db.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def service(settings, request):  # type: ignore[no-untyped-def]
    from sinkledger.services.registry import Service

    target = Path(settings.database_url.split("///", 1)[-1]) if settings.is_sqlite else None
    if target is not None and not target.exists():
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), target)
    svc = Service.open(settings)
    svc.initialise()
    yield svc
    svc.db.dispose()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA} (the ../shared/data folder beside the repo)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium the browser tests drive: ``SINKLEDGER_TEST_CHROMIUM`` when set (a path; point it
    at a missing file to see the skip), else ``chromium`` on PATH, else ``/usr/bin/chromium``."""
    configured = os.environ.get("SINKLEDGER_TEST_CHROMIUM", "")
    path = configured or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        pytest.skip(f"Chromium not found at {path} (Debian package 'chromium', or set SINKLEDGER_TEST_CHROMIUM "
                    "to its path); browser tests need it")
    return path
