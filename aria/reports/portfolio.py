"""The portfolio report: every account of one owner on one self-contained HTML page.

A summary table (one row per account: firm, plan, phase, balance, equity, the distance to
each floor, headroom, open risk, trading state, objectives), totals per firm and currency
(amounts in different currencies are never added together), the owner's latest rule events
and a section per account. The figures are the headroom endpoint's: both read them from
:func:`aria.service.accounts.account_risk` and :func:`~aria.service.accounts.account_objectives`.

Each account's fields are prefixed with ``<account id>:`` (``ftmo-1:headroom-available``; in
its own section, the headroom's again with ``<account id>:detail:``), the totals' with
``total:<firm>:<currency>:`` and ``total:<currency>:``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from accounts.model import Account
from aria.audit.notices import DEFAULT_KINDS
from aria.reports import charts
from aria.reports.compliance import headroom_rows, objective_bars, positions_section
from aria.reports.markup import (
    NONE,
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
from aria.service import reports as report_service
from aria.service.accounts import RiskView
from aria.service.context import Context
from aria.service.errors import NotFound
from aria.service.ports import StoredEvent
from firms.progress import Objectives

EVENTS_SHOWN = 50
_FLOORS = (("daily_loss", "daily"), ("max_loss", "max"), ("floating_loss", "floating"))


@dataclass(frozen=True)
class _Line:
    """One account as the portfolio shows it."""

    risk: RiskView
    progress: Objectives

    @property
    def account(self) -> Account:
        """The account itself."""
        return self.risk.account

    @property
    def key(self) -> str:
        """The prefix of the account's fields."""
        return f"{self.account.id}:"


@dataclass
class _Total:
    """Sums over the accounts of one firm (or all firms) in one currency."""

    accounts: int = 0
    without_state: int = 0
    balance: Decimal = Decimal(0)
    equity: Decimal = Decimal(0)
    headroom: Decimal = Decimal(0)
    open_risk: Decimal = Decimal(0)

    def add(self, line: _Line) -> None:
        """Count one account; one without a state adds to the count only."""
        self.accounts += 1
        state, room = line.risk.state, line.risk.headroom
        if state is None or room is None:
            self.without_state += 1
            return
        self.balance += state.balance
        self.equity += state.equity
        self.headroom += room.available
        self.open_risk += room.open_risk


def portfolio_report(ctx: Context, owner: str) -> str:
    """Every account of ``owner`` as one self-contained HTML page (:class:`NotFound` when the
    owner has no account)."""
    accounts = account_service.list_accounts(ctx, owner=owner)
    if not accounts:
        raise NotFound(f"owner {owner!r} has no accounts")
    lines = [
        _Line(
            account_service.account_risk(ctx, account.id),
            account_service.account_objectives(ctx, account.id),
        )
        for account in sorted(accounts, key=lambda a: (a.firm, a.id))
    ]
    now = report_service.account_life(ctx, lines[0].account.id).now
    events = report_service.recent_events(ctx, owner, EVENTS_SHOWN)
    sections = [
        _contents(lines),
        _summary(lines, now),
        _rooms(lines),
        _totals(lines),
        _events(events),
        *(_account(line, now) for line in lines),
    ]
    return document(f"Portfolio — {owner}", sections)


def _anchor(account_id: str) -> str:
    return f"account-{account_id}"


def _link(account_id: str) -> str:
    return f'<a href="#{esc(_anchor(account_id))}">{esc(account_id)}</a>'


def _contents(lines: Sequence[_Line]) -> str:
    items = "".join(
        f"<li>{_link(line.account.id)} — {esc(line.risk.rules.firm_name)} "
        f"{esc(line.risk.rules.plan_name)}, {esc(line.account.phase)}</li>"
        for line in lines
    )
    return f'<nav aria-label="accounts"><h2>Accounts</h2><ul>{items}</ul></nav>'


def _distances(line: _Line) -> str:
    """Each floor's distance from equity, one per line, each a machine-findable value."""
    room = line.risk.headroom
    if room is None:
        return f"<td>{NONE}</td>"
    parts = [
        f'<span data-field="{esc(line.key)}distance-{name}" data-value="{esc(distance)}">'
        f"{esc(short)} {esc(money(distance))}</span>"
        for name, short in _FLOORS
        if (distance := room.distances.get(name)) is not None
    ]
    return f'<td class="num">{"<br>".join(parts)}</td>'


def _objectives_text(found: Objectives) -> str:
    parts = []
    if found.target is not None and found.target > 0:
        made = found.profit if found.profit is not None else Decimal(0)
        parts.append(f"target {percent(made, found.target)} %")
    if found.min_trading_days:
        parts.append(f"days {found.trading_days}/{found.min_trading_days}")
    if found.ends_at is not None:
        parts.append("expired" if found.expired else f"ends {found.ends_at.date().isoformat()}")
    parts += [
        f"best day {NONE if c.share_pct is None else f'{c.share_pct:.1f}'} % of {c.limit_pct} %"
        for c in found.consistency
    ]
    if found.passed:
        parts.append("met")
    return "; ".join(parts) or "none in this phase"


def _money_field(name: str, value: Decimal | None) -> str:
    return field(name, value, money(value))


def _summary_row(line: _Line) -> str:
    risk, key = line.risk, line.key
    state, room = risk.state, risk.headroom
    trading = risk.account.trading
    status = trading.status.value + (f" ({trading.halt.value})" if trading.halt else "")
    progress = _objectives_text(line.progress)
    return (
        f'<tr><th scope="row">{_link(line.account.id)}</th>'
        f"{text_cell(risk.rules.firm_name)}{text_cell(risk.rules.plan_name)}"
        f"{text_cell(line.account.phase)}{text_cell(line.account.currency)}"
        f"{_money_field(f'{key}balance', state.balance if state else None)}"
        f"{_money_field(f'{key}equity', state.equity if state else None)}"
        f"{_distances(line)}"
        f"{_money_field(f'{key}headroom-available', room.available if room else None)}"
        f"{_money_field(f'{key}headroom-open-risk', room.open_risk if room else None)}"
        f"{field(f'{key}trading-status', trading.status.value, status, numeric=False)}"
        f"{field(f'{key}objectives-met', line.progress.passed, progress, numeric=False)}"
        "</tr>"
    )


def _summary(lines: Sequence[_Line], now: dt.datetime) -> str:
    headers = (
        "account",
        "firm",
        "plan",
        "phase",
        "currency",
        "balance",
        "equity",
        "distance to each floor",
        "headroom",
        "open risk",
        "trading",
        "objectives",
    )
    note = (
        f'<p class="note">As of {esc(when(now))}; balance and equity as of each account\'s '
        "latest state. A dash: no state has been pushed.</p>"
    )
    return section("Summary", grid(headers, (_summary_row(line) for line in lines)), note)


def _share(value: Decimal, size: Decimal) -> float:
    return float(value * 100 / size)


def _rooms(lines: Sequence[_Line]) -> str:
    """A bar per account: how far equity stands above its nearest floor, and what uses it."""
    title = "Distance to the nearest floor"
    rooms = []
    for line in lines:
        room, size = line.risk.headroom, line.risk.rules.size
        if room is None or size <= 0:
            continue
        rooms.append(
            charts.Room(
                name=line.account.id,
                distance=_share(room.distances[room.binding], size),
                open_risk=_share(room.open_risk, size),
                held_back=_share(room.reserved + room.buffer, size),
                available=_share(room.available, size),
            )
        )
    if not rooms:
        return section(title, empty("rooms", "No account has a state yet."))
    alt = f"{title}, in % of each account's size: " + "; ".join(
        f"{r.name} {r.distance:.2f} % above it, {r.open_risk:.2f} % at risk to the stops, "
        f"{r.available:.2f} % headroom"
        for r in rooms
    )
    left = len(lines) - len(rooms)
    note = f'<p class="note">{left} account(s) without a state are not drawn.</p>' if left else ""
    return section(title, image(alt, charts.data_uri(charts.room_figure(rooms))), note)


def _total_row(label: str, currency: str, total: _Total, key: str) -> str:
    return (
        f'<tr><th scope="row">{esc(label)}</th>{text_cell(currency)}'
        f"{field(f'{key}accounts', total.accounts)}"
        f"{field(f'{key}balance', total.balance, money(total.balance))}"
        f"{field(f'{key}equity', total.equity, money(total.equity))}"
        f"{field(f'{key}headroom', total.headroom, money(total.headroom))}"
        f"{field(f'{key}open-risk', total.open_risk, money(total.open_risk))}"
        f"{field(f'{key}without-state', total.without_state)}</tr>"
    )


def _totals(lines: Sequence[_Line]) -> str:
    by_firm: dict[tuple[str, str], _Total] = {}
    by_currency: dict[str, _Total] = {}
    for line in lines:
        currency = line.account.currency
        by_firm.setdefault((line.account.firm, currency), _Total()).add(line)
        by_currency.setdefault(currency, _Total()).add(line)
    names = {line.account.firm: line.risk.rules.firm_name for line in lines}
    rows = [
        _total_row(names[firm], currency, total, f"total:{firm}:{currency}:")
        for (firm, currency), total in sorted(by_firm.items())
    ]
    rows += [
        _total_row("all firms", currency, total, f"total:{currency}:")
        for currency, total in sorted(by_currency.items())
    ]
    headers = (
        "firm",
        "currency",
        "accounts",
        "balance",
        "equity",
        "headroom",
        "open risk",
        "accounts without a state",
    )
    note = (
        '<p class="note">Amounts in different currencies are never added together: each '
        "currency has its own total. Accounts without a state count in the number of accounts "
        "only.</p>"
    )
    return section("Totals by firm and currency", grid(headers, rows), note)


def _events(events: Sequence[StoredEvent]) -> str:
    title = "Latest alerts and rule events"
    if not events:
        return section(title, empty("events", "No rule events yet (daily resets aside)."))
    rows = (
        f'<tr data-seq="{e.seq}"{_FORCED if e.kind in _ALARMS else ""}>'
        f"{text_cell(when(e.at))}<td>{_link(e.account_id)}</td>{text_cell(e.kind)}"
        f"{text_cell(e.actor)}{text_cell(e.reason)}</tr>"
        for e in events
    )
    note = (
        f'<p class="note">The latest {EVENTS_SHOWN} at most, newest first; breaches and '
        "overrides are highlighted. Daily resets and day openings are left out.</p>"
    )
    return section(title, grid(("time", "account", "kind", "actor", "reason"), rows), note)


# Highlighted as the compliance report highlights overrides: the kinds a trader is alerted
# to, and an operator overriding a failure.
_ALARMS = frozenset(DEFAULT_KINDS) | {"enabled_forced"}
_FORCED = ' class="forced"'


def _account(line: _Line, now: dt.datetime) -> str:
    risk, key = line.risk, line.key
    account = line.account
    facts = [
        row("owner", text_cell(account.owner)),
        row("firm / plan", text_cell(f"{risk.rules.firm_name} / {risk.rules.plan_name}")),
        row("rulebook", text_cell(risk.rules.label)),
        row("phase", text_cell(account.phase)),
        row("as of", text_cell(when(risk.state.as_of) if risk.state else None)),
    ]
    if risk.headroom is not None:
        # The summary row holds the account's headroom fields; these repeat them in full.
        facts += headroom_rows(risk.headroom, f"{key}detail:")
    objectives = objective_bars(line.progress, now, key)
    parts = [
        key_values(facts),
        positions_section(risk, key, level=3),
        section(
            "Objectives",
            key_values(objectives) if objectives else "<p>No objective in this phase.</p>",
            level=3,
        ),
        f'<p class="note">Full review: <code>aria report --account {esc(account.id)}</code>.</p>',
    ]
    title = f"{account.id} — {risk.rules.firm_name} {risk.rules.plan_name}, {account.phase}"
    return section(title, *parts, anchor=_anchor(account.id))
