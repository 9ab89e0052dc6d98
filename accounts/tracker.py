"""An account's tracker: its latest broker state, its peaks and its trading day, kept together.

These move together on every state push and every daily reset, and they are what the sizing
pipeline and the floors read; keeping them in one value keeps them consistent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from accounts.cash import NO_CASH, CashLedger
from accounts.model import AccountState, DayStart
from accounts.peaks import Peaks


@dataclass(frozen=True, slots=True)
class Tracker:
    """Latest state (``None`` before the first push), peaks, trading day, debounce count,
    what cash flows did so far, and the firm's open-risk violations (how many, and whether
    the latest state is still over the cap: one episode counts once)."""

    state: AccountState | None
    peaks: Peaks
    day: DayStart | None
    near_floor_streak: int = 0
    cash: CashLedger = NO_CASH
    risk_violations: int = 0
    over_risk_cap: bool = False

    @classmethod
    def start(cls, initial_balance: Decimal, at: dt.datetime | None = None) -> Tracker:
        """The tracker of a new account, or of one restarted at ``at`` (a new phase, a firm's
        reset): no state older than ``at`` is then taken."""
        return cls(state=None, peaks=Peaks.start(initial_balance, at), day=None)

    def evolve(self, **changes: object) -> Tracker:
        """A copy with ``changes``."""
        return replace(self, **changes)  # type: ignore[arg-type]
