"""The compliance report: one account's rules, headroom, equity, decisions and events as HTML.

The page is self-contained (inline CSS, charts as base64 PNG data URIs, no scripts, fonts or
links to load), so it can be mailed or archived as one file and still read the same years
later. Data comes only through the service layer, like any other face of ARIA.

Numbers a machine may check sit in ``data-field`` cells (see :mod:`aria.reports.markup`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from accounts.model import Account, AccountState
from aria.audit.filters import DecisionFilter, EventFilter
from aria.reports import charts
from aria.reports.markup import (
    NONE,
    bar,
    document,
    empty,
    esc,
    field,
    grid,
    image,
    key_values,
    money,
    percent,
    row,
    section,
    text_cell,
    when,
)
from aria.service import accounts as account_service
from aria.service import audit
from aria.service import market as market_service
from aria.service.accounts import RiskView
from aria.service.audit import MAX_PAGE, Page
from aria.service.context import Context
from aria.service.ports import StoredDecision, StoredEvent
from aria.service.reports import Life, account_life
from aria.sizing.exposure import Held
from aria.sizing.market import Correlation
from firms.headroom import Headroom
from firms.model import FloatingLossRule, Sourced
from firms.progress import Objectives
from firms.ruleset import RuleSet

T = TypeVar("T")
StatePoint = tuple[AccountState, Decimal | None, Decimal | None]


@dataclass(frozen=True)
class _Review:
    """Everything the report shows, gathered once through the service layer."""

    risk: RiskView
    progress: Objectives
    states: list[StatePoint]  # oldest first
    decisions: list[StoredDecision]  # oldest first
    events: list[StoredEvent]  # oldest first
    correlation: tuple[int, Correlation] | None
    traded: list[str]  # symbols of the decisions, sorted
    start: dt.datetime | None
    end: dt.datetime | None
    life: Life

    @property
    def first(self) -> dt.datetime | None:
        """Where the period begins: the start asked for, else the account's opening."""
        return self.start if self.start is not None else self.life.opened

    @property
    def last(self) -> dt.datetime:
        """Where the period ends: the end asked for, else now."""
        return self.end if self.end is not None else self.life.now


def compliance_report(
    ctx: Context,
    account_id: str,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> str:
    """One account's compliance review as a self-contained HTML page (charts as base64 PNG).

    The period runs from ``start`` (default: the account's opening) to ``end`` (default: now);
    the current phase is summarised apart, inside that period.
    """
    review = _gather(ctx, account_id, start, end)
    sections = [
        _summary_section(review),
        _phase_section(review),
        _account_section(review.risk.account, review.risk.rules),
        _rules_section(review.risk.rules),
        _now_section(review.risk),
        positions_section(review.risk),
        _objectives_section(review.progress, review.life.now),
        _equity_section(review),
        _decisions_chart_section(review),
        _factors_section(review),
        _correlation_section(review),
        _events_section(review.events),
        _decisions_section(review.decisions),
    ]
    return document(f"Compliance review — {account_id}", sections)


# --------------------------------------------------------------------------- gathering


def _every(fetch: Callable[[str | None], Page[T]]) -> list[T]:
    """Follow the cursors until the last page."""
    items: list[T] = []
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


def _gather(
    ctx: Context, account_id: str, start: dt.datetime | None, end: dt.datetime | None
) -> _Review:
    # account_risk first: it raises NotFound for an unknown account before anything else runs.
    risk = account_service.account_risk(ctx, account_id)
    mine = DecisionFilter(account=account_id, start=start, end=end)
    decisions = _every(lambda c: audit.query_decisions(ctx, mine, c, MAX_PAGE))
    kept = EventFilter(account=account_id, start=start, end=end)
    events = _every(lambda c: audit.query_events(ctx, kept, c, MAX_PAGE))
    # The audit queries answer newest first; a review reads (and charts draw) oldest first.
    decisions.reverse()
    events.reverse()
    traded = sorted({d.decision.symbol for d in decisions})
    correlation = market_service.correlations_of(ctx, traded) if traded else None
    return _Review(
        risk=risk,
        progress=account_service.account_objectives(ctx, account_id),
        states=account_service.state_history(ctx, account_id, start, end),
        decisions=decisions,
        events=events,
        correlation=correlation,
        traded=traded,
        start=start,
        end=end,
        life=account_life(ctx, account_id),
    )


# --------------------------------------------------------------------------- formatting


# --------------------------------------------------------------------------- sections


def _summary_section(review: _Review) -> str:
    approved = sum(1 for d in review.decisions if d.decision.approved)
    first, last = review.first, review.last
    opening = " (the account's opening)" if review.start is None and first is not None else ""
    rows = [
        row("period from", field("start", first, when(first) + opening, numeric=False)),
        row(
            "period to",
            field("end", last, when(last) + (" (now)" if review.end is None else ""), False),
        ),
        row("states pushed", field("states", len(review.states))),
        row("rule events", field("events", len(review.events))),
        row("failures overridden", field("forced-enables", len(_forced(review.events)))),
        row("decisions", field("decisions", len(review.decisions))),
        row("approved", field("decisions-approved", approved)),
        row("rejected", field("decisions-rejected", len(review.decisions) - approved)),
    ]
    return section("Summary", key_values(rows))


def _phase_section(review: _Review) -> str:
    """The current phase inside the period: what happened since it began."""
    title = "Current phase"
    began = review.life.phase_started
    phase = review.risk.account.phase
    if began is None:
        return section(title, empty("phase", f"No start is recorded for the {phase} phase."))

    def since(at: dt.datetime) -> bool:
        return at >= began

    states = [s for s, _, _ in review.states if since(s.as_of)]
    decisions = [d for d in review.decisions if since(d.created_at)]
    change = states[-1].equity - states[0].equity if states else None
    rows = [
        row("phase", field("phase", phase, numeric=False)),
        row("began", field("phase-start", began, when(began), numeric=False)),
        row("states pushed in the phase", field("phase-states", len(states))),
        row(
            "rule events in the phase",
            field("phase-events", sum(1 for e in review.events if since(e.at))),
        ),
        row("decisions in the phase", field("phase-decisions", len(decisions))),
        row(
            "approved in the phase",
            field("phase-approved", sum(1 for d in decisions if d.decision.approved)),
        ),
        row("equity change over the phase", field("phase-equity-change", change, money(change))),
    ]
    note = (
        '<p class="note">Counted inside the report\'s period; the sections below cover the '
        "whole period.</p>"
    )
    return section(title, key_values(rows), note)


def _account_section(account: Account, rules: RuleSet) -> str:
    trading, personality = account.trading, account.personality
    rows = [
        row("account", field("account", account.id, numeric=False)),
        row("label", text_cell(account.label)),
        row("owner", field("owner", account.owner, numeric=False)),
        row("firm", text_cell(f"{rules.firm_name} ({account.firm})")),
        row("plan", text_cell(f"{rules.plan_name} ({account.plan})")),
        row("phase", text_cell(account.phase)),
        row("rulebook", field("rulebook", rules.label, numeric=False)),
        row("currency", field("currency", account.currency, numeric=False)),
        row(
            "initial balance",
            field("initial-balance", account.initial_balance, money(account.initial_balance)),
        ),
        row("profile / strategy", text_cell(f"{account.profile} / {account.strategy or NONE}")),
        row("trading status", field("trading-status", trading.status.value, numeric=False)),
        row("halt kind", text_cell(trading.halt.value if trading.halt else None)),
        row("reason", text_cell(trading.reason)),
        row("since / until", text_cell(f"{when(trading.since)} / {when(trading.until)}")),
        row(
            "personality multiplier",
            field(
                "personality",
                personality.multiplier,
                f"×{personality.multiplier} ({personality.source.value}, "
                f"{personality.appetite.value})",
            ),
        ),
    ]
    return section("Account", key_values(rows))


def _describe(block: Sourced) -> str:
    """The rule in words: its own description where it has one, else its set fields."""
    describe = getattr(block, "describe", None)
    if callable(describe):
        return str(describe())
    if isinstance(block, FloatingLossRule):
        return f"{block.code} open loss at most {block.amount.describe()}, {block.breach.value}"
    # Blocks without a description (limits, cross-account): list what the firm sets.
    values = block.model_dump(mode="json", exclude=set(Sourced.model_fields), exclude_none=True)
    shown = {k: v for k, v in values.items() if v not in ({}, [])}
    return "; ".join(f"{k}: {_plain(v)}" for k, v in shown.items()) or NONE


def _plain(value: object) -> str:
    """Nested rule values in words, without Python's quotes and braces."""
    if isinstance(value, dict):
        return "(" + ", ".join(f"{k} {_plain(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    return str(value)


def _rules_section(rules: RuleSet) -> str:
    blocks: dict[str, Sourced | None] = {
        "daily_loss": rules.daily_loss,
        "max_loss": rules.max_loss,
        "floating_loss": rules.floating_loss,
        "limits": rules.limits,
        "cross_account": rules.cross_account,
        "cash_flows": rules.cash_flows,
    }
    rows = []
    for name, (sources, read_on, confidence) in rules.provenance().items():
        block = blocks.get(name)
        uncertain = (
            f"; uncertain: {', '.join(block.uncertain)}" if block and block.uncertain else ""
        )
        rows.append(
            f'<tr data-rule="{esc(name)}">{text_cell(name)}'
            f"{text_cell(_describe(block) if block else NONE)}"
            f"<td>{'<br>'.join(esc(s) for s in sources)}</td>"
            f"{text_cell(when(read_on))}{text_cell(confidence + uncertain)}</tr>"
        )
    target = rules.target_amount()
    facts = key_values(
        [
            row("daily reset", text_cell(rules.daily_reset.describe())),
            row("profit target", field("target", target, money(target))),
        ]
    )
    note = '<p class="note">Sources as read on the date shown; firms change their rules.</p>'
    headers = ("block", "rule", "sources", "read on", "confidence")
    return section("Rules", facts, grid(headers, rows), note)


def _now_section(risk: RiskView) -> str:
    state, found, room, daily = risk.state, risk.floors, risk.headroom, risk.daily
    if state is None:
        return section(
            "Headroom now", empty("state", "No state has been pushed: no floors or headroom yet.")
        )
    rows = [
        row("as of", field("as-of", state.as_of.isoformat(), when(state.as_of), numeric=False)),
        row("balance", field("balance", state.balance, money(state.balance))),
        row("equity", field("equity", state.equity, money(state.equity))),
    ]
    if found is not None:
        rows += [
            row("daily-loss floor", field("daily-floor", found.daily, money(found.daily))),
            row("max-loss floor", field("max-loss-floor", found.max_loss, money(found.max_loss))),
            row(
                "floating-loss floor",
                field("floating-floor", found.floating, money(found.floating)),
            ),
        ]
    if room is not None:
        rows += headroom_rows(room)
    if daily is not None:
        rows += [
            row(
                "trading day",
                text_cell(
                    f"{daily.trading_day.isoformat()} "
                    f"({when(daily.started_at)} – {when(daily.ends_at)})"
                ),
            ),
            row("day P&L", field("daily-pnl", daily.pnl, money(daily.pnl))),
        ]
    return section("Headroom now", key_values(rows))


def _objectives_section(found: Objectives, now: dt.datetime) -> str:
    """The phase's objectives now, as the firm counts them (the same figures the API gives)."""
    rows = [
        row("phase", text_cell(found.phase)),
        row("phase began", text_cell(when(found.started))),
        row(
            "profit target (raised where consistency raises it)",
            field("objective-target", found.target, money(found.target)),
        ),
        row("counted on", text_cell((found.target_on or "balance").replace("_", " "))),
        row("trading profit", field("trading-profit", found.profit, money(found.profit))),
        row("still to make", field("to-target", found.to_target, money(found.to_target))),
        row(
            "trading days",
            field(
                "trading-days",
                found.trading_days,
                f"{found.trading_days} of {found.min_trading_days}"
                if found.min_trading_days
                else str(found.trading_days),
            ),
        ),
        row(
            "time limit",
            text_cell(
                f"ends {when(found.ends_at)}{' (expired)' if found.expired else ''}"
                if found.ends_at is not None
                else "none"
            ),
        ),
        *objective_bars(found, now),
    ]
    verdict = "every objective of the phase is met" if found.passed else "not yet met"
    rows.append(row("objectives", field("objectives-met", found.passed, verdict, numeric=False)))
    return section("Objectives", key_values(rows))


_BASES = {"profit_target": "the profit target", "positive_days": "positive days"}


def objective_bars(found: Objectives, now: dt.datetime, key: str = "") -> list[str]:
    """A progress bar per objective the phase has: the target, trading days, the time used
    and each best-day share against its cap (fields prefixed with ``key``)."""
    rows = []
    if found.target is not None and found.target > 0:
        made = found.profit if found.profit is not None else Decimal(0)
        done = percent(made, found.target)
        text = f"{money(made)} of {money(found.target)} ({done} %)"
        label = "progress to the profit target"
        rows.append(row(label, bar(f"{key}target-progress", done, Decimal(100), label, text)))
    if found.min_trading_days:
        days, least = found.trading_days, found.min_trading_days
        label = "trading days"
        text = f"{days} of {least} ({found.days_needed} still needed)"
        rows.append(
            row(label, bar(f"{key}days-progress", Decimal(days), Decimal(least), label, text))
        )
    if found.started is not None and found.ends_at is not None:
        whole = Decimal((found.ends_at - found.started).total_seconds())
        used = percent(Decimal((now - found.started).total_seconds()), whole)
        left = max(found.ends_at - now, dt.timedelta(0))
        text = (
            "expired"
            if found.expired or left == dt.timedelta(0)
            else f"{left.days} days {left.seconds // 3600} hours left ({used} % used)"
        )
        label = "time limit used"
        rows.append(row(label, bar(f"{key}time-progress", used, Decimal(100), label, text)))
    for i, rule in enumerate(found.consistency):
        label = f"best day (cap {rule.limit_pct} %)"
        state = "met" if rule.satisfied else f"{money(rule.profit_needed)} more profit needed"
        name = f"{key}best-day-share-{i}"
        if rule.share_pct is None:
            rows.append(row(label, field(name, None, f"no profit yet: {state}")))
            continue
        basis = _BASES.get(rule.denominator, "total profit")
        text = f"{rule.share_pct:.2f} % of {basis} against a cap of {rule.limit_pct} %: {state}"
        rows.append(row(label, bar(name, rule.share_pct, rule.limit_pct, label, text)))
    return rows


def positions_section(risk: RiskView, key: str = "", level: int = 2) -> str:
    """Each open position with its further loss to the stop, as the headroom counted it: the
    losses add up to the headroom's open risk (fields prefixed with ``key``)."""
    title = "Open positions behind the open risk"
    room, currency = risk.headroom, risk.account.currency
    if room is None:
        sentence = "No state has been pushed: no positions."
        return section(title, empty(f"{key}positions", sentence), level=level)
    if not risk.held:
        sentence = "No position is open: no open risk."
        return section(title, empty(f"{key}positions", sentence), level=level)
    rows = [_position_row(i, held, room.open_risk, key) for i, held in enumerate(risk.held)]
    rows.append(
        f'<tr class="total"><th scope="row" colspan="7">open risk to the stops</th>'
        f"{field(f'{key}positions-open-risk', room.open_risk, money(room.open_risk))}"
        f'<td class="num">100 %</td></tr>'
    )
    headers = (
        "symbol",
        "side",
        "lots",
        "entry",
        "stop",
        "take-profit",
        "now",
        f"further loss to the stop ({currency})",
        "share of open risk",
    )
    note = (
        '<p class="note">The loss from the current price to the stop, costs included, in the '
        "account's currency: the equity already holds the loss so far. A position without a "
        "stop has no bound and leaves no headroom.</p>"
    )
    return section(title, grid(headers, rows), note, level=level)


def _position_row(i: int, held: Held, total: Decimal, key: str) -> str:
    p, loss = held.position, held.further_loss
    share = NONE if loss is None else f"{percent(loss, total)} %"
    shown = "unbounded: no stop" if loss is None else money(loss)
    return (
        f'<tr data-position="{esc(p.id or p.symbol)}">{text_cell(p.symbol)}'
        f"{text_cell(p.side.value)}<td class='num'>{esc(p.lots)}</td>"
        f"<td class='num'>{esc(p.entry)}</td><td class='num'>{esc(p.stop or NONE)}</td>"
        f"<td class='num'>{esc(p.take_profit or NONE)}</td>"
        f"<td class='num'>{esc(p.price or NONE)}</td>"
        f"{field(f'{key}position-loss-{i}', loss, shown)}"
        f"<td class='num'>{esc(share)}</td></tr>"
    )


def headroom_rows(room: Headroom, key: str = "") -> list[str]:
    """The headroom and what it is made of, as labelled rows (fields prefixed with ``key``)."""
    distances = ", ".join(f"{name} {money(value)}" for name, value in room.distances.items())
    return [
        row(
            "headroom available",
            field(f"{key}headroom-available", room.available, money(room.available)),
        ),
        row("binding floor", field(f"{key}headroom-binding", room.binding, numeric=False)),
        row("distance to each floor", text_cell(distances)),
        row(
            "open risk to stops",
            field(f"{key}headroom-open-risk", room.open_risk, money(room.open_risk)),
        ),
        row("reserved", field(f"{key}headroom-reserved", room.reserved, money(room.reserved))),
        row("safety buffer", field(f"{key}headroom-buffer", room.buffer, money(room.buffer))),
        row("positions without a stop", text_cell(", ".join(room.unbounded) or None)),
    ]


def _floats(values: Iterable[Decimal | None]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def _equity_section(review: _Review) -> str:
    title = "Equity against the floors"
    if not review.states:
        return section(title, empty("states", "No states were pushed in this period."))
    uri = charts.equity_chart(
        [s.as_of for s, _, _ in review.states],
        [float(s.equity) for s, _, _ in review.states],
        [float(s.balance) for s, _, _ in review.states],
        _floats(daily for _, daily, _ in review.states),
        _floats(max_loss for _, _, max_loss in review.states),
        review.risk.account.currency,
    )
    equity = [s.equity for s, _, _ in review.states]
    alt = (
        f"{title}: {len(equity)} states from {when(review.states[0][0].as_of)} to "
        f"{when(review.states[-1][0].as_of)}; equity {money(equity[0])} to {money(equity[-1])}, "
        f"lowest {money(min(equity))} {review.risk.account.currency}"
    )
    return section(title, image(alt, uri))


def _constraint(stored: StoredDecision) -> str:
    """What limited a decision: its binding limit, else the code that rejected it."""
    decision = stored.decision
    if decision.binding:
        return decision.binding
    # A gate (halt, stale data, …) rejects before any limit binds: its code is the constraint.
    if decision.reject_codes:
        return f"rejected: {decision.reject_codes[0].value}"
    return "none (not clipped)"


def _decisions_chart_section(review: _Review) -> str:
    title = "Decisions over time"
    if not review.decisions:
        return section(title, empty("decisions", "No decisions were taken in this period."))
    points = [
        charts.DecisionPoint(
            at=d.created_at,
            value=float(d.decision.risk_amount),
            approved=d.decision.approved,
            binding=_constraint(d),
        )
        for d in review.decisions
    ]
    uri = charts.decisions_chart(points, f"risk at the stop ({review.risk.account.currency})")
    approved = sum(1 for p in points if p.approved)
    bound = ", ".join(sorted({p.binding for p in points}))
    alt = (
        f"{title}: {len(points)} decisions, {approved} approved and "
        f"{len(points) - approved} rejected; limited by {bound}"
    )
    return section(title, image(alt, uri))


def _factors_section(review: _Review) -> str:
    title = "Sizing factors over time"
    names = list(dict.fromkeys(name for d in review.decisions for name in d.decision.factors))
    if not names:
        return section(title, empty("factors", "No decision in this period has factors."))
    series = {
        name: [
            float(d.decision.factors[name].value) if name in d.decision.factors else None
            for d in review.decisions
        ]
        for name in names
    }
    uri = charts.factors_chart([d.created_at for d in review.decisions], series)
    alt = f"{title}: {', '.join(names)} across {len(review.decisions)} decisions"
    return section(title, image(alt, uri))


def _correlation_section(review: _Review) -> str:
    title = "Correlation heat map"
    if review.correlation is None:
        sentence = "No correlation matrix is available for the symbols this account traded."
        return section(title, empty("correlation", sentence))
    version, matrix = review.correlation
    missing = sorted(set(review.traded) - set(matrix.symbols))
    note = f'<p class="note">Not in the matrix: {esc(", ".join(missing))}.</p>' if missing else ""
    uri = charts.correlation_chart(matrix.symbols, matrix.matrix, version)
    alt = f"{title}: version {version} of the matrix over {', '.join(matrix.symbols)}"
    return section(title, image(alt, uri), note)


_FORCED = ' class="forced"'


def _forced(events: Sequence[StoredEvent]) -> list[StoredEvent]:
    """Re-enables that overrode a firm's failure: a reviewer looks at these first."""
    return [e for e in events if e.kind == "enabled_forced"]


def _events_section(events: Sequence[StoredEvent]) -> str:
    title = "Rule events"
    if not events:
        return section(title, empty("events", "No rule events in this period."))
    rows = (
        f'<tr data-seq="{e.seq}"{_FORCED if e.kind == "enabled_forced" else ""}>'
        f"{text_cell(when(e.at))}{text_cell(e.kind)}"
        f"{text_cell(e.actor)}{text_cell(e.reason)}</tr>"
        for e in events
    )
    return section(title, grid(("time", "kind", "actor", "reason"), rows))


def _decision_row(stored: StoredDecision) -> str:
    d = stored.decision
    codes = ", ".join(code.value for code in d.reject_codes)
    return (
        f'<tr class="{esc(d.status)}" data-id="{esc(stored.id)}">'
        f"{text_cell(when(stored.created_at))}{text_cell(d.status)}{text_cell(d.symbol)}"
        f"{text_cell(d.side)}<td class='num'>{esc(d.lots)}</td>"
        f"<td class='num'>{esc(money(d.risk_amount))}</td>"
        f"{text_cell(d.binding)}{text_cell(codes)}</tr>"
    )


def _decisions_section(decisions: Sequence[StoredDecision]) -> str:
    title = "Decisions"
    if not decisions:
        return section(title, empty("decision-table", "No decisions in this period."))
    headers = ("time", "status", "symbol", "side", "lots", "risk", "binding", "codes")
    return section(title, grid(headers, (_decision_row(d) for d in decisions)))
