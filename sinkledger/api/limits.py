"""How large a request may be: a JSON body at most :data:`MAX_JSON_BYTES`, an upload (multipart)
at most the largest parcel file the settings accept (``SINKLEDGER_MAX_FILE_MB``) plus room for
the form around it. A larger request is refused ``413 upload_too_large`` as soon as its
``Content-Length`` says so, or, sent in chunks, as soon as it has grown past the limit, before
it fills memory or the disk (FastAPI would otherwise read a whole upload before the endpoint
runs).

Also here: the public registry's rate limit per client address (:class:`PublicLimit`) and the
``Server-Timing`` header (:class:`ServerTiming`)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sinkledger.api.problems import problem_response
from sinkledger_base.errors import Conflict, InvalidInput

MAX_JSON_BYTES = 1024 * 1024
FORM_ROOM_BYTES = 64 * 1024
MIB = 1024 * 1024


class BodyLimit:
    """ASGI middleware refusing request bodies over the limit of their kind."""

    def __init__(self, app: ASGIApp, *, max_upload_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes + FORM_ROOM_BYTES

    def _limit(self, scope: Scope) -> int:
        headers = dict(scope.get("headers") or [])
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
        return self.max_upload_bytes if multipart else MAX_JSON_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0

        async def counting_receive() -> Message:
            # An HTTP exception passes through FastAPI's reading of the body (any other error
            # would become its own 400) to the problem handlers (problems._http_error).
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise StarletteHTTPException(413, detail=str(max(1, limit // MIB)))
            return message

        await self.app(scope, counting_receive, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response: Any = problem_response(InvalidInput("upload_too_large", max_mb=max(1, limit // MIB)),
                                         Request(scope, receive))
        await response(scope, receive, send)


class PublicLimit:
    """The public registry's rate limit (no key, issue 18): a token bucket per client address
    (``public_burst`` requests at once, refilled at ``public_rate_per_minute``), kept in this
    process only, so N instances allow an address N times the rate. At most
    :data:`MAX_CLIENTS` addresses are remembered (the longest unseen forgotten first: a
    forgotten address starts again with a full bucket)."""

    MAX_CLIENTS = 100_000

    def __init__(self, *, rate_per_minute: int, burst: int) -> None:
        self.rate_per_s = rate_per_minute / 60
        self.rate_per_minute, self.burst = rate_per_minute, burst
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # address -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, client: str) -> None:
        """Count a request of ``client``.

        Raises
        ------
        sinkledger_base.errors.Conflict
            ``public_rate_limited`` with ``retry_after_s`` while the address's bucket is empty.
        """
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate_per_s)
            allowed = tokens >= 1
            self._buckets[client] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > self.MAX_CLIENTS:
                self._buckets.popitem(last=False)
        if not allowed:
            raise Conflict("public_rate_limited", retry_after_s=max(1, math.ceil((1 - tokens) / self.rate_per_s)),
                           rate_per_minute=self.rate_per_minute)


class ServerTiming:
    """ASGI middleware adding ``Server-Timing: app;dur=<ms>, cpu;dur=<ms>`` to every answer:
    the time from the request reaching the app to the answer's headers (what the speed goals of
    issue 18 measure), and the process's CPU time meanwhile (the request's own when it is the
    only one, which on a busy machine says more than the wall time)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, cpu = time.perf_counter(), time.process_time()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                took_ms, cpu_ms = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
                timing = f"app;dur={took_ms:.3f}, cpu;dur={cpu_ms:.3f}".encode()
                message["headers"] = [*message.get("headers", []), (b"server-timing", timing)]
            await send(message)

        await self.app(scope, receive, timed_send)
