"""API keys: issued once, stored as a hash, scoped, optionally restricted to one owner.

A key reads ``aria_<id>_<secret>``; only SHA-256(secret) is stored, and a presented key is
checked in constant time. Secrets come from the context's token source (the operating
system's CSPRNG in production), never from global random state.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

from aria.service.context import Context
from aria.service.errors import InvalidInput, NotFound

PREFIX = "aria_"


class Scope(StrEnum):
    """What a key may do: size (and push states and trades), read, or everything (admin)."""

    SIZE = "size"
    READ = "read"
    ADMIN = "admin"


@dataclass(frozen=True)
class IssuedKey:
    """A new key; ``token`` is shown once and never stored."""

    id: str
    name: str
    scopes: tuple[Scope, ...]
    owner: str | None
    token: str


@dataclass(frozen=True)
class Principal:
    """Who a request acts for."""

    key_id: str
    name: str
    scopes: frozenset[Scope]
    owner: str | None

    def allows(self, scope: Scope) -> bool:
        """True when the key has ``scope`` (admin has every scope)."""
        return Scope.ADMIN in self.scopes or scope in self.scopes


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(ctx: Context, name: str, scopes: list[str], owner: str | None = None) -> IssuedKey:
    """Issue a key with ``scopes``, optionally limited to ``owner``'s accounts."""
    try:
        chosen = tuple(sorted({Scope(s) for s in scopes}))
    except ValueError:
        raise InvalidInput(f"scopes: use {', '.join(s.value for s in Scope)}") from None
    if not chosen:
        raise InvalidInput("scopes: give at least one")
    if not name.strip():
        raise InvalidInput("name: give the key a name")
    key_id, secret = ctx.tokens(8), ctx.tokens(32)
    with ctx.unit() as uow:
        uow.access.add(
            key_id, name.strip(), _digest(secret), [s.value for s in chosen], owner, ctx.clock.now()
        )
        uow.commit()
    return IssuedKey(key_id, name.strip(), chosen, owner, f"{PREFIX}{key_id}_{secret}")


def authenticate(ctx: Context, token: str) -> Principal | None:
    """The principal of a presented key, or ``None`` when it is unknown, wrong or revoked."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    key_id, _, secret = token[len(PREFIX) :].partition("_")
    if not key_id or not secret:
        return None
    with ctx.read_unit() as uow:  # a read: never waits behind writers
        stored = uow.access.get(key_id)
    if stored is None or stored.revoked_at is not None:
        return None
    if not hmac.compare_digest(stored.secret_hash, _digest(secret)):
        return None
    return Principal(
        stored.id, stored.name, frozenset(Scope(s) for s in stored.scopes), stored.owner
    )


def list_keys(ctx: Context) -> list[tuple[str, str, tuple[str, ...], str | None, str, str | None]]:
    """Every key: id, name, scopes, owner, created, revoked (never a secret)."""
    with ctx.unit() as uow:
        keys = uow.access.all()
    return [
        (
            k.id,
            k.name,
            k.scopes,
            k.owner,
            k.created_at.isoformat(),
            k.revoked_at.isoformat() if k.revoked_at else None,
        )
        for k in keys
    ]


def revoke_key(ctx: Context, key_id: str) -> None:
    """Revoke a key; it stops working at once."""
    with ctx.unit() as uow:
        if not uow.access.revoke(key_id, ctx.clock.now()):
            raise NotFound(f"no live key {key_id!r}")
        uow.commit()
