"""The HTTP API (issue 18): FastAPI over the same :class:`~sinkledger.services.registry.Service`
the app and the CLI use; OpenAPI at ``/openapi.json``, its pages at ``/docs``.

``sinkledger api`` runs :func:`create_app` on uvicorn (``factory=True``: each worker process
builds its own service from the environment, ``DATABASE_URL`` and the rest, as the app does).
Institutions authenticate with their API key (:mod:`sinkledger.api.deps`); refusals leave as
``application/problem+json`` (:mod:`sinkledger.api.problems`). docs/api.md shows every
institution's calls with curl.

:data:`ROUTERS` lists the routers the app serves, in order; another part of the API (the public
registry) joins by being added to it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from sinkledger import catalogue
from sinkledger.api import (
    collection_routes,
    court_routes,
    income_routes,
    jobs_routes,
    ledger_routes,
    price_routes,
    problems,
    public,
)
from sinkledger.api import instrument_routes  # issue 22 (helper h8)
from sinkledger.api.fast import FastCommands
from sinkledger.api.limits import BodyLimit, PublicLimit, ServerTiming
from sinkledger.services.apikeys import KeyGate
from sinkledger.services.registry import Service
from sinkledger_base.errors import NotFound, printable

meta = APIRouter(tags=["problems"])


@meta.get("/problems/{code}")
def problem_type(code: str) -> dict[str, Any]:
    """What a refusal code means: its Chinese and English message templates (a problem
    document's ``type``)."""
    templates = catalogue.REFUSALS.get(code)
    if templates is None:
        raise NotFound("route_not_found", method="GET", path=f"/problems/{printable(code, 80)}")
    return {"code": code, "message_zh": templates[0], "message_en": templates[1]}


@meta.get("/health", tags=["health"])
def health() -> dict[str, str]:
    """Whether this instance answers (no key needed, nothing read)."""
    return {"status": "ok"}


ROUTERS: list[APIRouter] = [meta, ledger_routes.router, court_routes.router, income_routes.router,
                            jobs_routes.router, public.router,
                            collection_routes.router,  # issue 18 (helper h3): contracts and projects
                            price_routes.public_router, price_routes.router,  # issue 22 (helper h7)
                            instrument_routes.router, instrument_routes.public_router]  # issue 22 (helper h8)


def create_app(service: Service | None = None, *, fast_commands: bool = True) -> FastAPI:
    """The API over ``service`` (default: opened from the environment, refused until the
    database is initialised). ``fast_commands=False`` leaves every request to FastAPI (the
    tests compare the two: :mod:`sinkledger.api.fast`)."""
    svc = service or Service.open()
    svc.require_initialised()
    gate = KeyGate(svc)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        gate.close()  # the key-use log queued in this process, written before it stops

    app = FastAPI(title="sinkledger API", version="1", lifespan=lifespan,
                  description="Carbon-sink registry and ledger for institutions (docs/api.md). "
                              "Refusals are RFC 9457 problem documents with a stable `code` and "
                              "messages in Chinese and English.")
    app.state.service = svc
    app.state.key_gate = gate
    limits = svc.settings.api
    app.state.public_limit = PublicLimit(rate_per_minute=limits.public_rate_per_minute, burst=limits.public_burst)
    problems.install(app)
    if fast_commands:  # inside the body limit: commands without the framework's per-request cost
        app.add_middleware(FastCommands, fastapi_app=app, routers=ROUTERS)
    app.add_middleware(BodyLimit, max_upload_bytes=svc.settings.file_limits.max_file_bytes)
    app.add_middleware(ServerTiming)  # outermost: the whole of the app's time
    for router in ROUTERS:
        app.include_router(router)
    return app
