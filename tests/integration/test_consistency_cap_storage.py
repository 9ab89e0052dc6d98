"""The consistency cap on SQLite and PostgreSQL: the best-day window restarts at the payout
the database holds, and a capped decision replays from its recorded inputs."""

from __future__ import annotations

from decimal import Decimal

from aria.service import accounts as account_service
from aria.service import audit
from aria.service.commands import RecordTrades
from aria.service.context import Context
from tests.builders import ask, cash, open_account, push, utc
from tests.clocks import SettableClock

D = Decimal


def _trade(ticket: str, pnl: int, day: int) -> dict[str, str]:
    return {
        "id": ticket,
        "symbol": "MES",
        "side": "long",
        "lots": "1",
        "entry": "5400",
        "exit": "5410",
        "pnl": str(pnl),
        "opened_at": f"2026-06-{day:02d}T14:00:00Z",
        "closed_at": f"2026-06-{day:02d}T14:30:00Z",
    }


def _record(ctx: Context, *trades: dict[str, str]) -> None:
    account_service.record_trades(ctx, "pa", RecordTrades.model_validate({"trades": trades}))


def test_an_apex_pa_is_capped_on_its_window_since_the_payout_and_replays(
    ctx: Context, clock: SettableClock
) -> None:
    """Apex PA, best day ≤ 30 % of the profit since the last payout, its cap on.

    +2,000 (1 June) and +1,600 (2 June), then a 1,000 payout on 3 June; +600 on 4 June and
    +100 today, 5 June. Since the payout: (0.3 × (600 + 100) − 100) ÷ 0.7 = 110 ÷ 0.7 = 157.14
    more; MES long 5,402.25, stop 5,390.25, take-profit 5,418.25 wins 80 a lot: 1.96 → 1 lot.
    (Counted from the start, 4,200 before today, it would allow 1,700 and the 5 contracts.)
    """
    clock.move_to("2026-06-01T09:00:00Z")
    layer = {"limits": {"consistency_cap": True}}
    open_account(ctx, "pa", firm="apex", plan="pa", phase="pa", size=50_000, profile_layer=layer)
    for day, pnl, balance in ((1, 2_000, 52_000), (2, 1_600, 53_600)):
        clock.move_to(f"2026-06-0{day}T15:00:00Z")
        _record(ctx, _trade(f"a{day}", pnl, day))
        push(ctx, "pa", balance, balance, utc(2026, 6, day, 14, 59))
    clock.move_to("2026-06-03T12:00:00Z")
    cash(ctx, "pa", "payout", 1_000)
    for day, pnl, balance in ((4, 600, 53_200), (5, 100, 53_300)):
        clock.move_to(f"2026-06-0{day}T15:00:00Z")
        _record(ctx, _trade(f"a{day}", pnl, day))
        push(ctx, "pa", balance, balance, utc(2026, 6, day, 14, 59))
    (sized,) = ask(
        ctx, "r1", ["pa"], symbol="MES", entry="5402.25", stop="5390.25", take_profit="5418.25"
    ).decisions
    assert (sized.decision.lots, sized.decision.binding) == (D(1), "consistency_cap")
    report = audit.verify(ctx, "pa")
    assert report.ok, report.problem
