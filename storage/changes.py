"""Change feeds (``aria.service.changes.ChangeFeed``): which accounts were written to.

Every state record, decision and rule event moves its account's chain head on the tracker
row (:mod:`storage.repositories.chain`). On PostgreSQL that write also sends a notification
on :data:`CHANNEL` in the same transaction, which :class:`NotifyFeed` listens to over an
async psycopg connection, so a server hears the writes of every other server at their
commit. SQLite has no notifications: :class:`PollingFeed` reads every account's chain head
(one small query) each ``interval`` seconds, in a worker thread, and reports those that
moved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from aria.stored import Change
from storage.engine import make_engine, normalise_url
from storage.repositories.chain import CHANNEL
from storage.repositories.statements import ACCOUNTS, TRACKERS

log = logging.getLogger("aria.storage")
POLL_SECONDS = 1.0


class PollingFeed:
    """Changes found by comparing every account's chain head with the previous read."""

    def __init__(self, engine: Engine, interval: float = POLL_SECONDS) -> None:
        self.engine, self.interval = engine, interval

    def heads(self) -> dict[tuple[str, str], int]:
        """(owner, account id) → chain head, for every account (one query)."""
        query = sa.select(ACCOUNTS.c.owner, ACCOUNTS.c.id, TRACKERS.c.chain_seq).join(
            TRACKERS, TRACKERS.c.account_id == ACCOUNTS.c.id
        )
        with self.engine.connect() as connection:
            return {(r.owner, r.id): r.chain_seq for r in connection.execute(query)}

    async def changes(self) -> AsyncIterator[Change | None]:
        """``None`` once the first heads are read, then every account whose head moved since
        the previous poll, until closed."""
        seen = await asyncio.to_thread(self.heads)
        yield None
        while True:
            await asyncio.sleep(self.interval)
            try:
                now = await asyncio.to_thread(self.heads)
            except sa.exc.SQLAlchemyError as exc:
                log.warning("change feed: the database did not answer (%s)", type(exc).__name__)
                continue
            for (owner, account_id), head in sorted(now.items()):
                if seen.get((owner, account_id)) != head:
                    yield Change(owner, account_id)
            seen = now


class NotifyFeed:
    """Changes as PostgreSQL notifies them, on one listening connection per stream."""

    def __init__(self, url: str) -> None:
        parsed = make_url(normalise_url(url)).set(drivername="postgresql")
        self.conninfo = parsed.render_as_string(hide_password=False)

    async def changes(self) -> AsyncIterator[Change | None]:
        """``None`` once listening, then every notified change, until closed."""
        async with await psycopg.AsyncConnection.connect(
            self.conninfo, autocommit=True
        ) as connection:
            await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
            yield None
            async for notice in connection.notifies():
                found = Change.parse(notice.payload)
                if found is not None:
                    yield found


def feed_for(url: str) -> PollingFeed | NotifyFeed:
    """The change feed of the database at ``url``: notifications on PostgreSQL, polling
    elsewhere."""
    if make_url(normalise_url(url)).get_backend_name() == "postgresql":
        return NotifyFeed(url)
    return PollingFeed(make_engine(url))
