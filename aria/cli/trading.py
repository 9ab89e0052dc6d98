"""``aria accounts``, ``aria state push`` and ``aria size``: the trading side of the CLI."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table

from aria.cli.firms import err, fail, failed, out
from aria.cli.ops import app_from

if TYPE_CHECKING:
    from aria.service.commands import Signal
    from aria.service.sessions import SessionView
    from aria.service.sizing import SizedDecision
    from firms.progress import Objectives

accounts_app = typer.Typer(
    help="Accounts: list, show, open, change, promote, reset, archive, disable and enable,"
    " cash flows.",
    no_args_is_help=True,
)
state_app = typer.Typer(help="Account state pushes.", no_args_is_help=True)


ModelT = TypeVar("ModelT", bound=BaseModel)


def validated(model: type[ModelT], data: dict[str, Any]) -> ModelT:
    """``model`` validated from ``data``; a problem is one line naming the field (exit 2)."""
    from aria.service.errors import plain

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        field, message = plain(exc)
        raise fail(f"{field or '(input)'}: {message}") from None


def run_service(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a use case; its errors become one clear line and the exit code of the error table."""
    from aria.api.error_table import TRANSLATED

    try:
        return call(*args, **kwargs)
    except TRANSLATED as exc:
        raise failed(exc) from None


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


@accounts_app.command("list")
def list_accounts(
    owner: Annotated[str | None, typer.Option(help="only this owner's accounts")] = None,
    firm: Annotated[str | None, typer.Option(help="only this firm's accounts")] = None,
    strategy: Annotated[str | None, typer.Option(help="only accounts of this strategy")] = None,
) -> None:
    """List accounts."""
    from aria.service import accounts as account_service

    app = app_from()
    found = run_service(
        account_service.list_accounts, app.context, owner=owner, firm=firm, strategy=strategy
    )
    table = Table(title="Accounts")
    for column in (
        "Id",
        "Owner",
        "Firm / plan / phase",
        "Size",
        "Profile",
        "Personality",
        "Trading",
    ):
        table.add_column(column)
    for account in found:
        table.add_row(
            account.id,
            account.owner,
            f"{account.firm} / {account.plan} / {account.phase}",
            f"{account.initial_balance:,} {account.currency}",
            account.profile,
            f"{account.personality.multiplier} ({account.personality.appetite.value})",
            account.trading.status.value
            + (f" ({account.trading.halt.value})" if account.trading.halt else ""),
        )
    out.print(table)
    app.close()


def wall(moment: dt.datetime, zone: str = "UTC") -> str:
    """A time as a wall clock in ``zone``, e.g. ``2026-12-07 16:00 America/Chicago``."""
    from zoneinfo import ZoneInfo

    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"


def window_line(view: SessionView, zone: str = "UTC") -> str:
    """The next window that blocks the account's entries, as a trader reads it."""
    where = f"{view.symbol} ({view.calendar})"
    blocked = view.blocked
    if blocked is None:
        return f"sessions for {where}: no blocking window in the next four days"
    codes = ", ".join(blocked.codes)
    return (
        f"sessions for {where}: entries refused from {wall(blocked.start, zone)} ({codes}):"
        f" {blocked.reasons[0]}"
    )


@accounts_app.command("show")
def show(account_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """One account with its floors and headroom now."""
    from aria.service import accounts as account_service
    from aria.service import calendar as calendar_service
    from aria.service import sessions as session_service

    app = app_from()
    risk = run_service(account_service.account_risk, app.context, account_id)
    account = risk.account
    zone = risk.rules.daily_reset.zone  # the firm's day: its times read in its zone
    out.print(
        f"[bold]{account.id}[/] of {account.owner}: {risk.rules.label} ({account.currency})",
        highlight=False,
    )
    out.print(
        f"trading: {account.trading.status.value} {account.trading.reason or ''}", highlight=False
    )
    out.print(
        f"daily loss: {risk.rules.daily_loss.describe()};"
        f" max loss: {risk.rules.max_loss.describe()}",
        highlight=False,
    )
    if risk.rules.cash_flows is not None:
        out.print(f"cash flows: {risk.rules.cash_flows.describe()}", highlight=False)
    if risk.cash.payouts or risk.cash.requests or risk.cash.net:
        fixed = risk.cash.max_loss_floor
        out.print(
            f"net cash flow {_money(risk.cash.net)}; payouts {risk.cash.payouts} paid,"
            f" {risk.cash.requests} requested"
            + ("" if fixed is None else f"; max-loss floor set to {_money(fixed)}"),
            highlight=False,
        )
    limits = risk.rules.limits
    escalation = limits.risk_escalation if limits is not None else None
    cap = risk.open_risk_cap
    if escalation is not None and cap is not None:
        out.print(
            f"open-risk cap {_money(cap)}; violations {risk.risk_violations}"
            f" (from violation {escalation.after} the firm holds the account to"
            f" {escalation.max_open_risk.describe()})",
            highlight=False,
        )
    if risk.state is None:
        out.print("no state pushed yet", highlight=False)
    else:
        out.print(
            f"as of {wall(risk.state.as_of, zone)}: balance {_money(risk.state.balance)},"
            f" equity {_money(risk.state.equity)}",
            highlight=False,
        )
        assert risk.floors is not None
        assert risk.headroom is not None
        floors = ", ".join(f"{name} {_money(level)}" for name, level in risk.floors.named().items())
        out.print(f"floors: {floors}", highlight=False)
        out.print(
            f"headroom: {_money(risk.headroom.available)} (binding: {risk.headroom.binding};"
            f" open risk {_money(risk.headroom.open_risk)},"
            f" reserved {_money(risk.headroom.reserved)})",
            highlight=False,
        )
    window = run_service(
        calendar_service.next_window, app.context, account, app.context.clock.now()
    )
    if window is not None:
        out.print(
            f"next news window: {window.describe()}; {', '.join(window.rule.actions)} inside it:"
            f" {window.rule.effect.replace('_', ' ')}",
            highlight=False,
        )
    progress = run_service(account_service.account_objectives, app.context, account_id)
    for line in objective_lines(progress, zone):
        out.print(line, highlight=False)
    view = run_service(session_service.account_sessions, app.context, account_id)
    out.print(window_line(view, zone), highlight=False)
    app.close()


def objective_lines(found: Objectives, zone: str = "UTC") -> list[str]:
    """The phase's objectives as a trader reads them: target, trading days, time, best day."""
    if found.target is None:
        target = "no profit target"
    else:
        basis = (found.target_on or "balance").replace("_", " ")
        target = f"target {_money(found.target)} on {basis}"
        if found.profit is not None:
            left = "reached" if found.target_reached else f"{_money(found.to_target)} to go"
            target += f": trading profit {_money(found.profit)}, {left}"
    days = f"trading days {found.trading_days}"
    if found.min_trading_days:
        days += f" of {found.min_trading_days}"
    limit = (
        f"ends {wall(found.ends_at, zone)}{' (expired)' if found.expired else ''}"
        if found.ends_at is not None
        else "no time limit"
    )
    lines = [f"objectives ({found.phase}): {target}; {days}; {limit}"]
    for rule in found.consistency:
        since = (
            f"since the payout of {wall(rule.window_start, zone)}: " if rule.window_start else ""
        )
        lines.append(f"{since}{rule.summary}")
    if found.passed:
        lines.append("every objective of the phase is met: ready to promote")
    return lines


@accounts_app.command("create")
def create(
    account_id: Annotated[str, typer.Option("--id", help="the account id")],
    owner: Annotated[str, typer.Option(help="the trader who owns it")],
    firm: Annotated[str, typer.Option(help="firm id, e.g. ftmo")],
    plan: Annotated[str, typer.Option(help="plan id, e.g. 2-step")],
    size: Annotated[str, typer.Option(help="account size (initial balance)")],
    phase: Annotated[str | None, typer.Option(help="default: the plan's first phase")] = None,
    profile: Annotated[str, typer.Option(help="sizing preset")] = "aria",
    strategy: Annotated[str | None, typer.Option(help="the strategy it trades")] = None,
    household: Annotated[
        str | None, typer.Option(help="the household the firm counts the owner in")
    ] = None,
    personality: Annotated[
        str | None, typer.Option(help="a multiplier such as 0.9, or 'seeded'")
    ] = None,
    label: Annotated[str, typer.Option(help="a label")] = "",
    symbols: Annotated[
        str | None, typer.Option(help="trade only these symbols (comma-separated)")
    ] = None,
    asset_classes: Annotated[
        str | None, typer.Option(help="trade only these asset classes, e.g. fx,metal")
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option(help="a checkout option NAME=VALUE (repeatable)")
    ] = None,
) -> None:
    """Open an account under a firm's plan; warns when it puts its owner or household past
    the firm's cap on accounts."""
    from aria.service import accounts as account_service
    from aria.service.commands import CreateAccount

    choice = _personality(personality)
    command = validated(
        CreateAccount,
        {
            "id": account_id,
            "owner": owner,
            "firm": firm,
            "plan": plan,
            "size": size,
            "phase": phase,
            "profile": profile,
            "strategy": strategy,
            "household": household,
            "personality": choice,
            "label": label,
            "instruments": _instruments(symbols, asset_classes),
            "options": _options(option),
        },
    )
    app = app_from()
    account = run_service(account_service.create_account, app.context, command)
    out.print(
        f"opened {account.id} ({account.firm}/{account.plan} {account.phase},"
        f" {account.initial_balance:,});"
        f" personality {account.personality.multiplier}",
        highlight=False,
    )
    # Not refused: the account exists at the firm already; the trader is told what it breaks.
    for warning in run_service(account_service.account_cap_warnings, app.context, account.id):
        out.print(f"warning: {warning}", highlight=False)
    app.close()


def _listed(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _instruments(symbols: str | None, asset_classes: str | None) -> dict[str, Any] | None:
    if symbols is None and asset_classes is None:
        return None
    return {"symbols": _listed(symbols), "asset_classes": _listed(asset_classes)}


def _options(pairs: list[str] | None) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep:
            raise typer.BadParameter(
                f"{pair!r}: give an option as NAME=VALUE", param_hint="--option"
            )
        options[name.strip()] = value.strip()
    return options


@accounts_app.command("update")
def update(
    account_id: Annotated[str, typer.Argument(metavar="ID")],
    label: Annotated[str | None, typer.Option(help="a new label")] = None,
    profile: Annotated[str | None, typer.Option(help="a new sizing preset")] = None,
    strategy: Annotated[str | None, typer.Option(help="a new strategy")] = None,
    no_strategy: Annotated[
        bool, typer.Option("--no-strategy", help="clear the account's strategy")
    ] = False,
    household: Annotated[str | None, typer.Option(help="a new household")] = None,
    no_household: Annotated[
        bool, typer.Option("--no-household", help="count the account by its owner alone")
    ] = False,
    personality: Annotated[
        str | None, typer.Option(help="a new multiplier such as 0.9, or 'seeded'")
    ] = None,
    symbols: Annotated[
        str | None, typer.Option(help="trade only these symbols (comma-separated)")
    ] = None,
    asset_classes: Annotated[
        str | None, typer.Option(help="trade only these asset classes, e.g. fx,metal")
    ] = None,
    all_instruments: Annotated[
        bool, typer.Option("--all-instruments", help="lift the account's own narrowing")
    ] = False,
    option: Annotated[
        list[str] | None,
        typer.Option(help="a checkout option NAME=VALUE (repeatable; replaces all chosen)"),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="why (recorded)")] = None,
    actor: Annotated[str, typer.Option(help="who (recorded)")] = "cli",
    alias: Annotated[
        list[str] | None,
        typer.Option(
            help="the broker's name for an instrument, BROKER=ARIA such as US30.cash=US30"
            " (repeatable; adds to the account's aliases)"
        ),
    ] = None,
    no_aliases: Annotated[
        bool, typer.Option("--no-aliases", help="remove the account's symbol aliases")
    ] = False,
) -> None:
    """Change an account's label, profile, strategy, household, personality, what it may
    trade, its checkout options or its broker symbol aliases; each change is recorded with
    who and why."""
    from aria.service import accounts as account_service
    from aria.service.commands import UpdateAccount

    body: dict[str, Any] = {"actor": actor, "reason": reason}
    if label is not None:
        body["label"] = label
    if profile is not None:
        body["profile"] = profile
    if no_strategy:
        body["strategy"] = None
    elif strategy is not None:
        body["strategy"] = strategy
    if no_household:
        body["household"] = None
    elif household is not None:
        body["household"] = household
    if personality is not None:
        body["personality"] = _personality(personality)
    if all_instruments:
        body["instruments"] = None
    elif symbols is not None or asset_classes is not None:
        body["instruments"] = _instruments(symbols, asset_classes)
    if option is not None:
        body["options"] = _options(option)
    app = app_from()
    if alias is not None or no_aliases:
        kept = (
            {}
            if no_aliases
            else run_service(account_service.get_account, app.context, account_id).symbol_aliases
        )
        body["symbol_aliases"] = {**kept, **_aliases(alias or [])}
    command = validated(UpdateAccount, body)
    account = run_service(account_service.update_account, app.context, account_id, command)
    if alias is not None or no_aliases:
        named = ", ".join(f"{k}={v}" for k, v in account.symbol_aliases.items()) or "none"
        out.print(f"{account.id}: symbol aliases {named}", highlight=False)
    narrowed = account.instruments.describe() if account.instruments else "all its firm allows"
    chosen = ", ".join(f"{k}={v}" for k, v in account.options.items()) or "the firm's defaults"
    out.print(
        f"{account.id} ({account.label or 'no label'}): profile {account.profile};"
        f" strategy {account.strategy or '—'}; personality {account.personality.multiplier};"
        f" trades {narrowed}; options {chosen}"
        + (f"; household {account.household}" if account.household else ""),
        highlight=False,
    )
    app.close()


def _aliases(given: list[str]) -> dict[str, str]:
    """``BROKER=ARIA`` pairs as a mapping; a pair without ``=`` is a usage error."""
    found: dict[str, str] = {}
    for pair in given:
        broker, sep, symbol = pair.partition("=")
        if not sep or not broker.strip() or not symbol.strip():
            raise typer.BadParameter(
                f"{pair!r}: give the broker's symbol and ARIA's, e.g. US30.cash=US30",
                param_hint="--alias",
            )
        found[broker.strip().upper()] = symbol.strip().upper()
    return found


def _personality(text: str | None) -> str | None:
    # The API's vocabulary: "seeded" or a number (the command model reads both).
    return text


def _set_trading(
    account_id: str, enabled: bool, reason: str, actor: str, force: bool = False
) -> None:
    from aria.service import accounts as account_service
    from aria.service.commands import SetTrading

    app = app_from()
    command = validated(
        SetTrading, {"enabled": enabled, "actor": actor, "reason": reason, "force": force}
    )
    account = run_service(account_service.set_trading, app.context, account_id, command)
    out.print(
        f"{account.id}: {account.trading.status.value} — {account.trading.reason}", highlight=False
    )
    app.close()


@accounts_app.command("disable")
def disable(
    account_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option(help="why (recorded)")],
    actor: Annotated[str, typer.Option(help="who (recorded)")] = "cli",
) -> None:
    """Halt an account by hand."""
    _set_trading(account_id, False, reason, actor)


@accounts_app.command("enable")
def enable(
    account_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option(help="why (recorded)")],
    actor: Annotated[str, typer.Option(help="who (recorded)")] = "cli",
    force: Annotated[
        bool, typer.Option("--force", help="re-enable an account its firm failed (recorded)")
    ] = False,
) -> None:
    """Re-enable an account; one its firm failed needs --force with a reason."""
    _set_trading(account_id, True, reason, actor, force)


@accounts_app.command("cash-flow")
def cash_flow(
    account_id: Annotated[str, typer.Argument(metavar="ID")],
    kind: Annotated[str, typer.Option(help="deposit, payout_requested, payout, fee or scaling")],
    amount: Annotated[str, typer.Option(help="the amount, always positive")],
    at: Annotated[
        str | None, typer.Option("--at", help="ISO time with offset; default: now")
    ] = None,
    reference: Annotated[str | None, typer.Option(help="the firm's or broker's id")] = None,
    note: Annotated[str | None, typer.Option(help="a note (recorded)")] = None,
    actor: Annotated[str, typer.Option(help="who (recorded)")] = "cli",
) -> None:
    """Record a deposit, payout, fee or scaling: never a trading loss or profit; the firm's
    rule moves the floors."""
    from aria.service import accounts as account_service
    from aria.service.commands import RecordCashFlow

    body: dict[str, Any] = {"kind": kind, "amount": amount, "actor": actor}
    for name, value in (("at", at), ("reference", reference), ("note", note)):
        if value is not None:
            body[name] = value
    command = validated(RecordCashFlow, body)
    app = app_from()
    result = run_service(account_service.record_cash_flow, app.context, account_id, command)
    floors = (
        ", ".join(f"{name} {_money(level)}" for name, level in result.floors.named().items())
        if result.floors
        else "none yet (no state pushed)"
    )
    out.print(
        f"{account_id}: {command.kind.value} of {_money(command.amount)} recorded; balance"
        f" {_money(result.balance)}; net cash flow {_money(result.cash.net)}; floors {floors};"
        f" {result.account.trading.status.value}",
        highlight=False,
    )
    if result.account.trading.reason and result.account.trading.halt is not None:
        out.print(f"[red]{result.account.trading.reason}[/]", highlight=False)
    app.close()


@state_app.command("push")
def push(
    account_id: Annotated[str, typer.Argument(metavar="ID")],
    balance: Annotated[str, typer.Option(help="balance")],
    equity: Annotated[str, typer.Option(help="equity (floating P&L included)")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="ISO time with offset; default: now")
    ] = None,
    positions: Annotated[
        Path | None, typer.Option(help="a JSON file with the open positions")
    ] = None,
) -> None:
    """Push the broker's balance, equity and open positions."""
    from aria.service import accounts as account_service
    from aria.service.commands import PushState

    held: list[Any] = []
    if positions is not None:
        try:
            held = json.loads(positions.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise fail(f"{positions}: {exc}") from None
        except RecursionError:
            raise fail(f"{positions}: nests too deeply to be a list of positions") from None
    when = as_of or dt.datetime.now(dt.UTC).isoformat()
    command = validated(
        PushState, {"balance": balance, "equity": equity, "as_of": when, "positions": held}
    )
    app = app_from()
    result = run_service(account_service.push_state, app.context, account_id, command)
    floors = ", ".join(f"{name} {_money(level)}" for name, level in result.floors.named().items())
    out.print(
        f"{account_id}: {result.account.trading.status.value}; floors {floors}", highlight=False
    )
    for breach in result.breaches:
        out.print(f"[red]{breach.describe()}[/]", highlight=False)
    app.close()


# ``aria size`` exit codes, for scripts: bad input and errors keep the error table's codes.
EXIT_APPROVED = 0  # at least one account approved
EXIT_ALL_REJECTED = 3  # every account was rejected

# What each reject code means, for tables that show codes without their reasons.
CODE_WORDS = {
    "daily_loss_headroom": "no room under the daily loss floor",
    "max_loss_headroom": "no room under the maximum loss floor",
    "floating_loss_headroom": "no room under the floating loss limit",
    "stale_data": "account state or market data missing or too old",
    "halted": "the account is halted",
    "account_archived": "the account is archived",
    "account_closed": "the firm closed the account",
    "reducing_only": "the account may only reduce exposure",
    "below_min_lot": "the size left is below the minimum lot",
    "stop_too_close": "the stop is too close to the entry",
    "market_closed": "the market is closed",
    "news_window": "inside a news window",
    "instrument_not_allowed": "the account may not trade this instrument",
    "missing_conversion_rate": "a conversion rate is missing",
}


def code_words(code: str) -> str:
    """A reject code as words a trader reads."""
    return CODE_WORDS.get(code, code.replace("_", " "))


def lots_text(lots: Decimal, step: Decimal | None = None) -> str:
    """Lots on their lot step (or as given when the step is unknown), never in exponent form."""
    if step is not None and step > 0:
        lots = (lots / step).to_integral_value(rounding="ROUND_DOWN") * step
        return f"{lots.quantize(step.normalize()) if lots else Decimal(0):f}"
    return f"{lots.normalize():f}"


def price_text(price: Decimal | None) -> str:
    """A price on its tick grid as decided, without trailing zeros or an exponent."""
    return "—" if price is None else f"{price.normalize():f}"


def reason_lines(sized: list[SizedDecision]) -> list[str]:
    """Every decision's reasons in words, under the table: why each was refused or clipped."""
    lines = []
    for item in sized:
        d = item.decision
        if d.approved:
            if d.binding:
                lines.append(f"{d.account_id}: approved; binding limit: {d.binding}")
            continue
        for reason in d.reasons or [code_words(c) for c in d.reject_codes]:
            lines.append(f"{d.account_id}: {reason}")
    return lines


def decisions_table(sized: list[SizedDecision], title: str = "Decisions") -> Table:
    """A rich table of decisions: status, size, risk, binding constraint, factors, codes."""
    table = Table(title=title)
    for column in (
        "Account",
        "Symbol",
        "Status",
        "Lots",
        "Risk",
        "Stop",
        "Binding",
        "Factors",
        "Codes",
    ):
        table.add_column(column, overflow="fold")
    for item in sized:
        d = item.decision
        factors = " ".join(
            f"{name} {factor.value.quantize(Decimal('0.0001')).normalize():f}"
            for name, factor in d.factors.items()
        )
        table.add_row(
            d.account_id,
            f"{d.side} {d.symbol}",
            "[green]approved[/]" if d.approved else "[red]rejected[/]",
            lots_text(d.lots),
            _money(d.risk_amount),
            price_text(d.stop),
            d.binding or "—",
            factors or "—",
            " ".join(d.reject_codes) or "—",
        )
    return table


def size(
    account: Annotated[
        list[str] | None, typer.Option("--account", "-a", help="an account id (repeatable)")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="select every account of this owner")] = None,
    firm: Annotated[str | None, typer.Option(help="select every account at this firm")] = None,
    strategy: Annotated[
        str | None, typer.Option(help="the signal's strategy (also a selector)")
    ] = None,
    symbol: Annotated[str, typer.Option(help="instrument, e.g. EURUSD")] = "",
    side: Annotated[str, typer.Option(help="long or short")] = "",
    entry: Annotated[str, typer.Option(help="entry price")] = "",
    stop: Annotated[str | None, typer.Option(help="stop price")] = None,
    stop_atr: Annotated[
        str | None, typer.Option("--stop-atr", help="stop at this many ATRs")
    ] = None,
    take_profit: Annotated[
        str | None, typer.Option("--take-profit", help="take-profit price")
    ] = None,
    confidence: Annotated[str | None, typer.Option(help="signal confidence, 0 to 1")] = None,
    spread: Annotated[
        str | None, typer.Option(help="the current spread; no stop may be nearer than a few")
    ] = None,
    request_id: Annotated[
        str | None, typer.Option("--request-id", help="idempotency key; default: new")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the decisions as JSON")] = False,
    preview: Annotated[
        bool,
        typer.Option(
            "--preview", help="show what sizing would answer, reserving and recording nothing"
        ),
    ] = False,
    atr: Annotated[
        str | None,
        typer.Option(help="size with this ATR instead of the one computed from stored bars"),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="size with the ATR of the stored bars up to this time (ISO, e.g."
            " 2018-12-20T12:00Z): a historical date",
        ),
    ] = None,
) -> None:
    """Size one signal for accounts (ids, or a selector by owner, firm or strategy).

    Exit codes: 0 when at least one account approved, 3 when every account was rejected,
    2 when the request cannot be carried out (bad input, an unknown account, the database
    away), 1 on an unexpected error.
    """
    from aria.service import sizing as sizing_service
    from aria.service.commands import Signal, SizeRequest

    selector = (
        None
        if account
        else {k: v for k, v in (("owner", owner), ("firm", firm), ("strategy", strategy)) if v}
    )
    signal = {
        "accounts": account or selector or {},
        "symbol": symbol,
        "side": side,
        "entry": entry,
        "stop": stop,
        "stop_atr_multiple": stop_atr,
        "take_profit": take_profit,
        "confidence": confidence,
        "strategy": strategy,
        "spread": spread,
        "atr": atr,
    }
    if as_of is not None and atr is not None:
        raise fail("give either --atr or --as-of, not both")
    if preview:
        checked = validated(Signal, signal)
        if as_of is not None:
            checked = checked.model_copy(update={"atr": _atr_as_of(checked.symbol, as_of)})
        _preview(checked, as_json)
        return
    command = validated(
        SizeRequest, {"request_id": request_id or f"cli-{uuid.uuid4().hex}", **signal}
    )
    if as_of is not None:
        command = command.model_copy(update={"atr": _atr_as_of(command.symbol, as_of)})
    app = app_from()
    result = run_service(sizing_service.size, app.context, command)
    if as_json:
        body = {
            "request_id": result.request_id,
            "replayed": result.replayed,
            "decisions": [
                {"decision_id": d.decision_id, **d.decision.model_dump(mode="json")}
                for d in result.decisions
            ],
        }
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        out.print(
            decisions_table(
                result.decisions,
                f"Request {result.request_id}" + (" (replayed)" if result.replayed else ""),
            )
        )
        for line in reason_lines(result.decisions):
            out.print(line, highlight=False, markup=False)
    app.close()
    if not any(item.decision.approved for item in result.decisions):
        raise typer.Exit(EXIT_ALL_REJECTED)


def _atr_as_of(symbol: str, text: str) -> Decimal:
    """The ATR of ``symbol`` from the bars stored up to the time ``text`` names."""
    from aria.service import market as market_service

    try:
        at = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise fail(f"--as-of: {text!r} is not a time such as 2018-12-20T12:00Z") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    app = app_from()
    try:
        found: Decimal = run_service(market_service.atr_as_of, app.context, symbol, at)
    finally:
        app.close()
    # On stderr: what --json prints on stdout stays one JSON document.
    err.print(f"ATR of {symbol} as of {at:%Y-%m-%d %H:%M} UTC: {found:.6g}", highlight=False)
    return found


def session_lines(sized: list[SizedDecision]) -> list[str]:
    """Why each decision a time rule or a closed market refused was refused."""
    from aria.sizing.sessions import SESSION_PREFIX

    return [
        f"{item.decision.account_id}: {reason}"
        for item in sized
        for reason in item.decision.reasons
        if reason.startswith(SESSION_PREFIX)
    ]


def _preview(signal: Signal, as_json: bool) -> None:
    from aria.service import sizing as sizing_service

    app = app_from()
    as_of, rows = run_service(sizing_service.preview, app.context, signal)
    app.close()
    if as_json:
        body = {
            "as_of": as_of.isoformat(),
            "accounts": [
                {
                    "account_id": r.account_id,
                    "status": r.status,
                    "lots": str(r.lots),
                    "reject_codes": [c.value for c in r.reject_codes],
                    "binding": r.binding,
                }
                for r in rows
            ],
        }
        typer.echo(json.dumps(body, indent=2))
        if rows and not any(r.status == "approved" for r in rows):
            raise typer.Exit(EXIT_ALL_REJECTED)
        return
    table = Table(title=f"Preview at {as_of:%Y-%m-%d %H:%M:%S} UTC — nothing reserved or recorded")
    for column in ("Account", "Status", "Lots", "Binding", "Codes", "Why"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r.account_id,
            "[green]approved[/]" if r.status == "approved" else "[red]rejected[/]",
            lots_text(r.lots),
            r.binding or "—",
            " ".join(r.reject_codes) or "—",
            "; ".join(code_words(c) for c in r.reject_codes) or "—",
        )
    out.print(table)
    if rows and not any(r.status == "approved" for r in rows):
        raise typer.Exit(EXIT_ALL_REJECTED)
