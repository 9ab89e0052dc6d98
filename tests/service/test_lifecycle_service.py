"""An account's life through its firm's phases, on the in-memory store: promotion, the firm's
reset, archiving, re-enabling after a failure, and changes of label, profile, strategy and
personality — each a chained event with who and why."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.peaks import Peaks
from aria.audit.filters import EventFilter
from aria.service import accounts as account_service
from aria.service import audit
from aria.service.commands import Lifecycle, Promote, RecordTrades, SetTrading, UpdateAccount
from aria.service.context import Context
from aria.service.errors import Conflict, InvalidInput, NotFound
from aria.service.ports import StoredEvent
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock

D = Decimal
NOW = utc(2026, 6, 2, 9)  # the service clock's time
DESK = {"actor": "desk", "reason": "per the firm's email"}


def events(ctx: Context, account_id: str) -> list[StoredEvent]:
    """The account's events, oldest first."""
    page = audit.query_events(ctx, EventFilter(account=account_id), limit=500)
    return list(reversed(page.items))


def kinds(ctx: Context, account_id: str) -> list[str]:
    """The kinds of the account's events, oldest first."""
    return [e.kind for e in events(ctx, account_id)]


def failed(ctx: Context, account_id: str) -> None:
    """Open an FTMO 2-Step 100k challenge and fail it on the daily floor (95,000, hard)."""
    open_account(ctx, account_id)
    push(ctx, account_id, 100_000, 100_000, utc(2026, 6, 2, 8, 50))
    through = push(ctx, account_id, 100_000, 94_900, utc(2026, 6, 2, 8, 51))
    assert through.account.trading.halt is not None
    assert through.account.trading.halt.value == "failed"


def test_promotion_to_verification_restarts_the_anchors_under_the_new_target(
    ctx: Context, clock: SettableClock
) -> None:
    open_account(ctx, "p")
    push(ctx, "p", 110_400, 110_600, utc(2026, 6, 2, 8, 59))  # the 10 % target met
    promoted = account_service.promote(ctx, "p", Promote(**DESK))
    assert (promoted.phase, promoted.initial_balance) == ("verification", D(100_000))
    assert promoted.trading.status.value == "active"
    with ctx.unit() as uow:
        tracker = uow.accounts.trackers(["p"])["p"]
    assert (tracker.state, tracker.day) == (None, None)
    assert tracker.peaks == Peaks.start(D(100_000), NOW)  # not 110,600: a fresh start
    risk = account_service.account_risk(ctx, "p")
    assert risk.rules.label == "ftmo/2-step@2024-11 verification 100,000"
    assert risk.rules.target_amount() == D(5_000)
    assert (risk.state, risk.floors) == (None, None)  # no state until the next push
    with pytest.raises(Conflict, match="older than the account's restart"):
        push(ctx, "p", 110_400, 110_600, utc(2026, 6, 2, 8, 59, 30))  # of the challenge
    clock.tick(60)
    push(ctx, "p", 100_000, 100_000, utc(2026, 6, 2, 9))
    risk = account_service.account_risk(ctx, "p")
    assert risk.floors is not None
    assert (risk.floors.daily, risk.floors.max_loss) == (D(95_000), D(90_000))
    assert risk.headroom is not None
    assert risk.headroom.available == D(5_000)
    (event,) = [e for e in events(ctx, "p") if e.kind == "account_promoted"]
    assert (event.actor, event.reason) == ("desk", "per the firm's email")
    assert (event.detail["from_phase"], event.detail["to_phase"]) == ("challenge", "verification")
    assert audit.verify(ctx).ok


def test_promotion_past_the_last_phase_or_out_of_order_changes_nothing(ctx: Context) -> None:
    open_account(ctx, "f", phase="funded")
    with pytest.raises(Conflict, match="'funded' is the last phase of plan '2-step'"):
        account_service.promote(ctx, "f", Promote(**DESK))
    open_account(ctx, "c")
    with pytest.raises(Conflict, match="is 'verification', not 'funded'"):
        account_service.promote(ctx, "c", Promote(to_phase="funded", **DESK))
    with pytest.raises(InvalidInput, match="no phase 'live'"):
        account_service.promote(ctx, "c", Promote(to_phase="live", **DESK))
    assert account_service.get_account(ctx, "c").phase == "challenge"
    assert account_service.get_account(ctx, "f").phase == "funded"
    assert kinds(ctx, "c") == ["account_opened"]
    assert kinds(ctx, "f") == ["account_opened"]


def test_promotion_to_a_funded_account_of_another_size(ctx: Context) -> None:
    open_account(ctx, "v", phase="verification")
    funded = account_service.promote(ctx, "v", Promote(size=D(200_000), **DESK))
    assert (funded.phase, funded.initial_balance) == ("funded", D(200_000))
    with ctx.unit() as uow:
        assert uow.accounts.trackers(["v"])["v"].peaks == Peaks.start(D(200_000), NOW)
    assert account_service.account_risk(ctx, "v").rules.target_amount() is None


def test_a_failed_account_is_not_re_enabled_without_force(ctx: Context) -> None:
    failed(ctx, "x")
    before = account_service.get_account(ctx, "x")
    plain = SetTrading(enabled=True, **DESK)
    with pytest.raises(Conflict, match="failed a hard rule of its firm"):
        account_service.set_trading(ctx, "x", plain)
    assert account_service.get_account(ctx, "x") == before
    assert "enabled_forced" not in kinds(ctx, "x")
    assert "enabled" not in kinds(ctx, "x")
    forced = SetTrading(enabled=True, force=True, actor="desk", reason="the firm reversed it")
    account = account_service.set_trading(ctx, "x", forced)
    assert account.trading.status.value == "active"
    assert account.trading.reason == "re-enabled by desk: the firm reversed it"
    last = events(ctx, "x")[-1]
    assert (last.kind, last.actor, last.reason) == (
        "enabled_forced",
        "desk",
        "the firm reversed it",
    )
    assert last.detail["before"]["halt"] == "failed"
    assert audit.verify(ctx).ok


def test_the_firms_reset_restarts_a_failed_evaluation(ctx: Context, clock: SettableClock) -> None:
    failed(ctx, "r")
    account = account_service.reset_evaluation(ctx, "r", Lifecycle(**DESK))
    assert account.phase == "challenge"
    assert account.trading.status.value == "active"
    with ctx.unit() as uow:
        tracker = uow.accounts.trackers(["r"])["r"]
    assert (tracker.state, tracker.day, tracker.peaks) == (None, None, Peaks.start(D(100_000), NOW))
    assert kinds(ctx, "r")[-1] == "account_reset"
    clock.tick(60)
    push(ctx, "r", 100_000, 100_000, utc(2026, 6, 2, 9))
    assert ask(ctx, "after-reset", ["r"]).decisions[0].decision.approved
    open_account(ctx, "funded", phase="funded")
    with pytest.raises(Conflict, match="only an evaluation is reset"):
        account_service.reset_evaluation(ctx, "funded", Lifecycle(**DESK))


def test_an_archived_account_refuses_sizing_and_keeps_its_history(ctx: Context) -> None:
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    assert ask(ctx, "before", ["a"]).decisions[0].decision.approved
    archived = account_service.archive(ctx, "a", Lifecycle(**DESK))
    assert archived.trading.halt is not None
    assert archived.trading.halt.value == "archived"
    (refused,) = ask(ctx, "archived", ["a"]).decisions
    assert refused.decision.reject_codes == ["account_archived"]
    assert refused.decision.lots == D(0)
    for change in (SetTrading(enabled=True, force=True, **DESK), SetTrading(enabled=False, **DESK)):
        with pytest.raises(Conflict, match="account a is archived: unarchive it"):
            account_service.set_trading(ctx, "a", change)
    with pytest.raises(Conflict, match="archived"):
        account_service.promote(ctx, "a", Promote(**DESK))
    # History stays: states, decisions and events are all still there.
    assert len(account_service.state_history(ctx, "a")) == 1
    assert [a.id for a in account_service.list_accounts(ctx)] == ["a"]
    assert kinds(ctx, "a")[-1] == "account_archived"
    with ctx.unit() as uow:
        assert len(uow.audit.decisions_of("a")) == 2
    back = account_service.unarchive(ctx, "a", Lifecycle(**DESK))
    assert back.trading.status.value == "active"
    assert kinds(ctx, "a")[-1] == "account_unarchived"
    with pytest.raises(Conflict, match="is not archived"):
        account_service.unarchive(ctx, "a", Lifecycle(**DESK))
    assert audit.verify(ctx).ok


def test_unarchiving_a_failed_account_leaves_it_failed(ctx: Context) -> None:
    failed(ctx, "z")
    account_service.archive(ctx, "z", Lifecycle(**DESK))
    back = account_service.unarchive(ctx, "z", Lifecycle(**DESK))
    assert back.trading.halt is not None
    assert back.trading.halt.value == "failed"


def test_each_change_of_an_account_is_its_own_event_with_old_and_new(ctx: Context) -> None:
    open_account(ctx, "u", strategy="trend", label="old")
    command = UpdateAccount.model_validate(
        {
            "label": "FTMO #1",
            "profile": "spark",
            "strategy": None,
            "personality": {"multiplier": "0.9"},
            "actor": "desk",
            "reason": "reorganised",
        }
    )
    account = account_service.update_account(ctx, "u", command)
    assert (account.label, account.profile, account.strategy) == ("FTMO #1", "spark", None)
    assert account.personality.multiplier == D("0.9")
    changes = {e.kind: e for e in events(ctx, "u")[1:]}
    assert list(changes) == [
        "label_changed",
        "profile_changed",
        "strategy_changed",
        "personality_changed",
    ]
    assert changes["label_changed"].detail == {
        "field": "label",
        "before": "old",
        "after": "FTMO #1",
    }
    assert changes["profile_changed"].detail["before"] == "aria"
    assert changes["strategy_changed"].detail["after"] is None
    assert changes["personality_changed"].detail["after"]["multiplier"] == "0.9"
    assert {(e.actor, e.reason) for e in changes.values()} == {("desk", "reorganised")}
    # Nothing given, nothing recorded; an unknown preset changes nothing.
    account_service.update_account(ctx, "u", UpdateAccount(actor="desk"))
    with pytest.raises(InvalidInput, match="unknown sizing preset"):
        account_service.update_account(ctx, "u", UpdateAccount(profile="yolo", label="new"))
    assert account_service.get_account(ctx, "u") == account
    assert len(events(ctx, "u")) == 5
    assert audit.verify(ctx).ok


def _trade(ticket: str, pnl: int, opened: str, closed: str) -> dict[str, str]:
    return {
        "id": ticket,
        "symbol": "EURUSD",
        "side": "long",
        "lots": "1",
        "entry": "1.1",
        "exit": "1.11",
        "pnl": str(pnl),
        "opened_at": opened,
        "closed_at": closed,
    }


def test_objectives_are_live_and_start_again_with_the_phase(
    ctx: Context, clock: SettableClock
) -> None:
    clock.move_to("2026-05-30T09:00:00Z")
    open_account(ctx, "o")  # the challenge starts now: trades before it do not count
    clock.move_to("2026-06-02T09:00:00Z")
    trades = [
        _trade("t0", 9_999, "2026-05-29T10:00:00Z", "2026-05-29T11:00:00Z"),
        _trade("t1", 3_000, "2026-06-01T08:00:00Z", "2026-06-01T09:00:00Z"),
        _trade("t2", 1_000, "2026-06-02T06:00:00Z", "2026-06-02T07:00:00Z"),
    ]
    account_service.record_trades(ctx, "o", RecordTrades.model_validate({"trades": trades}))
    push(ctx, "o", 104_000, 104_000, utc(2026, 6, 2, 8, 59))
    found = account_service.account_objectives(ctx, "o")
    assert found.started == utc(2026, 5, 30, 9)
    assert (found.target, found.profit, found.to_target) == (D(10_000), D(4_000), D(6_000))
    assert (found.trading_days, found.days_needed) == (2, 2)
    account_service.promote(ctx, "o", Promote(**DESK))
    promoted = account_service.account_objectives(ctx, "o")
    assert promoted.started == NOW
    assert (promoted.phase, promoted.target, promoted.profit) == ("verification", D(5_000), None)
    assert (promoted.trading_days, promoted.days_needed) == (0, 4)


def test_a_fan_out_by_strategy_passes_its_archived_account_by(ctx: Context) -> None:
    for account_id in ("kept", "gone"):
        open_account(ctx, account_id, strategy="trend")
        push(ctx, account_id, 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    account_service.archive(ctx, "gone", Lifecycle(**DESK))
    by_strategy = ask(ctx, "fan", {"strategy": "trend"}).decisions
    assert [(d.decision.account_id, d.decision.approved) for d in by_strategy] == [("kept", True)]
    (named,) = ask(ctx, "named", ["gone"]).decisions
    assert named.decision.reasons[0] == (
        "account is archived: archived by desk: per the firm's email"
    )
    account_service.archive(ctx, "kept", Lifecycle(**DESK))
    with pytest.raises(NotFound, match=r"every account matching \{'strategy': 'trend'\} is arch"):
        ask(ctx, "none", {"strategy": "trend"})
