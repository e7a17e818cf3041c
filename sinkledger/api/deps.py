"""What every endpoint shares: the service, the acting key's actor, the request id, pages of a list.

- :func:`service` is the one :class:`~sinkledger.services.registry.Service` of the process
  (``app.state.service``), the same class the app and the CLI use.
- :func:`actor` reads ``Authorization: Bearer <key>`` and asks the process's
  :class:`sinkledger.services.apikeys.KeyGate` (``app.state.key_gate``) for its actor (the key's
  use queued for the log and counted against its rate limit there, nothing written per
  request); endpoints pass the actor to the services, which check
  its role exactly as for a signed-in user.
- :func:`request_id` is the ``Idempotency-Key`` header: the command's request id, so a retry
  with the same body returns the first result and the same key with another body is refused
  (``request_id_reused``). Without the header each request gets a new id.
- :func:`page` cuts a list into ``limit``/``offset`` pages: ``{"items", "total", "limit",
  "offset", "next_offset"}``.
"""

from __future__ import annotations

import uuid
from functools import partial
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, UploadFile
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ledger.permissions import Actor
from sinkledger.services import apikeys, signin_guard
from sinkledger.services.registry import Service
from sinkledger_base.errors import InvalidInput

MAX_PAGE = 1000
_bearer = HTTPBearer(auto_error=False, description="An institution's API key: `Authorization: Bearer slk_…`")


# Dependencies that do no I/O are ``async``: FastAPI runs each sync dependency in a worker thread
# of its own, and a hop to a thread and back costs more than what these do (docs/api.md, "Speed").

async def service(request: Request) -> Service:
    return request.app.state.service


def client_of(request: Request, svc: Service) -> str:
    """The client's address, through trusted proxies as for sign-in."""
    peer = request.client.host if request.client else None
    return signin_guard.client_address(peer, request.headers.get("x-forwarded-for"),
                                       svc.settings.sign_in.trusted_proxies)


async def actor(request: Request, svc: Annotated[Service, Depends(service)],
                credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
    return await actor_of_key(request, svc, credentials.credentials if credentials is not None else None)


def logged_path(scope: Any) -> str:
    """The request's path as ``request.url.path`` gives it, without building the URL (which
    escapes ``?``, ``#`` and ``\\``, and loses tabs and line breaks as ``urllib`` parses it)."""
    path = scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    if "\t" in path or "\r" in path or "\n" in path:
        path = path.replace("\t", "").replace("\r", "").replace("\n", "")
    return path


async def actor_of_key(request: Request, svc: Service, key: str | None) -> Actor:
    """The actor of the bearer key ``key`` (None when the request has none), its use logged."""
    gate: apikeys.KeyGate = request.app.state.key_gate
    check = partial(gate.check, key, client=client_of(request, svc), method=request.scope["method"],
                    path=logged_path(request.scope))
    if svc.db.is_sqlite:
        return check()  # one indexed read of a local file (~50 µs): less than a hop to a worker thread
    return await run_in_threadpool(check)  # a round trip to the server: not on the event loop


async def request_id(idempotency_key: Annotated[str | None, Header(
        description="The command's request id: a retry with the same body returns the first result; "
                    "the same key with another body is refused (409). Default: a new id.")] = None) -> str:
    if idempotency_key is None:
        return str(uuid.uuid4())
    if not 0 < len(idempotency_key) <= 200 or not idempotency_key.isprintable():
        raise InvalidInput("idempotency_key_invalid")
    return idempotency_key


def upload_parts(upload: UploadFile) -> dict[str, Any]:
    """An uploaded document as the services take it: its bytes, its file name and its media type
    (as the client declared it; the services guess one from the name when none is given). The
    request's size is bounded before this reads it (:mod:`sinkledger.api.limits`)."""
    declared = upload.content_type if upload.content_type not in (None, "", "application/octet-stream") else None
    return {"content": upload.file.read(), "file_name": upload.filename or "document", "media_type": declared}


class Page:
    """``limit`` and ``offset`` query parameters."""

    def __init__(self, limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")] = 100,
                 offset: Annotated[int, Query(ge=0, le=2**62, description="Items to skip.")] = 0) -> None:
        self.limit, self.offset = limit, offset

    def of(self, items: Sequence[Any]) -> dict[str, Any]:
        """This page of a whole list."""
        return self.of_page(list(items[self.offset:self.offset + self.limit]), len(items))

    def of_page(self, items: list[Any], total: int) -> dict[str, Any]:
        """A page the service cut already (``items``, of ``total`` in all; a service's
        ``{"items", "total"}`` passes as ``**found``)."""
        following = self.offset + len(items)
        return {"items": items, "total": total, "limit": self.limit, "offset": self.offset,
                "next_offset": following if following < total else None}


Svc = Annotated[Service, Depends(service)]
Acting = Annotated[Actor, Depends(actor)]
RequestId = Annotated[str, Depends(request_id)]
async def _page(limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")] = 100,
                offset: Annotated[int, Query(ge=0, le=2**62, description="Items to skip.")] = 0) -> Page:
    return Page(limit, offset)


Paged = Annotated[Page, Depends(_page)]
