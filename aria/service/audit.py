"""Audit use cases: query decisions and rule events, and verify the trail.

``verify`` checks each account's hash chain (nothing altered, removed or inserted), that
the account's settings, tracker and reservations are what the chain last recorded of them
(risk-critical state changed by SQL alone is found), and replays every decision from its
stored inputs through the pipeline, comparing the result field by field with what was
answered at the time. It reports the first mismatch.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import ValidationError

from aria.audit.filters import DecisionFilter, EventFilter
from aria.service.context import Context
from aria.service.errors import InvalidInput
from aria.service.ports import Replayable, StoredDecision, StoredEvent
from aria.sizing.errors import SizingError
from aria.sizing.inputs import (
    DecisionInputs,
    input_hash,
    legacy_input_hash,
    recorded_input_hash,
)
from aria.sizing.pipeline import ENGINE, decide

MAX_PAGE = 1000
_RECORD_ID = re.compile(r"[!-~]{1,64}")


def encode_cursor(at: dt.datetime, seq: int, record_id: str) -> str:
    """An opaque cursor after the record at ``at`` (chain position ``seq``) with ``record_id``."""
    text = f"{at.isoformat()}|{seq}|{record_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[dt.datetime, int, str] | None:
    """The position a cursor points after; a malformed cursor is :class:`InvalidInput`."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, seq, record_id = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        when = dt.datetime.fromisoformat(at)
        position = int(seq)
        # Only what a stored record can hold: a 64-bit sequence, a time UTC can express, an
        # id of printable characters that fits its column.
        if when.tzinfo is None or not 0 <= position < 2**63 or not _RECORD_ID.fullmatch(record_id):
            raise ValueError
        return when.astimezone(dt.UTC), position, record_id
    except (ValueError, OverflowError, UnicodeDecodeError, binascii.Error):
        raise InvalidInput("cursor: not a cursor this service issued") from None


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of records and the cursor of the next page (``None`` at the end)."""

    items: Sequence[T]
    next_cursor: str | None


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: must be between 1 and {MAX_PAGE}")
    return limit


def query_decisions(
    ctx: Context, filters: DecisionFilter, cursor: str | None = None, limit: int = 100
) -> Page[StoredDecision]:
    """Decisions by account, owner, firm, symbol, strategy, status, code and time."""
    after = decode_cursor(cursor)
    with ctx.read_unit() as uow:
        rows = uow.audit.decisions(filters, after, _limit(limit) + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        rows, encode_cursor(rows[-1].created_at, rows[-1].seq, rows[-1].id) if more else None
    )


def query_events(
    ctx: Context, filters: EventFilter, cursor: str | None = None, limit: int = 100
) -> Page[StoredEvent]:
    """Rule events by account, owner, firm, kind and time."""
    after = decode_cursor(cursor)
    with ctx.read_unit() as uow:
        rows = uow.audit.events(filters, after, _limit(limit) + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1].at, rows[-1].seq, rows[-1].id) if more else None)


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of a verification.

    ``decisions`` were replayed; ``older`` were decided under earlier sizing rules (their
    chain and input fingerprint are checked, but this version cannot decide as that one did).
    """

    accounts: int
    decisions: int
    ok: bool
    problem: str | None = None
    older: int = 0


def _fingerprint_matches(inputs: DecisionInputs, record_format: int, stored: str) -> bool:
    if record_format == 1:
        return legacy_input_hash(inputs) == stored
    # Records from before the hash put mappings in key order keep the order they were hashed in.
    return input_hash(inputs) == stored or recorded_input_hash(inputs) == stored


def replay(record: Replayable) -> str | None:
    """Why a stored decision does not replay to itself, or ``None`` when it does."""
    if record.inputs is None:
        return record.problem or "its inputs cannot be put back together"
    stored = record.stored
    try:
        inputs = DecisionInputs.model_validate(record.inputs)
    except ValidationError as exc:
        return f"its stored inputs no longer validate: {exc.errors()[0]['msg']}"
    if not _fingerprint_matches(inputs, record.record_format, stored.decision.input_hash):
        return "its stored inputs do not hash to the input hash it was answered with"
    if stored.decision.engine != ENGINE:
        return None  # decided under other rules: the checks above are what can be checked
    try:
        again = decide(inputs)
    except SizingError as exc:
        return f"replaying it fails: {exc}"
    answered = stored.decision.model_dump(mode="json", exclude={"input_hash"})
    replayed = again.model_dump(mode="json", exclude={"input_hash"})
    for key in answered:
        if answered[key] != replayed.get(key):
            return (
                f"replaying it gives a different {key!r}:"
                f" stored {answered[key]!r}, replayed {replayed.get(key)!r}"
            )
    return None


REPLAY_CHUNK = 200  # decisions replayed per read: memory stays bounded on long chains


def verify(ctx: Context, account_id: str | None = None) -> VerifyReport:
    """Check every chain (or one account's) and replay every decision; stop at the first problem.

    Every account that has or had a chain is checked, its stored head included, in one
    read-only snapshot: a verification never holds up a writer.
    """
    with ctx.read_unit() as uow:
        accounts = [account_id] if account_id else uow.audit.chained_accounts()
        replayed = older = 0
        for account in accounts:
            broken = uow.audit.verify_chain(account)
            if broken is not None:
                problem = (
                    f"account {account}: record {broken.seq} ({broken.record}): {broken.problem}"
                )
                return VerifyReport(len(accounts), replayed, False, problem)
            after = 0
            while True:
                batch = uow.audit.decisions_of(account, after, REPLAY_CHUNK)
                for record in batch:
                    why = replay(record)
                    if why is not None:
                        stored = record.stored
                        return VerifyReport(
                            len(accounts),
                            replayed,
                            False,
                            f"account {account}: decision {stored.id} (record {stored.seq}): {why}",
                        )
                    if record.stored.decision.engine == ENGINE:
                        replayed += 1
                    else:
                        older += 1
                if len(batch) < REPLAY_CHUNK:
                    break
                after = batch[-1].stored.seq
            drift = uow.audit.verify_state(account)
            if drift is not None:
                return VerifyReport(len(accounts), replayed, False, f"account {account}: {drift}")
    return VerifyReport(len(accounts), replayed, True, older=older)
