"""State that moves a floor or headroom is chained: a change made by SQL alone fails verify."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from aria.service import accounts as account_service
from aria.service import audit, maintenance
from aria.service.commands import SetTrading, UpdateAccount
from aria.service.context import Context
from aria.service.sizing import cancel
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock

# The ``ctx`` fixture's clock stands at 2026-06-02 09:00 UTC (``tests.clocks.START``).


def _approved(ctx: Context, request_id: str, account_id: str = "a") -> str:
    decision = ask(ctx, request_id, [account_id]).decisions[0]
    assert decision.decision.approved
    return decision.decision_id


def _trading_day(ctx: Context) -> list[str]:
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    return [_approved(ctx, "r1"), _approved(ctx, "r2")]


def test_normal_operation_verifies(ctx: Context, clock: SettableClock) -> None:
    # The clock stands at 2026-06-02 09:00.
    first, second = _trading_day(ctx)
    cancel(ctx, first)
    clock.tick(dt.timedelta(seconds=121))
    assert maintenance.expire_reservations(ctx).done == 1
    matched = _approved(ctx, "r3")
    push(
        ctx,
        "a",
        100_000,
        100_400,
        utc(2026, 6, 2, 9, 2),
        [
            {
                "symbol": "GBPUSD",
                "side": "long",
                "lots": "1",
                "entry": "1.27",
                "stop": "1.26",
                "decision_id": matched,
            }
        ],
    )
    close = ask(ctx, "close", ["a"], side="short", stop="1.2800", reduce_only=True)
    assert close.decisions[0].decision.approved
    clock.tick(dt.timedelta(seconds=30))
    settled = push(ctx, "a", 100_400, 100_400, utc(2026, 6, 2, 9, 2, 30))
    assert settled.reservations_matched == 1  # the close, once its position is gone
    account_service.update_account(ctx, "a", UpdateAccount(options={}, reason="checkout"))
    account_service.set_trading(ctx, "a", SetTrading(enabled=False, actor="op", reason="x"))
    account_service.set_trading(ctx, "a", SetTrading(enabled=True, actor="op", reason="y"))
    clock.move_to("2026-06-02 22:30:00")  # past FTMO's midnight reset in Prague
    assert maintenance.daily_resets(ctx).done == 1
    maintenance.trackers(ctx)
    report = audit.verify(ctx)
    assert report.ok, report.problem
    assert second != first


def _sql(engine: Engine, statement: str, **params: object) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(statement), params)


def test_a_reservation_cancelled_by_sql_is_found(ctx: Context, engine: Engine) -> None:
    held, _ = _trading_day(ctx)
    _sql(engine, "update reservations set status = 'cancelled' where decision_id = :d", d=held)
    report = audit.verify(ctx)
    assert not report.ok
    assert f"reservation {held} is cancelled" in (report.problem or "")


def test_a_reservation_deleted_by_sql_is_found(ctx: Context, engine: Engine) -> None:
    _, held = _trading_day(ctx)
    _sql(engine, "delete from reservations where decision_id = :d", d=held)
    report = audit.verify(ctx)
    assert not report.ok
    assert f"reservation {held} is missing" in (report.problem or "")


@pytest.mark.parametrize(
    "change",
    [
        "amount = '1'",
        "lots = '0.01'",
        "swing = '0'",
        "reduce_only = true, amount = '0', swing = '0'",  # passed off as a close
    ],
)
def test_a_live_reservation_shrunk_by_sql_is_found(
    ctx: Context, engine: Engine, change: str
) -> None:
    held, _ = _trading_day(ctx)
    _sql(engine, f"update reservations set {change} where decision_id = :d", d=held)
    report = audit.verify(ctx)
    assert not report.ok
    assert f"reservation {held} holds other lots or risk" in (report.problem or "")


@pytest.mark.parametrize(
    "change",
    [
        "symbol = 'EURUSD'",
        "side = 'short'",
        "created_at = '2026-06-02 08:00:00'",  # its lifetime would count from an hour earlier
    ],
)
def test_a_reservation_moved_to_another_symbol_side_or_start_by_sql_is_found(
    ctx: Context, engine: Engine, change: str
) -> None:
    held, _ = _trading_day(ctx)
    _sql(engine, f"update reservations set {change} where decision_id = :d", d=held)
    report = audit.verify(ctx)
    assert not report.ok
    assert f"reservation {held} differs from its decision" in (report.problem or "")


@pytest.mark.parametrize(
    ("statement", "field"),
    [
        ("update account_trackers set peak_eod_balance = '90000'", "peak_eod_balance"),
        ("update account_trackers set day_balance = '120000'", "day_balance"),
        ("update account_trackers set positions = '[]'", None),
    ],
)
def test_a_tracker_edited_by_sql_is_found(
    ctx: Context, engine: Engine, statement: str, field: str | None
) -> None:
    open_account(ctx, "a")
    positions = [{"symbol": "EURUSD", "side": "long", "lots": "1", "entry": "1.1", "stop": "1.09"}]
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59), positions)
    _sql(engine, statement)
    report = audit.verify(ctx)
    assert not report.ok
    assert "its tracker row differs from its last chained record" in (report.problem or "")
    assert (field or "positions") in (report.problem or "")


@pytest.mark.parametrize(
    "statement",
    [
        "update accounts set initial_balance = '200000'",
        "update accounts set trading_status = 'active', halt_kind = null",
        'update accounts set options = \'{"profit_split": "90"}\'',
    ],
)
def test_an_account_edited_by_sql_is_found(ctx: Context, engine: Engine, statement: str) -> None:
    open_account(ctx, "a")
    account_service.set_trading(ctx, "a", SetTrading(enabled=False, actor="op", reason="x"))
    _sql(engine, statement)
    report = audit.verify(ctx)
    assert not report.ok
    assert "its settings row differs from its last chained record" in (report.problem or "")


def test_state_records_are_append_only(ctx: Context, engine: Engine) -> None:
    open_account(ctx, "a")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text("update state_records set body = '{}'"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text("delete from state_records"))
