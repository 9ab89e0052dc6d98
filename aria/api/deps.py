"""Dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.exceptions import RequestValidationError

from accounts.model import IDENTIFIER_PATTERN
from aria.service.context import Context
from aria.service.errors import Forbidden, NotFound
from aria.service.keys import Principal

# The dependencies here do no I/O, so they are ``async def``: FastAPI runs them on the event
# loop, where a plain ``def`` would cost each request a round trip to the thread pool.


async def context(request: Request) -> Context:
    """The service context of this process."""
    return request.app.state.context  # type: ignore[no-any-return]


Ctx = Annotated[Context, Depends(context)]


def check_owner(caller: Principal, owner: str) -> None:
    """Refuse a key restricted to another owner."""
    if caller.owner is not None and caller.owner != owner:
        raise Forbidden(f"this key may only act on accounts of {caller.owner!r}")


def check_account_owner(caller: Principal, owner: str, account_id: str) -> None:
    """To a key restricted to another owner, an existing account is as unknown as a missing
    one: a 403 would tell it the id exists."""
    if caller.owner is not None and caller.owner != owner:
        raise NotFound(f"unknown account {account_id!r}")


# Ids in paths have the shape of ids everywhere else: anything else is refused (422) before
# it reaches a query.
AccountId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, description="an account id")]
DecisionId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, description="a decision id")]


def _declared(dependant: Any) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared(sub)
    return names


async def known_query(request: Request) -> None:
    """Refuse query parameters the route does not take (422).

    A misspelt filter (``?acount=``) would otherwise be ignored and the answer would hold
    every record instead of the few asked for.
    """
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None or not request.query_params:
        return
    declared = _declared(dependant)
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        takes = ", ".join(sorted(declared)) or "none"
        raise RequestValidationError(
            [
                {
                    "type": "unknown_query_parameter",
                    "loc": ("query", name),
                    "msg": f"unknown query parameter (this endpoint takes: {takes})",
                }
                for name in unknown
            ]
        )
