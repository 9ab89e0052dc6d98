"""High-water marks of an account, and the drawdown from them.

Three peaks drive the firms' maximum-loss floors: the highest equity seen intraday (open
P&L included), the highest balance at a day's close, and the highest closed balance
(realised P&L only, updated as trades close). All start at the initial balance, so a
trailing floor never starts below the firm's static one, and none of them ever falls.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pydantic import AwareDatetime

from accounts.errors import InvalidState
from accounts.model import AccountState, Frozen
from accounts.money import ZERO, FiniteDecimal


class Peaks(Frozen):
    """The three high-water marks; every update returns a new value."""

    intraday_equity: FiniteDecimal
    end_of_day_balance: FiniteDecimal
    closed_balance: FiniteDecimal
    as_of: AwareDatetime | None = None

    @classmethod
    def start(cls, initial_balance: Decimal, at: dt.datetime | None = None) -> Peaks:
        """Peaks of a new account: all at its initial balance."""
        return cls(
            intraday_equity=initial_balance,
            end_of_day_balance=initial_balance,
            closed_balance=initial_balance,
            as_of=at,
        )

    def observe(self, state: AccountState) -> Peaks:
        """Fold in a state pushed during the day; states must come in time order."""
        if self.as_of is not None and state.as_of < self.as_of:
            raise InvalidState(
                f"state of {state.as_of.isoformat()} is older than the peaks"
                f" ({self.as_of.isoformat()}); states must arrive in time order"
            )
        return self.model_copy(
            update={
                "intraday_equity": max(self.intraday_equity, state.equity),
                "closed_balance": max(self.closed_balance, state.balance),
                "as_of": state.as_of,
            }
        )

    def moved(self, amount: Decimal) -> Peaks:
        """The marks re-anchored by a cash flow of ``amount``: in trading terms they stay."""
        return self.model_copy(
            update={
                "intraday_equity": self.intraday_equity + amount,
                "end_of_day_balance": self.end_of_day_balance + amount,
                "closed_balance": self.closed_balance + amount,
            }
        )

    def close_day(self, balance: Decimal, at: dt.datetime) -> Peaks:
        """Record the balance at a day's close (the firm's daily reset)."""
        if self.as_of is not None and at < self.as_of:
            raise InvalidState("a day cannot close before the last state the peaks have seen")
        return self.model_copy(
            update={
                "end_of_day_balance": max(self.end_of_day_balance, balance),
                "closed_balance": max(self.closed_balance, balance),
                "as_of": at,
            }
        )


@dataclass(frozen=True, slots=True)
class Drawdown:
    """How far equity is below a peak, as an amount and as a fraction of the peak."""

    peak: Decimal
    amount: Decimal
    fraction: Decimal

    @classmethod
    def of(cls, peak: Decimal, equity: Decimal) -> Drawdown:
        """Drawdown of ``equity`` from ``peak`` (zero when at or above the peak)."""
        amount = max(peak - equity, ZERO)
        fraction = amount / peak if peak > ZERO else ZERO
        return cls(peak=peak, amount=amount, fraction=fraction)
