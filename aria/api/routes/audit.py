"""Compliance audit queries: decisions and rule events (JSON or CSV), and verification."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import AfterValidator

from accounts.model import Identifier, Symbol
from aria.api.deps import Ctx, check_account_owner, check_owner
from aria.api.errors import Busy
from aria.api.schemas import (
    ERRORS,
    CheckpointOut,
    Decision,
    DecisionRecordOut,
    EventOut,
    PageOut,
    VerifyOut,
)
from aria.api.security import Reader
from aria.audit.filters import DecisionFilter, EventFilter
from aria.reports.spreadsheet import csv_text
from aria.service import accounts as account_service
from aria.service import audit, checkpoints
from aria.service.context import Context
from aria.service.errors import Forbidden, NotFound
from aria.service.keys import Principal
from aria.sizing.decision import RejectCode

router = APIRouter(prefix="/v1/audit", responses=ERRORS, tags=["audit"])

Limit = Annotated[int, Query(ge=1, le=audit.MAX_PAGE)]
Cursor = Annotated[str | None, Query(max_length=200)]
Format = Annotated[Literal["json", "csv"], Query()]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """A query time in UTC (a time without offset is UTC); refused when UTC cannot hold it."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("must lie between the years 1 and 9999 once converted to UTC") from None


Time = Annotated[
    dt.datetime | None,
    AfterValidator(_utc),
    Query(description="ISO 8601 date-time; one without an offset is UTC"),
]

DECISION_COLUMNS = (
    "decision_id",
    "created_at",
    "account_id",
    "request_id",
    "seq",
    "status",
    "symbol",
    "side",
    "lots",
    "risk_amount",
    "notional",
    "stop",
    "take_profit",
    "method",
    "binding",
    "reject_codes",
    "profile",
    "rulebook",
    "input_hash",
)
EVENT_COLUMNS = ("event_id", "at", "account_id", "seq", "kind", "actor", "reason", "detail")


def _owner_filter(caller: Principal, owner: str | None) -> str | None:
    if caller.owner is None:
        return owner
    if owner is not None:
        check_owner(caller, owner)
    return caller.owner


def _known_account(ctx: Context, caller: Principal, account: str | None) -> None:
    # A filter on an account that does not exist would answer an empty page as if it were
    # one with no records; another owner's account is unknown to an owner-limited key.
    if account is None:
        return
    found = account_service.get_account(ctx, account)
    if caller.owner is not None and found.owner != caller.owner:
        raise NotFound(f"unknown account {account!r}")


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]], next_cursor: str | None) -> Response:
    headers = {"X-Next-Cursor": next_cursor} if next_cursor else {}
    return Response(csv_text(columns, rows), media_type="text/csv; charset=utf-8", headers=headers)


CSV: dict[int | str, dict[str, Any]] = {  # the type FastAPI takes for ``responses``
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "JSON, or CSV with format=csv",
    }
}


@router.get("/decisions", response_model=PageOut[DecisionRecordOut], responses=CSV)
def decisions(
    ctx: Ctx,
    caller: Reader,
    account: Annotated[Identifier | None, Query()] = None,
    owner: Annotated[Identifier | None, Query()] = None,
    firm: Annotated[Identifier | None, Query()] = None,
    symbol: Annotated[Symbol | None, Query()] = None,
    strategy: Annotated[Identifier | None, Query()] = None,
    status: Annotated[Literal["approved", "rejected"] | None, Query()] = None,
    code: Annotated[RejectCode | None, Query()] = None,
    start: Time = None,
    end: Time = None,
    cursor: Cursor = None,
    limit: Limit = 100,
    format: Format = "json",
) -> Any:
    """Decisions, newest first; ``format=csv`` for CSV (next cursor in ``X-Next-Cursor``)."""
    _known_account(ctx, caller, account)
    filters = DecisionFilter(
        account=account,
        owner=_owner_filter(caller, owner),
        firm=firm,
        symbol=symbol,
        strategy=strategy,
        status=status,
        code=code.value if code else None,
        start=start,
        end=end,
    )
    page = audit.query_decisions(ctx, filters, cursor, limit)
    items = [
        DecisionRecordOut(
            decision_id=d.id,
            request_id=d.request_id,
            account_id=d.account_id,
            seq=d.seq,
            created_at=d.created_at,
            decision=Decision.of(d.decision),
        )
        for d in page.items
    ]
    if format == "csv":
        rows = []
        for item in items:
            flat = item.decision.model_dump(mode="json")
            flat.update(
                decision_id=item.decision_id,
                created_at=item.created_at.isoformat(),
                request_id=item.request_id,
                seq=item.seq,
                reject_codes=" ".join(item.decision.reject_codes),
            )
            rows.append(flat)
        return _csv(DECISION_COLUMNS, rows, page.next_cursor)
    return PageOut[DecisionRecordOut](items=items, next_cursor=page.next_cursor)


@router.get("/events", response_model=PageOut[EventOut], responses=CSV)
def events(
    ctx: Ctx,
    caller: Reader,
    account: Annotated[Identifier | None, Query()] = None,
    owner: Annotated[Identifier | None, Query()] = None,
    firm: Annotated[Identifier | None, Query()] = None,
    kind: Annotated[Identifier | None, Query()] = None,
    start: Time = None,
    end: Time = None,
    cursor: Cursor = None,
    limit: Limit = 100,
    format: Format = "json",
) -> Any:
    """Rule events (resets, breaches, halts, overrides, findings), newest first."""
    _known_account(ctx, caller, account)
    filters = EventFilter(
        account=account,
        owner=_owner_filter(caller, owner),
        firm=firm,
        kind=kind,
        start=start,
        end=end,
    )
    page = audit.query_events(ctx, filters, cursor, limit)
    items = [
        EventOut(
            event_id=e.id,
            account_id=e.account_id,
            seq=e.seq,
            kind=e.kind,
            at=e.at,
            actor=e.actor,
            reason=e.reason,
            detail=e.detail,
        )
        for e in page.items
    ]
    if format == "csv":
        rows = [
            {**item.model_dump(mode="json"), "detail": json.dumps(item.detail, sort_keys=True)}
            for item in items
        ]
        return _csv(EVENT_COLUMNS, rows, page.next_cursor)
    return PageOut[EventOut](items=items, next_cursor=page.next_cursor)


# One verification at a time per process: each runs in a read-only snapshot and never
# holds up trading, but replaying every decision is CPU a second caller would only share.
_VERIFYING = threading.Lock()


@contextmanager
def _one_verification() -> Iterator[None]:
    if not _VERIFYING.acquire(blocking=False):
        raise Busy("a verification is already running on this server; retry when it has ended")
    try:
        yield
    finally:
        _VERIFYING.release()


@router.get("/verify", response_model=VerifyOut)
def verify(
    ctx: Ctx, caller: Reader, account: Annotated[Identifier | None, Query()] = None
) -> VerifyOut:
    """Check the hash chains and replay every decision from its stored inputs.

    One verification runs at a time per server; another meanwhile is answered 503 with
    ``Retry-After``.
    """
    with _one_verification():
        return _verify(ctx, caller, account)


def _verify(ctx: Context, caller: Principal, account: str | None) -> VerifyOut:
    if account is not None:
        check_account_owner(caller, account_service.get_account(ctx, account).owner, account)
        scope = [account]
    elif caller.owner is not None:
        scope = [a.id for a in account_service.list_accounts(ctx, owner=caller.owner)]
    else:
        report = audit.verify(ctx)
        return VerifyOut(
            ok=report.ok,
            accounts=report.accounts,
            decisions=report.decisions,
            older=report.older,
            problem=report.problem,
        )
    reports = [audit.verify(ctx, account_id) for account_id in scope]
    bad = next((r for r in reports if not r.ok), None)
    return VerifyOut(
        ok=bad is None,
        accounts=len(reports),
        decisions=sum(r.decisions for r in reports),
        older=sum(r.older for r in reports),
        problem=bad.problem if bad else None,
    )


@router.get("/checkpoint", response_model=CheckpointOut)
def checkpoint(ctx: Ctx, caller: Reader) -> Response:
    """A digest of every chain head (signed with ``ARIA_AUDIT_KEY`` when it is set) to keep
    outside the database; ``aria audit verify --against FILE`` checks the log against it.

    It names every owner's accounts, so it needs a key without an owner.
    """
    if caller.owner is not None:
        raise Forbidden("a checkpoint covers every owner's accounts: use a key without an owner")
    # The exact document the CLI writes, so that a saved answer verifies byte for byte.
    return Response(checkpoints.take(ctx).to_json(), media_type="application/json")
