"""Keeping an account's tracker current: daily rolls, halts lifted at the reset, own halts.

Shared by state pushes, sizing (which rolls lazily, so a decision never uses yesterday's
anchor even if the reset job has not run yet) and the scheduled jobs. Every change of the
trading day or of the trading state is written as a rule event. The account must be locked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from accounts.events import AccountEvent
from accounts.model import Account, HaltKind, TradingState, TradingStatus
from accounts.tracker import Tracker
from aria.service.context import ServiceOptions
from aria.service.ports import UnitOfWork
from firms.daily import roll_day
from firms.floors import daily_floor
from firms.ruleset import RuleSet

SYSTEM = "aria"
OWN_REDUCING = "ARIA: "  # prefix of the reason of ARIA's own 'reducing' state


@dataclass
class Rolled:
    """An account and its tracker after bringing them up to ``now``, and what to record."""

    account: Account
    tracker: Tracker
    events: list[str] = field(default_factory=list)  # the kinds, in order
    records: list[AccountEvent] = field(default_factory=list)
    tracker_changed: bool = False
    account_changed: bool = False


def roll_forward(
    account: Account,
    tracker: Tracker,
    rules: RuleSet,
    now: dt.datetime,
    at: dt.datetime | None = None,
) -> Rolled:
    """Roll the trading day if a reset has passed by ``now``; lift a daily halt that has ended.

    Pure: the events to record come back with the result (see :func:`record`). ``at``
    stamps them and defaults to ``now``; a state push rolls by the state's time but records
    when it was processed, so the audit trail stays in the order it was written.
    """
    at = at or now
    result = Rolled(account, tracker)
    roll = roll_day(rules, tracker.day, tracker.peaks, tracker.state, now)
    if roll.rolled:
        result.tracker = tracker.evolve(day=roll.day, peaks=roll.peaks)
        result.tracker_changed = True
        floor = daily_floor(rules.daily_loss, rules.size, roll.day)
        detail: dict[str, Any] = {
            "trading_day": rules.daily_reset.trading_day(roll.day.starts_at).isoformat(),
            "reset_at": roll.day.starts_at.isoformat(),
            "balance": str(roll.day.balance),
            "equity": str(roll.day.equity),
            "daily_floor": None if floor is None else str(floor),
            "end_of_day_peak": str(roll.peaks.end_of_day_balance),
        }
        # The first day of an account opens on its first state; later days roll at a reset.
        kind = "daily_reset" if tracker.day is not None else "day_opened"
        reason = (
            f"daily reset at {rules.daily_reset.describe()}" if tracker.day else "first day opened"
        )
        result.records.append(AccountEvent(account.id, kind, SYSTEM, reason, at, detail))
        result.events.append(kind)
    lifted = account.trading.lifted(now)
    if lifted != account.trading:
        result.account = account.model_copy(update={"trading": lifted})
        result.account_changed = True
        result.records.append(
            AccountEvent(
                account.id,
                "halt_lifted",
                SYSTEM,
                "the daily halt ended at the reset",
                at,
                {"was": account.trading.model_dump(mode="json")},
            )
        )
        result.events.append("halt_lifted")
    return result


def record(uow: UnitOfWork, rolled: Sequence[Rolled], at: dt.datetime) -> None:
    """Write what :func:`roll_forward` found, for many accounts in a few statements."""
    uow.audit.append_events([event for r in rolled for event in r.records])
    uow.accounts.save_trackers([(r.account.id, r.tracker) for r in rolled if r.tracker_changed], at)
    for r in rolled:
        if r.account_changed:
            uow.accounts.save(r.account, at)


def bring_current(
    uow: UnitOfWork,
    account: Account,
    tracker: Tracker,
    rules: RuleSet,
    now: dt.datetime,
    at: dt.datetime | None = None,
) -> Rolled:
    """:func:`roll_forward` one account and record it at once (the account must be locked)."""
    rolled = roll_forward(account, tracker, rules, now, at)
    record(uow, [rolled], at or now)
    return rolled


def own_reducing(
    account: Account,
    streak: int,
    distance: Decimal,
    options: ServiceOptions,
    initial: Decimal,
    now: dt.datetime,
) -> tuple[TradingState, int, str | None]:
    """ARIA's own, debounced switch to 'reducing' near a floor, and back.

    The account only turns to reducing when equity is within ``near_floor_fraction`` of
    initial from the nearest floor in ``debounce_updates`` consecutive state pushes, so one
    outlier tick cannot latch it; it turns back as soon as a push shows it clear again.
    Returns the trading state, the new streak, and the event kind if the state changed.
    """
    threshold = initial * options.near_floor_fraction
    near = distance <= threshold
    streak = streak + 1 if near else 0
    trading = account.trading
    own = trading.status is TradingStatus.REDUCING and (trading.reason or "").startswith(
        OWN_REDUCING
    )
    if near and streak >= options.debounce_updates and trading.status is TradingStatus.ACTIVE:
        state = TradingState(
            status=TradingStatus.REDUCING,
            reason=f"{OWN_REDUCING}equity within {threshold:,.2f} of a floor"
            f" in {streak} consecutive updates",
            since=now,
        )
        return state, streak, "reducing"
    if not near and own:
        return (
            TradingState(since=now, reason="clear of the floors again"),
            streak,
            "reducing_lifted",
        )
    return trading, streak, None


def is_failed(account: Account) -> bool:
    """True when a hard breach failed the account."""
    return account.trading.halt is HaltKind.FAILED
