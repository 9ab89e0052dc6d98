"""The dashboard's templates (Jinja2, autoescaped) and the filters they use."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

CENT = Decimal("0.01")


def money(value: Decimal | None) -> str:
    """A sum to the cent with thousands separators (an em dash when unknown)."""
    if value is None:
        return "—"
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,}"


def percent(value: Decimal | None) -> str:
    """A percentage to one decimal."""
    if value is None:
        return "—"
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} %"


def when(value: dt.datetime | None) -> str:
    """An instant in UTC, to the minute."""
    return "—" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def words(value: str | None) -> str:
    """A code in words (``daily_loss`` → ``daily loss``)."""
    return "" if value is None else str(value).replace("_", " ")


_env = Environment(
    loader=PackageLoader("aria.dashboard", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(money=money, percent=percent, when=when, words=words)


def render(template: str, **values: Any) -> str:
    """The template rendered with ``values``."""
    return _env.get_template(template).render(**values)
