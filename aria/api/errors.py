"""Errors as JSON a person understands: ``{"error": {"code", "message", "fields"?}}``.

Validation errors are 422, unknown ids 404, conflicts 409, missing keys 401, missing scopes
403, a key over its rate limit 429 (with ``Retry-After``), a database that went away 503,
a second verification while one runs 503 (with ``Retry-After``). The errors of the service,
storage, firms and sizing trees are answered from ``aria.api.error_table``, the table the
CLI uses too.
Nothing a client sends can produce a 500: anything unexpected is logged with the request id
and answered without internals.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from aria.api.error_table import TRANSLATED, answer_for, clean
from aria.api.security import AuthError, RateLimited

log = logging.getLogger("aria.api")


class Busy(Exception):
    """The server is already doing the one such thing it does at a time (503, retry later)."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    """A JSON error response."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    for item in extra.get("fields", ()):
        item["message"] = clean(item["message"])
    return JSONResponse(
        {"error": {"code": code, "message": clean(message), **extra}},
        status_code=status,
        headers=headers,
    )


def _field(loc: tuple[Any, ...]) -> str:
    parts = [
        str(p)
        for p in loc
        if p not in ("body", "query", "path") and not str(p).startswith("function-")
    ]
    return ".".join(parts) or "(body)"


def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    fields = []
    for item in exc.errors():
        message = (
            "unknown field"
            if item.get("type") == "extra_forbidden"
            else str(item.get("msg", "invalid"))
        )
        fields.append(
            {
                "field": _field(tuple(item.get("loc", ()))),
                "message": message.removeprefix("Value error, "),
            }
        )
    for item, raw in zip(fields, exc.errors(), strict=False):
        if raw.get("type") == "json_invalid":
            item["field"] = "(body)"
            item["message"] = (
                "not valid JSON: send a JSON document (Content-Type: application/json)"
            )
        elif item["field"] == "(body)" and "valid dictionary" in item["message"]:
            item["message"] = "send a JSON object (Content-Type: application/json)"
    first = fields[0] if fields else {"field": "(body)", "message": "invalid"}
    return error(422, "invalid_input", f"{first['field']}: {first['message']}", fields=fields[:20])


def _translated(_: Request, exc: Exception) -> JSONResponse:
    answer = answer_for(exc)
    if answer is None:  # registered for translated errors only; kept total for the type checker
        return error(
            500, "internal_error", "ARIA could not answer this request; it has been logged"
        )
    return error(answer.status, answer.code, str(exc))


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _allowed(request: Request, exc: StarletteHTTPException) -> str:
    """The methods of every operation at the request's path, as the OpenAPI document lists them.

    Starlette names only the methods of the first route whose path matches.
    """
    named = (exc.headers or {}).get("Allow", "")
    methods = {m.strip().upper() for m in named.split(",") if m.strip()}
    path = request.scope.get("path", "")
    for template, operations in request.app.openapi().get("paths", {}).items():
        parts = re.split(r"\{[^}/]+\}", template)
        if re.fullmatch("[^/]+".join(re.escape(part) for part in parts), path):
            methods |= {m.upper() for m in operations if m in _HTTP_METHODS}
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    """Map every error to its status and JSON body."""
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]

    @app.exception_handler(AuthError)
    def _auth(_: Request, exc: AuthError) -> JSONResponse:
        return error(exc.status, "unauthorized" if exc.status == 401 else "forbidden", exc.message)

    @app.exception_handler(RateLimited)
    def _limited(_: Request, exc: RateLimited) -> JSONResponse:
        response = error(429, "rate_limited", f"{exc}; retry after {exc.retry_after:.1f} s")
        response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
        return response

    @app.exception_handler(Busy)
    def _busy(_: Request, exc: Busy) -> JSONResponse:
        response = error(503, "busy", str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    # Service, storage, firm and sizing errors: one table for both faces (error_table).
    for kind in TRANSLATED:
        app.add_exception_handler(kind, _translated)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # a body that is not JSON at all: invalid input like any other
            return error(
                422,
                "invalid_input",
                f"(body): {exc.detail}; send a JSON document (Content-Type: application/json)",
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = error(exc.status_code, code, str(exc.detail))
        if exc.status_code == 405:
            response.headers["Allow"] = _allowed(request, exc)
        return response

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Handlers run outside the ``except`` that caught ``exc``: pass it, or the log would
        # say "NoneType: None" instead of the traceback.
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return error(
            500, "internal_error", "ARIA could not answer this request; it has been logged"
        )
