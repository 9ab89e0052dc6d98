"""Builders for service tests: accounts, states and requests with sane defaults."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from aria.service import accounts as account_service
from aria.service.commands import CreateAccount, PushState, SizeRequest
from aria.service.context import Context
from aria.service.sizing import SizingResult, size


def open_account(ctx: Context, account_id: str, **overrides: Any) -> None:
    """Open an FTMO 2-Step 100k challenge account unless told otherwise."""
    data: dict[str, Any] = {
        "id": account_id,
        "owner": "alice",
        "firm": "ftmo",
        "plan": "2-step",
        "phase": "challenge",
        "size": 100_000,
    }
    data.update(overrides)
    account_service.create_account(ctx, CreateAccount.model_validate(data))


def push(
    ctx: Context,
    account_id: str,
    balance: Any,
    equity: Any,
    at: dt.datetime,
    positions: list[dict[str, Any]] | None = None,
) -> account_service.StateResult:
    """Push a broker state."""
    return account_service.push_state(
        ctx,
        account_id,
        PushState.model_validate(
            {"balance": balance, "equity": equity, "as_of": at, "positions": positions or []}
        ),
    )


def ask(ctx: Context, request_id: str, accounts: Any, **overrides: Any) -> SizingResult:
    """Ask for a size: a GBPUSD long with a 100-pip stop (1,000 per lot) unless told otherwise."""
    data: dict[str, Any] = {
        "request_id": request_id,
        "accounts": accounts,
        "symbol": "GBPUSD",
        "side": "long",
        "entry": "1.2700",
        "stop": "1.2600",
    }
    data.update(overrides)
    return size(ctx, SizeRequest.model_validate(data))


D = Decimal
