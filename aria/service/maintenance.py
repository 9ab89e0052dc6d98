"""What the scheduled jobs do (DESIGN section 7): plain functions, testable without a scheduler.

Every job claims its business slot in ``job_runs`` inside the transaction that does the
work — a symbol's last bar, an account's trading day, a finding's day — so two schedulers
running by mistake never do a slot twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from accounts.model import Account, HaltKind, TradingStatus
from aria.service import checkpoints, sessions
from aria.service.accounts import cross_account_ref, phase_start, rules_of
from aria.service.context import Context, ServiceOptions
from aria.service.profile_layers import prefetch, profile_for
from aria.service.tracking import record
from aria.sizing import market as analytics
from aria.sizing.gates import contract_of
from aria.sizing.instruments import calendar_of
from aria.sizing.market import VolatilitySnapshot
from firms import cross_account
from firms.lifecycle import SYSTEM, recheck, roll_forward
from firms.sessions import Calendar

# A stored bar: its start, open, high, low and close.
BarRow = tuple[dt.datetime, float, float, float, float]

log = logging.getLogger(__name__)
_GONE = (HaltKind.CLOSED, HaltKind.ARCHIVED)  # accounts no time rule concerns any more


@dataclass
class JobReport:
    """What a job run did."""

    job: str
    done: int = 0
    skipped: int = 0
    details: dict[str, Any] = field(default_factory=dict)


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def snapshot_of(
    options: ServiceOptions, symbol: str, rows: Sequence[BarRow], at: dt.datetime
) -> VolatilitySnapshot:
    """ATR, percentile and regime of ``symbol`` from its stored bar rows, as of ``at``."""
    return analytics.volatility_snapshot(
        symbol,
        options.timeframe,
        [r[0] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
        [r[4] for r in rows],
        at,
        period=options.atr_period,
        lookback=options.percentile_lookback,
    )


def volatility(ctx: Context) -> JobReport:
    """ATR, percentile, regime and daily volatility per symbol, once per new last bar."""
    report = JobReport("volatility")
    now, options = ctx.clock.now(), ctx.options
    with ctx.unit() as uow:
        symbols = uow.market.bar_symbols(options.timeframe)
        bars = uow.market.bars(
            symbols, options.timeframe, options.percentile_lookback + options.atr_period + 1
        )
        policy = options.bars
        for symbol in symbols:
            # Bars not yet closed (stored before future bars were refused) are not evidence,
            # and must not make the symbol look fresh.
            rows = [r for r in bars[symbol] if r[0] <= now]
            if not rows or not uow.jobs.claim(
                "volatility", f"{symbol}@{rows[-1][0].isoformat()}", now
            ):
                report.skipped += 1
                continue
            snapshot = snapshot_of(options, symbol, rows, now)
            if len(rows) < max(policy.min_atr_bars, options.atr_period + 1):
                # An ATR from a few weeks of bars is a guess anyone can steer with a handful
                # of bars: publish the last close (conversion rates need it), no ATR.
                snapshot = replace(snapshot, atr=None, atr_percentile=None, regime=None)
            uow.market.save_snapshot(snapshot)
            uow.jobs.finish(
                "volatility",
                f"{symbol}@{rows[-1][0].isoformat()}",
                "done",
                {"regime": snapshot.regime},
                now,
            )
            report.done += 1
        uow.commit()
    return report


def correlations(ctx: Context) -> JobReport:
    """A new version of the correlation matrix of every symbol with bars, once per new bar set."""
    report = JobReport("correlations")
    now, options = ctx.clock.now(), ctx.options
    with ctx.unit() as uow:
        symbols = uow.market.bar_symbols(options.timeframe)
        bars = uow.market.bars(symbols, options.timeframe, options.correlation_bars + 1)
        usable = {s: rows for s, rows in bars.items() if len(rows) >= 3}
        if len(usable) < 2:
            report.skipped = 1
            return report
        as_of = max(rows[-1][0] for rows in usable.values())
        key = f"{options.correlation_universe}@{as_of.isoformat()}#{len(usable)}"
        if not uow.jobs.claim("correlations", key, now):
            report.skipped = 1
            return report
        series = {
            s: ([int(r[0].timestamp()) for r in rows], [r[4] for r in rows])
            for s, rows in sorted(usable.items())
        }
        matrix = analytics.correlation(series, min_overlap=min(20, options.correlation_bars // 2))
        version = uow.market.save_correlation(options.correlation_universe, matrix, as_of, now)
        uow.jobs.finish(
            "correlations", key, "done", {"version": version, "symbols": len(usable)}, now
        )
        uow.commit()
    report.done, report.details = 1, {"version": version, "symbols": len(usable)}
    return report


def daily_resets(ctx: Context) -> JobReport:
    """Roll every account whose firm's daily reset has passed; lift daily halts that ended."""
    report = JobReport("daily_resets")
    now = ctx.clock.now()
    with ctx.unit() as uow:
        ids = uow.accounts.ids()
    for batch in _chunks(ids, ctx.options.reset_batch):
        with ctx.unit() as uow:
            rolled, slots = [], []
            for account_id, (account, tracker) in uow.accounts.lock(batch).items():
                if tracker.state is None:
                    report.skipped += 1
                    continue
                rules = rules_of(ctx, account)
                current = roll_forward(account, tracker, rules, now)
                rolled.append(current)
                if "daily_reset" in current.events:
                    slots.append(f"{account_id}@{rules.daily_reset.trading_day(now).isoformat()}")
                    report.done += 1
                else:
                    report.skipped += 1
            # A batch is written in a few statements; its slots are claimed in the same
            # transaction, and the locks make a second scheduler find the days rolled.
            record(uow, rolled, now)
            uow.jobs.claim_many("daily_resets", slots, now)
            uow.commit()
    return report


def trackers(ctx: Context) -> JobReport:
    """Re-judge every account's latest state against its floors (a safety net for pushes)."""
    report = JobReport("trackers")
    now = ctx.clock.now()
    with ctx.unit() as uow:
        ids = uow.accounts.ids()
    for batch in _chunks(ids, ctx.options.reset_batch):
        with ctx.unit() as uow:
            locked = uow.accounts.lock(batch)
            rolled = [
                roll_forward(account, tracker, rules_of(ctx, account), now)
                for account, tracker in locked.values()
                if tracker.state is not None
            ]
            record(uow, rolled, now)
            for current in rolled:
                rules = rules_of(ctx, current.account)
                halted = recheck(current.account, current.tracker, rules, now)
                if halted is not None:
                    uow.accounts.save(halted.account, now)
                    uow.audit.append_events([halted.record])
                    report.done += 1
            uow.commit()
    return report


def expire_reservations(ctx: Context) -> JobReport:
    """Release reservations whose time-to-live passed without the position showing up."""
    with ctx.unit() as uow:
        expired = uow.sizing.expire_reservations(uow.now())  # the clock sizing wrote them by
        uow.commit()
    return JobReport("expire_reservations", done=expired)


def _refs(ctx: Context, accounts: list[Account]) -> dict[str, cross_account.AccountRef]:
    return {account.id: cross_account_ref(ctx, account) for account in accounts}


def compliance_scan(ctx: Context) -> JobReport:
    """Record, once a day each, accounts holding forbidden cross-account patterns: hedges,
    allocation and account-count caps (per owner, and per household where the firm counts so),
    open positions that make one trade past an identical-trading or copy-capital cap, and a
    product's mini and micro held together where the firm forbids it."""
    report = JobReport("compliance_scan")
    now = ctx.clock.now()
    day = now.date().isoformat()
    with ctx.unit() as uow:
        accounts = uow.accounts.select()
        states = uow.accounts.trackers([a.id for a in accounts])
        instruments = ctx.instrument_catalog(uow.market.instruments()).instruments
    refs = _refs(ctx, accounts)
    held = {a.id: state.positions for a in accounts if (state := states[a.id].state) is not None}
    exposures = [
        cross_account.Exposure(refs[account_id], p.symbol, p.side, p.opened_at)
        for account_id, positions in held.items()
        for p in positions
    ]
    by_owner: dict[str, list[cross_account.AccountRef]] = defaultdict(list)
    for account in accounts:
        by_owner[account.owner].append(refs[account.id])
    findings = list(cross_account.scan_hedges(exposures))
    for group in by_owner.values():
        findings += cross_account.allocation_findings(group)
    # Over every account at once: a household's accounts may belong to several owners.
    findings += cross_account.account_count_findings([refs[a.id] for a in accounts])
    findings += cross_account.scan_identical(exposures)
    for account_id, positions in held.items():
        contracts = [contract_of(p.symbol, instruments) for p in positions]
        findings += cross_account.mini_micro_findings(refs[account_id], contracts)
    if not findings:
        return report
    with ctx.unit() as uow:
        uow.accounts.lock_trackers(sorted({f.account_id for f in findings}))
        for finding in findings:
            key = f"{finding.code}:{finding.account_id}:{','.join(finding.others)}@{day}"
            if not uow.jobs.claim("compliance_scan", key, now):
                report.skipped += 1
                continue
            detail = {"code": finding.code, "others": list(finding.others), "firm": finding.firm}
            uow.audit.append_event(
                finding.account_id, "compliance_finding", detail, SYSTEM, finding.detail, now
            )
            report.done += 1
        uow.commit()
    return report


def stale_data(ctx: Context) -> JobReport:
    """Record, once a day each, accounts whose state has not been pushed within their limit."""
    report = JobReport("stale_data")
    now = ctx.clock.now()
    with ctx.unit() as uow:
        accounts = uow.accounts.select()
        states = uow.accounts.trackers([a.id for a in accounts])
        layers = prefetch(uow, accounts, None)
    stale = []
    for account in accounts:
        limit = dt.timedelta(
            seconds=profile_for(ctx, account, None, layers).data.max_state_age_seconds
        )
        state = states[account.id].state
        if (
            state is not None
            and now - state.as_of > limit
            and account.trading.status is not TradingStatus.HALTED
        ):
            stale.append((account.id, now - state.as_of, limit))
    if not stale:
        return report
    with ctx.unit() as uow:
        uow.accounts.lock_trackers([account_id for account_id, _, _ in stale])
        for account_id, age, limit in stale:
            if uow.jobs.claim("stale_data", f"{account_id}@{now.date().isoformat()}", now):
                detail = {
                    "age_seconds": int(age.total_seconds()),
                    "limit_seconds": int(limit.total_seconds()),
                }
                uow.audit.append_event(
                    account_id, "stale_data", detail, SYSTEM, f"no state pushed for {age}", now
                )
                report.done += 1
        uow.commit()
    return report


def audit_checkpoint(ctx: Context) -> JobReport:
    """Write a signed checkpoint of every chain head where the officer keeps them, hourly."""
    report = JobReport("audit_checkpoint")
    if ctx.checkpoints is None:  # no directory configured: the job is off
        report.skipped = 1
        return report
    now = ctx.clock.now()
    slot = f"{now.astimezone(dt.UTC):%Y-%m-%dT%H}"
    with ctx.unit() as uow:
        if not uow.jobs.claim("audit_checkpoint", slot, now):
            report.skipped = 1
            return report
        checkpoint = checkpoints.take_in(uow, ctx.options.audit_key)
        # Written before the claim commits: a failed commit leaves a spare file, never a gap.
        where = ctx.checkpoints.write(checkpoints.file_name(checkpoint), checkpoint.to_json())
        detail = {"file": where, "accounts": len(checkpoint.heads)}
        uow.jobs.finish("audit_checkpoint", slot, "done", detail, now)
        uow.commit()
    report.done, report.details = 1, detail
    return report


def heartbeat(ctx: Context, name: str = "scheduler") -> None:
    """Record that the scheduler is alive."""
    with ctx.unit() as uow:
        uow.jobs.beat(name, ctx.clock.now())
        uow.commit()


def flat_by(ctx: Context) -> JobReport:
    """Record ``flat_by_warning`` at the lead times before each account's flat-by time and
    ``must_flatten`` at it for accounts holding positions, once per account and slot."""
    report = JobReport("flat_by")
    now = ctx.clock.now()
    with ctx.unit() as uow:
        accounts = [a for a in uow.accounts.select() if a.trading.halt not in _GONE]
        states = uow.accounts.trackers([a.id for a in accounts])
        catalog = ctx.instrument_catalog(uow.market.instruments())
    calendars: dict[str, Calendar] = {}  # one per calendar name for the run
    due = []
    for account in accounts:
        rules, tracker = rules_of(ctx, account), states[account.id]
        if not any(rule.flat_by is not None for rule in rules.sessions):
            continue
        # The market of what the account holds (or trades) can close before the flat-by time.
        held = [p.symbol for p in tracker.state.positions] if tracker.state else []
        instrument = catalog.get(sessions.representative(rules, held, catalog))
        name = calendar_of(instrument)
        if name not in calendars:
            calendars[name] = sessions.session_calendar(instrument, now)
        due += [
            (account.id, notice)
            for notice in sessions.flat_by_notices(
                account, tracker, rules, now, ctx.options.flat_by_warnings, calendars[name]
            )
        ]
    if not due:
        return report
    with ctx.unit() as uow:
        uow.accounts.lock_trackers(sorted({account_id for account_id, _ in due}))
        for account_id, notice in due:
            if not uow.jobs.claim(f"flat_by:{notice.kind}", notice.slot, now):
                report.skipped += 1
                continue
            detail = {"flat_by": notice.flat_by.isoformat(), "minutes": notice.minutes}
            uow.audit.append_event(account_id, notice.kind, detail, SYSTEM, notice.reason, now)
            report.done += 1
        uow.commit()
    return report


def inactivity(ctx: Context) -> JobReport:
    """Record an ``inactivity`` warning, once per account and limit, from the configured number
    of days before the account's inactivity limit (counted from its last trade, or from its
    opening, promotion or reset when that is later)."""
    report = JobReport("inactivity")
    now = ctx.clock.now()
    ahead = dt.timedelta(days=ctx.options.inactivity_warning_days)
    with ctx.unit() as uow:
        accounts = [a for a in uow.accounts.select() if a.trading.halt not in _GONE]
        ids = [a.id for a in accounts]
        states = uow.accounts.trackers(ids)
        trades = uow.accounts.recent_trades(ids, 1)
        started = {a: phase_start(uow, a) for a in ids}
    due = []
    for account in accounts:
        rules = rules_of(ctx, account)
        deadline = sessions.inactivity_deadline(
            rules, states[account.id], trades.get(account.id, []), now, started[account.id]
        )
        if deadline is not None and deadline - ahead <= now:
            due.append((account.id, deadline, rules.plan_name))
    if not due:
        return report
    with ctx.unit() as uow:
        uow.accounts.lock_trackers([account_id for account_id, _, _ in due])
        for account_id, deadline, plan in due:
            if not uow.jobs.claim("inactivity", f"{account_id}@{deadline.isoformat()}", now):
                report.skipped += 1
                continue
            left = deadline - now
            reason = (
                f"{plan}: without a trade the account breaks its inactivity limit at"
                f" {deadline.isoformat()} ({max(left.days, 0)} days left)"
            )
            detail = {"deadline": deadline.isoformat()}
            uow.audit.append_event(account_id, "inactivity", detail, SYSTEM, reason, now)
            report.done += 1
        uow.commit()
    return report


def prune_snapshots(ctx: Context) -> JobReport:
    """Delete volatility snapshots older than the retention, keeping each symbol's latest.

    Decisions copy the market values they used into their stored inputs, so no replay needs
    an old snapshot row.
    """
    report = JobReport("prune_snapshots")
    now = ctx.clock.now()
    before = now - dt.timedelta(days=ctx.options.snapshot_retention_days)
    slot = now.date().isoformat()  # once a day, however often the job is started
    with ctx.unit() as uow:
        if not uow.jobs.claim("prune_snapshots", slot, now):
            report.skipped += 1
            return report
        report.done = uow.market.prune_snapshots(before)
        uow.jobs.finish("prune_snapshots", slot, "done", {"deleted": report.done}, now)
        uow.commit()
    report.details["before"] = before.isoformat()
    return report
