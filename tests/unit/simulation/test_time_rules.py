"""The firms' time rules in the simulation: flat-by, weekend and news windows judged like the
loss floors, ARIA's accounts flat in time, the baseline's not; the reset at its real instant."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.model import Side
from aria.calendars import calendar
from aria.simulation.bars import Bar, Series
from aria.simulation.engine import Signal, _Replay
from aria.simulation.minute import (
    FLATTEN_AHEAD,
    MinuteBar,
    MinuteSeries,
    _MinuteReplay,
    reset_bars,
)
from aria.simulation.result import PlanOutcome
from aria.simulation.setup import ARIA, BASELINE, PlanSpec, SimConfig
from aria.simulation.timerules import TimeBreach, TimeRules
from aria.sizing.instruments import load_instruments
from aria.sizing.profiles import resolve_profile
from aria.sizing.sessions import gates_at
from firms.catalog import load_catalog
from firms.news import EconomicEvent
from firms.sessions import fx_24_5

D = Decimal
UTC = dt.UTC
CATALOG = load_catalog()
INSTRUMENTS = load_instruments()
TOPSTEP = PlanSpec("topstep", "trading-combine", "combine", D(50_000), ("ES",))
FTMO_FUNDED = PlanSpec("ftmo", "2-step", "funded", D(100_000), ("EURUSD",))


def _quiet(start: dt.datetime, end: dt.datetime, price: str, half: str) -> list[MinuteBar]:
    """A bar every minute from ``start`` to before ``end``, flat at ``price`` ± ``half``: every
    hour's range is 2 × ``half``, so the hourly ATR is that too."""
    p, h = D(price), D(half)
    count = int((end - start) / dt.timedelta(minutes=1))
    return [MinuteBar(start + dt.timedelta(minutes=i), p, p + h, p - h, p) for i in range(count)]


def _minute_run(
    plan: PlanSpec,
    policy: str,
    bars: list[MinuteBar],
    signals: dict[dt.datetime, Signal],
    news: tuple[EconomicEvent, ...] = (),
) -> tuple[PlanOutcome, list[tuple[dt.datetime, Decimal]]]:
    """One account of ``plan`` under ``policy``; the outcome and its trades' (close, exit)."""
    symbol = plan.symbols[0]
    series = MinuteSeries.of(symbol, bars)
    config = SimConfig(plans=(plan,), policies=(policy,), accounts=1)
    profile = None if policy == BASELINE else resolve_profile(policy, [])
    replay = _MinuteReplay(config, plan, profile, CATALOG, INSTRUMENTS, {symbol: series})
    span = calendar(
        INSTRUMENTS.get(symbol).calendar or "fx_24_5",
        bars[0].at - dt.timedelta(days=2),
        bars[-1].at + dt.timedelta(days=4),
    )
    replay.timed({symbol: span}, news)
    outcome = PlanOutcome()
    acct = replay.run_minutes(0, [b.at for b in bars], signals, outcome)
    return outcome, [(t.closed_at, t.exit) for t in acct.trades]


# Flat-by ---------------------------------------------------------------------------------


def test_a_position_open_at_topsteps_flat_by_breaches_the_baseline_not_aria() -> None:
    # Wednesday 4 March 2026, CST (UTC-6): Topstep's flat-by 15:10 CT is 21:10 UTC; ARIA's lead
    # is 5 minutes, so its trader closes at 21:05 UTC and its gate refuses the 21:07 entry.
    # ES quiet at 5000 ± 0.5: hourly ATR 1.0, stop 2 points, target 4 points, never touched.
    bars = _quiet(
        dt.datetime(2026, 3, 4, 0, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 4, 21, 30, tzinfo=UTC),
        "5000",
        "0.5",
    )
    signals = {
        dt.datetime(2026, 3, 4, 19, 0, tzinfo=UTC): Signal("ES", Side.LONG, D("0.6")),
        dt.datetime(2026, 3, 4, 21, 7, tzinfo=UTC): Signal("ES", Side.LONG, D("0.6")),
    }
    naive, naive_trades = _minute_run(TOPSTEP, BASELINE, bars, signals)
    assert naive.time_breaches == {"flat_by": 1}
    assert naive.breached == 1
    # Liquidated at the flat-by instant at its last price: 5000, so no money moved.
    assert {closed for closed, _ in naive_trades} == {dt.datetime(2026, 3, 4, 21, 10, tzinfo=UTC)}
    assert naive.final_balances == [50_000.0]

    aria, aria_trades = _minute_run(TOPSTEP, ARIA, bars, signals)
    assert aria.time_breaches.total() == 0
    assert aria.breached == 0
    assert aria.trades == 1
    assert aria.rejects["flat_by_window"] == 1  # the 21:07 entry, inside the lead time
    assert aria_trades == [(dt.datetime(2026, 3, 4, 21, 5, tzinfo=UTC), D(5000))]


def test_the_flat_by_deadline_follows_daylight_saving() -> None:
    # 15:10 CT is 21:10 UTC under CST (to 8 March 2026) and 20:10 UTC under CDT.
    rules = CATALOG.rule_set("topstep", "trading-combine", "combine", D(50_000))
    start = dt.datetime(2026, 3, 1, tzinfo=UTC)
    time = TimeRules.of(
        rules, calendar("cme_equity", start, start + dt.timedelta(days=14)), INSTRUMENTS.get("ES")
    )
    before = time.deadline(dt.datetime(2026, 3, 6, 15, 0, tzinfo=UTC))
    after = time.deadline(dt.datetime(2026, 3, 9, 15, 0, tzinfo=UTC))
    assert before is not None
    assert after is not None
    assert (before.at, before.kind) == (
        dt.datetime(2026, 3, 6, 21, 10, tzinfo=UTC),
        TimeBreach.FLAT_BY,
    )
    assert (after.at, after.kind) == (
        dt.datetime(2026, 3, 9, 20, 10, tzinfo=UTC),
        TimeBreach.FLAT_BY,
    )
    # Daily bars judge only the day's end: the CME close, 16:00 CT (22:00 / 21:00 UTC).
    daily = time.deadline(dt.datetime(2026, 3, 9, 15, 0, tzinfo=UTC), flat_by=False)
    assert daily is not None
    assert (daily.at, daily.kind) == (
        dt.datetime(2026, 3, 9, 21, 0, tzinfo=UTC),
        TimeBreach.OVERNIGHT,
    )


# Weekend ---------------------------------------------------------------------------------


def _weekend_bars() -> list[MinuteBar]:
    # Friday 6 March 2026 to the FX close, 17:00 New York = 22:00 UTC (EST), then the reopening
    # on Sunday 8 March at 17:00 New York = 21:00 UTC (EDT from that morning).
    friday = _quiet(
        dt.datetime(2026, 3, 6, 0, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 6, 22, 0, tzinfo=UTC),
        "1.1000",
        "0.0005",
    )
    sunday = _quiet(
        dt.datetime(2026, 3, 8, 21, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 8, 21, 30, tzinfo=UTC),
        "1.1000",
        "0.0005",
    )
    return friday + sunday


def test_a_weekend_hold_on_a_plan_forbidding_it_breaches_the_baseline_not_aria() -> None:
    # EURUSD 1.1000 ± 0.0005: ATR 0.0010, stop 1.0980, target 1.1040, never touched. Long at
    # 18:00 UTC Friday; the baseline still holds it at the 22:00 UTC close.
    signals = {dt.datetime(2026, 3, 6, 18, 0, tzinfo=UTC): Signal("EURUSD", Side.LONG, D("0.6"))}
    naive, naive_trades = _minute_run(FTMO_FUNDED, BASELINE, _weekend_bars(), signals)
    assert naive.time_breaches == {"weekend": 1}
    assert naive_trades == [(dt.datetime(2026, 3, 6, 22, 0, tzinfo=UTC), D("1.1000"))]
    aria, aria_trades = _minute_run(FTMO_FUNDED, ARIA, _weekend_bars(), signals)
    assert aria.time_breaches.total() == 0
    # Closed at the open of the 21:55 UTC bar: 5 minutes (the lead) before the close.
    assert aria_trades == [(dt.datetime(2026, 3, 6, 21, 55, tzinfo=UTC), D("1.1000"))]


def test_the_daily_replay_judges_a_weekend_hold_too() -> None:
    # Weekdays from Friday 30 January 2026, quiet at 1.1000 ± 0.0005 (ATR 0.0010); a long on
    # Friday 20 February (the 16th day, the first with a 14-day ATR), held by the baseline into
    # Monday 23 February over the 22:00 UTC Friday close; ARIA's trader closes at Friday's close.
    days = [
        dt.date(2026, 1, 30) + dt.timedelta(d)
        for d in range(26)
        if (dt.date(2026, 1, 30) + dt.timedelta(d)).weekday() < 5
    ]
    bars = [Bar(day, D("1.1000"), D("1.1005"), D("1.0995"), D("1.1000")) for day in days[:17]]
    series = Series.of("EURUSD", bars)
    friday = dt.date(2026, 2, 20)
    assert friday.weekday() == 4
    assert friday in series.known
    span = fx_24_5(dt.datetime(2026, 1, 30, tzinfo=UTC), dt.datetime(2026, 3, 2, tzinfo=UTC))
    found = {}
    for policy in (BASELINE, ARIA):
        config = SimConfig(plans=(FTMO_FUNDED,), policies=(policy,), accounts=1)
        profile = None if policy == BASELINE else resolve_profile(policy, [])
        replay = _Replay(config, FTMO_FUNDED, profile, CATALOG, INSTRUMENTS, {"EURUSD": series})
        replay.timed({"EURUSD": span}, ())
        outcome = PlanOutcome()
        replay.run(
            0, [b.day for b in bars], {friday: Signal("EURUSD", Side.LONG, D("0.6"))}, outcome
        )
        found[policy] = (dict(outcome.time_breaches), outcome.trades)
    assert found == {BASELINE: ({"weekend": 1}, 1), ARIA: ({}, 1)}


# News --------------------------------------------------------------------------------------


NFP = EconomicEvent(
    at=dt.datetime(2026, 3, 6, 13, 30, tzinfo=UTC),
    currency="USD",
    impact="high",
    title="Non-Farm Employment Change",
    kind="nfp",
)


def _news_bars() -> list[MinuteBar]:
    # Quiet EURUSD from Thursday 5 March 2026 20:00 UTC (the hourly ATR is known from 10:00
    # UTC on Friday) to 14:00 UTC Friday, but the 13:30 bar (the release) falls to 1.0950:
    # through a long's stop at 1.0980.
    bars = _quiet(
        dt.datetime(2026, 3, 5, 20, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 6, 14, 0, tzinfo=UTC),
        "1.1000",
        "0.0005",
    )
    index = next(i for i, b in enumerate(bars) if b.at == NFP.at)
    bars[index] = MinuteBar(NFP.at, D("1.1000"), D("1.1005"), D("1.0950"), D("1.0960"))
    return bars


def test_a_stop_filled_in_a_news_window_breaches_ftmo_funded_for_the_baseline_not_aria() -> None:
    # FTMO's funded window is 13:28–13:32 UTC. The baseline's long from 12:00 UTC is stopped at
    # 13:30, inside it; ARIA's trader closes at 13:23 (the window's start less the 5-minute lead).
    signals = {dt.datetime(2026, 3, 6, 12, 0, tzinfo=UTC): Signal("EURUSD", Side.LONG, D("0.6"))}
    naive, naive_trades = _minute_run(FTMO_FUNDED, BASELINE, _news_bars(), signals, (NFP,))
    assert naive.time_breaches == {"news": 1}
    assert naive_trades == [(NFP.at, D("1.0980"))]
    aria, aria_trades = _minute_run(FTMO_FUNDED, ARIA, _news_bars(), signals, (NFP,))
    assert aria.time_breaches.total() == 0
    assert aria_trades == [(dt.datetime(2026, 3, 6, 13, 23, tzinfo=UTC), D("1.1000"))]


def test_entries_in_and_just_before_a_news_window() -> None:
    # An entry at 13:29 is inside the window: a breach for the baseline, the news gate's refusal
    # for ARIA; at 13:25 the window is 3 minutes off, within ARIA's lead: its trader passes.
    inside = {dt.datetime(2026, 3, 6, 13, 29, tzinfo=UTC): Signal("EURUSD", Side.LONG, D("0.6"))}
    naive, _ = _minute_run(FTMO_FUNDED, BASELINE, _news_bars(), inside, (NFP,))
    assert naive.time_breaches == {"news": 1}
    aria, _ = _minute_run(FTMO_FUNDED, ARIA, _news_bars(), inside, (NFP,))
    assert (aria.trades, aria.rejects["news_window"]) == (0, 1)
    ahead = {dt.datetime(2026, 3, 6, 13, 25, tzinfo=UTC): Signal("EURUSD", Side.LONG, D("0.6"))}
    aria, _ = _minute_run(FTMO_FUNDED, ARIA, _news_bars(), ahead, (NFP,))
    assert (aria.trades, aria.rejects[FLATTEN_AHEAD], aria.time_breaches.total()) == (0, 1, 0)


# The reset at its real instant -------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "size", "expected_utc_hours"),
    [
        # Topstep resets at 17:00 Chicago: 23:00 UTC under CST, 22:00 UTC from Sunday 8 March.
        (("topstep", "trading-combine", "combine"), 50_000, [23, 23, 23, 22, 22]),
        # FTMO at midnight Prague: 23:00 UTC under CET all week (Europe changes on 29 March).
        (("ftmo", "2-step", "challenge"), 100_000, [23, 23, 23, 23, 23]),
    ],
)
def test_the_reset_rolls_at_its_wall_clock_on_both_sides_of_a_dst_change(
    plan: tuple[str, str, str], size: int, expected_utc_hours: list[int]
) -> None:
    rules = CATALOG.rule_set(*plan, D(size))
    start = dt.datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    timeline = [start + dt.timedelta(minutes=m) for m in range(5 * 24 * 60)]
    rolls = reset_bars(rules, timeline)
    assert rolls[0] == start  # the first bar opens the first trading day
    assert [r.hour for r in rolls[1:]] == expected_utc_hours
    assert [r.date() for r in rolls[1:]] == [dt.date(2026, 3, d) for d in range(5, 10)]
    assert all(r.minute == 0 for r in rolls[1:])
    # Without bars from 22:00 to midnight UTC on 8 March, that day's reset (22:00 or 23:00
    # UTC) rolls at the first bar after it, midnight, not before.
    sparse = [t for t in timeline if not (t.day == 8 and t.hour >= 22)]
    assert reset_bars(rules, sparse)[4] == dt.datetime(2026, 3, 9, 0, 0, tzinfo=UTC)


# The gate and the judge agree ------------------------------------------------------------

_MARCH = calendar(
    "cme_equity", dt.datetime(2026, 2, 25, tzinfo=UTC), dt.datetime(2026, 4, 5, tzinfo=UTC)
)
_FX_MARCH = fx_24_5(dt.datetime(2026, 2, 25, tzinfo=UTC), dt.datetime(2026, 4, 5, tzinfo=UTC))


# Each plan's critical wall time (its flat-by, or the FX week's close) and the March 2026
# days it matters on (the FX close only on Fridays).
_CRITICAL = [
    (("topstep", "trading-combine", "combine", 50_000, None), "ES", "15:10 America/Chicago"),
    (("apex", "evaluation", "evaluation", 50_000, "legacy"), "ES", "16:59 America/New_York"),
    (("ftmo", "2-step", "funded", 100_000, None), "EURUSD", "17:00 America/New_York"),
]


@settings(max_examples=200, deadline=None)
@given(
    day=st.integers(min_value=2, max_value=30),
    offset=st.integers(min_value=-240, max_value=120),
    case=st.sampled_from(_CRITICAL),
)
def test_an_entry_the_session_gate_allows_is_never_already_due_to_be_flat(
    day: int, offset: int, case: tuple[tuple[str, str, str, int, str | None], str, str]
) -> None:
    # Around each plan's critical time on the days of March 2026 (the US change on the 8th):
    # at any minute the gate lets an entry through, the position's first deadline is more
    # than the lead away — so ARIA never opens what its trader must close at once.
    (firm, name, phase, size, version), symbol, critical = case
    if symbol == "EURUSD":
        day = (6, 13, 20, 27)[day % 4]  # the Fridays
    clock, zone_name = critical.split()
    local = dt.datetime.combine(
        dt.date(2026, 3, day), dt.time.fromisoformat(clock), tzinfo=ZoneInfo(zone_name)
    )
    now = local.astimezone(UTC) + dt.timedelta(minutes=offset)
    rules = CATALOG.rule_set(firm, name, phase, D(size), version)
    span = _MARCH if symbol == "ES" else _FX_MARCH
    lead = dt.timedelta(minutes=5)
    deadline = TimeRules.of(rules, span, INSTRUMENTS.get(symbol)).deadline(now)
    assert deadline is not None
    assert deadline.at > now
    if not gates_at(rules, now, span, lead):
        assert deadline.at - lead > now
