"""Best-day rules through the service: a window that restarts at the latest payout, and the
consistency cap filled from the account's closed trades when its profile asks."""

from __future__ import annotations

from decimal import Decimal

from aria.cli.trading import objective_lines
from aria.service import accounts as account_service
from aria.service.commands import RecordTrades
from aria.service.context import Context
from aria.sizing.decision import RejectCode
from tests.builders import ask, cash, open_account, push, utc
from tests.clocks import SettableClock

D = Decimal


def _trade(ticket: str, pnl: int, day: int, hour: int = 15) -> dict[str, str]:
    """A closed trade on 2026-06-``day``, opened at ``hour`` UTC and closed 30 minutes later."""
    return {
        "id": ticket,
        "symbol": "MES",
        "side": "long",
        "lots": "1",
        "entry": "5400",
        "exit": "5410",
        "pnl": str(pnl),
        "opened_at": f"2026-06-{day:02d}T{hour:02d}:00:00Z",
        "closed_at": f"2026-06-{day:02d}T{hour:02d}:30:00Z",
    }


def _record(ctx: Context, account_id: str, *trades: dict[str, str]) -> None:
    account_service.record_trades(ctx, account_id, RecordTrades.model_validate({"trades": trades}))


def test_an_apex_pa_best_day_counts_from_the_latest_payout(
    ctx: Context, clock: SettableClock
) -> None:
    """Apex PA: best day ≤ 30 % of profit since the last approved payout.

    Before the payout of 1,000 on 3 June 12:00: +2,000 (1 June), +1,600 (2 June); the
    50K account keeps its 2,600 payout buffer. After it: +600, +800, +700, +600 (4, 5, 8, 9
    June). Since the payout: 800 of 2,700 = 29.63 %, met; counted from the start it would be
    2,000 of 6,300 = 31.75 %, over.
    """
    clock.move_to("2026-06-01T09:00:00Z")
    open_account(ctx, "pa", firm="apex", plan="pa", phase="pa", size=50_000)
    clock.move_to("2026-06-03T11:00:00Z")
    _record(ctx, "pa", _trade("a1", 2_000, 1), _trade("a2", 1_600, 2))
    push(ctx, "pa", 53_600, 53_600, utc(2026, 6, 3, 10))
    before = account_service.account_objectives(ctx, "pa")
    assert (before.consistency[0].best_day_profit, before.consistency[0].satisfied) == (
        D(2_000),
        False,
    )
    clock.move_to("2026-06-03T12:00:00Z")
    cash(ctx, "pa", "payout", 1_000)
    clock.move_to("2026-06-10T12:00:00Z")
    _record(
        ctx,
        "pa",
        _trade("a3", 600, 4),
        _trade("a4", 800, 5),
        _trade("a5", 700, 8),
        _trade("a6", 600, 9),
    )
    found = account_service.account_objectives(ctx, "pa")
    (best,) = found.consistency
    assert (best.best_day_profit, best.profit, best.satisfied) == (D(800), D(2_700), True)
    assert best.window_start == utc(2026, 6, 3, 12)
    assert objective_lines(found)[1] == (
        "since the payout of 2026-06-03 12:00 UTC:"
        " best day 800.00: 29.63 % of total profit (limit 30 %), met"
    )


def test_a_topstep_combine_with_the_cap_on_is_sized_within_the_best_day(
    ctx: Context, clock: SettableClock
) -> None:
    """Topstep Combine (TopstepX) 50K, best day ≤ 50 % of the 3,000 target = 1,500. 900 on
    1 June (the day closes at 50,900); 1,200 closed today, 2 June (52,100). 1,500 − 1,200 =
    300 more; MES long 5,402.25, stop 5,390.25, take-profit 5,418.25 wins 16 × 5 = 80 a lot:
    3.75 → 3 lots. Without the cap: the 5-contract limit. Then 300 more closed today, which
    the balance does not show yet: the trades' 1,500 counts, and leaves no room.
    """
    clock.move_to("2026-06-01T09:00:00Z")
    layer = {"limits": {"consistency_cap": True}}
    for account_id, extra in (("capped", {"profile_layer": layer}), ("plain", {})):
        open_account(
            ctx,
            account_id,
            firm="topstep",
            plan="trading-combine-x",
            phase="combine",
            size=50_000,
            **extra,
        )
    clock.move_to("2026-06-01T16:00:00Z")
    for account_id in ("capped", "plain"):
        push(ctx, account_id, 50_900, 50_900, utc(2026, 6, 1, 15, 59))
    clock.move_to("2026-06-02T15:00:00Z")
    for account_id in ("capped", "plain"):
        _record(
            ctx,
            account_id,
            _trade(f"{account_id}-1", 900, 1),
            _trade(f"{account_id}-2", 1_200, 2, 14),
        )
        push(ctx, account_id, 52_100, 52_100, utc(2026, 6, 2, 14, 59))
    trade = {
        "symbol": "MES",
        "entry": "5402.25",
        "stop": "5390.25",
        "take_profit": "5418.25",
    }
    capped, plain = ask(ctx, "r1", ["capped", "plain"], **trade).decisions
    assert (capped.decision.lots, capped.decision.binding) == (D(3), "consistency_cap")
    # Uncapped: sized by risk alone (TopstepX counts ten MES as one contract: 50 allowed).
    assert (plain.decision.lots, plain.decision.binding) == (D(8), None)
    clock.move_to("2026-06-02T15:05:00Z")
    _record(ctx, "capped", _trade("capped-3", 300, 2, 13))
    (refused,) = ask(ctx, "r2", ["capped"], **trade).decisions
    assert refused.decision.reject_codes == [RejectCode.CONSISTENCY_CAP]
