"""API-key authentication: ``Authorization: Bearer aria_<id>_<secret>``, with scopes.

Every request reads its key's row (one primary-key lookup), so a revocation made by any
process takes effect on the very next request everywhere. Keys are never logged: only
their id is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from aria.service.keys import Principal, Scope, authenticate


class AuthError(Exception):
    """Missing or wrong credentials (401) or a missing scope (403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class RateLimited(Exception):
    """A key sent more requests than its limit allows (429, retry after ``retry_after`` s)."""

    def __init__(self, retry_after: float, limit: float) -> None:
        super().__init__(f"more than {limit:g} requests a second for this key")
        self.retry_after = retry_after
        self.limit = limit


class RateLimit:
    """A token bucket per key: ``per_second`` on average, bursts of up to ``burst``.

    A busy copier may send a burst (a fan-out of many requests at once) but not flood the
    service for everyone else. ``per_second`` 0 switches the limit off.
    """

    def __init__(self, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.per_second, self.burst, self._clock = per_second, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key id → (tokens, as of)
        self._lock = threading.Lock()

    def take(self, key_id: str) -> None:
        """Spend one request of ``key_id``'s allowance, or raise :class:`RateLimited`."""
        if self.per_second <= 0:
            return
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(key_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.per_second)
            if tokens < 1:
                self._buckets[key_id] = (tokens, now)
                raise RateLimited((1 - tokens) / self.per_second, self.per_second)
            self._buckets[key_id] = (tokens - 1, now)


def bearer_token(request: Request) -> str:
    """The token of the Authorization header, or :class:`AuthError` 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(401, "an API key is required: send 'Authorization: Bearer <key>'")
    return token.strip()


def principal(request: Request) -> Principal:
    """The authenticated caller.

    The one dependency that reads the database, so the one a request runs in the thread pool
    before its route: the scope check and the other dependencies run on the event loop.
    """
    token = bearer_token(request)
    # No cache: a remembered key would outlive its revocation on every server that held it.
    found = authenticate(request.app.state.context, token)
    if found is None:
        raise AuthError(401, "the API key is unknown, wrong or revoked")
    request.state.key_id = found.key_id
    request.app.state.rate_limit.take(found.key_id)
    return found


def requires(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only keys with ``scope``."""

    async def check(caller: Annotated[Principal, Depends(principal)]) -> Principal:
        if not caller.allows(scope):
            raise AuthError(403, f"this key lacks the '{scope.value}' scope")
        return caller

    return check


Sizer = Annotated[Principal, Depends(requires(Scope.SIZE))]
Reader = Annotated[Principal, Depends(requires(Scope.READ))]
Admin = Annotated[Principal, Depends(requires(Scope.ADMIN))]
