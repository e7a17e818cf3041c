"""How large a request may be: a JSON body at most :data:`MAX_JSON_BYTES`, an upload (multipart)
at most the largest parcel file the settings accept (``SINKLEDGER_MAX_FILE_MB``) plus room for
the form around it. A larger request is refused ``413 upload_too_large`` as soon as its
``Content-Length`` says so, or, sent in chunks, as soon as it has grown past the limit, before
it fills memory or the disk (FastAPI would otherwise read a whole upload before the endpoint
runs)."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sinkledger.api.problems import problem_response
from sinkledger_base.errors import InvalidInput

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
