"""Account use cases: open, list, change, promote, reset, archive, enable and disable, state
pushes, trades, risk now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accounts.cash import NO_CASH, CashFlow, CashFlowKind, CashLedger
from accounts.model import (
    Account,
    AccountState,
    InstrumentFilter,
    Trade,
    TradingState,
)
from accounts.personality import DEFAULT_BAND, Personality
from accounts.tracker import Tracker
from aria.audit.filters import EventFilter
from aria.service import alerts, symbols
from aria.service.commands import (
    CashFlowIn,
    CreateAccount,
    Lifecycle,
    PersonalityChoice,
    Promote,
    PushState,
    RecordCashFlow,
    RecordTrades,
    SetTrading,
    UpdateAccount,
)
from aria.service.context import Context, layer_key
from aria.service.errors import Conflict, InvalidInput, NotFound, reason
from aria.service.ports import UnitOfWork
from aria.service.profile_layers import prefetch, profile_for
from aria.service.symbols import Known
from aria.service.tracking import record
from aria.sizing.exposure import Held, value_book
from aria.sizing.inputs import BestDayWindow
from aria.sizing.limits.consistency import windows_of
from aria.sizing.news import traded
from aria.sizing.profiles import Profile
from firms import cross_account, lifecycle, news
from firms.breaches import Breach
from firms.cash_flows import CASH_FLOW
from firms.daily import DailyStatus, daily_status, roll_day
from firms.errors import FirmsError, InvalidCashFlow, RefusedChange
from firms.floors import Floors, floors
from firms.headroom import Headroom, OpenRisk, Reservation, headroom
from firms.lifecycle import SYSTEM, Changed, Debounce
from firms.news import EconomicEvent, Traded
from firms.progress import Objectives, objectives
from firms.ruleset import RuleSet


def rules_of(ctx: Context, account: Account) -> RuleSet:
    """The resolved rule set an account trades under."""
    return ctx.rule_set(
        account.firm,
        account.plan,
        account.phase,
        account.initial_balance,
        account.rulebook_version,
        account.options,
    )


def cross_account_ref(ctx: Context, account: Account) -> cross_account.AccountRef:
    """An account as the cross-account rules see it (its phase, size and firm's rules)."""
    rules = rules_of(ctx, account)
    return cross_account.AccountRef(
        account.id,
        account.owner,
        account.firm,
        rules.phase.kind,
        account.initial_balance,
        account.currency,
        rules.cross_account,
        account.strategy,
        account.household,
    )


def account_cap_warnings(ctx: Context, account_id: str) -> tuple[str, ...]:
    """Why the account puts its owner, or its household, past the firm's cap on how many
    accounts they may hold, counted after the other accounts at the firm (none: within)."""
    with ctx.unit() as uow:
        account = uow.accounts.get(account_id)
        if account is None:
            raise NotFound(f"unknown account {account_id!r}")
        peers = [
            a
            for a in uow.accounts.select(firm=account.firm)
            if a.id != account.id
            and (a.owner == account.owner or (a.household and a.household == account.household))
        ]
    refs = [cross_account_ref(ctx, a) for a in [*peers, account]]
    return tuple(
        f.detail for f in cross_account.account_count_findings(refs) if f.account_id == account.id
    )


def _personality(choice: PersonalityChoice | None, account_id: str) -> Personality:
    if choice is None:
        return Personality.neutral()
    try:
        if choice.seeded:
            return Personality.seeded(account_id, choice.band or DEFAULT_BAND)
        if choice.multiplier is not None:
            return Personality.declared(choice.multiplier)
    except ValueError as exc:
        raise InvalidInput(f"personality: {reason(exc)}") from None
    return Personality.neutral()


def create_account(ctx: Context, command: CreateAccount) -> Account:
    """Open an account: its plan, phase and size must exist in the catalog."""
    now = ctx.clock.now()
    try:
        plan = ctx.catalog.plan(command.firm, command.plan, command.rulebook_version)
    except FirmsError as exc:
        raise InvalidInput(str(exc)) from None
    phase = command.phase or plan.phases[0].id
    rules = ctx.rule_set(
        command.firm, plan.id, phase, command.size, plan.rulebook_version, command.options
    )
    account = Account(
        id=command.id,
        label=command.label,
        owner=command.owner,
        firm=rules.firm,
        plan=plan.id,
        phase=phase,
        rulebook_version=plan.rulebook_version,
        currency=command.currency or plan.currency,
        initial_balance=command.size,
        profile=command.profile,
        strategy=command.strategy,
        household=command.household,
        personality=_personality(command.personality, command.id),
        instruments=command.instruments,
        options=command.options,
        symbol_aliases=command.symbol_aliases,
    )
    ctx.profile(
        account.profile, (("account", layer_key(command.profile_layer)),)
    )  # validates the layer
    with ctx.unit() as uow:
        if uow.accounts.get(account.id) is not None:
            raise Conflict(f"an account with id {account.id!r} already exists")
        _check_symbols(ctx, uow, account.instruments)
        _check_aliases(ctx, uow, account.symbol_aliases)
        uow.accounts.add(account, Tracker.start(rules.start), now)
        if command.profile_layer:
            uow.accounts.put_layer("account", account.id, command.profile_layer, now)
        uow.audit.append_event(
            account.id,
            "account_opened",
            {
                "rulebook": rules.label,
                "personality": account.personality.model_dump(mode="json"),
                "instruments": _dumped(account.instruments),
                "options": {k: str(v) for k, v in account.options.items()},
                **({"symbol_aliases": account.symbol_aliases} if account.symbol_aliases else {}),
            },
            SYSTEM,
            f"opened under {rules.label}",
            now,
        )
        uow.commit()
    return account


def _dumped(instruments: InstrumentFilter | None) -> dict[str, Any] | None:
    return None if instruments is None else instruments.model_dump(mode="json")


def _check_symbols(ctx: Context, uow: UnitOfWork, instruments: InstrumentFilter | None) -> None:
    """An allow-list naming an unknown symbol is a typo that would refuse what was meant."""
    if instruments is None or not instruments.symbols:
        return
    catalog = ctx.instrument_catalog(uow.market.instruments())
    unknown = [symbol for symbol in instruments.symbols if symbol not in catalog]
    if unknown:
        raise InvalidInput(
            f"instruments: unknown symbol{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}; add them with an instrument file first"
        )


# The fields an update changes one by one, each recorded as its own event with the old and
# new value: (field, event kind).
_FIELD_EVENTS = (
    ("label", "label_changed"),
    ("profile", "profile_changed"),
    ("strategy", "strategy_changed"),
    ("household", "household_changed"),
    ("personality", "personality_changed"),
    ("symbol_aliases", "symbol_aliases_changed"),
)


def _check_aliases(ctx: Context, uow: UnitOfWork, aliases: Mapping[str, str]) -> None:
    """An alias to an instrument ARIA does not know would size nothing: refuse it now."""
    known = Known(ctx, uow)
    unknown = [f"{broker}={symbol}" for broker, symbol in aliases.items() if symbol not in known]
    if unknown:
        raise InvalidInput(
            f"symbol aliases: unknown instrument in {', '.join(unknown)}; name one of"
            " `aria instruments`, or add it with an instrument file first"
        )


def _field_json(account: Account, field: str) -> Any:
    value = getattr(account, field)
    return value.model_dump(mode="json") if isinstance(value, Personality) else value


def update_account(ctx: Context, account_id: str, command: UpdateAccount) -> Account:
    """Change an account's label, profile, strategy, personality, what it may trade or its
    checkout options (validated against its plan); each change is recorded with who and why."""
    now = ctx.clock.now()
    with ctx.unit() as uow:
        account, _ = _locked(uow, account_id)
        given = command.model_fields_set
        changes: dict[str, Any] = {}
        if command.label is not None:
            changes["label"] = command.label
        if command.profile is not None:
            # Refuses an unknown preset, or one the account's own layer does not fit.
            layer = uow.accounts.layer("account", account_id)
            ctx.profile(command.profile, (("account", layer_key(layer)),) if layer else ())
            changes["profile"] = command.profile
        if "strategy" in given:
            changes["strategy"] = command.strategy
        if "household" in given:
            changes["household"] = command.household
        if command.personality is not None:
            changes["personality"] = _personality(command.personality, account.id)
        if "instruments" in given:
            changes["instruments"] = command.instruments
        if command.options is not None:
            changes["options"] = command.options
        if command.symbol_aliases is not None:
            changes["symbol_aliases"] = dict(sorted(command.symbol_aliases.items()))
        updated = account.model_copy(update=changes)
        rules = rules_of(ctx, updated)  # refuses an undeclared option or a value not offered
        _check_symbols(ctx, uow, updated.instruments)
        _check_aliases(ctx, uow, updated.symbol_aliases)
        if updated == account:
            return account
        uow.accounts.save(updated, now)
        for field, kind in _FIELD_EVENTS:
            before, after = _field_json(account, field), _field_json(updated, field)
            if before != after:
                uow.audit.append_event(
                    account_id,
                    kind,
                    {"field": field, "before": before, "after": after},
                    command.actor,
                    command.reason or f"{field} changed",
                    now,
                )
        if (updated.instruments, updated.options) != (account.instruments, account.options):
            uow.audit.append_event(
                account_id,
                "account_updated",
                {
                    "before": {
                        "instruments": _dumped(account.instruments),
                        "options": {k: str(v) for k, v in account.options.items()},
                    },
                    "after": {
                        "instruments": _dumped(updated.instruments),
                        "options": {k: str(v) for k, v in updated.options.items()},
                    },
                },
                command.actor,
                command.reason or f"trades under {rules.label}",
                now,
            )
        uow.commit()
    return updated


def get_account(ctx: Context, account_id: str) -> Account:
    """One account, or :class:`NotFound`."""
    with ctx.unit() as uow:
        account = uow.accounts.get(account_id)
    if account is None:
        raise NotFound(f"unknown account {account_id!r}")
    return account


def list_accounts(
    ctx: Context, *, owner: str | None = None, firm: str | None = None, strategy: str | None = None
) -> list[Account]:
    """Accounts matching the given selectors."""
    with ctx.unit() as uow:
        return uow.accounts.select(owner=owner, firm=firm, strategy=strategy)


def _locked(uow: UnitOfWork, account_id: str) -> tuple[Account, Tracker]:
    trackers = uow.accounts.lock_trackers([account_id])
    account = uow.accounts.get(account_id)
    if account is None or account_id not in trackers:
        raise NotFound(f"unknown account {account_id!r}")
    return account, trackers[account_id]


def _store_change(uow: UnitOfWork, changed: Changed, now: dt.datetime) -> None:
    """Write an operator's change: the account, its restarted tracker, and the event."""
    uow.accounts.save(changed.account, now)
    if changed.tracker is not None:
        uow.accounts.save_tracker(changed.account.id, changed.tracker, now)
    uow.audit.append_events([changed.record])
    uow.commit()


def _change(
    ctx: Context,
    account_id: str,
    change: Callable[[UnitOfWork, Account, dt.datetime], Changed],
) -> Account:
    """Apply an operator's change to the locked account and store it with its event; a change
    the account's phase or trading state does not allow is :class:`Conflict`."""
    now = ctx.clock.now()
    with ctx.unit() as uow:
        account, _ = _locked(uow, account_id)
        try:
            changed = change(uow, account, now)
        except RefusedChange as exc:
            raise Conflict(str(exc)) from None
        _store_change(uow, changed, now)
    return changed.account


def set_trading(ctx: Context, account_id: str, command: SetTrading) -> Account:
    """Disable an account, or re-enable it, with the actor and reason.

    An account its firm failed or closed is re-enabled only with ``force`` (:class:`Conflict`
    otherwise); an archived one is unarchived first.
    """
    return _change(
        ctx,
        account_id,
        lambda _, account, now: lifecycle.set_trading(
            account, command.enabled, now, command.actor, command.reason, force=command.force
        ),
    )


def promote(ctx: Context, account_id: str, command: Promote) -> Account:
    """Move an account to its plan's next phase: that phase's rules, fresh anchors from the
    initial balance (a new size when given), halts lifted.

    A phase the plan lacks or a size it does not sell is :class:`InvalidInput`; promoting past
    the last phase, or to a phase that is not the next, or an archived account, is
    :class:`Conflict`.
    """

    def change(_: UnitOfWork, account: Account, now: dt.datetime) -> Changed:
        try:
            plan = ctx.catalog.plan(account.firm, account.plan, account.rulebook_version)
            return lifecycle.promote(
                account,
                plan,
                lambda promoted: rules_of(ctx, promoted),
                now,
                command.actor,
                command.reason,
                to_phase=command.to_phase,
                size=command.size,
            )
        except RefusedChange:
            raise
        except FirmsError as exc:
            raise InvalidInput(str(exc)) from None

    return _change(ctx, account_id, change)


def reset_evaluation(ctx: Context, account_id: str, command: Lifecycle) -> Account:
    """The firm restarts the account's evaluation phase: fresh anchors, trading active again
    (also after a failure); a funded or archived account is :class:`Conflict`."""
    return _change(
        ctx,
        account_id,
        lambda _, account, now: lifecycle.reset(
            account, rules_of(ctx, account), now, command.actor, command.reason
        ),
    )


def archive(ctx: Context, account_id: str, command: Lifecycle) -> Account:
    """Archive an account: its history stays, sizing refuses it (``account_archived``)."""
    return _change(
        ctx,
        account_id,
        lambda _, account, now: lifecycle.archive(account, now, command.actor, command.reason),
    )


def unarchive(ctx: Context, account_id: str, command: Lifecycle) -> Account:
    """Bring an archived account back with the trading state it had when it was archived."""

    def change(uow: UnitOfWork, account: Account, now: dt.datetime) -> Changed:
        archived = uow.audit.events(
            EventFilter(account=account_id, kind="account_archived"), None, 1
        )
        before = (
            TradingState.model_validate(archived[0].detail["before"])
            if archived and "before" in archived[0].detail
            else None
        )
        return lifecycle.unarchive(account, before, now, command.actor, command.reason)

    return _change(ctx, account_id, change)


@dataclass(frozen=True)
class StateResult:
    """What a state push changed."""

    account: Account
    floors: Floors
    breaches: tuple[Breach, ...]
    events: tuple[str, ...]
    reservations_matched: int


def push_state(ctx: Context, account_id: str, command: PushState) -> StateResult:
    """Take a broker state: roll the day, move the peaks, judge breaches, match reservations.

    States must arrive in time order; a state not newer than the stored one is refused, so a
    replayed or delayed push can never move a floor backwards. Time is the shared clock's
    (:meth:`UnitOfWork.now`): an ``as_of`` ahead of it by more than the allowed skew is
    refused, and one within the skew is stamped with the time it was received, because a
    state cannot describe the future: its stamp may never hold back the next real state.
    """
    with ctx.unit() as uow:
        now = uow.now()
        skew = dt.timedelta(seconds=ctx.options.max_future_skew_seconds)
        if command.as_of > now + skew:
            raise InvalidInput(
                f"as_of {command.as_of.isoformat()} is in the future (now {now.isoformat()},"
                f" {skew.total_seconds():g} s of clock skew allowed)"
            )
        account, tracker = _locked(uow, account_id)
        state = AccountState(
            balance=command.balance,
            equity=command.equity,
            as_of=min(command.as_of, now),
            # Under ARIA's names, so that they are valued and match their reservations.
            positions=symbols.positions(ctx, account, command.positions, Known(ctx, uow)),
        )
        stored = tracker.state
        # A stored state stamped ahead of now (accepted before stamps were clamped) orders
        # nothing: the real state that follows it must not be refused.
        if stored is not None and state.as_of <= stored.as_of <= now:
            raise Conflict(
                f"state of {state.as_of.isoformat()} is not newer than the stored one of"
                f" {stored.as_of.isoformat()}; out-of-order or repeated pushes are refused"
            )
        restarted = tracker.peaks.as_of
        if stored is None and restarted is not None and state.as_of < restarted:
            raise Conflict(
                f"state of {state.as_of.isoformat()} is older than the account's restart at"
                f" {restarted.isoformat()} (a promotion or a firm's reset): it belongs to the"
                " previous phase"
            )
        rules = rules_of(ctx, account)
        # The flows the state already holds come first, so its balance is judged net of them.
        flow_events: list[str] = []
        original = account
        for flow in _flows(command.cash_flows, state.as_of):
            flowed = _take_flow(ctx, uow, account, tracker, rules, flow, now, lifecycle.BROKER)
            account, tracker = flowed.account, flowed.tracker
            rules = rules_of(ctx, account)  # a scaling changes the account's size
            flow_events.extend(flowed.events)
        debounce = Debounce(ctx.options.near_floor_fraction, ctx.options.debounce_updates)
        risk = _firm_open_risk(ctx, uow, account, rules, state)
        pushed = lifecycle.push(account, tracker, rules, state, now, debounce, risk)
        record(uow, [pushed.rolled], now)
        uow.audit.append_events(pushed.records)
        if pushed.account_changed or pushed.account != original:
            uow.accounts.save(pushed.account, now)
        matched = uow.sizing.match_reservations(
            account_id, [p.decision_id for p in state.positions if p.decision_id], now
        )
        # A close is done once its position is gone; a position only partly closed keeps
        # the close held until it expires (holding too much only delays another close).
        matched += uow.sizing.settle_closes(
            account_id, {(p.symbol, p.side) for p in state.positions}, now
        )
        found = pushed.judgement.floors
        uow.accounts.save_tracker(account_id, pushed.tracker, now)
        uow.accounts.append_state(account_id, state, found.daily, found.max_loss, now)
        # A balance that moved closed a trade: the objectives moved too (read only then).
        moved = stored is None or stored.balance != state.balance
        progress = objectives_in(ctx, uow, pushed.account, pushed.tracker, now) if moved else None
        # Alerts are chained events of their own (kind ``alert``), not the push's outcome.
        account, _ = alerts.after_change(
            ctx, uow, pushed.account, pushed.tracker, rules, now, progress
        )
        uow.commit()
    events = tuple(flow_events) + pushed.events
    return StateResult(account, found, pushed.judgement.breaches, events, matched)


def _firm_open_risk(
    ctx: Context, uow: UnitOfWork, account: Account, rules: RuleSet, state: AccountState
) -> Decimal | None:
    """The state's loss from the entries to the stops, as a firm that escalates on its
    open-risk cap judges it; ``None`` when the plan does not escalate or a position cannot be
    valued (no stop, or no instrument spec or rate): such a state is not judged."""
    limits = rules.limits
    if limits is None or limits.risk_escalation is None:
        return None
    if any(p.stop is None for p in state.positions):
        return None
    catalog = ctx.instrument_catalog(uow.market.instruments())
    rates = {symbol: snap.last_close for symbol, snap in uow.market.currency_pairs().items()}
    profile = profile_for(ctx, account, None, prefetch(uow, [account], None))
    known = {p.symbol: catalog.get(p.symbol) for p in state.positions if p.symbol in catalog}
    held = value_book(state.positions, known, rates, account.currency, rules, profile)
    losses = [h.entry_loss for h in held]
    if any(loss is None for loss in losses):
        return None
    return sum((loss for loss in losses if loss is not None), Decimal(0))


def _flows(given: Sequence[CashFlowIn], as_of: dt.datetime) -> list[CashFlow]:
    """The cash flows a state push reports, in time order; none may be newer than the state."""
    flows = []
    for index, flow in enumerate(given):
        at = flow.at or as_of
        if at > as_of:
            raise InvalidInput(
                f"cash_flows.{index}: a flow of {at.isoformat()} is newer than the state of"
                f" {as_of.isoformat()} that should already hold it"
            )
        flows.append(
            CashFlow(
                kind=flow.kind, amount=flow.amount, at=at, reference=flow.reference, note=flow.note
            )
        )
    return sorted(flows, key=lambda f: f.at)


def _take_flow(
    ctx: Context,
    uow: UnitOfWork,
    account: Account,
    tracker: Tracker,
    rules: RuleSet,
    flow: CashFlow,
    now: dt.datetime,
    actor: str,
) -> lifecycle.CashFlowed:
    """Take one cash flow of a locked account and write its roll and its events (not the
    account or the tracker: the caller saves them once it is done)."""
    if flow.reference is not None:
        _check_new_reference(uow, account.id, flow.reference)
    scaled = None
    if flow.kind is CashFlowKind.SCALING:
        grown = account.model_copy(update={"initial_balance": rules.size + flow.amount})
        try:
            scaled = rules_of(ctx, grown)
        except (FirmsError, InvalidInput) as exc:
            raise InvalidInput(f"scaling to {grown.initial_balance:,}: {exc}") from None
    try:
        flowed = lifecycle.cash_flow(account, tracker, rules, flow, now, actor, scaled)
    except InvalidCashFlow as exc:
        raise InvalidInput(str(exc)) from None
    uow.audit.append_events(flowed.rolled.records)
    uow.audit.append_events(flowed.records)
    return flowed


def _check_new_reference(uow: UnitOfWork, account_id: str, reference: str) -> None:
    """A flow whose reference the account already recorded is a retry: taking it again would
    count the money twice."""
    after = None
    while True:
        page = uow.audit.events(EventFilter(account=account_id, kind=CASH_FLOW), after, 500)
        for event in page:
            if event.detail.get("reference") == reference:
                raise Conflict(
                    f"a cash flow with reference {reference!r} is already recorded for"
                    f" {account_id!r} ({event.detail.get('kind')} of {event.detail.get('amount')}"
                    f" at {event.detail.get('occurred_at')}); it is not taken twice"
                )
        if len(page) < 500:
            return
        last = page[-1]
        after = (last.at, last.seq, last.id)


@dataclass(frozen=True)
class CashFlowResult:
    """What a cash flow changed."""

    account: Account
    cash: CashLedger
    balance: Decimal | None
    floors: Floors | None
    events: tuple[str, ...]


def record_cash_flow(ctx: Context, account_id: str, command: RecordCashFlow) -> CashFlowResult:
    """Take a deposit, payout or fee: the firm's rule says what it does to the floors.

    It is never a trading loss or profit. The latest state moves by the flow (the next state
    the broker pushes shows it); a flow older than that state is refused, as is one the
    firm's rules do not allow (a payout above the balance or into the payout buffer).
    """
    with ctx.unit() as uow:
        now = uow.now()
        skew = dt.timedelta(seconds=ctx.options.max_future_skew_seconds)
        at = command.at or now
        if at > now + skew:
            raise InvalidInput(
                f"at {at.isoformat()} is in the future (now {now.isoformat()},"
                f" {skew.total_seconds():g} s of clock skew allowed)"
            )
        flow = CashFlow(
            kind=command.kind,
            amount=command.amount,
            at=min(at, now),
            reference=command.reference,
            note=command.note,
        )
        account, tracker = _locked(uow, account_id)
        rules = rules_of(ctx, account)
        flowed = _take_flow(ctx, uow, account, tracker, rules, flow, now, command.actor)
        if flowed.account != account:
            uow.accounts.save(flowed.account, now)
        moved = flowed.tracker
        uow.accounts.save_tracker(account_id, moved, now)
        found = None
        account = flowed.account
        if moved.state is not None:
            now_rules = rules_of(ctx, flowed.account)  # a scaling changes the account's size
            found = floors(now_rules, moved.day, moved.peaks, moved.state, moved.cash)
            progress = objectives_in(ctx, uow, account, moved, now)
            account, _ = alerts.after_change(ctx, uow, account, moved, now_rules, now, progress)
        uow.commit()
    balance = moved.state.balance if moved.state is not None else None
    return CashFlowResult(account, moved.cash, balance, found, flowed.events)


def record_trades(ctx: Context, account_id: str, command: RecordTrades) -> int:
    """Store closed trades (a trade id already stored is skipped); returns how many were new."""
    with ctx.unit() as uow:
        account = uow.accounts.get(account_id)
        if account is None:
            raise NotFound(f"unknown account {account_id!r}")
        given = symbols.trades(ctx, account, command.trades, Known(ctx, uow))
        added = sum(1 for trade in given if uow.accounts.add_trade(account_id, trade))
        if added:
            # New closed trades move the objectives (best day, target): judged in this
            # transaction, the account locked as every other writer of its chain does.
            account, tracker = _locked(uow, account_id)
            now = uow.now()
            progress = objectives_in(ctx, uow, account, tracker, now)
            alerts.after_change(ctx, uow, account, tracker, rules_of(ctx, account), now, progress)
        uow.commit()
    return added


@dataclass(frozen=True)
class RiskView:
    """An account's floors and headroom right now."""

    account: Account
    state: AccountState | None
    floors: Floors | None
    headroom: Headroom | None
    daily: DailyStatus | None
    rules: RuleSet
    cash: CashLedger = NO_CASH  # what cash flows did so far
    risk_violations: int = 0  # of the firm's open-risk cap, as its escalation counts them
    # Each open position valued as the headroom valued it: their further losses are its open risk.
    held: tuple[Held, ...] = ()

    @property
    def open_risk_cap(self) -> Decimal | None:
        """The firm's open-risk cap in force: a lower one once the account has violated it as
        often as an escalating firm allows (``None``: the plan has no such cap)."""
        limits = self.rules.limits
        if limits is None:
            return None
        balance = self.state.balance if self.state is not None else self.rules.start
        return limits.open_risk_cap(
            self.rules.size, balance + self.rules.capital_offset, self.risk_violations
        )


def account_risk(ctx: Context, account_id: str) -> RiskView:
    """Floors, headroom, trading state and the day of one account, as of its latest state."""
    found = risk_views(ctx, [account_id])
    if account_id not in found:
        raise NotFound(f"unknown account {account_id!r}")
    return found[account_id]


def risk_views(ctx: Context, account_ids: Sequence[str]) -> dict[str, RiskView]:
    """:func:`account_risk` of many accounts, read in one unit of work (unknown ids are left
    out): the dashboard and the metrics read every account at once."""
    with ctx.unit() as uow:
        now = uow.now()  # the clock reservations are held by
        accounts = uow.accounts.get_many(account_ids)
        ids = sorted(accounts)
        trackers = uow.accounts.trackers(ids)
        reservations = uow.sizing.live_reservations(ids, now)
        catalog = ctx.instrument_catalog(uow.market.instruments())
        rates = {symbol: snap.last_close for symbol, snap in uow.market.currency_pairs().items()}
        layers = prefetch(uow, list(accounts.values()), None)
        profiles = {a: profile_for(ctx, accounts[a], None, layers) for a in ids}
    views = {}
    for account_id in ids:
        account, tracker = accounts[account_id], trackers[account_id]
        rules = rules_of(ctx, account)
        account = account.model_copy(update={"trading": account.trading.lifted(now)})
        state = tracker.state
        if state is None:
            views[account_id] = RiskView(
                account, None, None, None, None, rules, tracker.cash, tracker.risk_violations
            )
            continue
        roll = roll_day(rules, tracker.day, tracker.peaks, state, max(now, state.as_of))
        found = floors(rules, roll.day, roll.peaks, state, tracker.cash)
        profile = profiles[account_id]
        known = {p.symbol: catalog.get(p.symbol) for p in state.positions if p.symbol in catalog}
        held = value_book(state.positions, known, rates, account.currency, rules, profile)
        live = reservations.get(account_id, [])
        room = _headroom(profile, rules, found, state, held, live, now)
        daily = daily_status(rules, roll.day, state, tracker.cash)
        views[account_id] = RiskView(
            account,
            state,
            found,
            room,
            daily,
            rules,
            tracker.cash,
            tracker.risk_violations,
            tuple(held),
        )
    return views


def _headroom(
    profile: Profile,
    rules: RuleSet,
    found: Floors,
    state: AccountState,
    held: Sequence[Held],
    reservations: list[Any],
    now: dt.datetime,
) -> Headroom:
    return headroom(
        found,
        state.equity,
        open_risk=[OpenRisk(h.position.id or h.position.symbol, h.further_loss) for h in held],
        reservations=[Reservation(r.decision_id, r.amount, r.expires_at) for r in reservations],
        now=now,
        buffer=rules.size * profile.headroom.buffer_pct + profile.headroom.buffer_amount,
    )


# The events that begin a phase: its time limit runs, and its trades count, from the latest.
PHASE_STARTS = ("account_opened", "account_promoted", "account_reset")
# The most closed trades read for a phase's progress: far more than any evaluation holds.
PHASE_TRADES = 10_000


def account_objectives(ctx: Context, account_id: str) -> Objectives:
    """Progress towards the account's phase objectives now: profit target and distance to it,
    trading days as its firm counts them, the time limit, and best-day shares."""
    with ctx.unit() as uow:
        now = uow.now()
        account = uow.accounts.get(account_id)
        if account is None:
            raise NotFound(f"unknown account {account_id!r}")
        tracker = uow.accounts.trackers([account_id])[account_id]
        return objectives_in(ctx, uow, account, tracker, now)


def objectives_in(
    ctx: Context, uow: UnitOfWork, account: Account, tracker: Tracker, now: dt.datetime
) -> Objectives:
    """Progress towards the account's phase objectives, read in an open unit of work (the
    headroom endpoint and the alerts judged after a push, a trade or a cash flow share it)."""
    account_id = account.id
    trades = uow.accounts.recent_trades([account_id], PHASE_TRADES)[account_id]
    started = phase_start(uow, account_id)
    paid = last_payout(uow, account_id, started)
    phase_trades = [t for t in trades if started is None or t.closed_at >= started]
    rules = rules_of(ctx, account)
    releases, symbols = _news_of(ctx, uow, rules, phase_trades, now)
    # The tracker restarts with each phase, so its ledger holds the phase's cash flows only.
    return objectives(
        rules,
        rules.start,
        tracker.state,
        phase_trades,
        started,
        now,
        tracker.cash.net,
        payouts=tracker.cash.payouts,
        last_payout=paid,
        news_events=releases,
        traded=symbols,
    )


def _news_of(
    ctx: Context, uow: UnitOfWork, rules: RuleSet, trades: Sequence[Trade], now: dt.datetime
) -> tuple[list[EconomicEvent], dict[str, Traded]]:
    """The stored releases whose windows can touch the phase's ``trades`` and how the news
    rules see their symbols (nothing when the phase has no news rule or no trade)."""
    if not rules.news or not trades:
        return [], {}
    first = min(t.opened_at for t in trades)
    span = news.span(rules.news, first, now - first)
    if span is None:
        return [], {}
    catalog = ctx.instrument_catalog(uow.market.instruments())
    symbols = {t.symbol: traded(catalog.get(t.symbol)) for t in trades if t.symbol in catalog}
    return uow.calendar.events_between(*span), symbols


def best_day_windows(
    uow: UnitOfWork, account_id: str, rules: RuleSet, tracker: Tracker, now: dt.datetime
) -> tuple[BestDayWindow, ...]:
    """Each best-day rule's window of the phase's closed trades, split at today, for the
    consistency cap (one per rule of ``rules``, in their order)."""
    if not rules.consistency:
        return ()
    started = phase_start(uow, account_id)
    paid = last_payout(uow, account_id, started)
    trades = uow.accounts.recent_trades([account_id], PHASE_TRADES)[account_id]
    phase_trades = [t for t in trades if started is None or t.closed_at >= started]
    return windows_of(rules, phase_trades, now, paid, tracker.cash.payouts)


def phase_start(uow: UnitOfWork, account_id: str) -> dt.datetime | None:
    """When the account's current phase began: its latest opening, promotion or reset."""
    starts = [
        found[0].at
        for kind in PHASE_STARTS
        if (found := uow.audit.events(EventFilter(account=account_id, kind=kind), None, 1))
    ]
    return max(starts) if starts else None


def last_payout(
    uow: UnitOfWork, account_id: str, started: dt.datetime | None
) -> dt.datetime | None:
    """When the latest payout of the current phase was paid (a requested one does not count:
    firms restart a best-day window at the approved payout)."""
    after = None
    while True:
        page = uow.audit.events(EventFilter(account=account_id, kind=CASH_FLOW), after, 500)
        for event in page:  # newest first
            if started is not None and event.at < started:
                return None
            if event.detail.get("kind") == CashFlowKind.PAYOUT.value:
                return dt.datetime.fromisoformat(str(event.detail["occurred_at"]))
        if len(page) < 500:
            return None
        last = page[-1]
        after = (last.at, last.seq, last.id)


def state_history(
    ctx: Context, account_id: str, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[tuple[AccountState, Decimal | None, Decimal | None]]:
    """Pushed states, oldest first, with the daily and maximum-loss floors they were judged by."""
    with ctx.unit() as uow:
        if uow.accounts.get(account_id) is None:
            raise NotFound(f"unknown account {account_id!r}")
        return uow.accounts.states(account_id, start, end)
