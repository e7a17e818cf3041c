"""A real API server per backend: the demo seeded once a session, ``sinkledger api`` started as
its own process on a free port of 127.0.0.1 (uvicorn, exactly as an operator starts it), driven
over real HTTP with httpx. Keys are made per test through the service, as the administrator's
CLI and page make them.

The server's rate limit is set low enough to reach in a test (:data:`BURST` requests at once,
then :data:`RATE_PER_MINUTE`); tests that make many calls take a fresh key per call or per role.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from sinkledger.config import REPO_ROOT, load_settings
from tests.conftest import PG_URL, database_beside, pg_available
from tests.data.make_release_db import TEST_ONLY_DATA_KEY
from tests.public_world import sqlite_world_template, world  # noqa: F401 - fixtures

BURST = 40
RATE_PER_MINUTE = 60
FLUSH_MS = 200  # each instance writes its key-use log and buckets this often (docs/api.md)
LOG_WAIT_S = 10 * FLUSH_MS / 1000 + 5  # how long a test waits for a use to reach the log
START_TIMEOUT_S = 60
# The demo user that holds each role (README, "Demo users").
USER_OF_ROLE = {"cooperative": "coop", "household": "household", "collection_centre": "centre",
                "trading_clerk": "clerk", "enterprise": "enterprise", "verifier": "verifier", "court": "court",
                "procurator": "procurator", "bank": "bank", "insurer": "insurer", "admin": "admin",
                "authority": "authority"}  # issue 22 (helper h8)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running API over a seeded database, and the service (in this process) behind it."""

    def __init__(self, env: dict[str, str], home: Path) -> None:
        from sinkledger.services.registry import Service

        self.env = env
        self.service = Service.open(load_settings(env))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(home / "api.log", "w+")  # noqa: SIM115 - open for the server's whole life
        child_env = {**os.environ, **env, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen([sys.executable, "-m", "sinkledger", "api", "--port", str(self.port)],
                                        env=child_env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the API server stopped: {self.output()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"the API server did not start: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-3000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        self.service.db.dispose()

    # -- helpers the tests share -------------------------------------------------------------
    def key(self, role: str, **extra: Any) -> str:
        """A fresh key acting as the demo user of ``role``."""
        from sinkledger.services import apikeys

        admin = self.service.actor("admin")
        return apikeys.create_key(self.service, admin, username=USER_OF_ROLE[role], **extra)["key"]

    def uses(self, key: str, count: int) -> list[dict[str, Any]]:
        """The key-use log of ``key``, newest first, once it holds at least ``count`` rows (the
        server writes it every :data:`FLUSH_MS`); what it holds after :data:`LOG_WAIT_S` otherwise."""
        from sinkledger.services import apikeys

        admin, key_id = self.service.actor("admin"), key.split("_")[1]
        deadline = time.monotonic() + LOG_WAIT_S
        while True:
            logged = apikeys.uses(self.service, admin, key_id=key_id, limit=10_000)
            if len(logged) >= count or time.monotonic() > deadline:
                return logged
            time.sleep(FLUSH_MS / 4000)

    def client(self, key: str | None = None, **headers: str) -> httpx.Client:
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def head(self) -> tuple[Any, ...]:
        """The journal's head and the row counts a refused request must leave as they were."""
        with self.service.db.engine.connect() as conn:
            head = conn.execute(text("SELECT seq, entry_hash FROM journal_entry ORDER BY seq DESC LIMIT 1")).first()
            counts = conn.execute(text("SELECT (SELECT count(*) FROM sale), (SELECT count(*) FROM retirement), "
                                       "(SELECT count(*) FROM pledge), (SELECT count(*) FROM parcel)")).first()
        return (tuple(head), tuple(counts))


def _seed(env: dict[str, str]) -> None:
    from sinkledger.demo.seed import seed_demo
    from sinkledger.services.registry import Service

    svc = Service.open(load_settings(env))
    try:
        if not svc.settings.is_sqlite and svc.db.has_schema():
            svc.db.drop_schema()
            svc = Service.open(load_settings(env))
        seed_demo(svc)
        svc.checkpoint()
    finally:
        svc.db.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def api_server(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The API on each backend over the seeded demo."""
    home = tmp_path_factory.mktemp(f"api_{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'api.db'}"
    else:
        ok, reason = pg_available()
        if not ok:
            pytest.skip(reason)
        # a database of its own: the server lives the whole session and writes its key-use log
        # every FLUSH_MS, so on the worker's shared database it would race the next test's
        # dropping of the schema (a deadlock on ``DROP TABLE api_key`` in CI)
        url = database_beside(PG_URL, "api")
    env = {"DATABASE_URL": url, "SINKLEDGER_HOME": str(home), "SINKLEDGER_API_BURST": str(BURST),
           "SINKLEDGER_API_RATE_PER_MINUTE": str(RATE_PER_MINUTE), "SINKLEDGER_API_FLUSH_MS": str(FLUSH_MS)}
    if request.param == "postgres":
        env["SINKLEDGER_DATA_KEY"] = TEST_ONLY_DATA_KEY  # PostgreSQL needs the person register's key given
    _seed(env)
    server = Server(env, home)
    yield server
    server.stop()
    if request.param == "sqlite":
        shutil.rmtree(home, ignore_errors=True)


# -- the public registry over the same app (issue 18, part 3) ---------------------------------

PUBLIC_STARTUP_TIMEOUT_S = 20


@pytest.fixture(scope="module")
def api(world) -> Iterator[tuple[httpx.Client, Any, dict[str, Any]]]:  # noqa: F811 - the imported fixture
    """(client, service, ids): an HTTP client of the whole API (``create_app``) over the public
    registry's seeded world (tests/public_world.py), served by uvicorn in a thread."""
    # deferred on purpose: the app loads only for the public registry's tests
    from sinkledger.api.app import create_app

    service, ids = world
    served = Threaded(create_app(service))
    with httpx.Client(base_url=served.url, timeout=30) as client:
        yield client, service, ids
    served.stop()


class Threaded:
    """An ASGI app served by uvicorn in a thread of this process, on a free port of 127.0.0.1
    (for tests that build the app over a service of their own)."""

    def __init__(self, app: Any) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(),
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + PUBLIC_STARTUP_TIMEOUT_S
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
