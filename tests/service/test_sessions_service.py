"""Time rules through the service: sizing decides against the instrument's calendar around the
clock's now, the flat-by and inactivity jobs record their warnings once per slot, and the
account's next blocking window is shown."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aria.audit.filters import EventFilter
from aria.service import accounts as account_service
from aria.service import maintenance
from aria.service.commands import RecordTrades
from aria.service.context import Context
from aria.service.sessions import account_sessions
from aria.sizing.decision import RejectCode
from tests.builders import TRADE, ask, open_account, push, utc
from tests.clocks import SettableClock

ES_LONG: dict[str, Any] = {"symbol": "ES", "side": "long", "entry": "6000", "stop": "5990"}
HELD = [{"symbol": "ES", "side": "long", "lots": 1, "entry": "6000", "stop": "5990"}]


def _topstep(ctx: Context, account_id: str, at: dt.datetime, held: bool = False) -> None:
    open_account(
        ctx, account_id, firm="topstep", plan="trading-combine", phase="combine", size=50_000
    )
    push(ctx, account_id, 50_000, 50_000, at, positions=HELD if held else None)


def _events(ctx: Context, account_id: str, kind: str) -> list[Any]:
    with ctx.unit() as uow:
        return list(uow.audit.events(EventFilter(account=account_id, kind=kind), None, 100))


def test_sizing_refuses_inside_the_flat_by_window_naming_it(
    ctx: Context, clock: SettableClock
) -> None:
    # Monday 2026-03-09, CDT: 15:10 CT = 20:10 UTC; the 5-minute lead starts at 20:05.
    clock.move_to("2026-03-09 20:04:00")
    _topstep(ctx, "t1", utc(2026, 3, 9, 20, 4))
    assert ask(ctx, "r1", ["t1"], **ES_LONG).decisions[0].decision.approved
    clock.move_to("2026-03-09 20:05:00")
    refused = ask(ctx, "r2", ["t1"], **ES_LONG).decisions[0].decision
    assert refused.reject_codes == [RejectCode.FLAT_BY_WINDOW]
    assert refused.reasons[0].startswith("session: ")
    assert "2026-03-09 15:10 America/Chicago" in refused.reasons[0]


def test_the_flat_by_job_warns_once_per_slot_and_records_must_flatten(
    ctx: Context, clock: SettableClock
) -> None:
    clock.move_to("2026-03-09 19:50:00")  # 14:50 CDT: 20 minutes before the flat-by
    _topstep(ctx, "held", utc(2026, 3, 9, 19, 50), held=True)
    _topstep(ctx, "flat", utc(2026, 3, 9, 19, 50))
    assert maintenance.flat_by(ctx).done == 0  # no warning is due 20 minutes ahead
    clock.move_to("2026-03-09 19:56:00")  # 14 minutes ahead: the 15-minute warning
    assert maintenance.flat_by(ctx).done == 2
    assert maintenance.flat_by(ctx).done == 0  # the same slot, run again
    clock.move_to("2026-03-09 20:06:00")  # 4 minutes ahead: the 5-minute warning
    assert maintenance.flat_by(ctx).done == 2
    assert maintenance.flat_by(ctx).done == 0
    clock.move_to("2026-03-09 20:11:00")  # a minute past: must flatten, only if holding
    assert maintenance.flat_by(ctx).done == 1
    assert maintenance.flat_by(ctx).done == 0
    warnings = _events(ctx, "flat", "flat_by_warning")
    assert sorted(e.detail["minutes"] for e in warnings) == [5, 15]
    assert _events(ctx, "flat", "must_flatten") == []
    [must] = _events(ctx, "held", "must_flatten")
    assert must.detail["flat_by"] == "2026-03-09T20:10:00+00:00"
    assert "2026-03-09 15:10 America/Chicago" in must.reason


def test_the_inactivity_job_warns_days_before_the_limit(ctx: Context, clock: SettableClock) -> None:
    # FundedNext Stellar 2-Step: 30 days without a trade. The last trade closed 2026-06-01
    # 09:00 UTC, so the limit falls 2026-07-01 09:00 and the warning (3 days) from 06-28 09:00.
    # The account opened the Friday before, so its last trade is its latest activity.
    clock.move_to("2026-05-29 09:00:00")
    open_account(ctx, "fn", firm="fundednext", plan="stellar-2-step", phase="phase-1", size=100_000)
    account_service.record_trades(ctx, "fn", RecordTrades.model_validate({"trades": [TRADE]}))
    clock.move_to("2026-06-28 08:59:00")
    assert maintenance.inactivity(ctx).done == 0
    clock.move_to("2026-06-28 09:00:00")
    assert maintenance.inactivity(ctx).done == 1
    assert maintenance.inactivity(ctx).done == 0
    [warning] = _events(ctx, "fn", "inactivity")
    assert warning.detail == {"deadline": "2026-07-01T09:00:00+00:00"}


def test_an_account_that_never_traded_counts_inactivity_from_its_opening(
    ctx: Context, clock: SettableClock
) -> None:
    # FundedNext Stellar 2-Step: 30 days without a trade. Opened 2026-06-02 09:00 UTC and never
    # traded: the limit falls 2026-07-02 09:00 and the 3-day warning is due from 06-29 09:00,
    # 07-02 09:00 − 06-29 09:00 = 3 days left.
    clock.move_to("2026-06-02 09:00:00")
    open_account(ctx, "fn", firm="fundednext", plan="stellar-2-step", phase="phase-1", size=100_000)
    clock.move_to("2026-06-29 08:59:00")
    assert maintenance.inactivity(ctx).done == 0
    clock.move_to("2026-06-29 09:00:00")
    assert maintenance.inactivity(ctx).done == 1
    [warning] = _events(ctx, "fn", "inactivity")
    assert warning.detail == {"deadline": "2026-07-02T09:00:00+00:00"}
    assert "breaks its inactivity limit at 2026-07-02T09:00:00+00:00 (3 days left)" in (
        warning.reason
    )


def test_the_next_blocking_window_is_shown_for_the_account(
    ctx: Context, clock: SettableClock
) -> None:
    clock.move_to("2026-03-09 17:00:00")  # 12:00 CDT
    _topstep(ctx, "t1", utc(2026, 3, 9, 17, 0))
    view = account_sessions(ctx, "t1")
    assert (view.symbol, view.calendar) == ("ES", "cme_equity")
    assert view.blocked is not None
    assert view.blocked.start == utc(2026, 3, 9, 20, 5)  # 15:05 CDT
    assert view.blocked.codes == (RejectCode.FLAT_BY_WINDOW,)


def test_sizing_reads_the_instruments_calendar_and_refuses_while_the_market_is_closed(
    ctx: Context, clock: SettableClock
) -> None:
    # Saturday 2026-06-06: the FX week closed Friday 17:00 EDT (21:00 UTC).
    clock.move_to("2026-06-06 12:00:00")
    open_account(ctx, "f1")
    push(ctx, "f1", 100_000, 100_000, utc(2026, 6, 6, 12, 0))
    refused = ask(ctx, "r1", ["f1"]).decisions[0].decision
    assert refused.reject_codes == [RejectCode.MARKET_CLOSED]
    assert refused.reasons[0] == (
        "session: the FX and CFD market is closed for the weekend since 2026-06-05 17:00"
        " America/New_York;"
        " it reopens 2026-06-07 17:00 America/New_York"
    )


def test_no_flat_by_warning_on_a_weekend(ctx: Context, clock: SettableClock) -> None:
    # Saturday 2026-03-07 15:06 CST (21:06 UTC): Topstep's flat-by is for Monday to Friday.
    clock.move_to("2026-03-07 21:06:00")
    _topstep(ctx, "t1", utc(2026, 3, 7, 21, 6), held=True)
    assert maintenance.flat_by(ctx).done == 0
    clock.move_to("2026-03-07 21:11:00")
    assert maintenance.flat_by(ctx).done == 0


def test_the_flat_by_job_warns_before_an_early_close(ctx: Context, clock: SettableClock) -> None:
    # Friday 2026-11-27: CME equity closes at 12:00 CST (18:00 UTC), before Topstep's 15:10.
    # The 15- and 5-minute warnings fall at 17:45 and 17:55 UTC; must_flatten at 18:00.
    clock.move_to("2026-11-27 17:44:00")
    _topstep(ctx, "t1", utc(2026, 11, 27, 17, 44), held=True)
    assert maintenance.flat_by(ctx).done == 0
    clock.move_to("2026-11-27 17:45:00")
    assert maintenance.flat_by(ctx).done == 1
    clock.move_to("2026-11-27 17:55:00")
    assert maintenance.flat_by(ctx).done == 1
    clock.move_to("2026-11-27 18:00:00")
    assert maintenance.flat_by(ctx).done == 1
    [must] = _events(ctx, "t1", "must_flatten")
    assert must.detail["flat_by"] == "2026-11-27T18:00:00+00:00"
    assert must.reason.endswith(
        "flat by 2026-11-27 15:10 America/Chicago (the market closes earlier, at"
        " 2026-11-27 12:00 America/Chicago); positions are open"
    )
