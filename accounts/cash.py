"""Cash flows: money moved into or out of an account that is not trading profit or loss.

A deposit, a payout or a fee changes the balance, but never the trader's P&L: the peaks and
the day anchor are re-anchored by the amount (their distance to the balance is kept), and
the ledger keeps the cumulative net flow, so a mark in trading terms is the stored mark minus
:attr:`CashLedger.net`. What a flow does to a firm's floors is the firm's rule
(:mod:`firms.cash_flows`).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from accounts.model import Frozen, UtcTime
from accounts.money import ZERO, FiniteDecimal, PositiveDecimal


class CashFlowKind(StrEnum):
    """What moved the money, which decides its sign and the rules it triggers."""

    DEPOSIT = "deposit"  # money paid in: the balance rises
    PAYOUT_REQUESTED = "payout_requested"  # a withdrawal asked for: the balance does not move yet
    PAYOUT = "payout"  # a withdrawal paid: the balance falls
    FEE = "fee"  # a charge taken from the balance
    SCALING = "scaling"  # the firm grows the account: its size and its balance rise together

    @property
    def sign(self) -> int:
        """+1 when the balance rises, -1 when it falls, 0 when it does not move."""
        signs = {"deposit": 1, "payout_requested": 0, "payout": -1, "fee": -1, "scaling": 1}
        return signs[self.value]


Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)]


class CashFlow(Frozen):
    """One cash flow: its kind, its (positive) amount, and when it happened."""

    kind: CashFlowKind
    amount: PositiveDecimal
    at: UtcTime
    reference: Reference | None = Field(default=None, description="the firm's or broker's id")
    note: Note | None = None

    @property
    def signed(self) -> Decimal:
        """The change to the balance: the amount with the kind's sign."""
        return self.amount * self.kind.sign


class CashLedger(Frozen):
    """What cash flows did to an account so far: the net flow, payout counts, a fixed floor."""

    net: FiniteDecimal = ZERO
    payouts: Annotated[int, Field(ge=0)] = 0
    requests: Annotated[int, Field(ge=0)] = 0
    max_loss_floor: FiniteDecimal | None = Field(
        default=None, description="a maximum-loss floor a payout rule fixed (balance terms)"
    )

    def after(self, flow: CashFlow) -> CashLedger:
        """The ledger once ``flow`` is counted (the floor is the firm rule's to set).

        A scaling is not counted in the net flow: it moves the starting balance with the
        size, so the account's profit in trading terms stays what it was.
        """
        moved = ZERO if flow.kind is CashFlowKind.SCALING else flow.signed
        return self.model_copy(
            update={
                "net": self.net + moved,
                "payouts": self.payouts + (flow.kind is CashFlowKind.PAYOUT),
                "requests": self.requests + (flow.kind is CashFlowKind.PAYOUT_REQUESTED),
            }
        )


NO_CASH = CashLedger()
