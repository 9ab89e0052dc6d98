"""Economic calendars as text: CSV and ICS (iCalendar) files, read into releases.

A file is read whole or not at all: every line that cannot be read is named in one
:class:`~firms.errors.CalendarFileError`, and no release of the file is returned.

CSV: a header line, then one release a line. Columns (any order; names case-insensitive):
``time`` (ISO 8601 with its offset, e.g. ``2026-12-10T13:30:00Z``), ``currency`` and/or
``country``, ``impact`` (``low``, ``medium``, ``high``; ``red``/``orange``/``yellow`` and
``tier-1``/``tier-2``/``tier-3`` are read as those), ``title``, and optionally ``kind``
(a named release: ``fomc``, ``nfp``, ``cpi``, ``eia_crude``, ``bond_auction``; guessed from
the title when empty). Lines starting with ``#`` and blank lines are skipped.

ICS: each ``VEVENT`` with ``DTSTART`` (UTC ``...Z``, or with a ``TZID``), ``SUMMARY`` (the
title) and the release's currency and impact, read from ``X-CURRENCY`` and ``X-IMPACT``,
else from ``CATEGORIES`` (e.g. ``USD,High``), else from a title that starts with the currency
(``USD CPI m/m`` or ``[USD] CPI m/m``). A date without a time is no instant and is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from importlib import resources

from pydantic import ValidationError

from firms.clock import zone
from firms.errors import CalendarFileError, FirmsError
from firms.news import EconomicEvent, impact_of

CSV_COLUMNS = ("time", "currency", "country", "impact", "title", "kind")
_REQUIRED = ("time", "impact", "title")


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"time {text.strip()!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise ValueError(f"time {text.strip()!r} has no offset; write it in UTC, e.g. ...Z")
    return value.astimezone(dt.UTC)


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'event'}: "
            f"{e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
    return str(exc)


def read_csv(text: str, name: str = "calendar.csv") -> list[EconomicEvent]:
    """The releases of a CSV calendar, or :class:`CalendarFileError` naming every bad line."""
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise CalendarFileError(name, ["no header line: expected " + ",".join(CSV_COLUMNS)])
    header_line, header = lines[0]
    columns = [c.strip().lower() for c in next(csv.reader([header]))]
    problems = []
    unknown = sorted(set(columns) - set(CSV_COLUMNS))
    missing = [c for c in _REQUIRED if c not in columns]
    if unknown or missing or not ({"currency", "country"} & set(columns)):
        detail = []
        if unknown:
            detail.append(f"unknown columns {', '.join(unknown)}")
        if missing or not ({"currency", "country"} & set(columns)):
            detail.append("needs time, impact, title and currency or country")
        raise CalendarFileError(
            name,
            [f"line {header_line}: header {'; '.join(detail)} (columns: {', '.join(CSV_COLUMNS)})"],
        )
    events: list[EconomicEvent] = []
    for number, line in lines[1:]:
        cells = next(csv.reader(io.StringIO(line)))
        if len(cells) != len(columns):
            problems.append(f"line {number}: {len(cells)} fields, the header has {len(columns)}")
            continue
        row = {column: cell.strip() for column, cell in zip(columns, cells, strict=True)}
        try:
            events.append(
                EconomicEvent.model_validate(
                    {
                        "at": _instant(row["time"]),
                        "currency": row.get("currency") or None,
                        "country": row.get("country") or None,
                        "impact": impact_of(row["impact"]),
                        "title": row["title"],
                        "kind": row.get("kind") or None,
                    }
                )
            )
        except (ValueError, FirmsError) as exc:
            problems.append(f"line {number}: {_problem(exc)}")
    if problems:
        raise CalendarFileError(name, problems)
    return events


def _unfold(text: str) -> list[tuple[int, str]]:
    """Content lines with their first physical line number (RFC 5545 folding undone)."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + raw[1:])
        elif raw.strip():
            out.append((number, raw))
    return out


def _property(line: str) -> tuple[str, dict[str, str], str]:
    head, _, value = line.partition(":")
    name, *params = head.split(";")
    parameters = {}
    for param in params:
        key, _, val = param.partition("=")
        parameters[key.upper()] = val.strip('"')
    return name.upper(), parameters, value


def _ics_instant(parameters: dict[str, str], value: str) -> dt.datetime:
    if parameters.get("VALUE", "").upper() == "DATE" or "T" not in value:
        raise ValueError(f"DTSTART {value!r} is a date without a time: a release needs its instant")
    # The zone comes from the "Z" or the TZID parameter, not from the text strptime reads.
    stamp = dt.datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")  # noqa: DTZ007
    if value.endswith("Z"):
        return stamp.replace(tzinfo=dt.UTC)
    if "TZID" in parameters:
        return stamp.replace(tzinfo=zone(parameters["TZID"])).astimezone(dt.UTC)
    raise ValueError(f"DTSTART {value!r} is a floating time; give it in UTC (…Z) or with a TZID")


_LEADING_CURRENCY = re.compile(r"^\[?([A-Z]{3})\]?[:\s]+(.+)$")


def _ics_event(fields: dict[str, tuple[dict[str, str], str]]) -> EconomicEvent:
    if "DTSTART" not in fields:
        raise ValueError("no DTSTART")
    title = _unescape(fields.get("SUMMARY", ({}, ""))[1]).strip()
    if not title:
        raise ValueError("no SUMMARY (the release's title)")
    currency = fields.get("X-CURRENCY", ({}, ""))[1].strip() or None
    impact = fields.get("X-IMPACT", ({}, ""))[1].strip() or None
    for category in _unescape(fields.get("CATEGORIES", ({}, ""))[1]).split(","):
        category = category.strip()
        if currency is None and re.fullmatch(r"[A-Za-z]{3}", category):
            currency = category
        elif impact is None and category:
            try:
                impact_of(category)
            except ValueError:
                continue
            impact = category
    leading = _LEADING_CURRENCY.match(title)
    if currency is None and leading:
        currency, title = leading.group(1), leading.group(2)
    if currency is None:
        raise ValueError("no currency (X-CURRENCY, CATEGORIES, or a title starting with it)")
    if impact is None:
        raise ValueError("no impact (X-IMPACT or CATEGORIES)")
    return EconomicEvent.model_validate(
        {
            "at": _ics_instant(*fields["DTSTART"]),
            "currency": currency,
            "impact": impact_of(impact),
            "title": title,
            "kind": fields.get("X-KIND", ({}, ""))[1].strip() or None,
        }
    )


def _unescape(value: str) -> str:
    return value.replace("\\,", ",").replace("\\;", ";").replace("\\n", " ").replace("\\\\", "\\")


def read_ics(text: str, name: str = "calendar.ics") -> list[EconomicEvent]:
    """The releases of an iCalendar file, or :class:`CalendarFileError` naming every bad
    event by the line it begins on."""
    events: list[EconomicEvent] = []
    problems: list[str] = []
    begun: int | None = None
    fields: dict[str, tuple[dict[str, str], str]] = {}
    lines = _unfold(text)
    if not lines or lines[0][1].strip().upper() != "BEGIN:VCALENDAR":
        raise CalendarFileError(name, ["line 1: not an iCalendar file (no BEGIN:VCALENDAR)"])
    for number, line in lines:
        prop, parameters, value = _property(line)
        if prop == "BEGIN" and value.upper() == "VEVENT":
            begun, fields = number, {}
        elif prop == "END" and value.upper() == "VEVENT" and begun is not None:
            try:
                events.append(_ics_event(fields))
            except (ValueError, FirmsError) as exc:
                problems.append(f"line {begun}: {_problem(exc)}")
            begun = None
        elif begun is not None:
            fields.setdefault(prop, (parameters, value))
    if begun is not None:
        problems.append(f"line {begun}: VEVENT without END:VEVENT")
    if problems:
        raise CalendarFileError(name, problems)
    return events


def read_calendar(text: str, name: str) -> list[EconomicEvent]:
    """A calendar file by its name: ``.ics`` is iCalendar, anything else CSV."""
    if name.lower().endswith((".ics", ".ical")):
        return read_ics(text, name)
    return read_csv(text, name)


SAMPLE = "sample-2026.csv"


def sample_calendar() -> list[EconomicEvent]:
    """The calendar shipped with the package (the 2026 FOMC decisions), for demos and tests."""
    text = (resources.files("firms") / "calendars" / SAMPLE).read_text(encoding="utf-8")
    return read_csv(text, SAMPLE)
