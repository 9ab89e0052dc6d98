"""One account's life under its firm's rules: roll the day, observe a state, judge it.

Every path that moves an account through time uses these steps: a broker's state push
(:func:`push`), a deposit, payout or fee (:func:`cash_flow`), the scheduled resets and
re-checks (:func:`roll_forward`, :func:`recheck`), sizing's lazy roll, the simulation, and an
operator's changes: a promotion to the plan's next phase or the firm's reset of an evaluation
(:func:`promote`, :func:`reset`, both restarting the tracker as for a new account), archiving
(:func:`archive`, :func:`unarchive`) and enabling or disabling (:func:`set_trading`). Each
step is pure: it takes the time as an argument and returns the new account and tracker with
the rule events to record, in order, and the caller writes them. The firm's verdicts come
from :mod:`firms.daily`, :mod:`firms.floors`, :mod:`firms.breaches` and
:mod:`firms.cash_flows`; ARIA's own debounced halts from :mod:`firms.debounce`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accounts.cash import CashFlow
from accounts.events import AccountEvent
from accounts.model import Account, AccountState, HaltKind, TradingState, TradingStatus
from accounts.tracker import Tracker
from firms.breaches import Breach, RiskViolation, apply, detect, risk_check
from firms.cash_flows import take
from firms.daily import roll_day
from firms.debounce import Debounce, own_reducing
from firms.errors import RefusedChange
from firms.floors import Floors, day_floor, floors
from firms.model import Phase, PhaseKind, Plan
from firms.ruleset import RuleSet

__all__ = [
    "BROKER",
    "SYSTEM",
    "CashFlowed",
    "Changed",
    "Debounce",
    "Halted",
    "Judgement",
    "Pushed",
    "Rolled",
    "Verdict",
    "archive",
    "breach_json",
    "cash_flow",
    "judge",
    "next_phase",
    "observe",
    "promote",
    "push",
    "recheck",
    "reset",
    "roll_forward",
    "set_trading",
    "unarchive",
    "verdict",
]

SYSTEM = "aria"  # the actor of the events ARIA records on its own
BROKER = "broker"  # the actor of a breach seen in a state the broker pushed


@dataclass(frozen=True, slots=True)
class Rolled:
    """An account and its tracker brought up to a time, and the events that rolling made."""

    account: Account
    tracker: Tracker
    records: tuple[AccountEvent, ...] = ()
    tracker_changed: bool = False
    account_changed: bool = False

    @property
    def events(self) -> tuple[str, ...]:
        """The kinds of :attr:`records`, in order."""
        return tuple(record.kind for record in self.records)


def roll_forward(
    account: Account,
    tracker: Tracker,
    rules: RuleSet,
    now: dt.datetime,
    at: dt.datetime | None = None,
) -> Rolled:
    """Roll the trading day if a reset has passed by ``now``; lift a daily halt that has ended.

    ``at`` stamps the events and defaults to ``now``: a state push rolls by the state's time
    but records when it was processed, so the audit trail stays in the order it was written.
    """
    at = at or now
    records: list[AccountEvent] = []
    roll = roll_day(rules, tracker.day, tracker.peaks, tracker.state, now)
    if roll.rolled:
        floor = day_floor(rules, roll.day, tracker.cash)
        detail: dict[str, Any] = {
            "trading_day": rules.daily_reset.trading_day(roll.day.starts_at).isoformat(),
            "reset_at": roll.day.starts_at.isoformat(),
            "balance": str(roll.day.balance),
            "equity": str(roll.day.equity),
            "daily_floor": None if floor is None else str(floor),
            "end_of_day_peak": str(roll.peaks.end_of_day_balance),
        }
        # The first day of an account opens on its first state; later days roll at a reset.
        if tracker.day is None:
            kind, reason = "day_opened", "first day opened"
        else:
            kind, reason = "daily_reset", f"daily reset at {rules.daily_reset.describe()}"
        records.append(AccountEvent(account.id, kind, SYSTEM, reason, at, detail))
        tracker = tracker.evolve(peaks=roll.peaks, day=roll.day)
    lifted = account.trading.lifted(now)
    account_changed = lifted is not account.trading  # the same state when no halt ends
    if account_changed:
        was = {"was": account.trading.model_dump(mode="json")}
        reason = "the daily halt ended at the reset"
        records.append(AccountEvent(account.id, "halt_lifted", SYSTEM, reason, at, was))
        account = account.model_copy(update={"trading": lifted})
    return Rolled(account, tracker, tuple(records), roll.rolled, account_changed)


def observe(tracker: Tracker, state: AccountState) -> Tracker:
    """Fold a state into the tracker: it becomes the latest, and moves the peaks and the day.

    Roll first (:func:`roll_forward`): the state belongs to the day current at its time.
    """
    if tracker.day is None:
        raise ValueError("the trading day must be opened before a state is observed")
    # Built directly rather than by ``evolve``: the simulation observes every bar.
    return Tracker(
        state,
        tracker.peaks.observe(state),
        tracker.day.observe(state),
        tracker.near_floor_streak,
        tracker.cash,
        tracker.risk_violations,
        tracker.over_risk_cap,
    )


@dataclass(frozen=True, slots=True)
class CashFlowed:
    """What a cash flow changed: first the roll to its time, then the flow itself."""

    rolled: Rolled  # written first, exactly as a scheduled roll would be
    account: Account
    tracker: Tracker
    records: tuple[AccountEvent, ...]  # after the roll's
    account_changed: bool  # by the flow (the roll says its own)

    @property
    def events(self) -> tuple[str, ...]:
        """The kinds of every event of the flow, the roll's first."""
        return self.rolled.events + tuple(record.kind for record in self.records)


def cash_flow(
    account: Account,
    tracker: Tracker,
    rules: RuleSet,
    flow: CashFlow,
    now: dt.datetime,
    actor: str,
    scaled: RuleSet | None = None,
) -> CashFlowed:
    """Take a deposit, payout, fee or scaling that happened at ``flow.at``, recorded at ``now``.

    The day rolls to the flow's time first, so a flow belongs to the day it happened in; the
    firm's reaction is :func:`firms.cash_flows.take`'s (a scaling needs ``scaled``, the rule
    set of the new size). Raises :class:`~firms.errors.InvalidCashFlow` (nothing changed) for
    a flow the rules refuse.
    """
    rolled = roll_forward(account, tracker, rules, flow.at, at=now)
    taken = take(rolled.account, rolled.tracker, rules, flow, now, actor, scaled)
    return CashFlowed(rolled, taken.account, taken.tracker, taken.records, taken.account_changed)


@dataclass(frozen=True, slots=True)
class Judgement:
    """The floors that bind a state, and the ones it touches."""

    floors: Floors
    breaches: tuple[Breach, ...]


def judge(rules: RuleSet, tracker: Tracker, state: AccountState) -> Judgement:
    """The firm's floors for ``state`` under the tracker's peaks and day, and its breaches."""
    found = floors(rules, tracker.day, tracker.peaks, state, tracker.cash)
    return Judgement(found, detect(rules, found, state))


@dataclass(frozen=True, slots=True)
class Verdict:
    """The firm's verdict on a state: the tracker that observed it, its judgement, and the
    trading state the breaches call for (the same one when they call for nothing)."""

    tracker: Tracker
    judgement: Judgement
    trading: TradingState


def verdict(
    trading: TradingState,
    tracker: Tracker,
    rules: RuleSet,
    state: AccountState,
    now: dt.datetime,
) -> Verdict:
    """Observe ``state`` on a rolled tracker, judge it, and apply what it breaches at ``now``."""
    observed = observe(tracker, state)
    judgement = judge(rules, observed, state)
    return Verdict(observed, judgement, apply(trading, judgement.breaches, rules, now))


@dataclass(frozen=True, slots=True)
class Pushed:
    """What a broker state push changed: first the roll, then the judgement of the state."""

    rolled: Rolled  # written first, exactly as a scheduled roll would be
    account: Account
    tracker: Tracker
    judgement: Judgement
    records: tuple[AccountEvent, ...]  # after the roll's
    account_changed: bool  # by the judgement (the roll says its own)

    @property
    def events(self) -> tuple[str, ...]:
        """The kinds of every event of the push, the roll's first."""
        return self.rolled.events + tuple(record.kind for record in self.records)


def push(
    account: Account,
    tracker: Tracker,
    rules: RuleSet,
    state: AccountState,
    now: dt.datetime,
    debounce: Debounce,
    open_risk: Decimal | None = None,
) -> Pushed:
    """Take a broker ``state`` received at ``now``: roll, observe, judge, debounce ARIA's halts.

    A breach the broker's numbers show is the firm's verdict and applies at once; ARIA's own
    'reducing' switch only follows the debounce, and never while the account is halted.
    ``open_risk`` is the state's loss from the entries to the stops (``None``: not known): a
    firm that escalates counts a violation of its open-risk cap as a ``risk_violation`` event.
    """
    rolled = roll_forward(account, tracker, rules, state.as_of, at=now)
    account = rolled.account
    firm = verdict(account.trading, rolled.tracker, rules, state, now)
    observed, judgement, trading = firm.tracker, firm.judgement, firm.trading
    streak = observed.near_floor_streak
    records: list[AccountEvent] = []
    if trading.status is not TradingStatus.HALTED:
        distance = state.equity - judgement.floors.highest
        switch = own_reducing(trading, streak, distance, debounce, rules.size, now)
        trading, streak = switch.trading, switch.streak
        if switch.kind is not None:
            detail: dict[str, Any] = {"distance": str(distance)}
            reason = trading.reason or ""
            records.append(AccountEvent(account.id, switch.kind, SYSTEM, reason, now, detail))
    changed = trading != account.trading
    if changed:
        if (
            judgement.breaches
            and trading.status is TradingStatus.HALTED
            and account.trading.status is not TradingStatus.HALTED
        ):
            detail = {
                "breaches": [breach_json(b) for b in judgement.breaches],
                "trading": trading.model_dump(mode="json"),
            }
            records.append(
                AccountEvent(account.id, "breach", BROKER, trading.reason or "", now, detail)
            )
        account = account.model_copy(update={"trading": trading})
    tracker = observed.evolve(near_floor_streak=streak)
    if open_risk is not None:
        balance = state.balance + rules.capital_offset  # in capital terms, as sizing's
        check = risk_check(
            rules, tracker.risk_violations, tracker.over_risk_cap, open_risk, balance
        )
        tracker = tracker.evolve(risk_violations=check.violations, over_risk_cap=check.over)
        if check.violation is not None:
            records.append(_violation_event(account, check.violation, now))
    return Pushed(rolled, account, tracker, judgement, tuple(records), changed)


def _violation_event(account: Account, violation: RiskViolation, now: dt.datetime) -> AccountEvent:
    """The rule event of an open-risk violation (the account keeps trading)."""
    detail: dict[str, Any] = {
        "risk": str(violation.risk),
        "cap": str(violation.cap),
        "violations": violation.count,
        "escalated_to": None if violation.escalated_to is None else str(violation.escalated_to),
    }
    return AccountEvent(account.id, "risk_violation", BROKER, violation.describe(), now, detail)


@dataclass(frozen=True, slots=True)
class Halted:
    """An account a re-check halted, and the event that says why."""

    account: Account
    record: AccountEvent


def recheck(account: Account, tracker: Tracker, rules: RuleSet, now: dt.datetime) -> Halted | None:
    """Re-judge the latest state of a rolled account; the halt it now calls for, if any.

    A safety net for pushes: a state judged under an operator's halt, say, is judged again
    once the account trades.
    """
    state = tracker.state
    if state is None:
        return None
    breaches = judge(rules, tracker, state).breaches
    trading = apply(account.trading, breaches, rules, now)
    if trading == account.trading or trading.status is not TradingStatus.HALTED:
        return None
    detail: dict[str, Any] = {"breaches": [b.describe() for b in breaches]}
    record = AccountEvent(account.id, "breach", SYSTEM, trading.reason or "", now, detail)
    return Halted(account.model_copy(update={"trading": trading}), record)


def breach_json(breach: Breach) -> dict[str, Any]:
    """A breach as the JSON of a rule event's detail."""
    return {
        "type": breach.type.value,
        "severity": breach.severity.value,
        "code": breach.code,
        "floor": str(breach.floor),
        "value": str(breach.value),
        "at": breach.at.isoformat(),
    }


# --------------------------------------------------------------------------- operator changes


@dataclass(frozen=True, slots=True)
class Changed:
    """An account an operator changed, its restarted tracker (``None``: the tracker is kept),
    and the event that records the change."""

    account: Account
    tracker: Tracker | None
    record: AccountEvent


def _trading_json(trading: TradingState) -> dict[str, Any]:
    return trading.model_dump(mode="json")


def _refuse_archived(account: Account, what: str) -> None:
    if account.trading.halt is HaltKind.ARCHIVED:
        raise RefusedChange(f"account {account.id} is archived: unarchive it before you {what} it")


def next_phase(plan: Plan, phase_id: str) -> Phase:
    """The phase after ``phase_id`` in ``plan``'s order.

    Raises :class:`~firms.errors.UnknownPhase` for a phase the plan lacks, and
    :class:`RefusedChange` after its last phase.
    """
    current = plan.phase(phase_id)
    index = plan.phases.index(current)
    if index + 1 == len(plan.phases):
        order = " → ".join(p.id for p in plan.phases)
        raise RefusedChange(
            f"{phase_id!r} is the last phase of plan {plan.id!r} ({order}): nothing to promote to"
        )
    return plan.phases[index + 1]


def _restarted(rules: RuleSet, now: dt.datetime) -> Tracker:
    # What a new phase or a firm's reset does to the tracker, as for a new account: peaks at
    # the phase's starting balance, no trading day until the next state opens one, no state,
    # no cash flows; stamped ``now`` so a delayed state of the previous phase cannot anchor
    # the new one.
    return Tracker.start(rules.start, now)


def promote(
    account: Account,
    plan: Plan,
    resolve: Callable[[Account], RuleSet],
    now: dt.datetime,
    actor: str,
    reason: str,
    *,
    to_phase: str | None = None,
    size: Decimal | None = None,
) -> Changed:
    """Move ``account`` to the next phase of ``plan`` at ``now``: the phase's own rules
    (``resolve`` gives them, and refuses a size the plan does not know), fresh anchors from
    the initial balance (``size`` when given, else the same), and any halt lifted.

    ``to_phase`` names the phase the caller expects next; any other is refused.
    """
    _refuse_archived(account, "promote")
    following = next_phase(plan, account.phase)
    if to_phase is not None and to_phase != following.id:
        plan.phase(to_phase)  # an unknown phase says so
        raise RefusedChange(
            f"the phase after {account.phase!r} in plan {plan.id!r} is {following.id!r},"
            f" not {to_phase!r}; a promotion moves one phase at a time"
        )
    trading = TradingState(since=now, reason=f"promoted to {following.id} by {actor}: {reason}")
    promoted = account.model_copy(
        update={
            "phase": following.id,
            "initial_balance": account.initial_balance if size is None else size,
            "trading": trading,
        }
    )
    rules = resolve(promoted)
    detail: dict[str, Any] = {
        "from_phase": account.phase,
        "to_phase": following.id,
        "from_size": str(account.initial_balance),
        "to_size": str(promoted.initial_balance),
        "rulebook": rules.label,
        "before": _trading_json(account.trading),
    }
    record = AccountEvent(account.id, "account_promoted", actor, reason, now, detail)
    return Changed(promoted, _restarted(rules, now), record)


def reset(account: Account, rules: RuleSet, now: dt.datetime, actor: str, reason: str) -> Changed:
    """The firm restarts the account's evaluation phase at ``now``: fresh anchors from the
    initial balance, and trading active again, even after a failure."""
    _refuse_archived(account, "reset")
    if rules.phase.kind is not PhaseKind.EVALUATION:
        raise RefusedChange(
            f"account {account.id} is in {rules.phase.id!r}, a {rules.phase.kind.value} phase:"
            " only an evaluation is reset"
        )
    trading = TradingState(since=now, reason=f"{rules.phase.id} reset by {actor}: {reason}")
    restarted = account.model_copy(update={"trading": trading})
    detail: dict[str, Any] = {
        "phase": account.phase,
        "size": str(account.initial_balance),
        "rulebook": rules.label,
        "before": _trading_json(account.trading),
    }
    record = AccountEvent(account.id, "account_reset", actor, reason, now, detail)
    return Changed(restarted, _restarted(rules, now), record)


def archive(account: Account, now: dt.datetime, actor: str, reason: str) -> Changed:
    """Retire ``account`` at ``now``: it keeps its history and takes no new trade until it is
    unarchived; the event keeps the trading state it had, which unarchiving restores."""
    if account.trading.halt is HaltKind.ARCHIVED:
        raise RefusedChange(f"account {account.id} is already archived")
    trading = TradingState(
        status=TradingStatus.HALTED,
        halt=HaltKind.ARCHIVED,
        since=now,
        reason=f"archived by {actor}: {reason}",
    )
    detail = {"before": _trading_json(account.trading), "after": _trading_json(trading)}
    record = AccountEvent(account.id, "account_archived", actor, reason, now, detail)
    return Changed(account.model_copy(update={"trading": trading}), None, record)


def unarchive(
    account: Account,
    before: TradingState | None,
    now: dt.datetime,
    actor: str,
    reason: str,
) -> Changed:
    """Bring an archived account back with the trading state it had when archived
    (``before``, from the archiving event): a failed account stays failed. Without it, the
    account comes back halted by the operator, to be enabled on purpose."""
    if account.trading.halt is not HaltKind.ARCHIVED:
        raise RefusedChange(f"account {account.id} is not archived")
    trading = before or TradingState(
        status=TradingStatus.HALTED,
        halt=HaltKind.OPERATOR,
        since=now,
        reason=f"unarchived by {actor}: {reason}",
    )
    detail = {"before": _trading_json(account.trading), "after": _trading_json(trading)}
    record = AccountEvent(account.id, "account_unarchived", actor, reason, now, detail)
    return Changed(account.model_copy(update={"trading": trading}), None, record)


def set_trading(
    account: Account,
    enabled: bool,
    now: dt.datetime,
    actor: str,
    reason: str,
    *,
    force: bool = False,
) -> Changed:
    """Disable ``account`` by hand, or re-enable it.

    Re-enabling an account the firm failed or closed overrides the firm's verdict: it is refused
    unless ``force`` is given, and then recorded as ``enabled_forced``. An archived account
    is neither enabled nor disabled: it is unarchived first.
    """
    before = account.trading
    _refuse_archived(account, "enable" if enabled else "disable")
    if enabled:
        failed = before.halt in (HaltKind.FAILED, HaltKind.CLOSED)
        if failed and not force:
            verdict = "failed a hard rule of" if before.halt is HaltKind.FAILED else "was closed by"
            raise RefusedChange(
                f"account {account.id} {verdict} its firm ({before.reason});"
                " re-enabling it overrides the firm's verdict and needs force with a reason"
            )
        trading = TradingState(since=now, reason=f"re-enabled by {actor}: {reason}")
        kind = "enabled_forced" if failed else "enabled"
    else:
        trading = TradingState(
            status=TradingStatus.HALTED,
            halt=HaltKind.OPERATOR,
            since=now,
            reason=f"disabled by {actor}: {reason}",
        )
        kind = "disabled"
    detail = {"before": _trading_json(before), "after": _trading_json(trading)}
    record = AccountEvent(account.id, kind, actor, reason, now, detail)
    return Changed(account.model_copy(update={"trading": trading}), None, record)
