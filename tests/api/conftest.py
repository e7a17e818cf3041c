"""The public registry's router served by a real uvicorn on 127.0.0.1, over the seeded world
(tests/public_world.py) on SQLite and PostgreSQL.

:func:`make_app` is the one place the app is built: until the institutions' API
(``sinkledger.api.app.create_app``) is merged, a minimal FastAPI with the public router and a
handler that renders a refusal as JSON with its ``code``; at the merge it becomes
``create_app(service)``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sinkledger import catalogue
from sinkledger.api import public
from sinkledger_base.errors import InvalidInput, NotFound, SinkLedgerError
from tests.public_world import sqlite_world_template, world  # noqa: F401 - fixtures

STARTUP_TIMEOUT_S = 20


def make_app(service: Any) -> FastAPI:
    """The app under test (the one line to switch to ``create_app(service)`` at the merge)."""
    app = FastAPI()
    app.state.service = service
    app.include_router(public.router)

    @app.exception_handler(SinkLedgerError)
    def refusal(request: Request, exc: SinkLedgerError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFound) else 422 if isinstance(exc, InvalidInput) else 409
        return JSONResponse(catalogue.refusal_dict(exc), status_code=status)

    return app


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def api(world) -> Iterator[tuple[httpx.Client, Any, dict[str, Any]]]:  # noqa: F811 - the imported fixture
    """(client, service, ids): an HTTP client of the API served by uvicorn in a thread."""
    service, ids = world
    server = uvicorn.Server(uvicorn.Config(make_app(service), host="127.0.0.1", port=_free_port(),
                                          log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        yield client, service, ids
    server.should_exit = True
    thread.join(timeout=10)
