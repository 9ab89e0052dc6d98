"""``POST /v1/sizing``, ``POST /v1/sizing/preview`` and ``POST /v1/decisions/{id}/cancel``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from aria.api.answers import encoded
from aria.api.deps import Ctx, DecisionId
from aria.api.schemas import (
    ERRORS,
    CancelOut,
    DecisionOut,
    PreviewOut,
    PreviewRowOut,
    SizingOut,
)
from aria.api.security import Sizer
from aria.service import sizing
from aria.service.commands import Signal, SizeRequest

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["sizing"])


@router.post("/sizing", response_model=SizingOut)
def size(body: SizeRequest, ctx: Ctx, caller: Sizer, request: Request) -> Response:
    """Size one signal for one account or many; a repeated request id returns the stored answer."""
    result = sizing.size(ctx, body, allowed_owner=caller.owner)
    if not result.replayed:
        for d in result.decisions:
            request.app.state.metrics.count(
                d.decision.status, [c.value for c in d.decision.reject_codes]
            )
    decisions = [DecisionOut.stored(d.decision_id, d.decision) for d in result.decisions]
    answer = SizingOut.model_construct(
        request_id=result.request_id, replayed=result.replayed, decisions=decisions
    )
    return encoded(answer)


@router.post("/sizing/preview", response_model=PreviewOut)
def preview(body: Signal, ctx: Ctx, caller: Sizer) -> Response:
    """What sizing would answer now for each account, without reserving or recording anything."""
    as_of, rows = sizing.preview(ctx, body, allowed_owner=caller.owner)
    answer = PreviewOut(
        as_of=as_of,
        accounts=[
            PreviewRowOut(
                account_id=row.account_id,
                status=row.status,
                lots=row.lots,
                reject_codes=list(row.reject_codes),
                binding=row.binding,
            )
            for row in rows
        ],
    )
    return encoded(answer)


@router.post("/decisions/{decision_id}/cancel", response_model=CancelOut)
def cancel(decision_id: DecisionId, ctx: Ctx, caller: Sizer) -> CancelOut:
    """Release the risk held for an approved decision that will not be placed."""
    account_id = sizing.cancel(ctx, decision_id, allowed_owner=caller.owner)
    return CancelOut(decision_id=decision_id, account_id=account_id)
