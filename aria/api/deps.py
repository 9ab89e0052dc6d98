"""Dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from accounts.model import IDENTIFIER_PATTERN
from aria.service.context import Context
from aria.service.errors import Forbidden
from aria.service.keys import Principal


def context(request: Request) -> Context:
    """The service context of this process."""
    return request.app.state.context  # type: ignore[no-any-return]


Ctx = Annotated[Context, Depends(context)]


def check_owner(caller: Principal, owner: str) -> None:
    """Refuse a key restricted to another owner."""
    if caller.owner is not None and caller.owner != owner:
        raise Forbidden(f"this key may only act on accounts of {caller.owner!r}")


# Ids in paths have the shape of ids everywhere else: anything else is refused (422) before
# it reaches a query.
AccountId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, description="an account id")]
DecisionId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, description="a decision id")]
