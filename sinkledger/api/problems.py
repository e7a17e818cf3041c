"""Refusals over HTTP: RFC 9457 ``application/problem+json`` from the one message catalogue.

Every refusal a service raises (:class:`sinkledger_base.errors.SinkLedgerError`), every request
FastAPI cannot match to an endpoint's declared input (``request_invalid``), every unknown path
or method and every unexpected failure (``internal_error``, logged with an id) leaves the API as
one problem document::

    {"type": "/problems/quantity_must_be_positive", "title": "quantity must be positive",
     "status": 422, "detail": "<the message in the negotiated language>",
     "instance": "/v1/sales", "code": "quantity_must_be_positive",
     "message_zh": "…", "message_en": "…", "params": {"quantity": -3}}

- ``type`` is the refusal code's own page (``GET /problems/{code}`` shows its messages), so a
  client can branch on ``code`` (stable) and show ``message_zh`` or ``message_en``;
- ``detail`` is in Chinese unless the request's ``Accept-Language`` prefers English
  (the app's default language is Chinese too);
- the status follows the refusal's kind (:data:`STATUS_BY_KIND`), with a few codes of their own
  (:data:`STATUS_BY_CODE`): a missing, unknown or revoked key is 401 with
  ``WWW-Authenticate: Bearer``, an exhausted rate limit 429 with ``Retry-After``.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sinkledger import catalogue
from sinkledger_base.errors import (
    Conflict,
    IntegrityFailure,
    InvalidInput,
    NotFound,
    NotPermitted,
    SinkLedgerError,
    printable,
)

log = logging.getLogger("sinkledger.api")

PROBLEM_JSON = "application/problem+json"
STATUS_BY_KIND: tuple[tuple[type[SinkLedgerError], int], ...] = (
    (InvalidInput, 422), (NotFound, 404), (NotPermitted, 403), (Conflict, 409), (IntegrityFailure, 500))
STATUS_BY_CODE = {"api_key_missing": 401, "api_key_invalid": 401, "api_key_revoked": 401,
                  "api_rate_limited": 429, "public_rate_limited": 429, "database_not_initialised": 503, "route_not_found": 404,
                  "method_not_allowed": 405, "upload_too_large": 413}


def status_of(err: SinkLedgerError) -> int:
    """The HTTP status of a refusal: its code's own, else its kind's (500 for an unknown kind)."""
    if err.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[err.code]
    return next((status for kind, status in STATUS_BY_KIND if isinstance(err, kind)), 500)


def prefers_english(request: Request) -> bool:
    """Whether ``Accept-Language`` ranks English above Chinese (Chinese when neither is named)."""
    ranked: list[tuple[float, str]] = []
    for part in request.headers.get("accept-language", "")[:200].split(","):
        lang, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((weight, lang.strip().lower()[:2]))
    for _, lang in sorted(ranked, key=lambda pair: -pair[0]):
        if lang in ("zh", "en"):
            return lang == "en"
    return False


def problem_document(err: SinkLedgerError, request: Request) -> dict[str, Any]:
    """The problem document of a refusal (see the module's docstring)."""
    refusal = catalogue.refusal_dict(err)
    return {"type": f"/problems/{err.code}", "title": err.code.replace("_", " "), "status": status_of(err),
            "detail": refusal["message_en"] if prefers_english(request) else refusal["message_zh"],
            "instance": printable(request.url.path, 200), "code": err.code,
            "message_zh": refusal["message_zh"], "message_en": refusal["message_en"],
            "params": refusal.get("details", {})}


def problem_response(err: SinkLedgerError, request: Request) -> JSONResponse:
    doc = problem_document(err, request)
    headers: dict[str, str] = {}
    if doc["status"] == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="sinkledger"'
    if doc["status"] == 429:
        headers["Retry-After"] = str(err.params.get("retry_after_s", 1))
    return JSONResponse(doc, status_code=doc["status"], media_type=PROBLEM_JSON, headers=headers)


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SinkLedgerError)
    return problem_response(exc, request)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own input checks (a missing field, a text where a whole number belongs, a body
    that is no JSON): ``request_invalid`` naming the first field, every finding in ``errors``."""
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": [str(p) for p in e.get("loc", ())][:6], "type": str(e.get("type", ""))[:60],
               "msg": printable(str(e.get("msg", "")), 200)} for e in list(exc.errors())[:20]]
    first = errors[0] if errors else {"loc": [], "type": "", "msg": ""}
    field = ".".join(p for p in first["loc"] if p not in ("body", "query", "path", "header")) or "body"
    return problem_response(InvalidInput("request_invalid", field=field, reason=first["msg"], errors=errors),
                            request)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return http_error_response(request, exc)


def http_error_response(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Starlette's own errors: an unknown path (404), a method the path does not take (405), a
    body over its limit (413)."""
    where = {"method": request.method, "path": printable(request.url.path, 200)}
    if exc.status_code == 405:
        return problem_response(InvalidInput("method_not_allowed", **where), request)
    if exc.status_code == 404:
        return problem_response(NotFound("route_not_found", **where), request)
    if exc.status_code == 413:  # a body over its limit (sinkledger.api.limits)
        limit_mb = int(exc.detail) if str(exc.detail).isdigit() else str(exc.detail)
        return problem_response(InvalidInput("upload_too_large", max_mb=limit_mb), request)
    return JSONResponse({"type": "about:blank", "title": str(exc.detail), "status": exc.status_code},
                        status_code=exc.status_code, media_type=PROBLEM_JSON)


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    return internal_error_response(request, exc)


def internal_error_response(request: Request, exc: Exception) -> JSONResponse:
    """An unexpected failure: logged with an id, answered ``internal_error`` naming that id."""
    error_id = secrets.token_hex(6)
    log.exception("API request failed (%s): %s %s", error_id, request.method, request.url.path, exc_info=exc)
    return problem_response(IntegrityFailure("internal_error", error_id=error_id), request)


def install(app: FastAPI) -> None:
    """Render every refusal and error of ``app`` as a problem document."""
    app.add_exception_handler(SinkLedgerError, _refused)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal)
