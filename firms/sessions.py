"""Trading calendars: when a product's market is open, and the closes the firms' time rules
count from.

A calendar is a span of time and the sessions known inside it, each an open and a close
instant (a session that closes before its usual time is an early close). Everything here is
pure: the sessions come in as values (an adapter outside the core reads them from a
maintained calendar library, or builds the FX week), and the instant to judge is an argument.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from firms.clock import zone

FX_24_5 = "fx_24_5"
ALWAYS_OPEN = "always"
# The calendars instruments may name: the FX/CFD week ARIA builds itself, and the CME product
# groups read from the calendar library (the adapter maps each to the library's name).
LIBRARY_CALENDARS: dict[str, str] = {
    "cme_equity": "CME_Equity",
    "cme_energy": "CMEGlobex_Energy",
    "cme_metals": "CMEGlobex_Metals",
    "cme_agriculture": "CME_Agriculture",
    "cme_fx": "CMEGlobex_FX",
    "cme_rates": "CME_Rate",
}
CALENDARS = frozenset({FX_24_5, *LIBRARY_CALENDARS})
# A break in trading longer than this is a "weekend close" for a plan that forbids holding
# over the weekend: FTMO's Standard account must also close before rollover breaks longer than
# two hours, and a daily CME maintenance break (one hour) is not one.
LONG_BREAK = dt.timedelta(hours=2)
_FX_ZONE = "America/New_York"
_FX_CLOSE = dt.time(17, 0)  # Friday 17:00 New York closes the FX week; Sunday 17:00 opens it
_DAY = dt.timedelta(days=1)


class Session(BaseModel):
    """One trading session: trading is open from ``open`` (included) to ``close`` (excluded)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    open: AwareDatetime
    close: AwareDatetime
    early_close: bool = Field(default=False, description="closes before the usual time")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.close <= self.open:
            raise ValueError(f"a session closes after it opens ({self.open} → {self.close})")
        return self


class Calendar(BaseModel):
    """A product's sessions over a span of time, and the zone its instants are named in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(min_length=1)]
    zone: str
    start: AwareDatetime = Field(description="the sessions are known from here")
    end: AwareDatetime = Field(description="to here")
    sessions: tuple[Session, ...] = ()

    @model_validator(mode="after")
    def _sorted(self) -> Self:
        zone(self.zone)
        for before, after in zip(self.sessions, self.sessions[1:], strict=False):
            if after.open < before.close:
                raise ValueError(f"sessions overlap or are out of order at {after.open}")
        return self

    def local(self, instant: dt.datetime) -> str:
        """``instant`` as the exchange's wall clock, e.g. ``2026-11-27 12:00 America/Chicago``."""
        return local_text(instant, self.zone)


def local_text(instant: dt.datetime, zone_name: str) -> str:
    """An instant as a wall clock in ``zone_name``: ``2026-03-06 15:10 America/Chicago``."""
    return f"{instant.astimezone(zone(zone_name)).strftime('%Y-%m-%d %H:%M')} {zone_name}"


def session_at(calendar: Calendar, now: dt.datetime) -> Session | None:
    """The session open at ``now``, or ``None`` when the market is closed."""
    for session in calendar.sessions:
        if session.open <= now < session.close:
            return session
    return None


def is_open(calendar: Calendar, now: dt.datetime) -> bool:
    """True when the market is open at ``now``."""
    return session_at(calendar, now) is not None


def next_open(calendar: Calendar, now: dt.datetime) -> dt.datetime | None:
    """The first session open after ``now`` (``None``: none is known in the calendar)."""
    return next((s.open for s in calendar.sessions if s.open > now), None)


def last_close(calendar: Calendar, now: dt.datetime) -> Session | None:
    """The latest session that closed at or before ``now``."""
    found = None
    for session in calendar.sessions:
        if session.close <= now:
            found = session
    return found


def next_close(calendar: Calendar, now: dt.datetime) -> dt.datetime | None:
    """The first session close after ``now``."""
    return next((s.close for s in calendar.sessions if s.close > now), None)


def weekend_close(
    calendar: Calendar, now: dt.datetime, long_break: dt.timedelta = LONG_BREAK
) -> tuple[dt.datetime, dt.datetime | None] | None:
    """The next close after ``now`` followed by a break longer than ``long_break`` (a weekend
    or a holiday), with the open that ends it (``None``: not in the calendar, so unknown)."""
    for index, session in enumerate(calendar.sessions):
        if session.close <= now:
            continue
        following = calendar.sessions[index + 1] if index + 1 < len(calendar.sessions) else None
        if following is None:
            # Past the known sessions the break is unknown: counted long only when the calendar
            # ends within a long break of this close.
            if calendar.end - session.close < long_break:
                return None
            return session.close, None
        if following.open - session.close > long_break:
            return session.close, following.open
    return None


def is_holiday(calendar: Calendar, now: dt.datetime) -> bool:
    """True when the market is closed at ``now`` and ``now`` falls on a weekday (in the
    exchange's zone) on which no session closes: the exchange does not trade that day."""
    if is_open(calendar, now):
        return False
    tz = zone(calendar.zone)
    local = now.astimezone(tz).date()
    if local.weekday() >= 5:
        return False
    return not any(s.close.astimezone(tz).date() == local for s in calendar.sessions)


# The markets in a trader's words, by calendar name.
MARKET_NAMES: dict[str, str] = {
    FX_24_5: "the FX and CFD market",
    ALWAYS_OPEN: "the market",
    "cme_equity": "the CME equity futures market",
    "cme_energy": "the CME energy futures market",
    "cme_metals": "the CME metals futures market",
    "cme_agriculture": "the CME agricultural futures market",
    "cme_fx": "the CME currency futures market",
    "cme_rates": "the CME interest rate futures market",
}


def market_name(calendar: str) -> str:
    """The market a calendar describes, in words: ``the CME equity futures market``."""
    return MARKET_NAMES.get(calendar, f"the {calendar} market")


def _break_kind(calendar: Calendar, closed: Session | None, reopen: dt.datetime | None) -> str:
    """What the break around a closed market is: `` for the weekend`` when it spans a Saturday
    or Sunday in the exchange's zone, `` for its daily break`` when it is short, else ``""``."""
    if closed is None or reopen is None:
        return ""
    tz = zone(calendar.zone)
    first, last = closed.close.astimezone(tz).date(), reopen.astimezone(tz).date()
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    if any(day.weekday() >= 5 for day in days):
        return " for the weekend"
    if reopen - closed.close <= LONG_BREAK:
        return " for its daily break"
    return ""


def closed_reason(calendar: Calendar, now: dt.datetime) -> str:
    """Why the market is closed at ``now``, in words: a holiday, an early close, the weekend or
    the daily break, from when, and when it reopens (the exchange's wall clock)."""
    reopen = next_open(calendar, now)
    until = f"; it reopens {calendar.local(reopen)}" if reopen else ""
    closed = last_close(calendar, now)
    local_day = now.astimezone(zone(calendar.zone)).date()
    market = market_name(calendar.name)
    if (
        closed is not None
        and closed.early_close
        and closed.close.astimezone(zone(calendar.zone)).date() == local_day
    ):
        return f"{market} closed early at {calendar.local(closed.close)} (holiday hours){until}"
    if is_holiday(calendar, now):
        return f"{market} is closed for a holiday on {local_day:%A %Y-%m-%d}{until}"
    since = f" since {calendar.local(closed.close)}" if closed else ""
    return f"{market} is closed{_break_kind(calendar, closed, reopen)}{since}{until}"


def fx_24_5(start: dt.datetime, end: dt.datetime) -> Calendar:
    """The FX and CFD week from ``start`` to ``end``: open from Sunday 17:00 New York to Friday
    17:00 New York (daylight saving included); no holidays (brokers differ on them)."""
    tz = zone(_FX_ZONE)
    local = start.astimezone(tz).date()
    sunday = local - dt.timedelta(days=(local.weekday() + 1) % 7)
    sessions = []
    while True:
        opens = dt.datetime.combine(sunday, _FX_CLOSE, tzinfo=tz).astimezone(dt.UTC)
        closes = dt.datetime.combine(sunday + 5 * _DAY, _FX_CLOSE, tzinfo=tz).astimezone(dt.UTC)
        if opens >= end:
            break
        if closes > start:
            sessions.append(Session(open=opens, close=closes))
        sunday += 7 * _DAY
    return Calendar(name=FX_24_5, zone=_FX_ZONE, start=start, end=end, sessions=tuple(sessions))


def always_open(start: dt.datetime, end: dt.datetime) -> Calendar:
    """A market that never closes (crypto): one session over the whole span."""
    return Calendar(
        name=ALWAYS_OPEN,
        zone="UTC",
        start=start,
        end=end,
        sessions=(Session(open=start, close=end),),
    )
