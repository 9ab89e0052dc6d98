"""What the client sends and gets back.

Answers are the API's own response models (``aria.api.schemas``, and ``Account``), so the
client reads exactly what the server writes. Requests are the client's: the server's
commands belong to the service, which a client never imports; the server validates them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from accounts.model import Account, Position, Side, Trade
from aria.api.schemas import (
    CancelOut,
    CashFlowOut,
    CountOut,
    DecisionOut,
    PreviewOut,
    PreviewRowOut,
    RiskOut,
    SizingOut,
    StateOut,
)

__all__ = [
    "Account",
    "Accounts",
    "CancelOut",
    "CashFlow",
    "CashFlowOut",
    "CopyResult",
    "CountOut",
    "DecisionOut",
    "Position",
    "PreviewOut",
    "PreviewRowOut",
    "RiskOut",
    "Selector",
    "Signal",
    "SizingOut",
    "StateOut",
    "Trade",
    "placed_position",
]


class Request(BaseModel):
    """Base of what the client sends: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Selector(Request):
    """Accounts chosen by owner, firm and/or strategy (every given field must match)."""

    owner: str | None = None
    firm: str | None = None
    strategy: str | None = None


# Account ids, or a selector.
Accounts = Sequence[str] | Selector


class Signal(Request):
    """One trade to size: the symbol as the broker names it (aliases resolve it), the side,
    the entry and a stop (a price, or a multiple of the ATR)."""

    symbol: str
    side: Literal["long", "short"]
    entry: Decimal
    stop: Decimal | None = None
    stop_atr_multiple: Decimal | None = None
    take_profit: Decimal | None = None
    confidence: Decimal | None = Field(default=None, ge=0, le=1)
    strategy: str | None = None
    spread: Decimal | None = None
    reduce_only: bool = False


class CashFlow(Request):
    """A deposit, payout (requested or paid), fee or scaling: never trading P&L."""

    kind: Literal["deposit", "payout_requested", "payout", "fee", "scaling"]
    amount: Decimal
    at: dt.datetime | None = None
    reference: str | None = None
    note: str | None = None


class CopyResult(BaseModel):
    """The answer to one signal copied to several accounts: the approvals to place and the
    refusals, each with its reasons."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    replayed: bool
    approved: list[DecisionOut]
    rejected: list[DecisionOut]

    def by_account(self) -> Mapping[str, DecisionOut]:
        """Every decision by its account id."""
        return {d.account_id: d for d in [*self.approved, *self.rejected]}


def placed_position(
    decision: DecisionOut,
    *,
    ticket: str | int | None = None,
    entry: Decimal | None = None,
    lots: Decimal | None = None,
    opened_at: dt.datetime | None = None,
) -> Position:
    """The open position an approval became at the broker, carrying its ``decision_id`` so a
    state push releases the approval's reservation into the position (the fill's price and
    lots when they differ from the approval's)."""
    return Position(
        id=None if ticket is None else str(ticket),
        symbol=decision.symbol,
        side=Side(decision.side),
        lots=decision.lots if lots is None else lots,
        entry=decision.entry if entry is None else entry,
        stop=decision.stop,
        take_profit=decision.take_profit,
        decision_id=decision.decision_id,
        opened_at=opened_at,
    )
