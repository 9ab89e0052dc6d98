"""The session gate: entries refused inside the firm's time windows and while the market is
closed, at frozen instants on both sides of the US daylight-saving changes.

Chicago is UTC-6 in winter (CST) and UTC-5 in summer (CDT); New York UTC-5 / UTC-4. The US
clocks change on 2026-03-08 and 2026-11-01. The profile's lead time is 5 minutes unless said.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aria import calendars
from aria.sizing.batch import decide_batch
from aria.sizing.columns import prepare
from aria.sizing.decision import RejectCode
from aria.sizing.inputs import DecisionInputs
from aria.sizing.instruments import calendar_of
from aria.sizing.pipeline import decide
from aria.sizing.sessions import gates_at, next_blocked
from tests.builders import inputs_of, utc

FLAT = RejectCode.FLAT_BY_WINDOW
CLOSED = RejectCode.MARKET_CLOSED
WEEKEND = RejectCode.WEEKEND_CLOSE
OVERNIGHT = RejectCode.OVERNIGHT_HOLD


def _inputs(
    now: dt.datetime,
    firm: str | None,
    plan: str | None,
    symbol: str = "ES",
    phase: str | None = None,
    lead: int | None = None,
    rules: dict[str, Any] | None = None,
    **request: Any,
) -> DecisionInputs:
    prices = {"ES": (6000, 5990), "EURUSD": (Decimal("1.1"), Decimal("1.09"))}[symbol]
    account: dict[str, Any] = {"size": 50000, "balance": 50000, "as_of": now.isoformat()}
    if phase:
        account["phase"] = phase
    if "positions" in request:
        account["positions"] = request.pop("positions")
    doc: dict[str, Any] = {
        "account": account,
        "instrument": symbol,
        "request": {
            "symbol": symbol,
            "side": "long",
            "entry": prices[0],
            "stop": prices[1],
            **request,
        },
        "now": now.isoformat(),
    }
    if firm is None:
        doc["rules"] = rules or {"name": "No time rules"}
    else:
        doc |= {"firm": firm, "plan": plan}
    if lead is not None:
        doc["profile"] = {"preset": "aria", "account": {"sessions": {"lead_minutes": lead}}}
    inputs = inputs_of(doc)
    calendar = calendars.around(calendar_of(inputs.instrument), now)
    return inputs.model_copy(update={"calendar": calendar})


def _codes(inputs: DecisionInputs) -> list[RejectCode]:
    return decide(inputs).reject_codes


def _topstep(now: dt.datetime, **kw: Any) -> list[RejectCode]:
    return _codes(_inputs(now, "topstep", "trading-combine", **kw))


@pytest.mark.parametrize(
    ("allowed", "refused", "flat_by_text"),
    [
        # Friday 2026-03-06, CST: 15:10 CT = 21:10 UTC; lead 5 min → refused from 21:05.
        (utc(2026, 3, 6, 21, 4), utc(2026, 3, 6, 21, 5), "2026-03-06 15:10 America/Chicago"),
        # Monday 2026-03-09, CDT: 15:10 CT = 20:10 UTC → refused from 20:05.
        (utc(2026, 3, 9, 20, 4), utc(2026, 3, 9, 20, 5), "2026-03-09 15:10 America/Chicago"),
        # Friday 2026-10-30, CDT: 20:10 UTC → refused from 20:05.
        (utc(2026, 10, 30, 20, 4), utc(2026, 10, 30, 20, 5), "2026-10-30 15:10 America/Chicago"),
        # Monday 2026-11-02, CST: 21:10 UTC → refused from 21:05.
        (utc(2026, 11, 2, 21, 4), utc(2026, 11, 2, 21, 5), "2026-11-02 15:10 America/Chicago"),
    ],
)
def test_topstep_refuses_entries_from_its_lead_time_before_15_10_ct(
    allowed: dt.datetime, refused: dt.datetime, flat_by_text: str
) -> None:
    assert _topstep(allowed) == []
    decision = decide(_inputs(refused, "topstep", "trading-combine"))
    assert decision.reject_codes == [FLAT]
    assert decision.lots == 0
    assert flat_by_text in decision.reasons[0]
    assert "17:00 America/Chicago" in decision.reasons[0]  # until the next trading day


@pytest.mark.parametrize(
    ("closed", "reopened"),
    [
        # Friday 03-06 flat-by; CME reopens Sunday 03-08 17:00 CDT (DST began that night) =
        # 22:00 UTC.
        (utc(2026, 3, 8, 21, 59), utc(2026, 3, 8, 22, 0)),
        # Monday 03-09: CME closes 16:00 CDT (21:00 UTC), reopens 17:00 CDT = 22:00 UTC.
        (utc(2026, 3, 9, 21, 59), utc(2026, 3, 9, 22, 0)),
        # Sunday 11-01 (DST ended that night): reopens 17:00 CST = 23:00 UTC.
        (utc(2026, 11, 1, 22, 59), utc(2026, 11, 1, 23, 0)),
        # Monday 11-02: reopens 17:00 CST = 23:00 UTC.
        (utc(2026, 11, 2, 22, 59), utc(2026, 11, 2, 23, 0)),
    ],
)
def test_topstep_entries_are_allowed_again_when_the_session_reopens(
    closed: dt.datetime, reopened: dt.datetime
) -> None:
    assert _topstep(closed) == [CLOSED]
    assert _topstep(reopened) == []


def test_between_the_flat_by_and_the_close_topstep_is_in_its_window_and_its_day_end() -> None:
    # Monday 2026-03-09 20:56 UTC = 15:56 CDT: after the 15:10 flat-by (window until 17:00)
    # and within 5 min of the CME close at 16:00 CDT (Topstep forbids holding overnight).
    assert _topstep(utc(2026, 3, 9, 20, 56)) == [FLAT, OVERNIGHT]


@pytest.mark.parametrize(
    ("allowed", "refused"),
    [
        # Wednesday 2026-03-04, EST: 16:59 ET = 21:59 UTC → refused from 21:54.
        (utc(2026, 3, 4, 21, 53), utc(2026, 3, 4, 21, 54)),
        # Wednesday 2026-03-11, EDT: 16:59 ET = 20:59 UTC → refused from 20:54.
        (utc(2026, 3, 11, 20, 53), utc(2026, 3, 11, 20, 54)),
    ],
)
def test_apex_refuses_entries_from_its_lead_time_before_16_59_et(
    allowed: dt.datetime, refused: dt.datetime
) -> None:
    assert _codes(_inputs(allowed, "apex", "evaluation")) == []
    decision = decide(_inputs(refused, "apex", "evaluation"))
    assert decision.reject_codes == [FLAT]
    assert "16:59 America/New_York" in decision.reasons[0]


def test_apex_reopens_at_18_00_et() -> None:
    # CME closes 17:00 ET (22:00 UTC in winter) and reopens 18:00 ET = 23:00 UTC, the reset.
    assert _codes(_inputs(utc(2026, 3, 4, 22, 59), "apex", "evaluation")) == [CLOSED]
    assert _codes(_inputs(utc(2026, 3, 4, 23, 0), "apex", "evaluation")) == []


def test_a_flat_by_window_ends_when_the_market_reopens_before_the_firms_reset() -> None:
    # Flat by 15:10 CT with the day resetting at 00:00 UTC. Wednesday 2026-03-04 (CST): the
    # flat-by is 21:10 UTC, CME closes 22:00 UTC and reopens 23:00 UTC, before the 00:00 reset.
    plan = {
        "name": "Flat by 15:10 CT",
        "sessions": [
            {
                "flat_by": "15:10 America/Chicago",
                "source": ["scenario"],
                "read_on": "2000-01-01",
                "confidence": "uncertain",
            }
        ],
    }
    decision = decide(_inputs(utc(2026, 3, 4, 21, 30), None, None, rules=plan))
    assert decision.reject_codes == [FLAT]
    assert decision.reasons[0] == (
        "session: Flat by 15:10 CT must be flat by 2026-03-04 15:10 America/Chicago; no new"
        " entry in the 5 minutes before it, nor until 2026-03-04 17:00 America/Chicago"
    )
    assert _codes(_inputs(utc(2026, 3, 4, 22, 59), None, None, rules=plan)) == [CLOSED]
    assert _codes(_inputs(utc(2026, 3, 4, 23, 0), None, None, rules=plan)) == []


def test_the_profile_sets_the_lead_time() -> None:
    # 10 minutes before 15:10 CST = 21:00 UTC on 2026-03-06.
    assert _topstep(utc(2026, 3, 6, 21, 0), lead=10) == [FLAT]
    assert _topstep(utc(2026, 3, 6, 20, 59), lead=10) == []
    assert _topstep(utc(2026, 3, 6, 21, 0)) == []  # the default 5 minutes


def test_an_early_close_after_thanksgiving_is_honoured_for_es() -> None:
    # Friday 2026-11-27: CME equity closes at 12:00 CST = 18:00 UTC.
    before, after = utc(2026, 11, 27, 17, 59), utc(2026, 11, 27, 18, 0)
    assert _codes(_inputs(before, None, None)) == []
    decision = decide(_inputs(after, None, None))
    assert decision.reject_codes == [CLOSED]
    assert decision.reasons[0] == (
        "session: the CME equity futures market closed early at 2026-11-27 12:00 America/Chicago"
        " (holiday hours);"
        " it reopens 2026-11-29 17:00 America/Chicago"
    )


def test_a_flat_by_time_after_an_early_close_moves_to_the_close() -> None:
    # Topstep must be flat at the 12:00 CT close on 2026-11-27, not at 15:10: refused from
    # 11:55 CT = 17:55 UTC (and the weekend close and day end are that close too).
    assert _topstep(utc(2026, 11, 27, 17, 54)) == []
    decision = decide(_inputs(utc(2026, 11, 27, 17, 55), "topstep", "trading-combine"))
    assert decision.reject_codes == [FLAT, WEEKEND, OVERNIGHT]
    assert (
        "(the market closes earlier, at 2026-11-27 12:00 America/Chicago)" in (decision.reasons[0])
    )


@pytest.mark.parametrize(
    ("allowed", "refused", "close_text"),
    [
        # Friday 2026-03-06, EST: the FX week closes 17:00 ET = 22:00 UTC → refused from 21:55.
        (utc(2026, 3, 6, 21, 54), utc(2026, 3, 6, 21, 55), "2026-03-06 17:00 America/New_York"),
        # Friday 2026-03-13, EDT: 21:00 UTC → refused from 20:55.
        (utc(2026, 3, 13, 20, 54), utc(2026, 3, 13, 20, 55), "2026-03-13 17:00 America/New_York"),
        # Friday 2026-03-27 (Prague still on CET, New York on EDT): 21:00 UTC.
        (utc(2026, 3, 27, 20, 54), utc(2026, 3, 27, 20, 55), "2026-03-27 17:00 America/New_York"),
        # Friday 2026-10-30 (Prague back on CET since 10-25, New York still EDT): 21:00 UTC.
        (utc(2026, 10, 30, 20, 54), utc(2026, 10, 30, 20, 55), "2026-10-30 17:00 America/New_York"),
    ],
)
def test_a_plan_that_forbids_weekend_holding_refuses_before_fridays_close(
    allowed: dt.datetime, refused: dt.datetime, close_text: str
) -> None:
    funded = {"firm": "ftmo", "plan": "2-step", "symbol": "EURUSD", "phase": "funded"}
    assert _codes(_inputs(allowed, **funded)) == []
    decision = decide(_inputs(refused, **funded))
    assert decision.reject_codes == [WEEKEND]
    assert close_text in decision.reasons[0]
    said = decision.reasons[0]
    assert "forbids holding over the weekend and the FX and CFD market closes" in said
    # The Swing plan holds over weekends, and the Standard challenge is not bound by the
    # funded-only rule.
    assert _codes(_inputs(refused, "ftmo", "2-step-swing", "EURUSD", phase="funded")) == []
    assert _codes(_inputs(refused, "ftmo", "2-step", "EURUSD", phase="challenge")) == []


def test_the_fx_week_reopens_sunday_17_00_new_york() -> None:
    # Sunday 2026-11-29, EST: 17:00 ET = 22:00 UTC.
    swing = {"firm": "ftmo", "plan": "2-step-swing", "symbol": "EURUSD", "phase": "funded"}
    assert _codes(_inputs(utc(2026, 11, 29, 21, 59), **swing)) == [CLOSED]
    assert _codes(_inputs(utc(2026, 11, 29, 22, 0), **swing)) == []


def test_reduce_only_is_allowed_in_every_window() -> None:
    held = [{"symbol": "ES", "side": "long", "lots": 2, "entry": 6000, "stop": 5990}]
    for now in (utc(2026, 3, 6, 21, 5), utc(2026, 3, 6, 22, 30), utc(2026, 11, 27, 18, 0)):
        decision = decide(
            _inputs(
                now,
                "topstep",
                "trading-combine",
                positions=held,
                side="short",
                entry=6000,
                stop=None,
                reduce_only=True,
            )
        )
        assert decision.status == "approved", now
        assert decision.lots == 2


def test_the_batch_engine_answers_the_session_gate_as_the_pipeline_does() -> None:
    now = utc(2026, 3, 6, 21, 5)
    members = [
        _inputs(now, "topstep", "trading-combine"),
        _inputs(now, None, None).model_copy(update={"signal_order": 1}),
    ]
    batch = decide_batch(
        prepare(members), members[0].request, members[0].instrument, members[0].market
    )
    for index, inputs in enumerate(members):
        decision = decide(inputs)
        assert batch.summary(index)[:3] == (
            decision.status,
            decision.lots,
            tuple(decision.reject_codes),
        )
    assert batch.codes[0] == (FLAT,)
    assert batch.approved[1]


def test_the_next_blocking_window_of_a_topstep_account() -> None:
    # From Monday 2026-03-09 12:00 CDT (17:00 UTC) the next window opens at 15:05 CDT.
    inputs = _inputs(utc(2026, 3, 9, 17, 0), "topstep", "trading-combine")
    calendar = calendars.around("cme_equity", inputs.now, 5)
    found = next_blocked(inputs.rules, inputs.now, calendar, dt.timedelta(minutes=5))
    assert found is not None
    assert found.start == utc(2026, 3, 9, 20, 5)
    assert found.codes == (FLAT,)


_START = utc(2026, 1, 5)


@settings(max_examples=60, deadline=None)
@given(
    offset=st.integers(min_value=0, max_value=330 * 24 * 60),
    probe=st.floats(min_value=0, max_value=1),
    plan=st.sampled_from([("topstep", "trading-combine"), ("apex", "evaluation")]),
)
def test_no_window_opens_before_the_next_blocked_instant(
    offset: int, probe: float, plan: tuple[str, str]
) -> None:
    """Invariant: nothing refuses between ``now`` and the start ``next_blocked`` names, and
    the gate refuses at that start."""
    now = _START + dt.timedelta(minutes=offset)
    inputs = _inputs(now, *plan)
    calendar = calendars.around("cme_equity", now, 5)
    lead = dt.timedelta(minutes=5)
    found = next_blocked(inputs.rules, now, calendar, lead)
    assert found is not None  # a futures plan with a flat-by blocks every trading day
    assert gates_at(inputs.rules, found.start, calendar, lead)
    between = now + (found.start - now) * probe
    if between < found.start:
        assert gates_at(inputs.rules, between, calendar, lead) == []


def test_inputs_without_a_calendar_are_decided_as_before_the_session_rules() -> None:
    # Decisions recorded before the session gate have no calendar in their inputs: they replay
    # as they were answered, even inside a window (Topstep at 15:05 CST on 2026-03-06).
    inputs = _inputs(utc(2026, 3, 6, 21, 5), "topstep", "trading-combine")
    assert _codes(inputs) == [FLAT]
    assert _codes(inputs.model_copy(update={"calendar": None})) == []


def test_a_market_that_never_closes_is_open_on_a_saturday() -> None:
    # BTCUSD names the "always" calendar: Saturday 2026-03-07 12:00 UTC is no closed market.
    now = utc(2026, 3, 7, 12)
    inputs = inputs_of(
        {
            "rules": {"name": "No time rules"},
            "account": {"balance": 50000, "as_of": now.isoformat()},
            "instrument": "BTCUSD",
            "request": {"symbol": "BTCUSD", "side": "long", "entry": 60000, "stop": 59000},
            "now": now.isoformat(),
        }
    )
    assert calendar_of(inputs.instrument) == "always"
    calendar = calendars.around("always", now)
    assert _codes(inputs.model_copy(update={"calendar": calendar})) == []
    assert gates_at(inputs.rules, now, calendar, dt.timedelta(minutes=5)) == []
