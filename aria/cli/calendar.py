"""``aria calendar import|list|show``: the economic calendar the news windows are put around."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from aria.cli.firms import err, fail, out
from aria.cli.ops import app_from
from aria.cli.trading import run_service

calendar_app = typer.Typer(help="The economic calendar (news windows).", no_args_is_help=True)


def _when(text: str | None, default: dt.datetime) -> dt.datetime:
    if text is None:
        return default
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"{text!r} is not a date or an ISO 8601 time") from None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


@calendar_app.command("import")
def import_calendar(
    files: Annotated[
        list[Path] | None, typer.Argument(metavar="FILE...", help="CSV or ICS calendar files")
    ] = None,
    sample: Annotated[
        bool, typer.Option("--sample", help="also import the calendar shipped with ARIA")
    ] = False,
) -> None:
    """Import releases; a file with a bad line is refused whole, naming every bad line.

    CSV: a header ``time,currency,country,impact,title,kind`` (time in ISO 8601 with its
    offset; currency or country; impact low, medium or high). ICS: VEVENTs with DTSTART,
    SUMMARY, and X-CURRENCY/X-IMPACT or CATEGORIES. A release imported twice is stored once.
    """
    from aria.service import calendar as calendar_service
    from firms.calendar_files import SAMPLE, sample_calendar

    if not files and not sample:
        raise fail("give a calendar file, or --sample for the calendar shipped with ARIA")
    app = app_from()
    for path in files or []:
        done = run_service(calendar_service.import_file, app.context, path)
        out.print(f"{path}: {done.read} releases read, {done.added} new", highlight=False)
    if sample:
        done = run_service(calendar_service.add_events, app.context, sample_calendar(), SAMPLE)
        out.print(f"{SAMPLE}: {done.read} releases read, {done.added} new", highlight=False)


@calendar_app.command("list")
def list_calendar(
    start: Annotated[str | None, typer.Option(help="from (ISO date or time; default: now)")] = None,
    end: Annotated[str | None, typer.Option(help="to (default: 7 days after the start)")] = None,
    currency: Annotated[str | None, typer.Option(help="only this currency's releases")] = None,
) -> None:
    """The stored releases in a span of time, by instant (UTC)."""
    from aria.service import calendar as calendar_service

    app = app_from()
    first = _when(start, app.context.clock.now())
    last = _when(end, first + dt.timedelta(days=7))
    found = run_service(calendar_service.events_between, app.context, first, last)
    if currency is not None:
        found = [e for e in found if e.currency == currency.upper()]
    table = Table("time (UTC)", "currency", "impact", "title", "kind", "id")
    for event in found:
        table.add_row(
            f"{event.at:%Y-%m-%d %H:%M}",
            event.currency,
            event.impact.value,
            event.title,
            event.kind or "",
            event.id,
        )
    out.print(table)
    if not found:
        err.print(f"no releases from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC")


@calendar_app.command("show")
def show_event(event_id: Annotated[str, typer.Argument(help="a release's id")]) -> None:
    """One release: its instant, currency, impact, title and kind."""
    from aria.service import calendar as calendar_service

    app = app_from()
    event = run_service(calendar_service.event, app.context, event_id)
    for name, value in (
        ("id", event.id),
        ("time", event.at.isoformat()),
        ("currency", event.currency),
        ("country", event.country or "—"),
        ("impact", event.impact.value),
        ("title", event.title),
        ("kind", event.kind or "—"),
    ):
        out.print(f"{name:9} {value}", highlight=False, markup=False)
