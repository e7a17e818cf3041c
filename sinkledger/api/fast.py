"""Commands without the framework's per-request machinery: the same endpoints, answered sooner.

A command over HTTP (``POST /v1/sales``, ``/v1/retirements``, a pledge's release, a court order...)
is a body checked against its model, the key's actor, the ``Idempotency-Key`` and one call of a
service. FastAPI does that by solving each endpoint's dependencies per request, matching the path
against every route, passing exception-handling middleware and, for a ``def`` endpoint, hopping to
a worker thread and back; on this machine that added more than the sale itself costs
(BENCHMARKS.md, "The HTTP API").

:class:`FastCommands` is ASGI middleware that answers those requests directly, **by calling the
very endpoint function FastAPI would call**, with the same arguments:

- the body is parsed (``orjson``) and checked against the endpoint's own model, with its strict
  configuration; the key is checked by the same :func:`sinkledger.api.deps.actor` logic (the
  process's :class:`~sinkledger.services.apikeys.KeyGate`), the ``Idempotency-Key`` by
  :func:`sinkledger.api.deps.request_id`; path parameters come from the route's own pattern;
- refusals of the key, of the request id and of the services leave as the same problem documents
  (:func:`sinkledger.api.problems.problem_response`); an unexpected error as ``internal_error``;
- anything it is not sure to answer exactly as FastAPI would (a body that is not an
  ``application/json`` object its model accepts, a method or path not among the commands,
  dependency overrides in force) it passes on untouched, body included, to FastAPI, which
  answers (a validation refusal ``request_invalid`` and the rest) as before. Checking the body
  first has no side effect, so passing on after it is safe: the key is checked once either way.

Which endpoints qualify is read from the FastAPI routes themselves (:func:`command_routes`):
``POST`` endpoints whose parameters are only a body model, the service, the acting key, the
request id and ``str`` path parameters. A new command endpoint written that way is fast without
being listed anywhere; OpenAPI, the docs and the routes stay FastAPI's. ``tests/api/
test_fast_commands.py`` sends the same requests through both paths and compares the answers.

On SQLite the service call runs on the event loop: the database is one local file with one
writer at a time, and a command is about a millisecond, less than a hop to a worker thread and
back. On PostgreSQL it runs in the worker threads, as FastAPI would run it, so that one
instance's requests overlap while they wait for the server.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI
from fastapi.datastructures import DefaultPlaceholder
from fastapi.encoders import jsonable_encoder
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sinkledger.api import deps, problems
from sinkledger_base.errors import SinkLedgerError

# The endpoint parameters the fast path knows how to supply, by the dependency they name.
_SUPPLIED = {deps.service: "svc", deps.actor: "actor", deps.request_id: "request_id"}


@dataclass(frozen=True)
class Command:
    """One command endpoint: its route's pattern, the endpoint, how to call it."""

    path_regex: re.Pattern[str]
    endpoint: Callable[..., Any]
    status_code: int
    body_param: str | None          # the parameter taking the body, if the endpoint has one
    body_model: type[BaseModel] | None
    supplied: dict[str, str]        # parameter name -> "svc" | "actor" | "request_id"
    path_params: tuple[str, ...]


def _dependency_of(annotation: Any) -> Callable[..., Any] | None:
    """The callable of ``Annotated[..., Depends(f)]``, if that is what the annotation is."""
    for meta in getattr(annotation, "__metadata__", ()):
        call = getattr(meta, "dependency", None)
        if call is not None:
            return call
    return None


def _command_of(route: APIRoute) -> Command | None:
    """``route`` as a :class:`Command`, or None when the fast path could not answer it exactly
    as FastAPI does (any parameter beyond a body model, the three dependencies and ``str`` path
    parameters; route-level dependencies; a response model other than a plain dict)."""
    if route.methods != {"POST"} or route.dependencies or not isinstance(route.response_class, DefaultPlaceholder):
        return None
    try:
        hints = typing.get_type_hints(route.endpoint, include_extras=True)
    except (NameError, TypeError):
        return None
    if typing.get_origin(hints.get("return")) is not dict:
        return None
    path_names = set(route.param_convertors)
    body_param, body_model, supplied, path_params = None, None, {}, []
    for name, parameter in inspect.signature(route.endpoint).parameters.items():
        annotation = hints.get(name)
        dependency = _dependency_of(annotation)
        if dependency in _SUPPLIED:
            supplied[name] = _SUPPLIED[dependency]
        elif name in path_names and annotation is str and parameter.default is inspect.Parameter.empty:
            if route.param_convertors[name].regex != "[^/]+":
                return None
            path_params.append(name)
        elif (inspect.isclass(annotation) and issubclass(annotation, BaseModel) and body_param is None
              and parameter.default is inspect.Parameter.empty):
            body_param, body_model = name, annotation
        else:
            return None
    if set(path_params) != path_names:
        return None
    return Command(route.path_regex, route.endpoint, route.status_code or 200, body_param, body_model,
                   supplied, tuple(path_params))


def post_routes(routers: list[APIRouter]) -> list[tuple[re.Pattern[str], Command | None]]:
    """Every ``POST`` route of ``routers`` (included in the app as they are: no prefix or
    dependencies added), in the order FastAPI tries them: its pattern, and the :class:`Command`
    the fast path answers it with, or None where FastAPI must answer."""
    return [(route.path_regex, None if router.dependencies else _command_of(route))
            for router in routers for route in router.routes
            if isinstance(route, APIRoute) and "POST" in route.methods]


def command_routes(routers: list[APIRouter]) -> list[Command]:
    """The command endpoints of ``routers`` the fast path answers (see the module's docstring)."""
    return [command for _, command in post_routes(routers) if command is not None]


def _json_media(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"application/json"
    return False


class FastCommands:
    """ASGI middleware answering :func:`command_routes` of ``routers``, which ``fastapi_app``
    serves (module docstring)."""

    def __init__(self, app: ASGIApp, *, fastapi_app: FastAPI, routers: list[APIRouter]) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.routes = post_routes(routers)

    def _match(self, path: str) -> tuple[Command, dict[str, str]] | None:
        """The command FastAPI would route ``POST path`` to (the first route whose pattern
        matches), with its path parameters; None when that route is not a command, or none is."""
        for pattern, command in self.routes:
            found = pattern.match(path)
            if found is not None:
                return (command, found.groupdict()) if command is not None else None
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path")
                or self.fastapi_app.dependency_overrides):
            await self.app(scope, receive, send)
            return
        matched = self._match(scope["path"])
        if matched is None:
            await self.app(scope, receive, send)
            return
        command, path_values = matched
        scope.setdefault("app", self.fastapi_app)  # as FastAPI sets it (Request.app), when in front of it
        if command.body_model is not None and not _json_media(scope["headers"]):
            await self.app(scope, receive, send)
            return
        try:
            raw = await _read_body(receive)
        except StarletteHTTPException as exc:  # over the limit (sinkledger.api.limits.BodyLimit)
            await problems.http_error_response(Request(scope, receive), exc)(scope, receive, send)
            return
        body = _checked_body(command, raw)
        if body is _PASS_ON:
            await self.app(scope, _replay(raw, receive), send)
            return
        request = Request(scope, receive)
        try:
            result = await self._call(command, request, body, path_values)
        except SinkLedgerError as err:
            response: Any = problems.problem_response(err, request)
        except Exception as exc:  # noqa: BLE001 - as FastAPI's handler of the unexpected does
            response = problems.internal_error_response(request, exc)
        else:
            await _send_json(send, command.status_code, result)
            return
        await response(scope, receive, send)

    async def _call(self, command: Command, request: Request, body: BaseModel | None,
                    path_values: dict[str, str]) -> Any:
        svc = await deps.service(request)
        kwargs: dict[str, Any] = dict(path_values)
        for name, what in command.supplied.items():  # in the endpoint's order, as FastAPI solves them
            if what == "svc":
                kwargs[name] = svc
            elif what == "actor":
                kwargs[name] = await deps.actor_of_key(request, svc, _bearer_key(request))
            else:
                kwargs[name] = await deps.request_id(request.headers.get("idempotency-key"))
        if command.body_param is not None:
            kwargs[command.body_param] = body
        if svc.db.is_sqlite:
            return command.endpoint(**kwargs)
        return await run_in_threadpool(command.endpoint, **kwargs)


_PASS_ON = object()


def _checked_body(command: Command, raw: bytes) -> Any:
    """The body as the endpoint's model (an ``application/json`` one), None for an endpoint
    without one (which ignores any body sent, as FastAPI does), or :data:`_PASS_ON` when FastAPI
    should answer (a body it would refuse, or one the fast path cannot be sure of)."""
    if command.body_model is None:
        return None
    if not raw:
        return _PASS_ON
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _PASS_ON
    if not isinstance(value, dict):
        return _PASS_ON
    try:
        return command.body_model.model_validate(value)
    except ValidationError:
        return _PASS_ON


def _bearer_key(request: Request) -> str | None:
    """The key of ``Authorization: Bearer <key>`` as FastAPI's ``HTTPBearer(auto_error=False)``
    reads it (None when absent or of another scheme)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if not (scheme and credentials) or scheme.lower() != "bearer":
        return None
    return credentials


async def _read_body(receive: Receive) -> bytes:
    """The whole body; its size is bounded by :class:`sinkledger.api.limits.BodyLimit` around
    this middleware, which raises 413 from ``receive`` past the limit."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(raw: bytes, receive: Receive) -> Receive:
    """A ``receive`` giving the body already read, then what the client sends next."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replayed


async def _send_json(send: Send, status: int, result: Any) -> None:
    body = orjson.dumps(result, default=jsonable_encoder)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
