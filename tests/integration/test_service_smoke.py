"""Each use case once on both databases, end to end through storage: the use cases' behaviour
is tested on the in-memory store (``tests/service``); these show that storage carries it. The
same scenarios run on the in-memory store too (``tests/service/test_use_cases.py``), so the
store and the databases are held to one set of answers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from aria.audit.filters import DecisionFilter, EventFilter
from aria.service import accounts as account_service
from aria.service import audit, keys, maintenance
from aria.service import market as market_service
from aria.service import sizing as sizing_service
from aria.service.commands import (
    BarsBatch,
    Lifecycle,
    Promote,
    RecordTrades,
    SetTrading,
    Signal,
    UpdateAccount,
)
from aria.service.context import Context
from aria.service.errors import Conflict
from tests.builders import TRADE, ask, open_account, push, utc
from tests.clocks import SettableClock
from tests.databases import make_context

D = Decimal
POSITION = {"symbol": "GBPUSD", "side": "long", "lots": 1, "entry": "1.27", "stop": "1.26"}


def accounts_sizing_and_audit(ctx: Context, clock: SettableClock) -> None:
    """Open, push, record, size (one account, a fan-out, a selector), preview, replay, cancel,
    update, halt, expire, query and verify; ``clock`` stands at 2026-06-02 09:00."""
    open_account(ctx, "a", strategy="trend")
    open_account(ctx, "b", strategy="trend")
    open_account(ctx, "c", firm="fundednext", plan="stellar-2-step", phase="phase-1")
    assert [a.id for a in account_service.list_accounts(ctx, owner="alice")] == ["a", "b", "c"]
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59), positions=[POSITION])
    push(ctx, "b", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    push(ctx, "c", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    trades = RecordTrades.model_validate({"trades": [TRADE]})
    assert account_service.record_trades(ctx, "a", trades) == 1
    assert account_service.record_trades(ctx, "a", trades) == 0
    risk = account_service.account_risk(ctx, "b")
    assert risk.headroom is not None
    assert risk.headroom.available == D(5_000)

    signal = {"accounts": ["b", "c"], "symbol": "GBPUSD", "side": "short"}
    signal |= {"entry": "1.2700", "stop": "1.2800"}
    _, rows = sizing_service.preview(ctx, Signal.model_validate(signal))
    sized = ask(ctx, "fan", ["b", "c"], side="short", stop="1.2800")
    assert [(r.status, list(r.reject_codes)) for r in rows] == [
        (d.decision.status, d.decision.reject_codes) for d in sized.decisions
    ]
    assert sized.decisions[0].decision.reject_codes == ["cross_account_hedge"]
    assert sized.decisions[1].decision.approved
    assert ask(ctx, "fan", ["b", "c"], side="short", stop="1.2800").replayed
    by_strategy = ask(ctx, "trend", {"strategy": "trend"})
    assert [d.decision.account_id for d in by_strategy.decisions] == ["a", "b"]
    assert sizing_service.cancel(ctx, sized.decisions[1].decision_id) == "c"

    account_service.update_account(ctx, "b", UpdateAccount(options={}, reason="checkout"))
    account_service.set_trading(ctx, "b", SetTrading(enabled=False, actor="op", reason="x"))
    assert ask(ctx, "halted", ["b"]).decisions[0].decision.reject_codes == ["halted"]
    clock.tick(dt.timedelta(seconds=121))
    assert maintenance.expire_reservations(ctx).done == 2  # the trend fan-out's
    page = audit.query_decisions(ctx, DecisionFilter(owner="alice"), limit=100)
    assert len(page.items) == 5
    report = audit.verify(ctx)
    assert report.ok, report.problem
    assert (report.accounts, report.decisions) == (3, 5)


def account_lifecycle(ctx: Context, clock: SettableClock) -> None:
    """Fail, refuse and force a re-enable, promote, rename, archive, refuse sizing, unarchive,
    reset, and verify the chain and the stored state; ``clock`` stands at 2026-06-02 09:00."""
    open_account(ctx, "l")
    push(ctx, "l", 100_000, 100_000, utc(2026, 6, 2, 8, 50))
    push(ctx, "l", 100_000, 94_900, utc(2026, 6, 2, 8, 51))  # through the hard daily floor
    enable = SetTrading(enabled=True, actor="desk", reason="appeal")
    with pytest.raises(Conflict, match="failed a hard rule"):
        account_service.set_trading(ctx, "l", enable)
    assert account_service.get_account(ctx, "l").trading.halt is not None
    forced = enable.model_copy(update={"force": True})
    assert account_service.set_trading(ctx, "l", forced).trading.status.value == "active"
    desk = Lifecycle(actor="desk", reason="passed")
    promoted = account_service.promote(ctx, "l", Promote(actor="desk", reason="passed"))
    assert promoted.phase == "verification"
    with ctx.unit() as uow:
        tracker = uow.accounts.trackers(["l"])["l"]
    assert (tracker.state, tracker.day, tracker.peaks.intraday_equity) == (None, None, 100_000)
    clock.tick(60)
    push(ctx, "l", 100_000, 100_000, utc(2026, 6, 2, 9))
    risk = account_service.account_risk(ctx, "l")
    assert risk.floors is not None
    assert (risk.floors.daily, risk.floors.max_loss) == (D(95_000), D(90_000))
    assert risk.rules.target_amount() == D(5_000)
    renamed = account_service.update_account(
        ctx, "l", UpdateAccount(label="FTMO verification", strategy="swing", actor="desk")
    )
    assert (renamed.label, renamed.strategy) == ("FTMO verification", "swing")
    account_service.archive(ctx, "l", desk)
    assert ask(ctx, "archived", ["l"]).decisions[0].decision.reject_codes == ["account_archived"]
    assert account_service.unarchive(ctx, "l", desk).trading.status.value == "active"
    assert account_service.reset_evaluation(ctx, "l", desk).trading.status.value == "active"
    kinds = [e.kind for e in audit.query_events(ctx, audit_filter("l"), limit=100).items]
    assert kinds[:8] == [
        "account_reset",
        "account_unarchived",
        "account_archived",
        "strategy_changed",
        "label_changed",
        "day_opened",
        "account_promoted",
        "enabled_forced",
    ]
    report = audit.verify(ctx, "l")
    assert report.ok, report.problem


def audit_filter(account_id: str) -> EventFilter:
    """The events of one account."""
    return EventFilter(account=account_id)


def market_jobs_and_keys(ctx: Context, clock: SettableClock) -> None:
    """Ingest bars, run every job, verify, and issue, check and revoke a key; ``clock``
    stands at 2026-06-02 09:00."""
    start = utc(2026, 4, 1)
    bars = []
    for day in range(60):
        close = D("1.2700") + D(day % 5) / 1000
        bars.append(
            (start + dt.timedelta(days=day), close, close + D("0.004"), close - D("0.004"), close)
        )
    for symbol in ("GBPUSD", "EURUSD"):
        batch = BarsBatch(symbol=symbol, bars=[(*bar, None) for bar in bars])
        assert market_service.ingest_bars(ctx, batch).stored == 52  # Sunday stubs merged
    assert maintenance.volatility(ctx).done == 2
    assert market_service.snapshots(ctx, ["GBPUSD"])["GBPUSD"].atr is not None
    assert maintenance.correlations(ctx).details == {"version": 1, "symbols": 2}
    assert market_service.correlations_of(ctx, ["GBPUSD", "EURUSD"]) is not None

    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59), positions=[POSITION])
    assert maintenance.compliance_scan(ctx).done == 0  # one account: nothing to find
    maintenance.heartbeat(ctx)
    clock.move_to("2026-06-02T22:30:00Z")  # past FTMO's midnight reset in Prague
    assert maintenance.daily_resets(ctx).done == 1
    assert maintenance.stale_data(ctx).done == 1
    maintenance.trackers(ctx)
    assert audit.verify(ctx).ok

    issued = keys.create_key(ctx, "copier", ["size"], owner="alice")
    principal = keys.authenticate(ctx, issued.token)
    assert principal is not None
    assert principal.owner == "alice"
    keys.revoke_key(ctx, issued.id)
    assert keys.authenticate(ctx, issued.token) is None


def test_accounts_sizing_and_audit_use_cases_store_and_verify(engine: Engine) -> None:
    clock = SettableClock("2026-06-02T09:00:00Z")
    accounts_sizing_and_audit(make_context(engine, clock=clock), clock)


def test_market_jobs_and_keys_use_cases_store(engine: Engine) -> None:
    clock = SettableClock("2026-06-02T09:00:00Z")
    market_jobs_and_keys(make_context(engine, clock=clock), clock)


def test_account_lifecycle_use_cases_store_and_verify(engine: Engine) -> None:
    clock = SettableClock("2026-06-02T09:00:00Z")
    account_lifecycle(make_context(engine, clock=clock), clock)
