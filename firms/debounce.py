"""ARIA's own halts, debounced: 'reducing' near a floor only after several updates in a row.

The firm's verdicts (:mod:`firms.breaches`) are final on the broker's numbers; ARIA's own
switch to 'reducing' is a precaution, so one outlier tick must not latch it. It turns on when
equity is near the binding floor in ``updates`` consecutive state pushes, and off as soon as
a push shows the account clear again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from accounts.model import TradingState, TradingStatus

OWN_REDUCING = "ARIA: "  # prefix of the reason of ARIA's own 'reducing' state


@dataclass(frozen=True, slots=True)
class Debounce:
    """How near a floor counts as near (a fraction of initial), and for how many updates."""

    near_floor_fraction: Decimal
    updates: int


@dataclass(frozen=True, slots=True)
class OwnSwitch:
    """The trading state after one update, the new streak, and the event kind if it changed."""

    trading: TradingState
    streak: int
    kind: str | None = None


def is_own_reducing(trading: TradingState) -> bool:
    """True when the account is 'reducing' by ARIA's own debounced switch (not an operator's)."""
    return trading.status is TradingStatus.REDUCING and (trading.reason or "").startswith(
        OWN_REDUCING
    )


def own_reducing(
    trading: TradingState,
    streak: int,
    distance: Decimal,
    debounce: Debounce,
    initial: Decimal,
    now: dt.datetime,
) -> OwnSwitch:
    """Fold one update at ``distance`` above the binding floor into ARIA's own switch."""
    threshold = initial * debounce.near_floor_fraction
    near = distance <= threshold
    streak = streak + 1 if near else 0
    if near and streak >= debounce.updates and trading.status is TradingStatus.ACTIVE:
        reducing = TradingState(
            status=TradingStatus.REDUCING,
            reason=f"{OWN_REDUCING}equity within {threshold:,.2f} of a floor"
            f" in {streak} consecutive updates",
            since=now,
        )
        return OwnSwitch(reducing, streak, "reducing")
    if not near and is_own_reducing(trading):
        cleared = TradingState(since=now, reason="clear of the floors again")
        return OwnSwitch(cleared, streak, "reducing_lifted")
    return OwnSwitch(trading, streak)
