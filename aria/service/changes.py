"""The change feed port: which accounts changed (a state, a decision or a rule event).

The dashboard's live stream listens to it. Storage implements it twice: PostgreSQL's
LISTEN/NOTIFY (a notification is sent in the transaction that writes, so every server
process hears every write) and polling of each account's chain head on SQLite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from aria.stored import Change


class ChangeFeed(Protocol):
    """Where the dashboard hears of changed accounts."""

    def changes(self) -> AsyncIterator[Change | None]:
        """``None`` once listening, then every change written from then on, until closed."""
        ...


def visible(change: Change, owner: str | None) -> bool:
    """Whether a key restricted to ``owner`` (``None``: every owner) may hear of ``change``."""
    return owner is None or change.owner == owner
