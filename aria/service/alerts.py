"""Alerts on accounts: judged after every state push, trade and cash flow (in its transaction)
and, for the time-based ones, by the ``alerts`` job.

The readings come from the computations the headroom endpoint uses (the floors, their
distances from :func:`firms.headroom.headroom`, the objectives of :mod:`firms.progress`);
:mod:`firms.alerts` decides which levels are crossed. Each crossing is one chained ``alert``
event (detail: ``key``, ``level``, ``severity``, ``action``, ``message``, ``floor``), which the
outbox turns into notifications. With the profile's ``alerts.act``, a close-only or
flatten-now level moves the account to 'reducing' until the floor is back under it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from accounts.events import AccountEvent
from accounts.model import Account, TradingStatus
from accounts.tracker import Tracker
from aria.service.context import Context
from aria.service.ports import UnitOfWork
from aria.service.profile_layers import prefetch, profile_for
from aria.sizing.gates import too_old
from aria.sizing.profiles import AlertSettings
from firms import alerts
from firms.alerts import Crossing, Reading
from firms.floors import day_amount, floors
from firms.headroom import headroom
from firms.lifecycle import SYSTEM
from firms.progress import Objectives
from firms.ruleset import RuleSet

ALERT = "alert"


def floor_readings(rules: RuleSet, tracker: Tracker, settings: AlertSettings) -> list[Reading]:
    """How much of each floor's distance the account's latest state has used."""
    state = tracker.state
    if state is None:
        return []
    found = floors(rules, tracker.day, tracker.peaks, state, tracker.cash)
    left = headroom(found, state.equity, now=state.as_of).distances
    anchors: dict[str, Decimal | None] = {
        "daily_loss": day_amount(rules, tracker.day, tracker.cash),
        "max_loss": rules.max_loss.amount.resolve(rules.size),
        "floating_loss": (
            rules.floating_loss.amount.resolve(rules.size) if rules.floating_loss else None
        ),
    }
    day = tracker.day.starts_at.isoformat() if tracker.day is not None else ""
    readings = []
    for name, distance in sorted(left.items()):
        anchor = anchors.get(name)
        if anchor is None:
            continue
        epoch = day if name == "daily_loss" else ""
        readings.append(
            alerts.floor_reading(name, anchor, distance, settings.floor_levels, epoch=epoch)
        )
    return readings


def objective_readings(found: Objectives, settings: AlertSettings) -> list[Reading]:
    """Best-day shares near their caps, and the profit target."""
    readings = [
        alerts.consistency_reading(
            c.share_pct, c.limit_pct, settings.consistency_margin, f"objective:consistency:{i}"
        )
        for i, c in enumerate(found.consistency)
        if c.share_pct is not None
    ]
    if found.target is not None and found.profit is not None and found.target > 0:
        readings.append(alerts.target_reading(found.profit, found.target))
    return readings


def _detail(crossing: Crossing) -> dict[str, Any]:
    return {
        "key": crossing.key,
        "level": str(crossing.level.at),
        "severity": crossing.level.severity.value,
        "action": crossing.level.action.value,
        "message": crossing.text(),
        "fraction": str(crossing.fraction.quantize(Decimal("0.0001"))),
        **dict(crossing.detail),
    }


def settings_of(ctx: Context, uow: UnitOfWork, account: Account) -> AlertSettings:
    """The account's alert settings (its profile's ``alerts`` section)."""
    return profile_for(ctx, account, None, prefetch(uow, [account], None)).alerts


def judge(
    ctx: Context,
    uow: UnitOfWork,
    account: Account,
    readings: Sequence[Reading],
    settings: AlertSettings,
    now: dt.datetime,
) -> tuple[Account, tuple[str, ...]]:
    """Record the levels ``readings`` cross (one ``alert`` event each), keep the fired levels,
    and act on the trading state when the profile says so; returns the account and the
    kinds of the events written."""
    if not readings:
        return account, ()
    before = uow.alerts.fired(account.id)
    result = alerts.evaluate(readings, before)
    # Only what changed is written: most pushes fire nothing and write nothing.
    changed = {
        r.key: result.fired[r.key]
        for r in readings
        if alerts.fired_levels(result.fired[r.key]) != alerts.fired_levels(before.get(r.key))
    }
    uow.alerts.save_fired(account.id, changed, now)
    events = [
        AccountEvent(account.id, ALERT, SYSTEM, c.text(), now, _detail(c)) for c in result.crossings
    ]
    # Only a judgement that read the floors may move the trading state (the job reads time).
    if settings.act and any(r.key.startswith("floor:") for r in readings):
        floor_active = {
            key: level for key, level in result.active(readings).items() if key.startswith("floor:")
        }
        acted = alerts.act(account.trading, floor_active, now)
        if acted.kind is not None:
            detail = {
                "before": account.trading.model_dump(mode="json"),
                "after": acted.trading.model_dump(mode="json"),
            }
            reason = acted.trading.reason or ""
            events.append(AccountEvent(account.id, acted.kind, SYSTEM, reason, now, detail))
            account = account.model_copy(update={"trading": acted.trading})
            uow.accounts.save(account, now)
    uow.audit.append_events(events)
    return account, tuple(e.kind for e in events)


def after_change(
    ctx: Context,
    uow: UnitOfWork,
    account: Account,
    tracker: Tracker,
    rules: RuleSet,
    now: dt.datetime,
    objectives: Objectives | None = None,
) -> tuple[Account, tuple[str, ...]]:
    """The alerts of an account whose state, trades or cash just changed (same transaction).

    A halted account is left alone: its floor was hit, or its firm or an operator stopped it.
    """
    if account.trading.status is TradingStatus.HALTED:
        return account, ()
    settings = settings_of(ctx, uow, account)
    readings = floor_readings(rules, tracker, settings)
    if objectives is not None:
        readings += objective_readings(objectives, settings)
    return judge(ctx, uow, account, readings, settings, now)


def time_readings(
    tracker: Tracker,
    settings: AlertSettings,
    bars_as_of: dict[str, dt.datetime],
    max_market_age_seconds: int,
    now: dt.datetime,
) -> list[Reading]:
    """Stale state (positions held, no push for too long) and stale bars of traded symbols."""
    state = tracker.state
    if state is None or not state.positions:
        return []
    allowed = Decimal(settings.stale_state_minutes * 60)
    age = Decimal(str((now - state.as_of).total_seconds()))
    readings = [alerts.stale_reading("time:stale_state", age, allowed, "the account's state")]
    for symbol in sorted({p.symbol for p in state.positions}):
        as_of = bars_as_of.get(symbol)
        if as_of is None:
            continue
        # The sizing gate's rule (stale_data): older than the profile's market age, strictly.
        limit = Decimal(max_market_age_seconds)
        seconds = Decimal(str((now - as_of).total_seconds()))
        if too_old(now, as_of, max_market_age_seconds) is None:
            seconds = min(seconds, limit - 1)  # at the limit exactly is still fresh
        readings.append(
            alerts.stale_reading(
                f"time:stale_bars:{symbol}", seconds, limit, f"the bars of {symbol}"
            )
        )
    return readings
