"""The compliance report: one account's rules, headroom, equity, decisions and events as HTML.

The page is self-contained (inline CSS, charts as base64 PNG data URIs, no scripts, fonts or
links to load), so it can be mailed or archived as one file and still read the same years
later. Data comes only through the service layer, like any other face of ARIA.

Each number a machine may want to check sits in a cell marked ``data-field="…"`` whose
``data-value`` holds the exact value (``str`` of the Decimal or count; empty when there is
none), while the cell's text may be rounded and grouped for people.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from accounts.model import Account, AccountState
from aria.audit.filters import DecisionFilter, EventFilter
from aria.reports import charts
from aria.service import accounts as account_service
from aria.service import audit
from aria.service import market as market_service
from aria.service.accounts import RiskView
from aria.service.audit import MAX_PAGE, Page
from aria.service.context import Context
from aria.service.ports import StoredDecision, StoredEvent
from aria.sizing.market import Correlation
from firms.headroom import Headroom
from firms.model import FloatingLossRule, Sourced
from firms.progress import Objectives
from firms.ruleset import RuleSet

T = TypeVar("T")
StatePoint = tuple[AccountState, Decimal | None, Decimal | None]

_NONE = "—"
_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.rejected td, tr.forced td { background: #fff0f0; } p.empty { color: #666; font-style: italic; }
img { max-width: 100%; } .note { color: #666; font-size: 0.85em; }
"""


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


def compliance_report(
    ctx: Context,
    account_id: str,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> str:
    """One account's compliance review as a self-contained HTML page (charts as base64 PNG)."""
    review = _gather(ctx, account_id, start, end)
    sections = [
        _summary_section(review),
        _account_section(review.risk.account, review.risk.rules),
        _rules_section(review.risk.rules),
        _now_section(review.risk),
        _objectives_section(review.progress),
        _equity_section(review),
        _decisions_chart_section(review),
        _factors_section(review),
        _correlation_section(review),
        _events_section(review.events),
        _decisions_section(review.decisions),
    ]
    return _page(f"Compliance review — {account_id}", sections)


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
    )


# --------------------------------------------------------------------------- formatting


def _e(value: object) -> str:
    """Escaped text of any value (every string that comes from data goes through here)."""
    return html.escape(str(value))


def _when(at: dt.datetime | dt.date | None) -> str:
    if at is None:
        return _NONE
    if isinstance(at, dt.datetime):
        return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return at.isoformat()


def _money(value: Decimal | None) -> str:
    return _NONE if value is None else f"{value:,.2f}"


def _field(name: str, value: object, text: str | None = None, numeric: bool = True) -> str:
    """A machine-findable cell: ``data-value`` is ``str(value)`` exactly, the text is for people."""
    raw = "" if value is None else str(value)
    shown = text if text is not None else (raw or _NONE)
    css = ' class="num"' if numeric else ""
    return f'<td data-field="{_e(name)}" data-value="{_e(raw)}"{css}>{_e(shown)}</td>'


def _text_cell(value: object) -> str:
    return f"<td>{_e(_NONE if value is None or value == '' else value)}</td>"


def _row(label: str, cell: str) -> str:
    return f"<tr><th>{_e(label)}</th>{cell}</tr>"


def _key_values(rows: Iterable[str]) -> str:
    return "<table>" + "".join(rows) + "</table>"


def _grid(headers: Sequence[str], rows: Iterable[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _section(title: str, *parts: str) -> str:
    return f"<section><h2>{_e(title)}</h2>{''.join(parts)}</section>"


def _empty(kind: str, sentence: str) -> str:
    return f'<p class="empty" data-empty="{_e(kind)}">{_e(sentence)}</p>'


def _image(alt: str, uri: str) -> str:
    return f'<figure><img alt="{_e(alt)}" src="{_e(uri)}"></figure>'


def _page(title: str, sections: Sequence[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{_e(title)}</h1>\n" + "\n".join(sections) + "\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- sections


def _summary_section(review: _Review) -> str:
    approved = sum(1 for d in review.decisions if d.decision.approved)
    rows = [
        _row("period from", _field("start", review.start, _when(review.start), numeric=False)),
        _row("period to", _field("end", review.end, _when(review.end), numeric=False)),
        _row("states pushed", _field("states", len(review.states))),
        _row("rule events", _field("events", len(review.events))),
        _row("failures overridden", _field("forced-enables", len(_forced(review.events)))),
        _row("decisions", _field("decisions", len(review.decisions))),
        _row("approved", _field("decisions-approved", approved)),
        _row("rejected", _field("decisions-rejected", len(review.decisions) - approved)),
    ]
    return _section("Summary", _key_values(rows))


def _account_section(account: Account, rules: RuleSet) -> str:
    trading, personality = account.trading, account.personality
    rows = [
        _row("account", _field("account", account.id, numeric=False)),
        _row("label", _text_cell(account.label)),
        _row("owner", _field("owner", account.owner, numeric=False)),
        _row("firm", _text_cell(f"{rules.firm_name} ({account.firm})")),
        _row("plan", _text_cell(f"{rules.plan_name} ({account.plan})")),
        _row("phase", _text_cell(account.phase)),
        _row("rulebook", _field("rulebook", rules.label, numeric=False)),
        _row("currency", _field("currency", account.currency, numeric=False)),
        _row(
            "initial balance",
            _field("initial-balance", account.initial_balance, _money(account.initial_balance)),
        ),
        _row("profile / strategy", _text_cell(f"{account.profile} / {account.strategy or _NONE}")),
        _row("trading status", _field("trading-status", trading.status.value, numeric=False)),
        _row("halt kind", _text_cell(trading.halt.value if trading.halt else None)),
        _row("reason", _text_cell(trading.reason)),
        _row("since / until", _text_cell(f"{_when(trading.since)} / {_when(trading.until)}")),
        _row(
            "personality multiplier",
            _field(
                "personality",
                personality.multiplier,
                f"×{personality.multiplier} ({personality.source.value}, "
                f"{personality.appetite.value})",
            ),
        ),
    ]
    return _section("Account", _key_values(rows))


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
    return "; ".join(f"{k}: {_plain(v)}" for k, v in shown.items()) or _NONE


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
            f'<tr data-rule="{_e(name)}">{_text_cell(name)}'
            f"{_text_cell(_describe(block) if block else _NONE)}"
            f"<td>{'<br>'.join(_e(s) for s in sources)}</td>"
            f"{_text_cell(_when(read_on))}{_text_cell(confidence + uncertain)}</tr>"
        )
    target = rules.target_amount()
    facts = _key_values(
        [
            _row("daily reset", _text_cell(rules.daily_reset.describe())),
            _row("profit target", _field("target", target, _money(target))),
        ]
    )
    note = '<p class="note">Sources as read on the date shown; firms change their rules.</p>'
    headers = ("block", "rule", "sources", "read on", "confidence")
    return _section("Rules", facts, _grid(headers, rows), note)


def _now_section(risk: RiskView) -> str:
    state, found, room, daily = risk.state, risk.floors, risk.headroom, risk.daily
    if state is None:
        return _section(
            "Headroom now", _empty("state", "No state has been pushed: no floors or headroom yet.")
        )
    rows = [
        _row("as of", _field("as-of", state.as_of.isoformat(), _when(state.as_of), numeric=False)),
        _row("balance", _field("balance", state.balance, _money(state.balance))),
        _row("equity", _field("equity", state.equity, _money(state.equity))),
    ]
    if found is not None:
        rows += [
            _row("daily-loss floor", _field("daily-floor", found.daily, _money(found.daily))),
            _row(
                "max-loss floor", _field("max-loss-floor", found.max_loss, _money(found.max_loss))
            ),
            _row(
                "floating-loss floor",
                _field("floating-floor", found.floating, _money(found.floating)),
            ),
        ]
    if room is not None:
        rows += _headroom_rows(room)
    if daily is not None:
        rows += [
            _row(
                "trading day",
                _text_cell(
                    f"{daily.trading_day.isoformat()} "
                    f"({_when(daily.started_at)} – {_when(daily.ends_at)})"
                ),
            ),
            _row("day P&L", _field("daily-pnl", daily.pnl, _money(daily.pnl))),
        ]
    return _section("Headroom now", _key_values(rows))


def _objectives_section(found: Objectives) -> str:
    """The phase's objectives now, as the firm counts them (the same figures the API gives)."""
    rows = [
        _row("phase", _text_cell(found.phase)),
        _row("phase began", _text_cell(_when(found.started))),
        _row(
            "profit target (raised where consistency raises it)",
            _field("objective-target", found.target, _money(found.target)),
        ),
        _row("counted on", _text_cell((found.target_on or "balance").replace("_", " "))),
        _row("trading profit", _field("trading-profit", found.profit, _money(found.profit))),
        _row("still to make", _field("to-target", found.to_target, _money(found.to_target))),
        _row(
            "trading days",
            _field(
                "trading-days",
                found.trading_days,
                f"{found.trading_days} of {found.min_trading_days}"
                if found.min_trading_days
                else str(found.trading_days),
            ),
        ),
        _row(
            "time limit",
            _text_cell(
                f"ends {_when(found.ends_at)}{' (expired)' if found.expired else ''}"
                if found.ends_at is not None
                else "none"
            ),
        ),
    ]
    for i, rule in enumerate(found.consistency):
        share = _NONE if rule.share_pct is None else f"{rule.share_pct:.2f} %"
        state = "met" if rule.satisfied else f"{_money(rule.profit_needed)} more profit needed"
        rows.append(
            _row(
                f"best day (limit {rule.limit_pct} %)",
                _field(f"best-day-share-{i}", rule.share_pct, f"{share}: {state}"),
            )
        )
    verdict = "every objective of the phase is met" if found.passed else "not yet met"
    rows.append(_row("objectives", _field("objectives-met", found.passed, verdict, numeric=False)))
    return _section("Objectives", _key_values(rows))


def _headroom_rows(room: Headroom) -> list[str]:
    distances = ", ".join(f"{name} {_money(value)}" for name, value in room.distances.items())
    return [
        _row(
            "headroom available",
            _field("headroom-available", room.available, _money(room.available)),
        ),
        _row("binding floor", _field("headroom-binding", room.binding, numeric=False)),
        _row("distance to each floor", _text_cell(distances)),
        _row(
            "open risk to stops",
            _field("headroom-open-risk", room.open_risk, _money(room.open_risk)),
        ),
        _row("reserved", _field("headroom-reserved", room.reserved, _money(room.reserved))),
        _row("safety buffer", _field("headroom-buffer", room.buffer, _money(room.buffer))),
        _row("positions without a stop", _text_cell(", ".join(room.unbounded) or None)),
    ]


def _floats(values: Iterable[Decimal | None]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def _equity_section(review: _Review) -> str:
    title = "Equity against the floors"
    if not review.states:
        return _section(title, _empty("states", "No states were pushed in this period."))
    uri = charts.equity_chart(
        [s.as_of for s, _, _ in review.states],
        [float(s.equity) for s, _, _ in review.states],
        [float(s.balance) for s, _, _ in review.states],
        _floats(daily for _, daily, _ in review.states),
        _floats(max_loss for _, _, max_loss in review.states),
        review.risk.account.currency,
    )
    return _section(title, _image(title, uri))


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
        return _section(title, _empty("decisions", "No decisions were taken in this period."))
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
    return _section(title, _image(title, uri))


def _factors_section(review: _Review) -> str:
    title = "Sizing factors over time"
    names = list(dict.fromkeys(name for d in review.decisions for name in d.decision.factors))
    if not names:
        return _section(title, _empty("factors", "No decision in this period has factors."))
    series = {
        name: [
            float(d.decision.factors[name].value) if name in d.decision.factors else None
            for d in review.decisions
        ]
        for name in names
    }
    uri = charts.factors_chart([d.created_at for d in review.decisions], series)
    return _section(title, _image(title, uri))


def _correlation_section(review: _Review) -> str:
    title = "Correlation heat map"
    if review.correlation is None:
        sentence = "No correlation matrix is available for the symbols this account traded."
        return _section(title, _empty("correlation", sentence))
    version, matrix = review.correlation
    missing = sorted(set(review.traded) - set(matrix.symbols))
    note = f'<p class="note">Not in the matrix: {_e(", ".join(missing))}.</p>' if missing else ""
    uri = charts.correlation_chart(matrix.symbols, matrix.matrix, version)
    return _section(title, _image(title, uri), note)


_FORCED = ' class="forced"'


def _forced(events: Sequence[StoredEvent]) -> list[StoredEvent]:
    """Re-enables that overrode a firm's failure: a reviewer looks at these first."""
    return [e for e in events if e.kind == "enabled_forced"]


def _events_section(events: Sequence[StoredEvent]) -> str:
    title = "Rule events"
    if not events:
        return _section(title, _empty("events", "No rule events in this period."))
    rows = (
        f'<tr data-seq="{e.seq}"{_FORCED if e.kind == "enabled_forced" else ""}>'
        f"{_text_cell(_when(e.at))}{_text_cell(e.kind)}"
        f"{_text_cell(e.actor)}{_text_cell(e.reason)}</tr>"
        for e in events
    )
    return _section(title, _grid(("time", "kind", "actor", "reason"), rows))


def _decision_row(stored: StoredDecision) -> str:
    d = stored.decision
    codes = ", ".join(code.value for code in d.reject_codes)
    return (
        f'<tr class="{_e(d.status)}" data-id="{_e(stored.id)}">'
        f"{_text_cell(_when(stored.created_at))}{_text_cell(d.status)}{_text_cell(d.symbol)}"
        f"{_text_cell(d.side)}<td class='num'>{_e(d.lots)}</td>"
        f"<td class='num'>{_e(_money(d.risk_amount))}</td>"
        f"{_text_cell(d.binding)}{_text_cell(codes)}</tr>"
    )


def _decisions_section(decisions: Sequence[StoredDecision]) -> str:
    title = "Decisions"
    if not decisions:
        return _section(title, _empty("decision-table", "No decisions in this period."))
    headers = ("time", "status", "symbol", "side", "lots", "risk", "binding", "codes")
    return _section(title, _grid(headers, (_decision_row(d) for d in decisions)))
