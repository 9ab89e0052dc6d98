"""Economic releases and the firms' news windows around them.

An :class:`EconomicEvent` is one scheduled release (an instant in UTC, its currency or
country, its impact, its title, and a kind for the named ones a firm may list: ``fomc``,
``nfp``, ``cpi``, ``eia_crude``, ``bond_auction``). A firm's :class:`~firms.model.NewsRule`
decides which releases count and which instruments each touches; :func:`windows` turns the
rules and the releases into the spans in which the rule restricts trading. Windows are
closed on both edges: a firm's "2 minutes before" includes the instant two minutes before,
the stricter reading.

Nothing here reads a clock or a file: the instant is an argument, the releases are values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from accounts.model import AssetClass
from accounts.money import CURRENCIES
from firms.model import Impact, NewsRule


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


Currency = Annotated[str, BeforeValidator(_upper), StringConstraints(pattern=r"^[A-Z]{3}$")]
Country = Annotated[str, BeforeValidator(_upper), StringConstraints(pattern=r"^[A-Z]{2}$")]
Kind = Annotated[str, BeforeValidator(_lower), StringConstraints(pattern=r"^[a-z0-9_]{1,32}$")]

# The currency of a release named only by its country (euro-area members release in EUR).
COUNTRY_CURRENCY: dict[str, str] = {
    "US": "USD",
    "EU": "EUR",
    "EZ": "EUR",
    "DE": "EUR",
    "FR": "EUR",
    "IT": "EUR",
    "ES": "EUR",
    "GB": "GBP",
    "UK": "GBP",
    "JP": "JPY",
    "CH": "CHF",
    "CA": "CAD",
    "AU": "AUD",
    "NZ": "NZD",
    "CN": "CNY",
}

# Words that name the releases firms list by name, tried in order on a title without a kind.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("fomc", re.compile(r"\bFOMC\b|federal funds rate|fed interest rate decision", re.I)),
    ("nfp", re.compile(r"non-?farm (employment|payrolls)|\bNFP\b", re.I)),
    ("cpi", re.compile(r"\bCPI\b|consumer price index", re.I)),
    ("eia_crude", re.compile(r"crude oil inventor", re.I)),
    ("bond_auction", re.compile(r"\b(bond|note)s? auction\b", re.I)),
)

# Spellings of impact calendars use: colours of the folders, and the futures firms' tiers.
IMPACT_NAMES: dict[str, Impact] = {
    "low": Impact.LOW,
    "medium": Impact.MEDIUM,
    "high": Impact.HIGH,
    "yellow": Impact.LOW,
    "orange": Impact.MEDIUM,
    "red": Impact.HIGH,
    "tier-3": Impact.LOW,
    "tier-2": Impact.MEDIUM,
    "tier-1": Impact.HIGH,
}


def impact_of(text: str) -> Impact:
    """The impact a calendar spells ``text`` (``high``, ``red``, ``tier-1`` ...)."""
    key = text.strip().lower().replace(" ", "-").replace("tier1", "tier-1")
    key = key.replace("tier2", "tier-2").replace("tier3", "tier-3")
    if key not in IMPACT_NAMES:
        raise ValueError(f"unknown impact {text!r}; use one of {', '.join(IMPACT_NAMES)}")
    return IMPACT_NAMES[key]


def kind_of(title: str) -> str | None:
    """The named release a title is (``fomc``, ``nfp``, ``cpi`` ...), or ``None``."""
    for kind, pattern in _KINDS:
        if pattern.search(title):
            return kind
    return None


class EconomicEvent(BaseModel):
    """One scheduled release: when (UTC), whose currency, how much it moves, what it is."""

    # Built when first used, not at import: ``aria size`` starts once per trade.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    at: AwareDatetime
    currency: Currency
    country: Country | None = None
    impact: Impact
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    kind: Kind | None = Field(default=None, description="a named release (fomc, nfp, cpi, ...)")

    @model_validator(mode="before")
    @classmethod
    def _currency_from_country(cls, data: object) -> object:
        if isinstance(data, dict) and not data.get("currency") and data.get("country"):
            country = str(data["country"]).strip().upper()
            if country not in COUNTRY_CURRENCY:
                raise ValueError(
                    f"no currency for country {country!r}; give the release's currency"
                )
            data = {**data, "currency": COUNTRY_CURRENCY[country]}
        if isinstance(data, dict) and not data.get("kind") and data.get("title"):
            data = {**data, "kind": kind_of(str(data["title"]))}
        return data

    @field_validator("at")
    @classmethod
    def _in_utc(cls, value: dt.datetime) -> dt.datetime:
        return value.astimezone(dt.UTC)

    @property
    def id(self) -> str:
        """The release's identity: its instant, currency and title (case and spacing aside).

        The same release imported twice, from a CSV file and an ICS file alike, is one event.
        """
        title = " ".join(self.title.split()).casefold()
        text = f"{self.at.isoformat()}|{self.currency}|{title}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def describe(self) -> str:
        """E.g. ``USD high 'Non-Farm Employment Change' at 2026-12-04T13:30:00+00:00``."""
        return f"{self.currency} {self.impact.value} {self.title!r} at {self.at.isoformat()}"


@dataclass(frozen=True)
class Traded:
    """An instrument as the news rules see it: its symbol, asset class and currencies."""

    symbol: str
    asset_class: AssetClass
    currencies: frozenset[str]

    @classmethod
    def of(cls, symbol: str, asset_class: AssetClass, base: str | None, quote: str) -> Self:
        """From an instrument's specification: its base (a currency, not a metal) and quote."""
        known = set(CURRENCIES) | set(COUNTRY_CURRENCY.values())
        names = {quote} | ({base} if base and base in known else set())
        return cls(symbol, asset_class, frozenset(names))


def counts(rule: NewsRule, event: EconomicEvent) -> bool:
    """True when ``rule`` counts ``event``: named, or (no names) at least its impact."""
    if rule.events:
        return event.kind in rule.events
    return event.impact.rank >= rule.lowest_impact.rank


def touches(rule: NewsRule, event: EconomicEvent, traded: Traded) -> bool:
    """True when ``event`` touches ``traded`` under ``rule``: by the firm's list for a named
    release, by scope ``all``, or by the release's currency."""
    target = rule.event_targets.get(event.kind) if event.kind else None
    if target is not None:
        return traded.symbol in target.symbols or traded.asset_class in target.asset_classes
    return rule.scope == "all" or event.currency in traded.currencies


@dataclass(frozen=True)
class NewsWindow:
    """The span around one release in which one rule restricts trading (edges included)."""

    event: EconomicEvent
    rule: NewsRule
    start: dt.datetime
    end: dt.datetime

    def contains(self, at: dt.datetime) -> bool:
        """True when ``at`` is inside the window, its edges included."""
        return self.start <= at <= self.end

    def forbids(self, *actions: str) -> bool:
        """True when the rule lists any of ``actions``."""
        return any(action in self.rule.actions for action in actions)

    def describe(self) -> str:
        """The release and the window's edges in UTC, e.g. ``... (window 13:28:00–13:32:00 UTC,
        2 min before to 2 min after)``."""
        return (
            f"{self.event.describe()} (window {self.start:%H:%M:%S}–{self.end:%H:%M:%S} UTC,"
            f" {self.rule.before_minutes} min before to {self.rule.after_minutes} min after)"
        )


def window(rule: NewsRule, event: EconomicEvent) -> NewsWindow:
    """The window ``rule`` puts around ``event``."""
    return NewsWindow(
        event,
        rule,
        event.at - dt.timedelta(minutes=rule.before_minutes),
        event.at + dt.timedelta(minutes=rule.after_minutes),
    )


def windows(
    rules: Sequence[NewsRule], events: Iterable[EconomicEvent], traded: Traded | None = None
) -> list[NewsWindow]:
    """Every window the rules put around the releases they count, by start; only those
    touching ``traded`` when it is given."""
    found = [
        window(rule, event)
        for event in events
        for rule in rules
        if counts(rule, event) and (traded is None or touches(rule, event, traded))
    ]
    return sorted(found, key=lambda w: (w.start, w.event.id))


def span(
    rules: Sequence[NewsRule], now: dt.datetime, ahead: dt.timedelta
) -> tuple[dt.datetime, dt.datetime] | None:
    """The instants of the releases whose windows can matter from ``now`` to ``now + ahead``
    (``None`` without rules): the rest need not be read."""
    if not rules:
        return None
    before = max(r.before_minutes for r in rules)
    after = max(r.after_minutes for r in rules)
    return now - dt.timedelta(minutes=after), now + ahead + dt.timedelta(minutes=before)


def upcoming(
    rules: Sequence[NewsRule], events: Iterable[EconomicEvent], now: dt.datetime
) -> NewsWindow | None:
    """The first window that has not ended at ``now`` (whatever instrument it touches)."""
    return next((w for w in windows(rules, events) if w.end >= now), None)
