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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from accounts.model import Account, AccountState, HaltKind, Trade
from accounts.tracker import Tracker
from aria.audit.record import DecisionRecord, record_of
from aria.service.accounts import best_day_windows, rules_of
from aria.service.calendar import news_near
from aria.service.commands import Selector, Signal, SizeRequest
from aria.service.context import Context
from aria.service.errors import Conflict, Forbidden, InvalidInput, NotFound
from aria.service.ports import StoredDecision, UnitOfWork
from aria.service.profile_layers import layer_keys, profile_for
from aria.service.sessions import session_calendar
from aria.service.symbols import Known, resolve
from aria.service.tracking import record
from aria.sizing.batch import decide_batch
from aria.sizing.columns import prepare
from aria.sizing.decision import Decision, RejectCode
from aria.sizing.errors import InvalidRequest, UnknownInstrument
from aria.sizing.gates import NO_STATE_YET, instrument_refusal
from aria.sizing.inputs import (
    DecisionInputs,
    Exposure,
    MarketSnapshot,
    OtherAccount,
    TradeRequest,
    canonical_json,
    cash_input,
)
from aria.sizing.instruments import Instrument, InstrumentCatalog
from aria.sizing.market import Correlation, VolatilitySnapshot
from aria.sizing.pipeline import decide
from aria.sizing.profiles import Profile
from aria.sizing.symbols import normalise
from aria.stored import Layers, SizingQuery, SizingSnapshot
from firms.lifecycle import Rolled, roll_forward

_NEVER = NO_STATE_YET  # the state of an account that was never pushed one


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
    # An explicit ATR is newer than most stored digests: left out when absent, they still match.
    leave_out = {"request_id"} | ({"atr"} if command.atr is None else set())
    body = command.model_dump(mode="json", exclude=leave_out)
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def request_scope(allowed_owner: str | None) -> str:
    """Where a caller's request ids live: its owner's namespace, or the unrestricted keys' one.

    Ids are per owner, not per key, so a retry through the owner's next key still finds
    its decisions; keys without an owner may act on every account and share one namespace.
    """
    return "" if allowed_owner is None else f"owner:{allowed_owner}"


def _answer(stored: Sequence[StoredDecision]) -> list[SizedDecision]:
    return [SizedDecision(s.id, s.decision, s.created_at) for s in stored]


def _may_size(allowed_owner: str) -> Forbidden:
    # Names no account: the ids another owner's accounts go by are not this caller's to learn.
    return Forbidden(f"this key may only size accounts of {allowed_owner!r}")


def _replay(
    uow: UnitOfWork, command: SizeRequest, digest: str, allowed_owner: str | None
) -> SizingResult | None:
    scope = request_scope(allowed_owner)
    known = uow.sizing.request_hash(command.request_id, scope=scope)
    if known is None:
        return None
    if known != digest:
        raise Conflict(
            f"request id {command.request_id!r} was used for a different request; use a new id"
        )
    stored = uow.sizing.for_request(command.request_id, scope=scope)
    if allowed_owner is not None:
        # A replay is authorised as the request would be now: an account may have changed
        # owner since its decision was stored.
        concerned = {s.account_id for s in stored}
        found = uow.accounts.read(sorted(concerned))
        if set(found) != concerned or any(a.owner != allowed_owner for a, _ in found.values()):
            raise _may_size(allowed_owner)
    return SizingResult(command.request_id, _answer(stored), True)


def _select(
    uow: UnitOfWork, accounts: tuple[str, ...] | Selector, allowed_owner: str | None = None
) -> list[str]:
    if isinstance(accounts, tuple):
        return sorted(set(accounts))  # existence is checked when they are locked
    selector = accounts
    if allowed_owner is not None and selector.owner not in (None, allowed_owner):
        raise _may_size(allowed_owner)
    # A key limited to one owner selects among that owner's accounts only.
    chosen = uow.accounts.select(
        owner=allowed_owner or selector.owner, firm=selector.firm, strategy=selector.strategy
    )
    if not chosen:
        raise NotFound(f"no account matches {selector.model_dump(exclude_none=True)}")
    # An archived account is retired: a fan-out by selector passes it by (named by id it is
    # still asked, and refused with its reason).
    active = [account.id for account in chosen if account.trading.halt is not HaltKind.ARCHIVED]
    if not active:
        raise NotFound(
            f"every account matching {selector.model_dump(exclude_none=True)} is archived"
        )
    return active


def trade_request(command: Signal) -> TradeRequest:
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
            spread=command.spread,
            reduce_only=command.reduce_only,
        )
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


def size(ctx: Context, command: SizeRequest, allowed_owner: str | None = None) -> SizingResult:
    """Size one signal for its accounts; a repeated request id returns the stored decisions.

    With ``allowed_owner`` (a key restricted to one trader) every account must be theirs,
    for a replay too, and the request id is looked up among that owner's ids only.
    """
    trade = trade_request(command)
    digest = request_digest(command)
    with ctx.unit() as uow:
        # The shared clock (the database's), not this server's: reservation lifetimes are
        # written and read against one time whichever server answers.
        now = uow.now()
        # Claim first: on the happy path that is the only idempotency query. A claim that
        # loses has waited for the winner's commit (PostgreSQL) or ran after it (SQLite).
        scope = request_scope(allowed_owner)
        if not uow.sizing.claim_request(
            command.request_id, digest, command.model_dump(mode="json"), now, scope=scope
        ):
            replay = _replay(uow, command, digest, allowed_owner)
            if replay is None:
                raise Conflict(f"request id {command.request_id!r} is being processed; retry it")
            return replay
        ids = _select(uow, command.accounts, allowed_owner)
        decisions = _decide_all(
            ctx, uow, command.request_id, trade, ids, now, allowed_owner, scope, command.atr
        )
        uow.commit()
        return SizingResult(command.request_id, decisions, False)


@dataclass(frozen=True)
class _Market:
    """Market data loaded once per request."""

    snapshots: dict[str, VolatilitySnapshot]
    correlation: Correlation | None
    rates: dict[str, Decimal]


def _market_for(
    market: _Market,
    symbol: str,
    held: set[str],
    profile: Profile,
    now: dt.datetime,
    atr: Decimal | None = None,
) -> MarketSnapshot:
    snapshot = market.snapshots.get(symbol)
    correlations: dict[str, Decimal] = {}
    if market.correlation is not None:
        for other in sorted(held - {symbol}):
            value = market.correlation.between(symbol, other)
            if value is not None:
                correlations[other] = Decimal(f"{value:.6f}")
    if atr is not None:  # the caller's ATR, taken as of now: no regime is known for it
        return MarketSnapshot(as_of=now, atr=atr, correlations=correlations, rates=market.rates)
    limit = dt.timedelta(seconds=profile.data.max_market_age_seconds)
    if snapshot is None or now - snapshot.as_of > limit or snapshot.atr is None:
        if snapshot is None:
            why = f"no bars for {symbol}"
        elif snapshot.atr is None:
            why = f"{symbol} has {snapshot.bars} bars, too few for an ATR"
        else:
            why = (
                f"the latest bar of {symbol} is from {snapshot.as_of.isoformat()},"
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


def _symbol_of(
    ctx: Context,
    sent: str,
    ids: Sequence[str],
    accounts: Mapping[str, Account],
    catalog: InstrumentCatalog,
) -> str:
    """The instrument a signal's symbol names for every account it is sent to."""
    known = Known.of(catalog)
    meant = {account_id: resolve(ctx, accounts[account_id], sent, known) for account_id in ids}
    found = sorted({symbol for symbol in meant.values() if symbol is not None})
    if len(found) > 1:
        named = ", ".join(f"{symbol} for {a}" for a, symbol in meant.items() if symbol)
        raise InvalidInput(
            f"symbol {sent!r} stands for different instruments across the accounts ({named});"
            " send one request per instrument"
        )
    if not found or None in meant.values():
        _instrument(catalog, sent)  # the clear error, naming the symbol as sent
    return found[0]


def _load_market(ctx: Context, uow: UnitOfWork, snapshot: SizingSnapshot) -> _Market:
    universe = ctx.options.correlation_universe
    head = snapshot.correlation_head
    # The matrix is large and changes daily: it is read again only when its head moved.
    correlation = (
        ctx.correlation((universe, *head), lambda: uow.market.correlation(universe, head[0]))
        if head is not None
        else None
    )
    pairs = snapshot.pairs
    return _Market(
        snapshots=dict(snapshot.snapshots),
        correlation=correlation,
        rates={symbol: pairs[symbol].last_close for symbol in sorted(pairs)},
    )


class _Shared:
    """Inputs parts a fan-out shares, built once per distinct value so they hash once."""

    def __init__(
        self, market: _Market, symbol: str, now: dt.datetime, atr: Decimal | None = None
    ) -> None:
        self.market, self.symbol, self.now, self.atr = market, symbol, now, atr
        self._snapshots: dict[tuple[frozenset[str], int], MarketSnapshot] = {}

    def market_for(self, held: set[str], profile: Profile) -> MarketSnapshot:
        key = (frozenset(held), profile.data.max_market_age_seconds)
        found = self._snapshots.get(key)
        if found is None:
            found = self._snapshots[key] = _market_for(
                self.market, self.symbol, held, profile, self.now, self.atr
            )
        return found


@dataclass
class _Gathered:
    """Everything a fan-out decides from, account by account, in signal order."""

    inputs: list[DecisionInputs]
    rolled: list[Rolled]


def _gather(
    ctx: Context,
    uow: UnitOfWork,
    trade: TradeRequest,
    ids: list[str],
    now: dt.datetime,
    allowed_owner: str | None,
    *,
    lock: bool,
    atr: Decimal | None = None,
) -> _Gathered:
    """Load the accounts (locked to write, or not for a preview) and build their inputs."""
    sent = trade.symbol
    # The broker's spelling of a known instrument loads that instrument's market.
    loaded = normalise(sent, ctx.instruments) or sent
    snapshot = uow.sizing.for_sizing(
        SizingQuery(
            account_ids=tuple(ids),
            symbol=loaded,
            now=now,
            lock=lock,
            layer_keys=lambda account: layer_keys(account, trade.strategy or account.strategy),
            reads_trades=lambda account, layers: _reads_trades(
                ctx, account, trade.strategy, layers
            ),
            trade_history=ctx.options.trade_history,
            universe=ctx.options.correlation_universe,
        )
    )
    found = snapshot.accounts
    # To a key limited to one owner, another owner's account is as unknown as a missing one:
    # a refusal would tell it the id exists.
    missing = [
        account_id
        for account_id in ids
        if account_id not in found
        or (allowed_owner is not None and found[account_id][0].owner != allowed_owner)
    ]
    if missing:
        raise NotFound(f"unknown account{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    accounts = {account_id: pair[0] for account_id, pair in found.items()}
    trackers = {account_id: pair[1] for account_id, pair in found.items()}
    if allowed_owner is not None and any(a.owner != allowed_owner for a in accounts.values()):
        raise _may_size(allowed_owner)
    profiles = {
        account_id: profile_for(ctx, account, trade.strategy, snapshot.layers)
        for account_id, account in accounts.items()
    }
    reservations = snapshot.reservations
    if not trade.reduce_only:
        # A pending close holds no risk and opens nothing: it is no pending trade to an
        # opening request (the concurrency adjuster would count it as one).
        reservations = {
            account_id: tuple(r for r in held if not r.reduce_only)
            for account_id, held in reservations.items()
        }
    catalog = ctx.instrument_catalog(list(snapshot.instruments))
    trade = trade.model_copy(update={"symbol": _symbol_of(ctx, sent, ids, accounts, catalog)})
    instrument = _instrument(catalog, trade.symbol)
    # The sessions around now, for the session gate; an exit is never gated, so needs none.
    calendar = None if trade.reduce_only else session_calendar(instrument, now)
    held = {p.symbol for t in trackers.values() if t.state for p in t.state.positions}
    market = _load_market(ctx, uow, snapshot)
    if trade.symbol != loaded and trade.symbol not in market.snapshots:
        # Only an alias can name an instrument the load did not expect: read its market too
        # (the symbol loaded has no snapshot when it is missing here: no need to look again).
        market.snapshots.update(uow.market.snapshots([trade.symbol]))
    shared = _Shared(market, trade.symbol, now, atr)
    order = {account_id: index for index, account_id in enumerate(ids)}
    # An account that may not trade the instrument is skipped: it answers instrument_not_allowed
    # and takes no part in its siblings' allocation and copy rules.
    receiving = {
        account_id: index
        for account_id, index in order.items()
        if instrument_refusal(rules_of(ctx, accounts[account_id]), accounts[account_id], instrument)
        is None
    }
    family = _family(ctx, {**snapshot.others, **found}, receiving)
    # Roll every account to today first: a decision never uses yesterday's anchor.
    rolled = [
        roll_forward(
            accounts[account_id], trackers[account_id], rules_of(ctx, accounts[account_id]), now
        )
        for account_id in ids
    ]
    closed = closed_losses(uow, [r.account for r in rolled], ctx, now)
    # The releases each account's news rules count near now, read in one query.
    near = news_near(
        uow,
        now,
        [(rules_of(ctx, c.account).news, profiles[c.account.id].news_horizon) for c in rolled],
    )
    inputs = []
    for current in rolled:
        account, tracker = current.account, current.tracker
        state = tracker.state or AccountState(
            balance=account.initial_balance, equity=account.initial_balance, as_of=_NEVER
        )
        symbols = {p.symbol for p in state.positions}
        profile = profiles[account.id]
        inputs.append(
            DecisionInputs(
                now=now,
                profile=profile,
                rules=rules_of(ctx, account),
                account=account,
                state=state,
                peaks=tracker.peaks,
                day=tracker.day,
                cash=cash_input(tracker.cash),
                trades=snapshot.trades.get(account.id, ()),
                reservations=reservations.get(account.id, ()),
                instrument=instrument,
                # In symbol order, not the set's: the recorded inputs and their hash must not
                # depend on the process's hash seed.
                instruments={s: catalog.get(s) for s in sorted(symbols) if s in catalog},
                # A preview sizes many accounts at once over one market snapshot: it holds
                # the correlations of every symbol held in the fan-out (each account reads
                # only its own).
                market=shared.market_for(symbols if lock else held, profile),
                request=trade,
                others=tuple(
                    other
                    for other_id, other in family.get(account.owner, ())
                    if other_id != account.id
                ),
                signal_order=order[account.id],
                best_day_windows=(
                    best_day_windows(uow, account.id, rules_of(ctx, account), tracker, now)
                    if profile.limits.consistency_cap
                    else ()
                ),
                recent_closed_trades=closed.get(account.id, ()),
                risk_violations=tracker.risk_violations,
                news=near(rules_of(ctx, account).news, profile.news_horizon),
                calendar=calendar,
            )
        )
    return _Gathered(inputs, rolled)


# The most closed trades read back for a firm's one-trade window: far more than any trader
# closes within minutes.
GROUPED_TRADES = 500


def closed_losses(
    uow: UnitOfWork, accounts: Sequence[Account], ctx: Context, now: dt.datetime
) -> dict[str, tuple[Trade, ...]]:
    """The losing trades each account closed within its firm's one-trade window of ``now``:
    a re-entry after them is the same trade (only read for plans that say so)."""
    windows: dict[str, dt.timedelta] = {}
    for account in accounts:
        limits = rules_of(ctx, account).limits
        if limits is not None and limits.one_trade_within_seconds is not None:
            windows[account.id] = dt.timedelta(seconds=limits.one_trade_within_seconds)
    if not windows:
        return {}
    found = uow.accounts.recent_trades(sorted(windows), GROUPED_TRADES)
    return {
        account_id: tuple(
            t for t in trades if t.pnl < 0 and now - t.closed_at <= windows[account_id]
        )
        for account_id, trades in found.items()
    }


def _decide_all(
    ctx: Context,
    uow: UnitOfWork,
    request_id: str,
    trade: TradeRequest,
    ids: list[str],
    now: dt.datetime,
    allowed_owner: str | None,
    scope: str,
    atr: Decimal | None = None,
) -> list[SizedDecision]:
    gathered = _gather(ctx, uow, trade, ids, now, allowed_owner, lock=True, atr=atr)
    record(uow, gathered.rolled, now)  # the rolls of the whole fan-out, in a few statements
    # A reduce-only approval reserves too: the lots it closes, so that concurrent closes
    # cannot together close more than the position has.
    reserve_until = now + dt.timedelta(seconds=ctx.options.reservation_ttl_seconds)
    records: list[DecisionRecord] = []
    for inputs in gathered.inputs:
        try:
            decision = decide(inputs)
        except InvalidRequest as exc:
            raise InvalidInput(f"account {inputs.account.id}: {exc}") from None
        strategy = trade.strategy or inputs.account.strategy
        records.append(record_of(decision, inputs, strategy, reserve_until))
    return _answer(uow.sizing.append(request_id, records, now, scope=scope))


@dataclass(frozen=True)
class PreviewRow:
    """What sizing would answer for one account now: the numbers, not the explanation."""

    account_id: str
    status: str
    lots: Decimal
    reject_codes: tuple[RejectCode, ...]
    binding: str | None


def preview(
    ctx: Context, command: Signal, allowed_owner: str | None = None
) -> tuple[dt.datetime, list[PreviewRow]]:
    """What sizing ``command`` would answer for each account now, without reserving or
    recording anything: the accounts are sized together by the batch engine, which answers
    as the pipeline does. A what-if for a copier before it sends, or a risk desk's screen."""
    trade = trade_request(command)
    with ctx.unit() as uow:
        now = uow.now()
        ids = _select(uow, command.accounts, allowed_owner)
        gathered = _gather(ctx, uow, trade, ids, now, allowed_owner, lock=False, atr=command.atr)
    groups: dict[int, list[DecisionInputs]] = {}
    for inputs in gathered.inputs:  # one batch per market snapshot (one per data-age limit)
        groups.setdefault(id(inputs.market), []).append(inputs)
    rows: dict[str, PreviewRow] = {}
    for members in groups.values():
        first = members[0]
        try:
            batch = decide_batch(prepare(members), first.request, first.instrument, first.market)
        except InvalidRequest as exc:
            raise InvalidInput(str(exc)) from None
        for index, inputs in enumerate(members):
            status, lots, codes, binding = batch.summary(index)
            rows[inputs.account.id] = PreviewRow(inputs.account.id, status, lots, codes, binding)
    return now, [rows[account_id] for account_id in ids]


def _family(
    ctx: Context, members: Mapping[str, tuple[Account, Tracker]], order: dict[str, int]
) -> dict[str, list[tuple[str, OtherAccount]]]:
    """Per owner, each of their accounts as the others see it (cross-account rules)."""
    family: dict[str, list[tuple[str, OtherAccount]]] = {}
    for account_id in sorted(members):
        account, tracker = members[account_id]
        family.setdefault(account.owner, []).append(
            (account_id, _other_account(ctx, account, tracker, order))
        )
    return family


def _other_account(
    ctx: Context, account: Account, tracker: Tracker, order: dict[str, int]
) -> OtherAccount:
    """An account as its owner's other accounts see it: its firm's cross-account rules and
    what it holds open; ``order`` places the accounts receiving this same signal."""
    rules = rules_of(ctx, account)
    positions = tracker.state.positions if tracker.state else ()
    return OtherAccount(
        id=account.id,
        firm=account.firm,
        phase_kind=rules.phase.kind,
        size=account.initial_balance,
        currency=account.currency,
        strategy=account.strategy,
        rules=rules.cross_account,
        positions=tuple(Exposure(symbol=p.symbol, side=p.side) for p in positions),
        same_signal=account.id in order,
        signal_order=order.get(account.id),
    )


def _reads_trades(ctx: Context, account: Account, strategy: str | None, layers: Layers) -> bool:
    """Whether the account's profile reads its recent trades (asked while loading)."""
    try:
        return profile_for(ctx, account, strategy, layers).reads_trades
    except InvalidInput:
        # Loading trades it will not read is harmless; the profile's error is raised once
        # the accounts are known to be the caller's.
        return True


def cancel(ctx: Context, decision_id: str, allowed_owner: str | None = None) -> str:
    """Release the reservation of an approved decision the client will not place."""
    with ctx.unit() as uow:
        now = uow.now()
        stored = uow.sizing.decision(decision_id)
        if stored is None:
            raise NotFound(f"unknown decision {decision_id!r}")
        if allowed_owner is not None:
            account = uow.accounts.get(stored.account_id)
            if account is None or account.owner != allowed_owner:
                raise Forbidden(f"this key may only act on accounts of {allowed_owner!r}")
        account_id = uow.sizing.cancel_reservation(decision_id, now)
        if account_id is None:
            raise Conflict(
                f"decision {decision_id!r} holds no live reservation (placed, expired or cancelled)"
            )
        uow.commit()
    return account_id
