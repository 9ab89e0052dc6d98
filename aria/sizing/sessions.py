"""The session gate: no new entry when the market is closed, nor inside the profile's lead time
before a time the firm's rules say the account must be flat by.

Four windows, each with its stable code and the instant that causes it (as the wall clock of
its zone):

- ``market_closed``: the product's market is closed (a holiday, after an early close, a
  weekend or a daily break), until it reopens;
- ``flat_by_window``: from the lead time before the plan's flat-by time until the next
  trading day (the firm's daily reset, or the market's reopening if that comes first); a
  market that closes before the flat-by time that day (an early close) brings the deadline
  forward to its close;
- ``weekend_close``: on a plan that forbids holding over the weekend, from the lead time
  before a close followed by a break longer than two hours (a weekend or a holiday);
- ``overnight_hold``: on a plan that forbids holding overnight, from the lead time before the
  day's end (the market's close, or the firm's daily reset if that comes first).

Exits are never blocked: the pipeline answers reduce-only requests before any gate. Only the
session rules of the account's phase apply (the rule set holds only those).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aria.sizing.decision import RejectCode
from aria.sizing.inputs import DecisionInputs
from firms.clock import WallClock
from firms.ruleset import RuleSet
from firms.sessions import (
    Calendar,
    closed_reason,
    is_open,
    last_close,
    local_text,
    market_name,
    next_close,
    next_open,
    weekend_close,
)

Gate = tuple[RejectCode, str]
CODES = (
    RejectCode.MARKET_CLOSED,
    RejectCode.FLAT_BY_WINDOW,
    RejectCode.WEEKEND_CLOSE,
    RejectCode.OVERNIGHT_HOLD,
)
_DAY = dt.timedelta(days=1)
SESSION_PREFIX = "session: "  # how a decision's reasons from this gate begin


def flat_by_deadline(
    flat_by: WallClock, instant: dt.datetime, calendar: Calendar | None
) -> dt.datetime:
    """When an account must be flat for the flat-by time at ``instant``: that time, or the
    market's close that day when it closes earlier and is still closed then."""
    if calendar is None or is_open(calendar, instant):
        return instant
    closed = last_close(calendar, instant)
    tz = flat_by.tz
    if closed is not None and closed.close.astimezone(tz).date() == instant.astimezone(tz).date():
        return closed.close
    return instant


def flat_by_windows(
    flat_by: WallClock, reset: WallClock, now: dt.datetime, calendar: Calendar | None
) -> list[tuple[dt.datetime, dt.datetime, dt.datetime]]:
    """The flat-by deadlines around ``now`` as (deadline, flat-by instant, end of the window),
    the window ending at the next trading day: the daily reset, or the reopening if earlier."""
    found = []
    day = now.astimezone(flat_by.tz).date()
    for offset in (-1, 0, 1):
        instant = flat_by.instant_on(day + offset * _DAY)
        deadline = flat_by_deadline(flat_by, instant, calendar)
        end = reset.next(instant)
        # The first open after the flat-by time is a reopening: the market closed before it.
        reopen = next_open(calendar, instant) if calendar is not None else None
        if reopen is not None and reopen < end:
            end = reopen
        found.append((deadline, instant, end))
    return found


def _lead(inputs: DecisionInputs) -> dt.timedelta:
    return dt.timedelta(minutes=inputs.profile.sessions.lead_minutes)


def session_gates(inputs: DecisionInputs) -> list[Gate]:
    """The windows of the account's time rules and the product's market that ``inputs.now``
    falls in (none for a reduce-only request: the pipeline never gates one; none without a
    calendar)."""
    if inputs.calendar is None:
        # Inputs without a calendar were recorded before the session rules (or come from a
        # scenario that gives none): they replay as they were decided.
        return []
    found = gates_at(inputs.rules, inputs.now, inputs.calendar, _lead(inputs))
    return [(code, f"{SESSION_PREFIX}{reason}") for code, reason in found]


def time_rule_gates(
    rules: RuleSet, now: dt.datetime, calendar: Calendar | None, lead: dt.timedelta
) -> list[Gate]:
    """The windows of the plan's session rules ``now`` falls in, with the market open."""
    found: list[Gate] = []
    what = rules.plan_name
    ahead = f"no new entry in the {_minutes(lead)} before it"
    for rule in rules.sessions:
        if rule.flat_by is None:
            continue
        for deadline, instant, end in flat_by_windows(
            rule.flat_by, rules.daily_reset, now, calendar
        ):
            if deadline - lead <= now < end:
                zone_name = rule.flat_by.zone
                early = (
                    ""
                    if deadline == instant
                    else f" (the market closes earlier, at {_at(deadline, calendar, zone_name)})"
                )
                found.append(
                    (
                        RejectCode.FLAT_BY_WINDOW,
                        f"{what} must be flat by {local_text(instant, rule.flat_by.zone)}{early};"
                        f" {ahead}, nor until {local_text(end, rule.flat_by.zone)}",
                    )
                )
                break
    if calendar is not None and any(not rule.weekend_holding for rule in rules.sessions):
        weekend = weekend_close(calendar, now)
        if weekend is not None and now >= weekend[0] - lead:
            reopen = f"; it reopens {calendar.local(weekend[1])}" if weekend[1] else ""
            found.append(
                (
                    RejectCode.WEEKEND_CLOSE,
                    f"{what} forbids holding over the weekend and {market_name(calendar.name)}"
                    f" closes {calendar.local(weekend[0])}{reopen}; {ahead}",
                )
            )
    if any(not rule.overnight_holding for rule in rules.sessions):
        day_end = rules.daily_reset.next(now)
        close = next_close(calendar, now) if calendar is not None else None
        if close is not None and close < day_end:
            day_end = close
        if now >= day_end - lead:
            zone_name = calendar.zone if calendar is not None else rules.daily_reset.zone
            found.append(
                (
                    RejectCode.OVERNIGHT_HOLD,
                    f"{what} forbids holding overnight and the trading day ends"
                    f" {local_text(day_end, zone_name)}; {ahead}",
                )
            )
    return found


def _at(instant: dt.datetime, calendar: Calendar | None, zone_name: str) -> str:
    return calendar.local(instant) if calendar is not None else local_text(instant, zone_name)


def _minutes(lead: dt.timedelta) -> str:
    minutes = int(lead.total_seconds() // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass(frozen=True)
class Blocked:
    """The first instant from which new entries are refused, the codes and the reasons."""

    start: dt.datetime
    codes: tuple[RejectCode, ...]
    reasons: tuple[str, ...]


def gates_at(
    rules: RuleSet, now: dt.datetime, calendar: Calendar | None, lead: dt.timedelta
) -> list[Gate]:
    """What the session gate answers at ``now`` (as :func:`session_gates` does for inputs)."""
    if calendar is not None and not is_open(calendar, now):
        return [(RejectCode.MARKET_CLOSED, closed_reason(calendar, now))]
    return time_rule_gates(rules, now, calendar, lead)


def next_blocked(
    rules: RuleSet,
    now: dt.datetime,
    calendar: Calendar | None,
    lead: dt.timedelta,
    horizon: dt.timedelta = dt.timedelta(days=4),
) -> Blocked | None:
    """The next window (from ``now``, within ``horizon``) in which the session gate refuses new
    entries: ``now`` itself when it already does. Judged by the gate at each instant a window
    can start, so it answers what sizing would."""
    until = now + horizon
    starts = {now}
    for rule in rules.sessions:
        if rule.flat_by is not None:
            for instant in rule.flat_by.between(now - _DAY, until):
                for deadline, _, _ in flat_by_windows(
                    rule.flat_by, rules.daily_reset, instant, calendar
                ):
                    starts.add(deadline - lead)
    for reset in rules.daily_reset.between(now, until):
        starts.add(reset - lead)
    if calendar is not None:
        for session in calendar.sessions:
            starts.update({session.close - lead, session.close})
    for start in sorted(s for s in starts if now <= s <= until):
        found = gates_at(rules, start, calendar, lead)
        if found:
            return Blocked(start, tuple(c for c, _ in found), tuple(r for _, r in found))
    return None
