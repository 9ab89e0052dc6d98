"""Economic releases, the rules that count them, the instruments they touch, and calendar files."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.model import AssetClass
from firms.calendar_files import read_csv, read_ics, sample_calendar
from firms.catalog import load_catalog
from firms.errors import CalendarFileError
from firms.model import Impact, NewsRule
from firms.news import EconomicEvent, Traded, counts, span, touches, upcoming, window, windows

CATALOG = load_catalog()
AT = dt.datetime(2026, 6, 5, 12, 30, tzinfo=dt.UTC)
EURUSD = Traded.of("EURUSD", AssetClass.FX, "EUR", "USD")
USDJPY = Traded.of("USDJPY", AssetClass.FX, "USD", "JPY")
XAUUSD = Traded.of("XAUUSD", AssetClass.METAL, "XAU", "USD")
GER40 = Traded.of("GER40", AssetClass.INDEX, None, "EUR")
CL = Traded.of("CL", AssetClass.ENERGY, None, "USD")
ES = Traded.of("ES", AssetClass.INDEX, None, "USD")
SOURCED: dict[str, Any] = {"source": "test", "read_on": "2026-11-30", "confidence": "official"}


def _rule(**fields: Any) -> NewsRule:
    base: dict[str, Any] = {
        "before_minutes": 2,
        "after_minutes": 2,
        "actions": ["open"],
        "effect": "breach",
        **SOURCED,
    }
    return NewsRule.model_validate({**base, **fields})


def _event(currency: str = "USD", impact: str = "high", title: str = "Retail Sales m/m") -> Any:
    return EconomicEvent(at=AT, currency=currency, impact=Impact(impact), title=title)


def test_the_window_is_before_and_after_the_release_edges_included() -> None:
    # 12:30:00 − 2 min = 12:28:00 and 12:30:00 + 2 min = 12:32:00, both inside.
    found = window(_rule(), _event())
    assert (found.start, found.end) == (
        dt.datetime(2026, 6, 5, 12, 28, tzinfo=dt.UTC),
        dt.datetime(2026, 6, 5, 12, 32, tzinfo=dt.UTC),
    )
    second = dt.timedelta(seconds=1)
    assert found.contains(found.start)
    assert found.contains(found.end)
    assert not found.contains(found.start - second)
    assert not found.contains(found.end + second)


def test_a_rule_counts_high_impact_unless_it_says_otherwise() -> None:
    assert counts(_rule(), _event(impact="high"))
    assert not counts(_rule(), _event(impact="medium"))
    assert counts(_rule(impact="medium"), _event(impact="medium"))
    assert not counts(_rule(impact="medium"), _event(impact="low"))


def test_named_events_count_whatever_their_impact_and_nothing_else_does() -> None:
    rule = _rule(events=["nfp", "fomc"])
    nfp = _event(impact="medium", title="Non-Farm Employment Change")
    assert nfp.kind == "nfp"
    assert counts(rule, nfp)
    assert not counts(rule, _event(impact="high", title="Retail Sales m/m"))


def test_a_release_touches_the_instruments_of_its_currency() -> None:
    rule = _rule()
    usd, jpy, eur = _event("USD"), _event("JPY"), _event("EUR")
    assert touches(rule, usd, EURUSD)
    assert touches(rule, usd, USDJPY)
    assert touches(rule, usd, XAUUSD)
    assert not touches(rule, jpy, EURUSD)  # EURUSD is neither based on nor quoted in JPY
    assert touches(rule, jpy, USDJPY)
    assert touches(rule, eur, GER40)
    assert not touches(rule, usd, GER40)
    assert XAUUSD.currencies == frozenset({"USD"})  # gold is not a currency
    assert touches(_rule(scope="all"), jpy, EURUSD)


def test_a_named_release_touches_only_the_firms_list_for_it() -> None:
    rules = CATALOG.rule_set("takeprofittrader", "test", "pro-plus", 50_000)
    (rule,) = rules.news
    crude = _event(title="Crude Oil Inventories", impact="medium")
    assert crude.kind == "eia_crude"
    assert touches(rule, crude, CL)
    assert not touches(rule, crude, ES)  # a USD product, but the firm names CL for crude
    cpi = _event(title="CPI m/m")
    assert touches(rule, cpi, ES)
    assert touches(rule, cpi, CL)


def test_ftmo_counts_news_on_funded_accounts_only() -> None:
    funded = CATALOG.rule_set("ftmo", "2-step", "funded", 100_000)
    challenge = CATALOG.rule_set("ftmo", "2-step", "challenge", 100_000)
    assert [(r.before_minutes, r.after_minutes) for r in funded.news] == [(2, 2)]
    assert challenge.news == ()


def test_rules_without_new_fields_keep_their_stored_form() -> None:
    rule = CATALOG.rule_set("ftmo", "2-step", "funded", 100_000).news[0]
    dumped = rule.model_dump()
    assert not {"impact", "events", "event_targets"} & set(dumped)


def test_targets_must_name_listed_events() -> None:
    with pytest.raises(ValueError, match="not in 'events'"):
        _rule(event_targets={"eia_crude": {"symbols": ["CL"]}})


def test_windows_span_and_upcoming() -> None:
    rules = [_rule(), _rule(before_minutes=5, after_minutes=1)]
    found = windows(rules, [_event()], EURUSD)
    assert [w.start.minute for w in found] == [25, 28]  # 12:30 − 5 min, 12:30 − 2 min
    now = dt.datetime(2026, 6, 5, 12, 0, tzinfo=dt.UTC)
    # Releases that matter from 12:00 over one hour: from 12:00 − 2 min (the longest after)
    # to 13:00 + 5 min (the longest before).
    assert span(rules, now, dt.timedelta(hours=1)) == (
        dt.datetime(2026, 6, 5, 11, 58, tzinfo=dt.UTC),
        dt.datetime(2026, 6, 5, 13, 5, tzinfo=dt.UTC),
    )
    assert span([], now, dt.timedelta(hours=1)) is None
    first = upcoming(rules, [_event()], now)
    assert first is not None
    assert first.start.minute == 25
    assert upcoming(rules, [_event()], AT + dt.timedelta(minutes=3)) is None  # both ended


def test_identity_is_instant_currency_and_title() -> None:
    one = _event(title="CPI m/m")
    assert one.id == _event(title="  cpi   M/M ").id
    assert one.id != _event(currency="CAD", title="CPI m/m").id
    local = EconomicEvent(
        at=AT.astimezone(dt.timezone(dt.timedelta(hours=-4))),
        currency="usd",
        impact="high",
        title="CPI m/m",
    )
    assert local.id == one.id
    assert local.at == AT


def test_a_country_gives_the_currency() -> None:
    event = EconomicEvent.model_validate(
        {"at": AT, "country": "de", "impact": "high", "title": "German ZEW"}
    )
    assert event.currency == "EUR"
    with pytest.raises(ValueError, match="no currency for country"):
        EconomicEvent.model_validate({"at": AT, "country": "BR", "impact": "high", "title": "x"})


CSV = """# a comment
time,currency,impact,title
2026-06-05T12:30:00Z,USD,red,Non-Farm Employment Change
2026-06-05T08:30:00-04:00,USD,tier-1,CPI m/m
"""


def test_csv_reads_impact_spellings_and_offsets() -> None:
    nfp, cpi = read_csv(CSV)
    assert (nfp.impact, nfp.kind, nfp.at) == (Impact.HIGH, "nfp", AT)
    assert cpi.at == AT  # 08:30 at −04:00 is 12:30 UTC
    assert cpi.kind == "cpi"


def test_a_broken_csv_is_refused_whole_naming_every_line() -> None:
    broken = CSV + "2026-06-05 12:30,USD,high,No offset\n2026-06-06T12:30:00Z,USD,huge,CPI\n"
    with pytest.raises(CalendarFileError) as caught:
        read_csv(broken, "week.csv")
    message = str(caught.value)
    assert "week.csv: line 5: time '2026-06-05 12:30' has no offset" in message
    assert "week.csv: line 6: unknown impact 'huge'" in message
    assert len(caught.value.problems) == 2


def test_a_csv_header_without_the_columns_is_refused() -> None:
    with pytest.raises(CalendarFileError, match="line 1: header"):
        read_csv("when,what\n2026-06-05T12:30:00Z,CPI\n")


ICS = """BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
UID:1
DTSTART:20260605T123000Z
SUMMARY:Non-Farm
  Employment Change
CATEGORIES:USD,High
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=America/New_York:20260605T083000
SUMMARY:[CAD] Employment Change
X-IMPACT:high
END:VEVENT
END:VCALENDAR
"""


def test_ics_reads_folded_lines_categories_zones_and_title_currencies() -> None:
    nfp, cad = read_ics(ICS)
    assert (nfp.title, nfp.currency, nfp.impact, nfp.at) == (
        "Non-Farm Employment Change",
        "USD",
        Impact.HIGH,
        AT,
    )
    assert nfp.kind == "nfp"
    assert (cad.currency, cad.title, cad.at) == ("CAD", "Employment Change", AT)  # EDT: −4 h


def test_a_broken_ics_names_the_line_its_event_begins_on() -> None:
    broken = ICS.replace("DTSTART:20260605T123000Z", "DTSTART;VALUE=DATE:20260605")
    with pytest.raises(CalendarFileError, match=r"line 3: DTSTART '20260605' is a date"):
        read_ics(broken, "feed.ics")


def test_the_sample_calendar_holds_the_2026_fomc_decisions() -> None:
    events = sample_calendar()
    assert len(events) == 8
    assert {e.kind for e in events} == {"fomc"}
    # 9 December 2026, 2:00 p.m. EST = 19:00 UTC; 18 March (after 8 March) is EDT: 18:00 UTC.
    assert events[-1].at == dt.datetime(2026, 12, 9, 19, 0, tzinfo=dt.UTC)
    assert events[1].at == dt.datetime(2026, 3, 18, 18, 0, tzinfo=dt.UTC)


@given(
    before=st.integers(0, 30),
    after=st.integers(0, 30),
    offset=st.integers(-3600, 3600),
)
def test_inside_a_window_exactly_from_before_to_after(before: int, after: int, offset: int) -> None:
    found = window(_rule(before_minutes=before, after_minutes=after), _event())
    at = AT + dt.timedelta(seconds=offset)
    assert found.contains(at) == (-before * 60 <= offset <= after * 60)
