"""The intraday replay over the shipped minute bars: ARIA's accounts break no time rule and no
floor, the naive baseline's do, on the same signals and prices (pinned as a regression)."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from aria.cli.simulate import _calendars, _minute_sample, _sample_news
from aria.simulation.minute import MinuteBar, MinuteSeries, simulate_minutes
from aria.simulation.setup import ARIA, BASELINE, MINUTE_PLANS, PlanSpec, SimConfig
from aria.sizing.instruments import load_instruments
from firms.catalog import load_catalog
from firms.news import EconomicEvent

CATALOG = load_catalog()
INSTRUMENTS = load_instruments()


@cache
def sample() -> dict[str, MinuteSeries]:
    return _minute_sample()


def run(plans: tuple[Any, ...], accounts: int) -> dict[str, dict[str, dict[str, Any]]]:
    series = sample()
    spans = {s: (x.bars[0].at, x.bars[-1].at) for s, x in series.items()}
    config = SimConfig(
        plans=plans, policies=(ARIA, BASELINE), accounts=accounts, seed=7, signal_rate=0.5
    )
    result = simulate_minutes(
        config, series, CATALOG, INSTRUMENTS, _calendars(spans, INSTRUMENTS), _sample_news()
    )
    return result.as_dict()


def test_the_shipped_minute_bars_are_real_and_proxied_as_documented() -> None:
    series = sample()
    assert {s: len(x.bars) for s, x in series.items()} == {
        "EURUSD": 18_184,
        "XAUUSD": 15_222,
        "GER40": 3_638,
        "ES": 6_987,
        "MES": 6_987,
    }
    # SPY × 10: the NinjaTrader bar ending 2011-01-03 09:01 UTC opened at 126.35.
    first = series["ES"].bars[0]
    assert (first.at.isoformat(), first.open) == ("2011-01-03T09:00:00+00:00", Decimal("1263.50"))


def test_ftmo_funded_on_the_shipped_fx_minutes() -> None:
    # Seed 7, three accounts, a signal on half the days: pinned from the run.
    result = run((MINUTE_PLANS[0],), accounts=3)
    aria, naive = result[ARIA]["ftmo/2-step"], result[BASELINE]["ftmo/2-step"]
    assert (aria["breached"], aria["time_breaches"]) == (0, dict.fromkeys(KINDS, 0))
    assert aria["trades"] == 14
    assert naive["time_breaches"] == {"flat_by": 0, "weekend": 1, "overnight": 0, "news": 1}
    assert (naive["breached"], naive["trades"]) == (2, 6)


KINDS = ("flat_by", "weekend", "overnight", "news")


@pytest.mark.slow
def test_every_minute_plan_aria_none_the_baseline_some() -> None:
    result = run(MINUTE_PLANS, accounts=3)
    for plan, outcome in result[ARIA].items():
        assert outcome["breached"] == 0, plan
        assert outcome["trades"] > 0, plan  # it traded: safe, not idle
    found = {
        plan: {k: n for k, n in o["time_breaches"].items() if n}
        for plan, o in result[BASELINE].items()
    }
    assert found == {
        "ftmo/2-step": {"weekend": 1, "news": 1},
        "ftmo/1-step": {},  # a challenge: no time rule
        "topstep/trading-combine": {"flat_by": 2},
        "apex/evaluation": {"flat_by": 1, "overnight": 2},
    }
    assert [result[ARIA][p]["trades"] for p in found] == [14, 18, 13, 14]


HISTDATA = Path("/work/shared/data/market/histdata-eurusd-m1/DAT_ASCII_EURUSD_M1_201701.csv")
NFP_2017_01 = EconomicEvent(
    at=dt.datetime(2017, 1, 6, 13, 30, tzinfo=dt.UTC),
    currency="USD",
    impact="high",
    title="Non-Farm Employment Change (December 2016)",
    kind="nfp",
)


@pytest.mark.slow
@pytest.mark.skipif(not HISTDATA.exists(), reason="the HistData EURUSD minutes are test data only")
def test_a_month_of_histdata_eurusd_minutes_on_ftmo_funded() -> None:
    # HistData stamps bars in fixed EST (UTC-5, no daylight saving): 17:00 EST is 22:00 UTC.
    bars = []
    with HISTDATA.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            at = dt.datetime.fromisoformat(row["datetime"]) + dt.timedelta(hours=5)
            prices = (Decimal(row[k]) for k in ("open", "high", "low", "close"))
            bars.append(MinuteBar(at.replace(tzinfo=dt.UTC), *prices))
    series = {"EURUSD": MinuteSeries.of("EURUSD", bars)}
    plan = PlanSpec("ftmo", "2-step", "funded", Decimal(100_000), ("EURUSD",))
    config = SimConfig(
        plans=(plan,), policies=(ARIA, BASELINE), accounts=3, seed=7, signal_rate=0.5
    )
    spans = {"EURUSD": (bars[0].at, bars[-1].at)}
    result = simulate_minutes(
        config, series, CATALOG, INSTRUMENTS, _calendars(spans, INSTRUMENTS), [NFP_2017_01]
    ).as_dict()
    assert result[ARIA]["ftmo/2-step"]["breached"] == 0
    assert result[ARIA]["ftmo/2-step"]["trades"] > 0
    naive = result[BASELINE]["ftmo/2-step"]
    # Pinned from the run: the NFP of 6 January 2017 and the weekend closes.
    kinds = {"flat_by": 0, "weekend": 2, "overnight": 0, "news": 1}
    assert (naive["breached"], naive["time_breaches"]) == (3, kinds)
