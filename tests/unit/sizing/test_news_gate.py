"""The news gate: FTMO funded EURUSD refused inside ±2 minutes of a high-impact USD release,
edges included; allowed in the challenge; warnings for fills; one answer from both engines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aria.sizing.batch import decide_batch
from aria.sizing.columns import prepare
from aria.sizing.decision import Decision, RejectCode
from aria.sizing.inputs import DecisionInputs
from aria.sizing.pipeline import decide
from firms.model import Impact
from firms.news import EconomicEvent
from tests.builders import NOW, inputs_of

# The release is at 12:02:00 UTC, two minutes after the scenarios' state time (12:00:00), so
# FTMO's window is [12:02 − 2 min, 12:02 + 2 min] = [12:00:00, 12:04:00].
START = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
RELEASE = START + dt.timedelta(minutes=2)
END = START + dt.timedelta(minutes=4)
SECOND = dt.timedelta(seconds=1)
EURUSD = {"symbol": "EURUSD", "side": "long", "entry": "1.1000", "stop": "1.0950"}


def _event(currency: str = "USD", impact: str = "high", title: str = "Retail Sales m/m") -> Any:
    return EconomicEvent(at=RELEASE, currency=currency, impact=Impact(impact), title=title)


def _inputs(
    phase: str = "funded",
    now: dt.datetime = START,
    events: tuple[EconomicEvent, ...] = (),
    request: dict[str, Any] | None = None,
    firm: str = "ftmo",
    plan: str = "2-step",
    size: int = 100_000,
    **account: Any,
) -> DecisionInputs:
    wanted = request or EURUSD
    document = {
        "firm": firm,
        "plan": plan,
        "account": {"balance": size, "as_of": NOW, "phase": phase, **account},
        "instrument": wanted["symbol"],
        "request": wanted,
    }
    return inputs_of(document).model_copy(update={"now": now, "news": events})


def _decide(**kwargs: Any) -> Decision:
    return decide(_inputs(**kwargs))


@pytest.mark.parametrize(
    ("now", "refused"),
    [
        (START - SECOND, False),  # 11:59:59, one second before the window
        (START, True),  # 12:00:00, exactly 2 minutes before: inside (edges included)
        (RELEASE, True),
        (END, True),  # 12:04:00, exactly 2 minutes after: inside
        (END + SECOND, False),  # 12:04:01
    ],
)
def test_ftmo_funded_eurusd_around_a_high_impact_usd_release(
    now: dt.datetime, refused: bool
) -> None:
    decision = _decide(now=now, events=(_event(),))
    assert (decision.reject_codes == [RejectCode.NEWS_WINDOW]) is refused
    assert decision.approved is not refused
    if refused:
        reason = next(r for r in decision.reasons if "news window" in r)
        assert "'Retail Sales m/m' at 2026-06-01T12:02:00+00:00" in reason
        assert "FTMO" in reason
        assert "breach" in reason


def test_ftmo_challenge_trades_the_news() -> None:
    decision = _decide(phase="challenge", now=RELEASE, events=(_event(),))
    assert decision.approved
    assert not any("news" in r for r in decision.reasons)


def test_a_release_on_another_currency_does_not_block_an_unrelated_pair() -> None:
    assert _decide(now=RELEASE, events=(_event("JPY"),)).approved
    usdjpy = {"symbol": "USDJPY", "side": "long", "entry": "150.00", "stop": "149.00"}
    blocked = _decide(now=RELEASE, events=(_event("JPY"),), request=usdjpy)
    assert blocked.reject_codes == [RejectCode.NEWS_WINDOW]
    assert _decide(now=RELEASE, events=(_event("EUR"),)).reject_codes == [RejectCode.NEWS_WINDOW]


def test_a_medium_release_does_not_count_for_ftmo() -> None:
    assert _decide(now=RELEASE, events=(_event(impact="medium"),)).approved


def test_reduce_only_is_never_blocked_by_news() -> None:
    short = {"symbol": "EURUSD", "side": "short", "lots": 1, "entry": "1.1", "stop": "1.11"}
    decision = _decide(
        now=RELEASE,
        events=(_event(),),
        request={**EURUSD, "reduce_only": True},
        positions=[short],
    )
    assert decision.approved
    assert decision.lots == 1


@pytest.mark.parametrize(
    ("minutes_ahead", "warned"),
    [
        (60, True),  # the window starts exactly at the default horizon (60 min): warned
        (61, False),
        (1, True),
    ],
)
def test_a_stop_or_target_that_could_fill_in_a_window_is_warned_of(
    minutes_ahead: int, warned: bool
) -> None:
    now = START - dt.timedelta(minutes=minutes_ahead)
    decision = _decide(now=now, events=(_event(),), request={**EURUSD, "take_profit": "1.1100"})
    assert decision.approved  # a warning, not a refusal
    warnings = [r for r in decision.reasons if r.startswith("warning:")]
    assert bool(warnings) is warned
    if warned:
        assert f"starts in {dt.timedelta(minutes=minutes_ahead)}" in warnings[0]


def test_the_profiles_horizon_sets_how_far_ahead() -> None:
    inputs = _inputs(now=START - dt.timedelta(minutes=90), events=(_event(),))
    longer = inputs.profile.model_copy(update={"news_horizon_minutes": 90})
    decision = decide(inputs.model_copy(update={"profile": longer}))
    assert any(r.startswith("warning:") for r in decision.reasons)
    assert not any(r.startswith("warning:") for r in decide(inputs).reasons)


def test_a_rule_that_forbids_holding_refuses_entries_from_the_horizon_before() -> None:
    # Take Profit Trader PRO+: flat ±1 min around CPI; the window is [12:01, 12:03]. With the
    # 60-minute horizon, entries are refused from 11:01:00 to 12:03:00.
    es = {"symbol": "ES", "side": "long", "entry": 5000, "stop": 4990}
    cpi = (_event(title="CPI m/m"),)
    kwargs: dict[str, Any] = {
        "firm": "takeprofittrader",
        "plan": "test",
        "phase": "pro-plus",
        "size": 50_000,
        "request": es,
        "events": cpi,
    }
    at_horizon = dt.datetime(2026, 6, 1, 11, 1, tzinfo=dt.UTC)
    refused = _decide(now=at_horizon, **kwargs)
    assert refused.reject_codes == [RejectCode.NEWS_WINDOW]
    assert any("forbids holding ES" in r for r in refused.reasons)
    assert _decide(now=at_horizon - SECOND, **kwargs).reject_codes != [RejectCode.NEWS_WINDOW]
    crude = (_event(title="Crude Oil Inventories"),)
    assert (
        RejectCode.NEWS_WINDOW
        not in _decide(now=RELEASE, **{**kwargs, "events": crude}).reject_codes
    )


def test_inputs_without_news_keep_their_hash() -> None:
    inputs = _inputs()
    assert "news" not in inputs.model_dump()
    with_news = inputs.model_copy(update={"news": (_event(),)})
    assert with_news.input_hash() != inputs.input_hash()
    again = DecisionInputs.model_validate_json(with_news.model_dump_json())
    assert again.input_hash() == with_news.input_hash()
    assert decide(again) == decide(with_news)


def test_the_batch_engine_answers_as_the_pipeline_does() -> None:
    members = [
        _inputs(phase="funded", now=RELEASE, events=(_event(),), id="funded"),
        _inputs(phase="challenge", now=RELEASE, events=(_event(),), id="challenge"),
    ]
    first = members[0]
    batch = decide_batch(prepare(members), first.request, first.instrument, first.market)
    for index, inputs in enumerate(members):
        status, lots, codes, binding = batch.summary(index)
        scalar = decide(inputs)
        assert (status, lots, list(codes), binding) == (
            scalar.status,
            scalar.lots,
            scalar.reject_codes,
            scalar.binding,
        )
    assert batch.codes[0] == (RejectCode.NEWS_WINDOW,)
    assert batch.approved[1]


def test_a_scenario_document_carries_its_releases() -> None:
    # `aria decide` reads the same document: the release at 12:02 puts now (12:00) inside.
    document = {
        "firm": "ftmo",
        "plan": "2-step",
        "account": {"balance": 100_000, "as_of": NOW, "phase": "funded"},
        "instrument": "EURUSD",
        "request": EURUSD,
        "news": [{"at": "2026-06-01T12:02:00Z", "currency": "USD", "impact": "high", "title": "x"}],
    }
    assert decide(inputs_of(document)).reject_codes == [RejectCode.NEWS_WINDOW]
    assert decide(inputs_of({**document, "news": []})).approved


@given(offset=st.integers(-600, 600), reduce_only=st.booleans())
def test_refused_exactly_inside_the_window_and_exits_never(offset: int, reduce_only: bool) -> None:
    # FTMO funded: refused iff −120 s ≤ now − release ≤ +120 s; a reduce-only exit never is.
    now = RELEASE + dt.timedelta(seconds=offset)
    short = {"symbol": "EURUSD", "side": "short", "lots": 1, "entry": "1.1", "stop": "1.11"}
    request = {**EURUSD, "reduce_only": True} if reduce_only else EURUSD
    decision = _decide(now=now, events=(_event(),), request=request, positions=[short])
    refused = RejectCode.NEWS_WINDOW in decision.reject_codes
    assert refused == (not reduce_only and -120 <= offset <= 120)
