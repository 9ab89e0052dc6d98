"""The per-trade rule family through the service: violations counted from pushed states, and
closed losses read back for a re-entry."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accounts.model import Trade
from aria.audit.filters import EventFilter
from aria.service import accounts as account_service
from aria.service import sizing as sizing_service
from aria.service.commands import RecordTrades
from aria.service.context import Context
from tests.builders import ask, open_account, push, utc

D = Decimal


def _gbpusd(lots: str) -> list[dict[str, Any]]:
    """GBPUSD long from 1.2700, stop 1.2600: 0.0100 × 100,000 = 1,000 a lot to the stop."""
    return [
        {
            "symbol": "GBPUSD",
            "side": "long",
            "lots": lots,
            "entry": "1.2700",
            "stop": "1.2600",
        }
    ]


def _limit(decision: Any, name: str) -> Decimal:
    (found,) = [c.max_lots for c in decision.limits if c.name == name]
    return found


def test_a_second_violation_of_fundednexts_3_percent_holds_sizing_to_1_percent(
    ctx: Context,
) -> None:
    for account_id in ("fn-0", "fn-2"):
        open_account(ctx, account_id, firm="fundednext", plan="stellar-2-step", phase="funded")
    # fn-2: 4 lots risk 4,000 > 3,000 (violation 1); flat; 4 lots again (violation 2).
    push(ctx, "fn-2", 100_000, 100_000, utc(2026, 6, 2, 8, 50), _gbpusd("4"))
    push(ctx, "fn-2", 100_000, 100_000, utc(2026, 6, 2, 8, 52))
    push(ctx, "fn-2", 100_000, 100_000, utc(2026, 6, 2, 8, 55), _gbpusd("4"))
    push(ctx, "fn-2", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    # fn-0: within the cap all along (2 lots, 2,000).
    push(ctx, "fn-0", 100_000, 100_000, utc(2026, 6, 2, 8, 50), _gbpusd("2"))
    push(ctx, "fn-0", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    with ctx.unit() as uow:
        events = uow.audit.events(EventFilter(account="fn-2", kind="risk_violation"), None, 10)
        quiet = uow.audit.events(EventFilter(account="fn-0", kind="risk_violation"), None, 10)
        trackers = uow.accounts.trackers(["fn-0", "fn-2"])
    # Newest first.
    assert [e.detail["violations"] for e in events] == [2, 1]
    assert [e.detail["escalated_to"] for e in events] == ["1000", None]
    assert quiet == []
    assert (trackers["fn-0"].risk_violations, trackers["fn-2"].risk_violations) == (0, 2)
    # What the account's risk view shows: the cap in force and the count.
    shown = account_service.account_risk(ctx, "fn-2")
    assert (shown.open_risk_cap, shown.risk_violations) == (D(1000), 2)
    assert account_service.account_risk(ctx, "fn-0").open_risk_cap == D(3000)
    # A new GBPUSD long risking 1,000 a lot: 3,000 / 1,000 = 3 lots on fn-0, and
    # 1,000 / 1,000 = 1 lot on fn-2.
    (plain,) = ask(ctx, "r0", ["fn-0"]).decisions
    (held,) = ask(ctx, "r2", ["fn-2"]).decisions
    assert _limit(plain.decision, "max_open_risk") == D(3)
    assert _limit(held.decision, "max_open_risk") == D(1)


def test_a_loss_closed_on_the_side_a_minute_ago_is_part_of_a_fundingpips_re_entry(
    ctx: Context,
) -> None:
    open_account(ctx, "fp", firm="fundingpips", plan="2-step", phase="funded")
    push(ctx, "fp", 99_500, 99_500, utc(2026, 6, 2, 8, 59))
    loss = Trade(
        id="t1",
        symbol="GBPUSD",
        side="long",
        lots=D(1),
        entry=D("1.2700"),
        exit=D("1.2650"),
        pnl=D(-500),
        opened_at=utc(2026, 6, 2, 8, 40),
        closed_at=utc(2026, 6, 2, 8, 58),
    )
    old = loss.model_copy(update={"id": "t0", "closed_at": utc(2026, 6, 2, 8, 50)})
    win = loss.model_copy(update={"id": "w", "pnl": D(300), "closed_at": utc(2026, 6, 2, 8, 57)})
    account_service.record_trades(ctx, "fp", RecordTrades(trades=(loss, old, win)))
    (sized,) = ask(ctx, "re-1", ["fp"]).decisions
    # 3 % of 100,000 = 3,000; t1 lost 500 two minutes before the 09:00 request, t0 ten
    # minutes before (outside 300 s): (3,000 − 500) / 1,000 a lot = 2.5 lots.
    assert _limit(sized.decision, "max_risk_per_trade") == D("2.5")
    reason = next(c.reason for c in sized.decision.limits if c.name == "max_risk_per_trade")
    assert "t1" in reason
    assert "t0" not in reason
    # Only what the rule needs goes into the decision's inputs: losses within the window (not
    # t0, too old, nor the win w).
    with ctx.unit() as uow:
        account = uow.accounts.get("fp")
        assert account is not None
        found = sizing_service.closed_losses(uow, [account], ctx, utc(2026, 6, 2, 9, 0))
    assert [t.id for t in found["fp"]] == ["t1"]


def test_a_state_with_a_position_without_a_stop_is_not_judged(ctx: Context) -> None:
    # FundedNext gives about 3 minutes to set a stop: a state with an unstopped position is
    # not counted as a violation, however large the position.
    # The profile assumes a stop 1 % away for its own headroom; the firm's count does not.
    open_account(
        ctx,
        "fn",
        firm="fundednext",
        plan="stellar-2-step",
        phase="funded",
        profile_layer={"headroom": {"fallback_stop_pct": "0.01"}},
    )
    unstopped = _gbpusd("40")
    del unstopped[0]["stop"]
    push(ctx, "fn", 100_000, 100_000, utc(2026, 6, 2, 8, 59), unstopped)
    with ctx.unit() as uow:
        assert uow.accounts.trackers(["fn"])["fn"].risk_violations == 0
        assert uow.audit.events(EventFilter(account="fn", kind="risk_violation"), None, 5) == []
