"""Sizing as a transaction (DESIGN section 2): lock, decide, write, chain, commit, answer.

One request — one account or a fan-out to many — is one unit of work and, on the happy
path, one commit. The request id is claimed first (``INSERT … ON CONFLICT DO NOTHING``), so
the same id never produces two decisions: a repeat, or a concurrent duplicate, gets the
stored decisions. The accounts are then locked in id order (PostgreSQL ``SELECT … FOR
UPDATE``; SQLite's ``BEGIN IMMEDIATE`` has already serialised writers), so concurrent
requests on one account see each other's reservations and can never together pass its
headroom. A decision is returned only after its audit record is committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from accounts.model import Account, AccountState
from accounts.tracker import Tracker
from aria.service.accounts import rules_of
from aria.service.commands import SizeRequest
from aria.service.context import Context
from aria.service.errors import Conflict, Forbidden, InvalidInput, NotFound
from aria.service.layers import prefetch, profile_for
from aria.service.ports import StoredDecision, UnitOfWork
from aria.service.tracking import bring_current
from aria.sizing.decision import Decision
from aria.sizing.errors import InvalidRequest, UnknownInstrument
from aria.sizing.inputs import (
    DecisionInputs,
    Exposure,
    MarketSnapshot,
    OtherAccount,
    TradeRequest,
    canonical_json,
)
from aria.sizing.instruments import Instrument, InstrumentCatalog
from aria.sizing.market import Correlation, VolatilitySnapshot
from aria.sizing.pipeline import decide
from aria.sizing.profiles import Profile

_NEVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class SizedDecision:
    """A decision as answered: with the id of its stored record."""

    decision_id: str
    decision: Decision
    created_at: dt.datetime


@dataclass(frozen=True)
class SizingResult:
    """The decisions of one request; ``replayed`` when they were already stored."""

    request_id: str
    decisions: list[SizedDecision]
    replayed: bool


def request_digest(command: SizeRequest) -> str:
    """Hash of what the request asks, so a reused id with a different request is caught."""
    body = command.model_dump(mode="json", exclude={"request_id"})
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def _answer(stored: list[StoredDecision]) -> list[SizedDecision]:
    return [SizedDecision(s.id, s.decision, s.created_at) for s in stored]


def _replay(uow: UnitOfWork, command: SizeRequest, digest: str) -> SizingResult | None:
    known = uow.decisions.request_hash(command.request_id)
    if known is None:
        return None
    if known != digest:
        raise Conflict(
            f"request id {command.request_id!r} was used for a different request; use a new id"
        )
    return SizingResult(
        command.request_id, _answer(uow.decisions.for_request(command.request_id)), True
    )


def _select(uow: UnitOfWork, command: SizeRequest) -> list[str]:
    if isinstance(command.accounts, tuple):
        found = uow.accounts.get_many(command.accounts)
        missing = sorted(set(command.accounts) - set(found))
        if missing:
            raise NotFound(
                f"unknown account{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
            )
        return sorted(found)
    selector = command.accounts
    chosen = uow.accounts.select(
        owner=selector.owner, firm=selector.firm, strategy=selector.strategy
    )
    if not chosen:
        raise NotFound(f"no account matches {selector.model_dump(exclude_none=True)}")
    return [account.id for account in chosen]


def trade_request(command: SizeRequest) -> TradeRequest:
    """The pipeline's request; a stop or take-profit on the wrong side is :class:`InvalidInput`."""
    try:
        return TradeRequest(
            symbol=command.symbol,
            side=command.side,
            entry=command.entry,
            stop=command.stop,
            stop_atr_multiple=command.stop_atr_multiple,
            take_profit=command.take_profit,
            confidence=command.confidence,
            strategy=command.strategy,
            reduce_only=command.reduce_only,
        )
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


def size(ctx: Context, command: SizeRequest, allowed_owner: str | None = None) -> SizingResult:
    """Size one signal for its accounts; a repeated request id returns the stored decisions.

    With ``allowed_owner`` (a key restricted to one trader) every account must be theirs.
    """
    now = ctx.clock.now()
    trade = trade_request(command)
    digest = request_digest(command)
    with ctx.unit() as uow:
        replay = _replay(uow, command, digest)
        if replay is not None:
            return replay
        ids = _select(uow, command)
        if allowed_owner is not None:
            strangers = sorted(
                a.id for a in uow.accounts.get_many(ids).values() if a.owner != allowed_owner
            )
            if strangers:
                raise Forbidden(
                    f"this key may only size accounts of {allowed_owner!r},"
                    f" not {', '.join(strangers)}"
                )
        if uow.decisions.claim_request(
            command.request_id, digest, command.model_dump(mode="json"), now
        ):
            decisions = _decide_all(ctx, uow, command, trade, ids, now)
            uow.commit()
            return SizingResult(command.request_id, decisions, False)
    # A concurrent request with the same id claimed it first; it has committed by now.
    with ctx.unit() as uow:
        replay = _replay(uow, command, digest)
    if replay is None:
        raise Conflict(f"request id {command.request_id!r} is being processed; retry it")
    return replay


@dataclass(frozen=True)
class _Market:
    """Market data loaded once per request."""

    snapshots: dict[str, VolatilitySnapshot]
    correlation: Correlation | None
    rates: dict[str, Decimal]


def _market_for(
    market: _Market, symbol: str, held: set[str], profile: Profile, now: dt.datetime
) -> MarketSnapshot:
    snapshot = market.snapshots.get(symbol)
    correlations: dict[str, Decimal] = {}
    if market.correlation is not None:
        for other in sorted(held - {symbol}):
            value = market.correlation.between(symbol, other)
            if value is not None:
                correlations[other] = Decimal(f"{value:.6f}")
    limit = dt.timedelta(seconds=profile.data.max_market_age_seconds)
    if snapshot is None or now - snapshot.as_of > limit:
        why = (
            f"no bars for {symbol}"
            if snapshot is None
            else f"the latest bar of {symbol} is from {snapshot.as_of.isoformat()},"
            f" older than {limit}"
        )
        return MarketSnapshot(correlations=correlations, rates=market.rates, unavailable=why)
    return MarketSnapshot(
        as_of=snapshot.as_of,
        atr=snapshot.atr,
        atr_percentile=snapshot.atr_percentile,
        daily_volatility=snapshot.daily_volatility,
        correlations=correlations,
        rates=market.rates,
    )


def _instrument(catalog: InstrumentCatalog, symbol: str) -> Instrument:
    try:
        return catalog.get(symbol)
    except UnknownInstrument as exc:
        raise InvalidInput(str(exc)) from None


def _decide_all(
    ctx: Context,
    uow: UnitOfWork,
    command: SizeRequest,
    trade: TradeRequest,
    ids: list[str],
    now: dt.datetime,
) -> list[SizedDecision]:
    trackers = uow.trackers.lock(ids)
    accounts = uow.accounts.get_many(ids)
    family = uow.accounts.of_owners(sorted({a.owner for a in accounts.values()}))
    outside = [a.id for a in family if a.id not in accounts]
    outside_trackers = uow.trackers.get_many(outside)
    trades = uow.trades.recent(ids, ctx.options.trade_history)
    reservations = uow.reservations.live(ids, now)
    catalog = ctx.instrument_catalog(uow.instruments.all())
    instrument = _instrument(catalog, command.symbol)
    held = {p.symbol for t in trackers.values() if t.state for p in t.state.positions}
    latest = uow.market.latest_correlation(ctx.options.correlation_universe)
    market = _Market(
        snapshots=uow.market.snapshots(sorted(held | {command.symbol})),
        correlation=latest[1] if latest else None,
        rates={symbol: snap.last_close for symbol, snap in uow.market.currency_pairs().items()},
    )
    layers = prefetch(uow, accounts.values(), command.strategy)
    order = {account_id: index for index, account_id in enumerate(ids)}
    answered: list[SizedDecision] = []
    for account_id in ids:
        current = bring_current(
            uow,
            accounts[account_id],
            trackers[account_id],
            rules_of(ctx, accounts[account_id]),
            now,
        )
        accounts[account_id], trackers[account_id] = current.account, current.tracker
        inputs = _inputs(
            ctx,
            command,
            trade,
            accounts[account_id],
            trackers[account_id],
            trades[account_id],
            reservations[account_id],
            instrument,
            catalog,
            market,
            layers,
            family,
            {**trackers, **outside_trackers},
            order,
            now,
        )
        try:
            decision = decide(inputs)
        except InvalidRequest as exc:
            raise InvalidInput(f"account {account_id}: {exc}") from None
        strategy = command.strategy or accounts[account_id].strategy
        stored = uow.decisions.append(
            command.request_id, decision, inputs.model_dump(mode="json"), strategy, now
        )
        if decision.approved and not command.reduce_only:
            uow.reservations.add(
                stored.id,
                account_id,
                decision.symbol,
                decision.side,
                decision.lots,
                decision.risk_amount,
                now + dt.timedelta(seconds=ctx.options.reservation_ttl_seconds),
                now,
            )
        answered.append(SizedDecision(stored.id, decision, stored.created_at))
    return answered


def _inputs(
    ctx: Context,
    command: SizeRequest,
    trade: TradeRequest,
    account: Account,
    tracker: Tracker,
    trades: list,  # type: ignore[type-arg]
    reservations: list,  # type: ignore[type-arg]
    instrument: Instrument,
    catalog: InstrumentCatalog,
    market: _Market,
    layers: dict,  # type: ignore[type-arg]
    family: list[Account],
    trackers: dict[str, Tracker],
    order: dict[str, int],
    now: dt.datetime,
) -> DecisionInputs:
    rules = rules_of(ctx, account)
    profile = profile_for(ctx, account, command.strategy, layers)
    state = tracker.state or AccountState(
        balance=account.initial_balance, equity=account.initial_balance, as_of=_NEVER
    )
    held = {p.symbol for p in state.positions}
    others = []
    for other in family:
        # Cross-account rules are about one trader's own accounts.
        if other.id == account.id or other.owner != account.owner:
            continue
        other_rules = rules_of(ctx, other)
        other_state = trackers[other.id].state if other.id in trackers else None
        others.append(
            OtherAccount(
                id=other.id,
                firm=other.firm,
                phase_kind=other_rules.phase.kind,
                size=other.initial_balance,
                currency=other.currency,
                strategy=other.strategy,
                rules=other_rules.cross_account,
                positions=tuple(
                    Exposure(symbol=p.symbol, side=p.side)
                    for p in (other_state.positions if other_state else ())
                ),
                same_signal=other.id in order,
                signal_order=order.get(other.id),
            )
        )
    return DecisionInputs(
        now=now,
        profile=profile,
        rules=rules,
        account=account,
        state=state,
        peaks=tracker.peaks,
        day=tracker.day,
        trades=tuple(trades),
        reservations=tuple(reservations),
        instrument=instrument,
        instruments={s: catalog.get(s) for s in held if s in catalog},
        market=_market_for(market, command.symbol, held, profile, now),
        request=trade,
        others=tuple(others),
        signal_order=order[account.id],
    )


def cancel(ctx: Context, decision_id: str, allowed_owner: str | None = None) -> str:
    """Release the reservation of an approved decision the client will not place."""
    now = ctx.clock.now()
    with ctx.unit() as uow:
        stored = uow.decisions.get(decision_id)
        if stored is None:
            raise NotFound(f"unknown decision {decision_id!r}")
        if allowed_owner is not None:
            account = uow.accounts.get(stored.account_id)
            if account is None or account.owner != allowed_owner:
                raise Forbidden(f"this key may only act on accounts of {allowed_owner!r}")
        account_id = uow.reservations.cancel(decision_id, now)
        if account_id is None:
            raise Conflict(
                f"decision {decision_id!r} holds no live reservation (placed, expired or cancelled)"
            )
        uow.commit()
    return account_id
