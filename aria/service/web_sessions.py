"""Dashboard sessions: an API key with the ``read`` scope exchanged for a session cookie.

A session token reads ``<key id>.<expiry>.<nonce>.<mac>``: the MAC is HMAC-SHA256 keyed by
the key's stored hash, so nothing about the session is stored and the key row decides. Each
request reads that row (as an API request does): revoking the key ends its sessions on every
server at once, and a token past its expiry or altered in any part is refused. The CSRF
token of a session is derived from it the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from aria.service.context import Context
from aria.service.keys import Principal, Scope, authenticate

SESSION_HOURS = 12
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class WebSession:
    """A signed-in dashboard session: who it acts for, its cookie value and CSRF token."""

    principal: Principal
    token: str
    csrf: str
    expires_at: dt.datetime


def _mac(secret_hash: str, message: str) -> str:
    return hmac.new(secret_hash.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign_in(ctx: Context, api_key: str) -> WebSession | None:
    """A session for a valid key with the ``read`` scope, or ``None``."""
    found = authenticate(ctx, api_key.strip())
    if found is None or not found.allows(Scope.READ):
        return None
    with ctx.read_unit() as uow:
        stored = uow.access.get(found.key_id)
    if stored is None:
        return None
    expires = ctx.clock.now() + dt.timedelta(hours=SESSION_HOURS)
    body = f"{found.key_id}.{(expires - EPOCH) // dt.timedelta(seconds=1)}.{ctx.tokens(16)}"
    return WebSession(
        found,
        f"{body}.{_mac(stored.secret_hash, body)}",
        _mac(stored.secret_hash, f"csrf.{body}"),
        expires,
    )


def resume(ctx: Context, token: str) -> WebSession | None:
    """The live session a cookie names, or ``None`` (expired, altered, or its key revoked)."""
    body, _, mac = token.rpartition(".")
    parts = body.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or len(parts[1]) > 12 or len(token) > 300:
        return None
    key_id, expiry, _ = parts
    expires = EPOCH + dt.timedelta(seconds=int(expiry))
    if expires <= ctx.clock.now():
        return None
    with ctx.read_unit() as uow:
        stored = uow.access.get(key_id)
    if stored is None or stored.revoked_at is not None:
        return None
    if not hmac.compare_digest(mac.encode(), _mac(stored.secret_hash, body).encode()):
        return None
    principal = Principal(
        stored.id, stored.name, frozenset(Scope(s) for s in stored.scopes), stored.owner
    )
    if not principal.allows(Scope.READ):
        return None
    return WebSession(principal, token, _mac(stored.secret_hash, f"csrf.{body}"), expires)


def csrf_ok(session: WebSession, presented: str) -> bool:
    """Whether a form's CSRF token is this session's."""
    return hmac.compare_digest(session.csrf.encode(), presented.encode())
