"""Reports as HTML: the portfolio of one owner's accounts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from accounts.model import Identifier
from aria.api.deps import Ctx, check_owner
from aria.api.schemas import ERRORS
from aria.api.security import Reader
from aria.reports.portfolio import portfolio_report
from aria.service.errors import InvalidInput

router = APIRouter(prefix="/v1/reports", responses=ERRORS, tags=["reports"])


# Errors stay JSON like every other endpoint's; only the answer itself is a page.
PAGE: dict[int | str, dict[str, Any]] = {  # the type FastAPI takes for ``responses``
    200: {
        "content": {"text/html": {"schema": {"type": "string"}}},
        "description": "a self-contained HTML page",
    }
}


@router.get("/portfolio", response_model=None, responses=PAGE)
def portfolio(
    ctx: Ctx,
    caller: Reader,
    owner: Annotated[
        Identifier | None, Query(description="whose accounts (default: the key's owner)")
    ] = None,
) -> HTMLResponse:
    """Every account of an owner on one self-contained HTML page: a summary table, totals
    per firm and currency, the latest rule events and a section per account."""
    if owner is None:
        if caller.owner is None:
            raise InvalidInput("owner: name the owner whose accounts to report")
        owner = caller.owner
    check_owner(caller, owner)
    return HTMLResponse(portfolio_report(ctx, owner))
