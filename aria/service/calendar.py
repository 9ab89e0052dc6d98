"""The economic calendar: importing releases, reading them back, and the news around accounts.

Releases come from a CSV or ICS file (``aria calendar import``), from
``POST /v1/calendar/events``, or from a directory the ``calendar_dir`` job re-reads; each is
stored once by its identity (instant, currency and title). Sizing reads the releases near
``now`` that each account's news rules count (:func:`news_near`); the ``news_ahead`` job
writes one chained event per account and release ahead of its window.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from accounts.model import Account, HaltKind
from aria.service.accounts import rules_of
from aria.service.context import Context
from aria.service.errors import InvalidInput, NotFound
from aria.service.maintenance import JobReport
from aria.service.ports import UnitOfWork
from firms import news
from firms.calendar_files import read_calendar
from firms.errors import CalendarFileError
from firms.lifecycle import SYSTEM
from firms.model import NewsRule
from firms.news import EconomicEvent, NewsWindow

log = logging.getLogger(__name__)

NEWS_AHEAD = "news_ahead"
CALENDAR_FILES = (".csv", ".ics", ".ical")
# Accounts that will not trade again need no warning; a halted one may still hold positions.
_ENDED = (HaltKind.FAILED, HaltKind.CLOSED, HaltKind.ARCHIVED)


@dataclass(frozen=True)
class Imported:
    """What an import did: releases read, and how many of them were new."""

    source: str
    read: int
    added: int


def add_events(ctx: Context, events: Sequence[EconomicEvent], source: str = "api") -> Imported:
    """Store releases; one already stored is kept once (its impact and kind revised)."""
    with ctx.unit() as uow:
        added = uow.calendar.add_events(events, uow.now())
        uow.commit()
    log.info("calendar %s: %d releases read, %d new", source, len(events), added)
    return Imported(source, len(events), added)


def import_text(ctx: Context, text: str, name: str) -> Imported:
    """Import a calendar file's text (``.ics``: iCalendar, else CSV), whole or not at all."""
    try:
        events = read_calendar(text, name)
    except CalendarFileError as exc:
        raise InvalidInput(str(exc)) from None
    return add_events(ctx, events, name)


def import_file(ctx: Context, path: Path) -> Imported:
    """Import a calendar file, whole or not at all (a bad line refuses the file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    return import_text(ctx, text, path.name)


def events_between(ctx: Context, start: dt.datetime, end: dt.datetime) -> list[EconomicEvent]:
    """The stored releases from ``start`` to ``end``, by instant."""
    with ctx.read_unit() as uow:
        return uow.calendar.events_between(start, end)


def event(ctx: Context, event_id: str) -> EconomicEvent:
    """One stored release by id."""
    with ctx.read_unit() as uow:
        found = uow.calendar.event(event_id)
    if found is None:
        raise NotFound(f"no release {event_id!r} in the calendar")
    return found


NewsFor = Callable[[Sequence[NewsRule], dt.timedelta], tuple[EconomicEvent, ...]]


def news_near(
    uow: UnitOfWork, now: dt.datetime, wanted: Iterable[tuple[Sequence[NewsRule], dt.timedelta]]
) -> NewsFor:
    """Read once the releases any of ``wanted`` (rules, horizon) can need at ``now``; the
    function returned gives each account the ones its rules count and could meet."""
    spans = [s for rules, ahead in wanted if (s := news.span(rules, now, ahead)) is not None]
    if not spans:
        return lambda rules, ahead: ()
    stored = uow.calendar.events_between(min(s[0] for s in spans), max(s[1] for s in spans))

    def near(rules: Sequence[NewsRule], ahead: dt.timedelta) -> tuple[EconomicEvent, ...]:
        span = news.span(rules, now, ahead)
        if span is None:
            return ()
        return tuple(
            e
            for e in stored
            if span[0] <= e.at <= span[1] and any(news.counts(rule, e) for rule in rules)
        )

    return near


def next_window(
    ctx: Context, account: Account, now: dt.datetime, days: int = 7
) -> NewsWindow | None:
    """The next news window of the account's rules that has not ended (any instrument), within
    ``days``, or ``None`` (no rule in its phase, or no counted release stored)."""
    rules = rules_of(ctx, account).news
    span = news.span(rules, now, dt.timedelta(days=days))
    if span is None:
        return None
    with ctx.read_unit() as uow:
        stored = uow.calendar.events_between(*span)
    return news.upcoming(rules, stored, now)


def news_ahead(ctx: Context, lead: dt.timedelta | None = None) -> tuple[int, int]:
    """Write, once per account and release, a ``news_ahead`` event for each account whose news
    rules count a release whose window starts within ``lead`` (default: the options'); returns
    (written, skipped)."""
    now = ctx.clock.now()
    ahead = lead if lead is not None else dt.timedelta(minutes=ctx.options.news_lead_minutes)
    with ctx.unit() as uow:
        accounts = [a for a in uow.accounts.select() if a.trading.halt not in _ENDED]
        trackers = uow.accounts.trackers([a.id for a in accounts])
        ruled = [(a, rules_of(ctx, a)) for a in accounts]
        spans = [s for _, r in ruled if (s := news.span(r.news, now, ahead)) is not None]
        stored = (
            uow.calendar.events_between(min(s[0] for s in spans), max(s[1] for s in spans))
            if spans
            else []
        )
    found: list[tuple[Account, NewsWindow, list[str]]] = []
    for account, rules in ruled:
        state = trackers[account.id].state
        seen: set[str] = set()
        for window in news.windows(rules.news, stored):
            # A window already open still warns (a scheduler that was down catches up).
            if window.event.id in seen or not (window.start <= now + ahead and now <= window.end):
                continue
            seen.add(window.event.id)
            held = sorted({p.symbol for p in state.positions}) if state is not None else []
            found.append((account, window, held))
    if not found:
        return 0, 0
    written = skipped = 0
    with ctx.unit() as uow:
        uow.accounts.lock_trackers(sorted({account.id for account, _, _ in found}))
        for account, window, held in found:
            if not uow.jobs.claim(NEWS_AHEAD, f"{account.id}@{window.event.id}", now):
                skipped += 1
                continue
            detail = {
                "event_id": window.event.id,
                "title": window.event.title,
                "currency": window.event.currency,
                "impact": window.event.impact.value,
                "at": window.event.at.isoformat(),
                "window_start": window.start.isoformat(),
                "window_end": window.end.isoformat(),
                "actions": list(window.rule.actions),
                "effect": window.rule.effect,
                "positions": held,
            }
            holding = f"; open: {', '.join(held)}" if held else ""
            reason = (
                f"news window ahead: {window.describe()}; {window.rule.effect.replace('_', ' ')}"
                f" for {', '.join(window.rule.actions)} inside it{holding}"
            )
            uow.audit.append_event(account.id, NEWS_AHEAD, detail, SYSTEM, reason, now)
            written += 1
        uow.commit()
    return written, skipped


def calendar_files(directory: Path) -> list[Path]:
    """The calendar files of a directory, by name."""
    return sorted(p for p in directory.iterdir() if p.suffix.lower() in CALENDAR_FILES)


def import_directory(ctx: Context, directory: Path) -> list[Imported | str]:
    """Import every calendar file of ``directory``; a broken file is refused whole and named
    (the others are still read). Importing again stores nothing twice."""
    done: list[Imported | str] = []
    for path in calendar_files(directory):
        try:
            done.append(import_file(ctx, path))
        except InvalidInput as exc:
            log.warning("calendar file refused: %s", exc)
            done.append(str(exc))
    return done


def news_ahead_job(ctx: Context) -> JobReport:
    """The ``news_ahead`` job: one chained event per account and upcoming counted release."""
    written, skipped = news_ahead(ctx)
    return JobReport(NEWS_AHEAD, done=written, skipped=skipped)


def calendar_job(ctx: Context) -> JobReport:
    """The ``calendar`` job: re-read the calendar directory (off when none is configured)."""
    report = JobReport("calendar")
    if ctx.options.calendar_dir is None or not ctx.options.calendar_dir.is_dir():
        report.skipped = 1
        return report
    for outcome in import_directory(ctx, ctx.options.calendar_dir):
        if isinstance(outcome, Imported):
            report.done += outcome.added
        else:
            report.skipped += 1
            report.details.setdefault("refused", []).append(outcome)
    return report
