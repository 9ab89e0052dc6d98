"""Time rules for the service: the calendar sizing decides against, the next window that blocks
an account's entries, and the flat-by and inactivity warnings the jobs record.

What counts as activity for an inactivity limit: a closed trade (its close time) or a pushed
state that holds open positions (its time); an account holding positions now is active now.
An account that never traded counts from its opening, promotion or reset, whichever is latest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accounts.model import Account, Trade
from accounts.tracker import Tracker
from aria import calendars
from aria.service.accounts import rules_of
from aria.service.context import Context
from aria.service.errors import InvalidInput, NotFound
from aria.service.profile_layers import prefetch, profile_for
from aria.sizing.instruments import Instrument, InstrumentCatalog, calendar_of
from aria.sizing.profiles import Profile
from aria.sizing.sessions import Blocked, flat_by_deadline, next_blocked
from firms.ruleset import RuleSet
from firms.sessions import Calendar, local_text

_WEEKEND = 5  # Saturday: a flat-by time applies to the trading week, Monday to Friday


def session_calendar(instrument: Instrument, now: dt.datetime, days: int = 3) -> Calendar:
    """The sessions of ``instrument``'s calendar around ``now``."""
    try:
        return calendars.around(calendar_of(instrument), now, days)
    except calendars.CalendarUnavailable as exc:
        raise InvalidInput(f"{instrument.symbol}: {exc}") from None


def blocking_window(
    rules: RuleSet, profile: Profile, instrument: Instrument, now: dt.datetime
) -> Blocked | None:
    """The next window in the coming four days in which sizing refuses ``instrument`` to the
    account (``now`` when it already does)."""
    lead = dt.timedelta(minutes=profile.sessions.lead_minutes)
    # The calendar reaches past the four days looked at, so a window names its reopening.
    return next_blocked(rules, now, session_calendar(instrument, now, days=8), lead)


@dataclass(frozen=True)
class FlatByNotice:
    """A flat-by event due for an account: a warning before the time, or the time itself."""

    kind: str  # flat_by_warning | must_flatten
    slot: str
    flat_by: dt.datetime
    reason: str
    minutes: int


def flat_by_notices(
    account: Account,
    tracker: Tracker,
    rules: RuleSet,
    now: dt.datetime,
    leads: tuple[int, ...],
    calendar: Calendar | None = None,
    grace: dt.timedelta = dt.timedelta(minutes=10),
) -> list[FlatByNotice]:
    """The flat-by events due at ``now`` (Monday to Friday): the nearest passed warning before
    each flat-by deadline of the account's plan, and ``must_flatten`` from the deadline (for
    ``grace``) when the account holds positions. A market that closes earlier that day (by
    ``calendar``) brings the deadline to its close. Each has the slot that makes it once per
    account and time."""
    found = []
    holding = tracker.state is not None and bool(tracker.state.positions)
    for rule in rules.sessions:
        if rule.flat_by is None:
            continue
        where = rule.flat_by.zone
        day = now.astimezone(rule.flat_by.tz).date()
        for offset in (-1, 0, 1):
            instant = rule.flat_by.instant_on(day + dt.timedelta(days=offset))
            if instant.astimezone(rule.flat_by.tz).weekday() >= _WEEKEND:
                continue
            deadline = flat_by_deadline(rule.flat_by, instant, calendar)
            text = f"{rules.plan_name}: flat by {local_text(instant, where)}"
            if deadline != instant:
                text += f" (the market closes earlier, at {local_text(deadline, where)})"
            if deadline <= now < deadline + grace and holding:
                slot = f"{account.id}@{instant.isoformat()}"
                found.append(
                    FlatByNotice("must_flatten", slot, deadline, f"{text}; positions are open", 0)
                )
            due = [m for m in sorted(leads) if deadline - dt.timedelta(minutes=m) <= now < deadline]
            if due:
                slot = f"{account.id}@{instant.isoformat()}#{due[0]}"
                reason = f"{text}, in {due[0]} minutes or less"
                found.append(FlatByNotice("flat_by_warning", slot, deadline, reason, due[0]))
    return found


def last_activity(
    tracker: Tracker,
    trades: list[Trade],
    now: dt.datetime,
    started: dt.datetime | None = None,
) -> dt.datetime | None:
    """When the account last traded: now while it holds positions, else its latest closed
    trade, or when its phase began (``started``: opened, promoted or reset) if that is later or
    it never traded (``None``: nothing to count from)."""
    state = tracker.state
    if state is not None and state.positions:
        return now
    # A new account, or one just promoted or reset, starts the firm's inactivity count afresh.
    times = [t.closed_at for t in trades] + ([started] if started is not None else [])
    return max(times) if times else None


def inactivity_deadline(
    rules: RuleSet,
    tracker: Tracker,
    trades: list[Trade],
    now: dt.datetime,
    started: dt.datetime | None = None,
) -> dt.datetime | None:
    """When the account breaks its plan's inactivity limit, counting from its last activity
    or, when it never traded in its phase, from the phase's start (``None``: no limit)."""
    days = [rule.inactivity_days for rule in rules.sessions if rule.inactivity_days is not None]
    since = last_activity(tracker, trades, now, started)
    if not days or since is None:
        return None
    return since + dt.timedelta(days=min(days))


@dataclass(frozen=True)
class SessionView:
    """The next window that blocks an account's new entries, judged for one symbol."""

    symbol: str
    calendar: str
    blocked: Blocked | None


def representative(rules: RuleSet, positions: list[str], catalog: InstrumentCatalog) -> str:
    """The symbol an account's windows are shown for: its first open position's, else what its
    plan trades (ES for a futures plan, EURUSD otherwise)."""
    for symbol in positions:
        if symbol in catalog:
            return symbol
    allowed = rules.instruments
    futures = allowed is not None and list(allowed.kinds) == ["future"]
    return "ES" if futures else "EURUSD"


def account_sessions(ctx: Context, account_id: str) -> SessionView:
    """The next window in which sizing refuses the account's new entries (its plan's flat-by,
    weekend and overnight rules, and the market's closes), as of now."""
    with ctx.unit() as uow:
        now = uow.now()
        account = uow.accounts.get(account_id)
        if account is None:
            raise NotFound(f"unknown account {account_id!r}")
        tracker = uow.accounts.trackers([account_id])[account_id]
        catalog = ctx.instrument_catalog(uow.market.instruments())
        profile = profile_for(ctx, account, None, prefetch(uow, [account], None))
    rules = rules_of(ctx, account)
    held = [p.symbol for p in tracker.state.positions] if tracker.state else []
    instrument = catalog.get(representative(rules, held, catalog))
    return SessionView(
        instrument.symbol,
        calendar_of(instrument),
        blocking_window(rules, profile, instrument, now),
    )
