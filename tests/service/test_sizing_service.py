"""Sizing through the service: one transaction, audited, idempotent (concurrency is tested
on real databases, in ``tests/integration/test_sizing_service.py``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.model import Side
from aria.audit.filters import EventFilter
from aria.service import accounts as account_service
from aria.service import audit
from aria.service import market as market_service
from aria.service import sizing as sizing_service
from aria.service.commands import SetTrading, SizeRequest
from aria.service.context import Context
from aria.service.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.builders import ask, close, open_account, push, short_two_lots, utc
from tests.fakes import FakeStore

D = Decimal


def test_one_account_one_decision_stored_with_its_reservation(ctx: Context) -> None:
    open_account(ctx, "ftmo-1")
    push(ctx, "ftmo-1", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    result = ask(ctx, "req-1", ["ftmo-1"])
    assert not result.replayed
    (sized,) = result.decisions
    assert sized.decision.approved
    assert sized.decision.lots == D("1.00")  # 1 % of 100,000 at 1,000 per lot
    with ctx.unit() as uow:
        (live,) = uow.sizing.live_reservations(["ftmo-1"], utc(2026, 6, 2, 9))["ftmo-1"]
        stored = uow.sizing.decision(sized.decision_id)
    assert live.decision_id == sized.decision_id
    assert live.amount == sized.decision.risk_amount
    assert stored is not None
    assert stored.decision == sized.decision


def test_fan_out_by_selector_is_one_request(ctx: Context) -> None:
    for index in range(3):
        open_account(ctx, f"acc-{index}", strategy="trend")
        push(ctx, f"acc-{index}", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    open_account(ctx, "other", strategy="scalp")
    result = ask(ctx, "fan-1", {"strategy": "trend"})
    assert [d.decision.account_id for d in result.decisions] == ["acc-0", "acc-1", "acc-2"]
    assert all(d.decision.approved for d in result.decisions)


def test_a_repeated_request_id_returns_the_stored_decisions(ctx: Context) -> None:
    open_account(ctx, "ftmo-1")
    push(ctx, "ftmo-1", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    first = ask(ctx, "same", ["ftmo-1"])
    second = ask(ctx, "same", ["ftmo-1"])
    assert second.replayed
    assert [d.decision_id for d in second.decisions] == [d.decision_id for d in first.decisions]
    with ctx.unit() as uow:
        assert len(uow.sizing.live_reservations(["ftmo-1"], utc(2026, 6, 2, 9))["ftmo-1"]) == 1
    with pytest.raises(Conflict, match="used for a different request"):
        ask(ctx, "same", ["ftmo-1"], side="short", stop="1.2800")


def test_stale_account_state_answers_stale_data(ctx: Context) -> None:
    open_account(ctx, "quiet")
    push(ctx, "quiet", 100_000, 100_000, utc(2026, 6, 2, 8, 0))  # 60 minutes old; the limit is 15
    (sized,) = ask(ctx, "stale-1", ["quiet"]).decisions
    assert sized.decision.reject_codes == ["stale_data"]
    open_account(ctx, "never")
    (sized,) = ask(ctx, "stale-2", ["never"]).decisions
    assert "stale_data" in sized.decision.reject_codes


def test_atr_sizing_without_bars_answers_stale_data(ctx: Context) -> None:
    open_account(ctx, "atr")
    push(ctx, "atr", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    (sized,) = ask(ctx, "atr-1", ["atr"], stop=None, stop_atr_multiple="2").decisions
    assert sized.decision.reject_codes == ["stale_data"]
    assert sized.decision.reasons  # the wording: test_reason_wording.py
    assert market_service.snapshots(ctx, ["GBPUSD"]) == {}  # stale because no bar exists


def test_a_breach_fails_the_account_and_only_exits_are_approved(ctx: Context) -> None:
    open_account(ctx, "doomed")
    push(
        ctx,
        "doomed",
        100_000,
        100_000,
        utc(2026, 6, 2, 8, 0),
        positions=[
            {"symbol": "GBPUSD", "side": "long", "lots": 2, "entry": "1.27", "stop": "1.25"}
        ],
    )
    result = push(
        ctx,
        "doomed",
        100_000,
        94_900,
        utc(2026, 6, 2, 8, 59),
        positions=[
            {
                "symbol": "GBPUSD",
                "side": "long",
                "lots": 2,
                "entry": "1.27",
                "stop": "1.25",
                "price": "1.2445",
            }
        ],
    )
    assert [b.type.value for b in result.breaches] == ["daily_loss"]
    assert result.account.trading.halt.value == "failed"
    with ctx.unit() as uow:
        events = uow.audit.events(EventFilter(account="doomed", kind="breach"), None, 10)
    assert len(events) == 1
    assert events[0].reason
    assert [b["code"] for b in events[0].detail["breaches"]] == ["D1"]
    (sized,) = ask(ctx, "after", ["doomed"]).decisions
    assert sized.decision.reject_codes[0] == "halted"  # (its headroom is gone too, and says so)
    (exit_,) = ask(ctx, "exit", ["doomed"], side="short", stop="1.2800", reduce_only=True).decisions
    assert exit_.decision.approved
    assert exit_.decision.lots == D(2)


def test_reservations_are_matched_cancelled_and_expired(ctx: Context) -> None:
    open_account(ctx, "r")
    push(ctx, "r", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    placed = ask(ctx, "p", ["r"]).decisions[0]
    dropped = ask(ctx, "d", ["r"]).decisions[0]
    push(
        ctx,
        "r",
        100_000,
        100_000,
        utc(2026, 6, 2, 8, 59, 30),
        positions=[
            {
                "symbol": "GBPUSD",
                "side": "long",
                "lots": 1,
                "entry": "1.27",
                "stop": "1.26",
                "decision_id": placed.decision_id,
            }
        ],
    )
    assert sizing_service.cancel(ctx, dropped.decision_id) == "r"
    with pytest.raises(Conflict, match="no live reservation"):
        sizing_service.cancel(ctx, dropped.decision_id)
    with pytest.raises(NotFound):
        sizing_service.cancel(ctx, "nope")
    with ctx.unit() as uow:
        assert uow.sizing.live_reservations(["r"], utc(2026, 6, 2, 9))["r"] == []


def test_unknown_accounts_symbols_and_bad_stops_are_errors_that_store_nothing(ctx: Context) -> None:
    open_account(ctx, "ok")
    with pytest.raises(NotFound, match="unknown account: ghost"):
        ask(ctx, "e1", ["ok", "ghost"])
    with pytest.raises(InvalidInput, match="unknown instrument 'NOPE'"):
        ask(ctx, "e2", ["ok"], symbol="NOPE")
    with pytest.raises(InvalidInput, match="the stop of a long must be below the entry"):
        ask(ctx, "e3", ["ok"], stop="1.3000")
    with pytest.raises(NotFound, match="no account matches"):
        ask(ctx, "e4", {"owner": "nobody"})
    with ctx.unit() as uow:
        for request_id in ("e1", "e2", "e3", "e4"):
            assert uow.sizing.request_hash(request_id) is None


def test_opposite_trade_on_another_account_of_the_owner_at_the_same_firm_is_refused(
    ctx: Context,
) -> None:
    open_account(ctx, "a")
    open_account(ctx, "b")
    open_account(ctx, "c", firm="fundednext", plan="stellar-2-step", phase="phase-1")
    push(
        ctx,
        "a",
        100_000,
        100_000,
        utc(2026, 6, 2, 8, 59),
        positions=[
            {"symbol": "GBPUSD", "side": "long", "lots": 1, "entry": "1.27", "stop": "1.26"}
        ],
    )
    push(ctx, "b", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    push(ctx, "c", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    result = ask(ctx, "hedge", ["b", "c"], side="short", stop="1.2800")
    by_account = {d.decision.account_id: d.decision for d in result.decisions}
    assert by_account["b"].reject_codes == ["cross_account_hedge"]
    assert by_account["c"].approved  # another firm: not FTMO's business


def test_a_disabled_account_is_halted_until_re_enabled(ctx: Context) -> None:
    open_account(ctx, "x")
    push(ctx, "x", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    account_service.set_trading(
        ctx, "x", SetTrading(enabled=False, actor="risk-officer", reason="review")
    )
    assert ask(ctx, "x1", ["x"]).decisions[0].decision.reject_codes == ["halted"]
    account_service.set_trading(
        ctx, "x", SetTrading(enabled=True, actor="risk-officer", reason="cleared")
    )
    assert ask(ctx, "x2", ["x"]).decisions[0].decision.approved
    with ctx.unit() as uow:
        kinds = [e.kind for e in uow.audit.events(EventFilter(account="x"), None, 10)]
    assert kinds[:2] == ["enabled", "disabled"]


def test_an_approved_swing_is_held_until_its_position_shows(ctx: Context) -> None:
    # FundingPips anchors the day on equity at the reset: swings share 5 % of 100,000. Each
    # GBPUSD long (100 pips of stop, 2 R of target) swings 3,000 a lot.
    open_account(ctx, "fp", firm="fundingpips", plan="2-step", phase="phase-1")
    push(ctx, "fp", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    first = ask(ctx, "swing-1", ["fp"], take_profit="1.2900")
    (sized,) = first.decisions
    assert sized.decision.swing_amount == sized.decision.lots * D(3000)
    with ctx.unit() as uow:
        (held,) = uow.sizing.live_reservations(["fp"], utc(2026, 6, 2, 9))["fp"]
    assert held.swing == sized.decision.swing_amount
    second = ask(ctx, "swing-2", ["fp"], take_profit="1.2900")
    swing = next(x for x in second.decisions[0].decision.limits if x.name == "daily_loss_swing")
    left = D(5000) - sized.decision.swing_amount
    assert swing.max_lots == (left / D(3000)).quantize(D("1e-8"), rounding="ROUND_FLOOR")


def test_sequential_reduce_only_requests_close_at_most_the_position(ctx: Context) -> None:
    short_two_lots(ctx, "closer")
    closed = [close(ctx, f"close-{i}", "closer") for i in range(4)]
    assert closed == [D(2), D(0), D(0), D(0)]
    with ctx.unit() as uow:
        (held,) = uow.sizing.live_reservations(["closer"], utc(2026, 6, 2, 9))["closer"]
    assert (held.reduce_only, held.lots, held.amount, held.swing) == (True, D(2), 0, 0)
    assert (held.symbol, held.side) == ("GBPUSD", Side.LONG)
    # A pending close holds no risk: an opening trade is sized as if it were not there.
    (opening,) = ask(ctx, "open-after", ["closer"], symbol="EURUSD", stop="1.2600").decisions
    assert opening.decision.approved
    assert opening.decision.headroom is not None
    assert opening.decision.headroom.reserved == 0
    # Replay reproduces every decision from its stored inputs, reservations included.
    report = audit.verify(ctx, "closer")
    assert report.ok, report.problem
    assert report.decisions == 5


def test_a_close_is_released_once_its_position_is_gone(ctx: Context) -> None:
    short_two_lots(ctx, "flat")
    assert close(ctx, "flat-1", "flat") == D(2)
    result = push(ctx, "flat", 100_000, 100_000, utc(2026, 6, 2, 8, 59, 30))  # closed
    assert result.reservations_matched == 1
    push(
        ctx,
        "flat",
        100_000,
        100_000,
        utc(2026, 6, 2, 8, 59, 40),
        positions=[
            {"symbol": "GBPUSD", "side": "short", "lots": 1, "entry": "1.27", "stop": "1.28"}
        ],
    )
    assert close(ctx, "flat-2", "flat") == D(1)  # the new position, whole


def test_a_replay_is_refused_once_the_key_may_no_longer_act_on_the_account(
    ctx: Context, store: FakeStore
) -> None:
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    signal = {**SIGNAL_OF_ASK, "request_id": "moved", "accounts": ["a"]}
    first = sizing_service.size(ctx, SizeRequest.model_validate(signal), allowed_owner="alice")
    assert not first.replayed
    # The account passes to another trader (by hand: no face changes an owner).
    store.edit("accounts", "a", owner="carol")
    with pytest.raises(Forbidden, match=r"^this key may only size accounts of 'alice'$"):
        sizing_service.size(ctx, SizeRequest.model_validate(signal), allowed_owner="alice")


SIGNAL_OF_ASK = {"symbol": "GBPUSD", "side": "long", "entry": "1.2700", "stop": "1.2600"}


def test_one_signal_to_six_the5ers_accounts_refuses_the_one_past_the_identical_cap(
    ctx: Context,
) -> None:
    ids = [f"5ers-{index}" for index in range(6)]
    for account_id in ids:
        open_account(ctx, account_id, firm="the5ers", plan="high-stakes", phase="phase-1")
        push(ctx, account_id, 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    open_account(ctx, "bob-5ers", owner="bob", firm="the5ers", plan="high-stakes", phase="phase-1")
    push(ctx, "bob-5ers", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    # Five accounts are 500,000: at The5ers' cap on identical trades, not above it.
    result = ask(ctx, "identical-5", ids[:5])
    assert all(d.decision.approved for d in result.decisions)
    result = ask(ctx, "identical-6", [*ids, "bob-5ers"])
    by_account = {d.decision.account_id: d.decision for d in result.decisions}
    assert all(by_account[account_id].approved for account_id in ids[:5])
    assert by_account["bob-5ers"].approved  # another trader's account is not counted
    refused = by_account["5ers-5"]
    assert refused.reject_codes == ["identical_trading_cap"]
    assert "600,000.00 USD" in refused.reasons[0]
    assert "identical-trading cap of 500,000 USD" in refused.reasons[0]


def test_copying_fundednext_challenges_past_300k_is_copy_forbidden(ctx: Context) -> None:
    ids = [f"fn-{index}" for index in range(4)]
    for account_id in ids:
        open_account(ctx, account_id, firm="fundednext", plan="stellar-2-step", phase="phase-1")
        push(ctx, account_id, 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    result = ask(ctx, "copy-4", ids)
    by_account = {d.decision.account_id: d.decision for d in result.decisions}
    assert [by_account[a].approved for a in ids] == [True, True, True, False]
    assert by_account["fn-3"].reject_codes == ["copy_forbidden"]
    assert "copy-capital cap of 300,000 USD" in by_account["fn-3"].reasons[0]
