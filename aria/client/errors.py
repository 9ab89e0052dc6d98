"""What can go wrong talking to ARIA: one tree, built from the API's error body.

``AriaError`` → ``AuthError`` (401, and ``Forbidden`` for 403), ``NotFound`` (404),
``Invalid`` (400, 405, 413, 422), ``Conflict`` (409), ``RateLimited`` (429, with
``retry_after``) and ``Unavailable`` (503, or ARIA could not be reached at all).
"""

from __future__ import annotations

from typing import Any


class AriaError(Exception):
    """An answer of ARIA that is not a success; ``code`` and ``message`` are the API's."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "error") -> None:
        super().__init__(message)
        self.message, self.status, self.code = message, status, code

    def __str__(self) -> str:
        return self.message if self.status is None else f"{self.message} (HTTP {self.status})"


class AuthError(AriaError):
    """No API key, an unknown, wrong or revoked one: check the key."""


class Forbidden(AuthError):
    """The key lacks the scope, or may not act on this account."""


class NotFound(AriaError):
    """An unknown account or decision id."""


class Invalid(AriaError):
    """The request is not valid; the message names the field. Retrying will not help."""


class Conflict(AriaError):
    """A conflict with stored state: a request id reused for another request, a state not
    newer than the stored one, a reservation already released."""


class RateLimited(AriaError):
    """Too many requests for this key: retry after ``retry_after`` seconds."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 429,
        code: str = "rate_limited",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class Unavailable(AriaError):
    """ARIA or its database is unreachable. ``sent`` is false when the request provably never
    reached the server (a refused connection): then nothing was done."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 503,
        code: str = "unavailable",
        sent: bool = True,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.sent = sent


_BY_STATUS: dict[int, type[AriaError]] = {
    400: Invalid,
    401: AuthError,
    403: Forbidden,
    404: NotFound,
    405: Invalid,
    409: Conflict,
    413: Invalid,
    422: Invalid,
    429: RateLimited,
    503: Unavailable,
}


def error_of(status: int, body: Any, retry_after: str | None = None) -> AriaError:
    """The exception for an error answer: its status, and the ``{"error": {"code",
    "message"}}`` body the API sends (any other body is quoted as it came)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = str(error.get("code", "error"))
        message = str(error.get("message", "")) or f"ARIA answered {status}"
    else:
        code, message = "error", f"ARIA answered {status}: {str(body)[:200]}"
    kind = _BY_STATUS.get(status, Unavailable if status >= 500 else AriaError)
    if kind is RateLimited:
        return RateLimited(message, status=status, code=code, retry_after=_seconds(retry_after))
    return kind(message, status=status, code=code)


def _seconds(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None  # an HTTP date: the client's own backoff applies
