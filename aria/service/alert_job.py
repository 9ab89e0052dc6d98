"""The ``alerts`` job: the time-based alerts (stale state, stale bars) of every account
holding positions, each level once per crossing (see :mod:`aria.service.alerts`); and, for an
account an alert put in 'reducing', its floors again, so a daily floor's new day lifts it."""

from __future__ import annotations

from accounts.model import TradingStatus
from aria.service.accounts import rules_of
from aria.service.alerts import floor_readings, judge, time_readings
from aria.service.context import Context
from aria.service.maintenance import JobReport
from aria.service.profile_layers import prefetch, profile_for
from firms.alerts import is_alert_reducing


def alerts_job(ctx: Context) -> JobReport:
    """The ``alerts`` job: stale state and bars of accounts holding positions; the floors of
    accounts an alert holds in 'reducing'."""
    report = JobReport("alerts")
    with ctx.unit() as uow:
        now = uow.now()
        accounts = [
            a for a in uow.accounts.select() if a.trading.status is not TradingStatus.HALTED
        ]
        seen = uow.accounts.trackers([a.id for a in accounts])
        wanted = [
            a
            for a in accounts
            if is_alert_reducing(a.trading) or ((s := seen[a.id].state) is not None and s.positions)
        ]
        if not wanted:
            return report
        # Locked, then read again: a push meanwhile is judged on what it wrote.
        trackers = uow.accounts.lock_trackers([a.id for a in wanted])
        current = uow.accounts.get_many([a.id for a in wanted])
        symbols = sorted(
            {p.symbol for t in trackers.values() if t.state for p in t.state.positions}
        )
        bars = {symbol: snap.as_of for symbol, snap in uow.market.snapshots(symbols).items()}
        layers = prefetch(uow, wanted, None)
        for account_id in sorted(trackers):
            account, tracker = current[account_id], trackers[account_id]
            if account.trading.status is TradingStatus.HALTED:
                continue
            profile = profile_for(ctx, account, None, layers)
            readings = time_readings(
                tracker, profile.alerts, bars, profile.data.max_market_age_seconds, now
            )
            if is_alert_reducing(account.trading):
                readings += floor_readings(rules_of(ctx, account), tracker, profile.alerts)
            _, written = judge(ctx, uow, account, readings, profile.alerts, now)
            report.done += len(written)
        uow.commit()
    return report
