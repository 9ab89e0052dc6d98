"""The ``alerts`` job: the time-based alerts (stale state, stale bars) of every account
holding positions, each level once per crossing (see :mod:`aria.service.alerts`)."""

from __future__ import annotations

from accounts.model import TradingStatus
from aria.service.alerts import judge, time_readings
from aria.service.context import Context
from aria.service.maintenance import JobReport
from aria.service.profile_layers import prefetch, profile_for


def alerts_job(ctx: Context) -> JobReport:
    """The ``alerts`` job: stale state and stale bars of every account holding positions."""
    report = JobReport("alerts")
    with ctx.unit() as uow:
        now = uow.now()
        accounts = [
            a for a in uow.accounts.select() if a.trading.status is not TradingStatus.HALTED
        ]
        trackers = uow.accounts.trackers([a.id for a in accounts])
        held = [a for a in accounts if (s := trackers[a.id].state) is not None and s.positions]
        if not held:
            return report
        symbols = sorted(
            {p.symbol for a in held for s in [trackers[a.id].state] if s for p in s.positions}
        )
        snapshots = uow.market.snapshots(symbols)
        bars = {symbol: snap.as_of for symbol, snap in snapshots.items()}
        layers = prefetch(uow, held, None)
        uow.accounts.lock_trackers([a.id for a in held])
        for account in held:
            profile = profile_for(ctx, account, None, layers)
            readings = time_readings(
                account,
                trackers[account.id],
                profile.alerts,
                bars,
                profile.data.max_market_age_seconds,
                now,
            )
            _, written = judge(ctx, uow, account, readings, profile.alerts, now)
            report.done += len(written)
        uow.commit()
    return report
