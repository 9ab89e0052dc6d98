"""The firms' time rules as the simulation judges them: when a position must be flat, and which
fills a news window forbids.

A position still open at its plan's flat-by time, over a weekend close on a plan that forbids
it, or past the day's end on a plan that forbids holding overnight breaches the rule at that
instant; so does an entry or a fill inside a news window whose rule forbids it with effect
``breach`` (a rule that only removes the profit is no breach). The instants are the ones the
session and news gates refuse entries by (``aria.sizing.sessions``, ``firms.news``), so the
gate and the judge never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from aria.sizing.instruments import Instrument
from aria.sizing.news import ENTRY_ACTIONS, FILL_ACTIONS, traded
from aria.sizing.sessions import flat_by_windows
from firms.news import EconomicEvent, NewsWindow, windows
from firms.ruleset import RuleSet
from firms.sessions import Calendar, next_close, weekend_close


class TimeBreach(StrEnum):
    """The kinds of time-rule breach, counted separately."""

    FLAT_BY = "flat_by"
    WEEKEND = "weekend"
    OVERNIGHT = "overnight"
    NEWS = "news"


@dataclass(frozen=True)
class Deadline:
    """The first instant a position must be flat by, and the rule that sets it."""

    at: dt.datetime
    kind: TimeBreach


@dataclass(frozen=True)
class TimeRules:
    """One plan's time rules for one instrument: its calendar and the news windows touching it."""

    rules: RuleSet
    calendar: Calendar | None
    windows: tuple[NewsWindow, ...] = ()

    @classmethod
    def of(
        cls,
        rules: RuleSet,
        calendar: Calendar | None,
        instrument: Instrument,
        news: Sequence[EconomicEvent] = (),
    ) -> TimeRules:
        """The rules of ``rules`` for ``instrument``: only windows that can breach the account."""
        found = windows(rules.news, news, traded(instrument)) if rules.news and news else []
        return cls(rules, calendar, tuple(w for w in found if w.rule.effect == "breach"))

    def deadline(self, opened: dt.datetime, flat_by: bool = True) -> Deadline | None:
        """The earliest instant after ``opened`` a position opened then must be flat by (without
        ``flat_by``, only the weekend close and the day's end: what daily bars can judge)."""
        found: list[Deadline] = []
        for rule in self.rules.sessions:
            if flat_by and rule.flat_by is not None:
                found.extend(
                    Deadline(deadline, TimeBreach.FLAT_BY)
                    for deadline, _, _ in flat_by_windows(
                        rule.flat_by, self.rules.daily_reset, opened, self.calendar
                    )
                    if deadline > opened
                )
        if self.calendar is not None and any(not r.weekend_holding for r in self.rules.sessions):
            weekend = weekend_close(self.calendar, opened)
            if weekend is not None:
                found.append(Deadline(weekend[0], TimeBreach.WEEKEND))
        if any(not r.overnight_holding for r in self.rules.sessions):
            # The day ends at the firm's reset, or at the market's close when that comes first.
            day_end = self.rules.daily_reset.next(opened)
            close = next_close(self.calendar, opened) if self.calendar is not None else None
            found.append(Deadline(min(day_end, close or day_end), TimeBreach.OVERNIGHT))
        # At one instant the named rule wins: flat-by, then weekend, then overnight.
        order = list(TimeBreach)
        return min(found, key=lambda d: (d.at, order.index(d.kind)), default=None)

    def forbids_entry(self, at: dt.datetime) -> bool:
        """True when opening at ``at`` is inside a window whose rule forbids it."""
        return any(w.forbids(*ENTRY_ACTIONS) and w.contains(at) for w in self.windows)

    def forbids_fill(self, at: dt.datetime) -> bool:
        """True when a close or a stop fill at ``at`` is inside a window that forbids it."""
        return any(w.forbids(*FILL_ACTIONS) and w.contains(at) for w in self.windows)

    def next_fill_window(self, after: dt.datetime) -> dt.datetime | None:
        """The start of the first window after ``after`` in which a fill would breach."""
        return next(
            (w.start for w in self.windows if w.forbids(*FILL_ACTIONS) and w.start > after), None
        )
