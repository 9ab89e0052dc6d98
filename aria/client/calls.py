"""Each API call as a value, built and read once for the sync and the async client.

A :class:`Call` says what to send and how to read the answer; the clients only send it and
retry it under :class:`Retry`. A call is ``idempotent`` when sending it twice does what
sending it once does (reads, cancels, sizing under one ``request_id``): it is retried after
any dropped connection, 503 or 429. A state push or a cash flow is retried only when it
provably never reached the server (a refused connection) or was refused unread (429).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from accounts.model import Account, Position, Trade
from aria.client.errors import (
    AriaError,
    Conflict,
    Invalid,
    RateLimited,
    Unavailable,
    error_of,
)
from aria.client.models import (
    Accounts,
    CancelOut,
    CashFlow,
    CashFlowOut,
    CopyResult,
    CountOut,
    DecisionOut,
    PreviewOut,
    RiskOut,
    Selector,
    Signal,
    SizingOut,
    StateOut,
)

T = TypeVar("T")
_ACCOUNTS = TypeAdapter(list[Account])
_POSITIONS = TypeAdapter(list[Position])
_TRADES = TypeAdapter(list[Trade])


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request to the API and how to read its answer."""

    method: str
    path: str
    read: Callable[[Any], T]
    body: Any = None
    params: Mapping[str, str] = field(default_factory=dict)
    idempotent: bool = True


@dataclass(frozen=True)
class Retry:
    """How often and how patiently a call is sent again: ``attempts`` in all, waiting
    ``backoff`` × 2ⁿ seconds (at most ``max_backoff``), or the server's ``Retry-After``."""

    attempts: int = 4
    backoff: float = 0.25
    max_backoff: float = 8.0

    def again(self, call: Call[Any], error: AriaError, attempt: int) -> bool:
        """Whether ``call``, failed with ``error`` on try number ``attempt``, is sent again."""
        if attempt >= self.attempts:
            return False
        if isinstance(error, RateLimited):
            return True
        return isinstance(error, Unavailable) and (call.idempotent or not error.sent)

    def delay(self, attempt: int, error: AriaError) -> float:
        """Seconds to wait before try number ``attempt + 1``."""
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return min(error.retry_after, self.max_backoff * 4)
        return float(min(self.backoff * 2 ** (attempt - 1), self.max_backoff))


def unreachable(base: str, exc: Exception) -> Unavailable:
    """The error of a request that got no answer; ``sent`` unless the connection was refused."""
    sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    why = type(exc).__name__ if not str(exc) else str(exc)
    return Unavailable(f"no answer from ARIA at {base}: {why}", status=None, sent=sent)


def answer(call: Call[T], status: int, body: Any, retry_after: str | None) -> T:
    """The value of a 2xx answer, or the error of any other."""
    if 200 <= status < 300:
        return call.read(body)
    raise error_of(status, body, retry_after)


def _checked(adapter: TypeAdapter[list[T]], given: Sequence[Any], what: str) -> list[T]:
    """``given`` validated as the server will, before sending: a bad one is :class:`Invalid`
    naming the item and field, as the server's 422 would."""
    try:
        return adapter.validate_python(list(given))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise Invalid(f"{what}.{where}: {message}", status=None, code="invalid_input") from None


def _model(kind: type[BaseModel]) -> Callable[[Any], Any]:
    return kind.model_validate


def new_request_id() -> str:
    """A fresh request id: kept by every retry of the request it names."""
    return f"py-{uuid.uuid4().hex}"


def _json(value: BaseModel) -> dict[str, Any]:
    return value.model_dump(mode="json", exclude_none=True)


def _accounts(accounts: Accounts) -> Any:
    if isinstance(accounts, Selector):
        return _json(accounts)
    if isinstance(accounts, str):
        return [accounts]  # one id, not its letters
    return list(accounts)


def size(signal: Signal, accounts: Accounts, request_id: str | None = None) -> Call[SizingOut]:
    """``POST /v1/sizing`` under ``request_id`` (a new one when none is given)."""
    body = {"request_id": request_id or new_request_id(), "accounts": _accounts(accounts)}
    return Call("POST", "/v1/sizing", _model(SizingOut), body | _json(signal))


def preview(signal: Signal, accounts: Accounts) -> Call[PreviewOut]:
    """``POST /v1/sizing/preview``: nothing reserved or recorded."""
    body = {"accounts": _accounts(accounts)} | _json(signal)
    return Call("POST", "/v1/sizing/preview", _model(PreviewOut), body)


def cancel(decision_id: str) -> Call[CancelOut]:
    """``POST /v1/decisions/{id}/cancel``: release an approval that will not be placed."""
    return Call("POST", f"/v1/decisions/{decision_id}/cancel", _model(CancelOut))


def push_state(
    account_id: str,
    balance: Decimal | int | str,
    equity: Decimal | int | str,
    positions: Sequence[Position | Mapping[str, Any]] = (),
    as_of: dt.datetime | None = None,
    cash_flows: Sequence[CashFlow] = (),
) -> Call[StateOut]:
    """``PUT /v1/accounts/{id}/state``; positions in ARIA's shape or MetaTrader 5's."""
    body = {
        "balance": str(balance),
        "equity": str(equity),
        # The client's clock: the time the broker's numbers were read.
        "as_of": (as_of or dt.datetime.now(dt.UTC)).isoformat(),
        "positions": _POSITIONS.dump_python(
            _checked(_POSITIONS, positions, "positions"), mode="json", exclude_none=True
        ),
        "cash_flows": [_json(flow) for flow in cash_flows],
    }
    return Call("PUT", f"/v1/accounts/{account_id}/state", _model(StateOut), body, idempotent=False)


def record_trades(account_id: str, trades: Sequence[Trade | Mapping[str, Any]]) -> Call[CountOut]:
    """``POST /v1/accounts/{id}/trades`` (a trade id already stored is skipped)."""
    given = _checked(_TRADES, trades, "trades")
    body = {"trades": _TRADES.dump_python(given, mode="json", exclude_none=True)}
    # Idempotent only when every trade has its broker id: that is how a repeat is skipped.
    idempotent = all(t.id is not None for t in given)
    return Call(
        "POST", f"/v1/accounts/{account_id}/trades", _model(CountOut), body, idempotent=idempotent
    )


def record_cash_flow(account_id: str, flow: CashFlow) -> Call[CashFlowOut]:
    """``POST /v1/accounts/{id}/cash-flows``."""
    return Call(
        "POST",
        f"/v1/accounts/{account_id}/cash-flows",
        _model(CashFlowOut),
        _json(flow),
        idempotent=False,
    )


def list_accounts(
    owner: str | None = None, firm: str | None = None, strategy: str | None = None
) -> Call[list[Account]]:
    """``GET /v1/accounts``, filtered."""
    given = {"owner": owner, "firm": firm, "strategy": strategy}
    params = {k: v for k, v in given.items() if v is not None}
    return Call("GET", "/v1/accounts", _ACCOUNTS.validate_python, params=params)


def get_account(account_id: str) -> Call[Account]:
    """``GET /v1/accounts/{id}``."""
    return Call("GET", f"/v1/accounts/{account_id}", Account.model_validate)


def headroom(account_id: str) -> Call[RiskOut]:
    """``GET /v1/accounts/{id}/headroom``: floors, headroom, objectives, next windows."""
    return Call("GET", f"/v1/accounts/{account_id}/headroom", _model(RiskOut))


def copied(answer: SizingOut) -> CopyResult:
    """A sizing answer split into the approvals to place and the refusals."""
    return CopyResult(
        request_id=answer.request_id,
        replayed=answer.replayed,
        approved=[d for d in answer.decisions if d.status == "approved"],
        rejected=[d for d in answer.decisions if d.status != "approved"],
    )


def unplaced(decisions: CopyResult | Sequence[DecisionOut], placed: Sequence[str]) -> list[str]:
    """The ids of approvals that were not placed (their reservations are to be released)."""
    given = decisions.approved if isinstance(decisions, CopyResult) else decisions
    kept = set(placed)
    return [d.decision_id for d in given if d.status == "approved" and d.decision_id not in kept]


def released(error: AriaError) -> bool:
    """Whether a cancel's error means the reservation is already gone (placed, expired,
    cancelled): nothing is left to release."""
    return isinstance(error, Conflict)
