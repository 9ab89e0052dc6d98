"""The access aggregate: API keys, of which only the hashes of secrets are kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from aria.stored import StoredKey
from storage.repositories.statements import API_KEYS


def _key(row: Any) -> StoredKey:
    return StoredKey(
        row.id,
        row.name,
        row.secret_hash,
        tuple(row.scopes),
        row.owner,
        row.created_at,
        row.revoked_at,
    )


class AccessRepository:
    """API keys (``aria.service.ports.AccessRepository``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        key_id: str,
        name: str,
        secret_hash: str,
        scopes: Sequence[str],
        owner: str | None,
        at: dt.datetime,
    ) -> None:
        self.session.execute(
            API_KEYS.insert(),
            {
                "id": key_id,
                "name": name,
                "secret_hash": secret_hash,
                "scopes": list(scopes),
                "owner": owner,
                "created_at": at,
            },
        )

    def get(self, key_id: str) -> StoredKey | None:
        row = self.session.execute(sa.select(API_KEYS).where(API_KEYS.c.id == key_id)).first()
        return _key(row) if row else None

    def all(self) -> list[StoredKey]:
        query = sa.select(API_KEYS).order_by(API_KEYS.c.created_at)
        return [_key(row) for row in self.session.execute(query)]

    def revoke(self, key_id: str, at: dt.datetime) -> bool:
        # Only a key not revoked yet: a second revoke keeps the first time.
        result = self.session.execute(
            API_KEYS.update()
            .where(API_KEYS.c.id == key_id, API_KEYS.c.revoked_at.is_(None))
            .values(revoked_at=at)
            .returning(API_KEYS.c.id)
        )
        return result.first() is not None
