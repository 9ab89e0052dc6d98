"""The audit trail as read back: stored decisions and events, replayable decisions, chain breaks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from aria.sizing.decision import Decision


@dataclass(frozen=True)
class StoredDecision:
    """A decision as stored: with its id and its place in its account's chain."""

    id: str
    request_id: str
    account_id: str
    seq: int
    decision: Decision
    created_at: dt.datetime
    hash: str


@dataclass(frozen=True)
class Replayable:
    """A stored decision with its inputs put back together.

    ``inputs`` is ``None`` when they cannot be: ``problem`` then says why. ``record_format``
    1 was hashed before the shared input parts were stored apart.
    """

    stored: StoredDecision
    inputs: dict[str, Any] | None
    record_format: int
    problem: str | None = None


@dataclass(frozen=True)
class StoredEvent:
    """A rule event as stored."""

    id: str
    account_id: str
    seq: int
    kind: str
    detail: dict[str, Any]
    actor: str
    reason: str
    at: dt.datetime


@dataclass(frozen=True)
class ChainBreak:
    """The first record whose hash does not follow from its predecessor."""

    account_id: str
    seq: int
    record: str  # "decision <id>", "event <id>", "state record <id>" or "chain head"
    problem: str
