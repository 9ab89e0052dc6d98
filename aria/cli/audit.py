"""``aria audit``, ``aria report`` and ``aria keys``: compliance on the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from aria.cli.firms import fail, out
from aria.cli.ops import app_from
from aria.cli.trading import run_service

if TYPE_CHECKING:
    from aria.audit.filters import DecisionFilter
    from aria.service import audit
    from aria.service.context import Context

audit_app = typer.Typer(help="Compliance audit: query, verify, export.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)

Account = Annotated[str | None, typer.Option(help="one account")]
Owner = Annotated[str | None, typer.Option(help="one owner's accounts")]
Firm = Annotated[str | None, typer.Option(help="one firm's accounts")]
Since = Annotated[
    str | None, typer.Option("--from", help="from this time (ISO; UTC when no offset)")
]
Until = Annotated[
    str | None, typer.Option("--to", help="up to this time (ISO; UTC when no offset)")
]
Limit = Annotated[int, typer.Option(help="at most this many records")]


def parse_time(text: str | None, option: str) -> dt.datetime | None:
    """An aware datetime from ISO text (a date means its midnight UTC)."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise fail(f"{option}: {text!r} is not an ISO date or time") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _decisions(ctx: Context, filters: DecisionFilter, limit: int | None) -> list[Any]:
    from aria.service import audit

    found: list[Any] = []
    cursor = None
    while limit is None or len(found) < limit:
        step = audit.MAX_PAGE if limit is None else min(audit.MAX_PAGE, limit - len(found))
        page = run_service(audit.query_decisions, ctx, filters, cursor, step)
        found += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    return found


def _decision_row(stored: Any) -> dict[str, Any]:
    d = stored.decision
    return {
        "decision_id": stored.id,
        "created_at": stored.created_at.isoformat(),
        "account_id": stored.account_id,
        "request_id": stored.request_id,
        "seq": stored.seq,
        "status": d.status,
        "symbol": d.symbol,
        "side": d.side,
        "lots": str(d.lots),
        "risk_amount": str(d.risk_amount),
        "binding": d.binding or "",
        "reject_codes": " ".join(d.reject_codes),
        "input_hash": d.input_hash,
    }


@audit_app.command("query")
def query(
    account: Account = None,
    owner: Owner = None,
    firm: Firm = None,
    symbol: Annotated[str | None, typer.Option(help="one symbol")] = None,
    strategy: Annotated[str | None, typer.Option(help="one strategy")] = None,
    status: Annotated[str | None, typer.Option(help="approved or rejected")] = None,
    code: Annotated[str | None, typer.Option(help="one reject code")] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Decisions, newest first."""
    from aria.audit.filters import DecisionFilter

    filters = DecisionFilter(
        account=account,
        owner=owner,
        firm=firm,
        symbol=symbol and symbol.upper(),
        strategy=strategy,
        status=status,
        code=code,
        start=parse_time(since, "--from"),
        end=parse_time(until, "--to"),
    )
    app = app_from()
    found = _decisions(app.context, filters, limit)
    rows = [_decision_row(d) for d in found]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        from aria.cli.trading import code_words, lots_text

        table = Table(title=f"{len(rows)} decisions")
        for column in (
            "Time",
            "Account",
            "Symbol",
            "Status",
            "Lots",
            "Risk",
            "Binding",
            "Codes",
            "Why",
        ):
            table.add_column(column, overflow="fold")
        for r, stored in zip(rows, found, strict=True):
            d = stored.decision
            why = (
                "; ".join(d.reasons or [code_words(c) for c in d.reject_codes])
                if d.reject_codes
                else "—"
            )
            table.add_row(
                f"{stored.created_at:%Y-%m-%d %H:%M:%S} UTC",
                r["account_id"],
                f"{r['side']} {r['symbol']}",
                r["status"],
                lots_text(d.lots),
                f"{d.risk_amount:,.2f}",
                r["binding"] or "—",
                r["reject_codes"] or "—",
                why,
            )
        out.print(table)
    app.close()


@audit_app.command("events")
def events(
    account: Account = None,
    owner: Owner = None,
    firm: Firm = None,
    kind: Annotated[str | None, typer.Option(help="one kind, e.g. breach or daily_reset")] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
) -> None:
    """Rule events, newest first."""
    from aria.audit.filters import EventFilter
    from aria.service import audit

    filters = EventFilter(
        account=account,
        owner=owner,
        firm=firm,
        kind=kind,
        start=parse_time(since, "--from"),
        end=parse_time(until, "--to"),
    )
    app = app_from()
    page = run_service(audit.query_events, app.context, filters, None, min(limit, audit.MAX_PAGE))
    table = Table(title=f"{len(page.items)} events")
    for column in ("Time", "Account", "Kind", "Actor", "Reason"):
        table.add_column(column, overflow="fold")
    for e in page.items:
        table.add_row(e.at.isoformat(), e.account_id, e.kind, e.actor, e.reason)
    out.print(table)
    app.close()


@audit_app.command("verify")
def verify(
    account: Account = None,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="a checkpoint file (aria audit checkpoint): prove the log still holds it",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Check every hash chain and replay every decision; exit 1 at the first problem."""
    from aria.service import audit

    if against is not None:
        if account is not None:
            raise fail("--against checks every account in the checkpoint: drop --account")
        _verify_against(against)
        return
    app = app_from()
    report = run_service(audit.verify, app.context, account)
    app.close()
    _print_verified(report)


def _print_verified(report: audit.VerifyReport) -> None:
    if not report.ok:
        out.print(
            f"[red]verification failed[/] after {report.decisions} decisions: {report.problem}",
            highlight=False,
        )
        raise typer.Exit(1)
    older = (
        f"; {report.older} decided under earlier sizing rules are chained and fingerprinted"
        if report.older
        else ""
    )
    out.print(
        f"verified {report.accounts} accounts: chains intact,"
        f" {report.decisions} decisions replay exactly{older}",
        highlight=False,
    )


def _verify_against(path: Path) -> None:
    from aria.service import checkpoints

    kept = run_service(checkpoints.parse, path.read_text(encoding="utf-8"))
    app = app_from()
    report = run_service(checkpoints.verify_against, app.context, kept)
    app.close()
    taken = kept.taken_at.isoformat()
    if report.verified is None:
        out.print(
            f"[red]the log no longer holds the checkpoint of {taken}[/]: {report.problem}",
            highlight=False,
        )
        raise typer.Exit(1)
    _print_verified(report.verified)
    signed = (
        "signed"
        if report.signed
        else "UNSIGNED (it proves only what the file's keeper vouches for)"
    )
    out.print(
        f"the log still holds the {signed} checkpoint of {taken}:"
        f" {report.records} records of {report.accounts} accounts",
        highlight=False,
    )


@audit_app.command("checkpoint")
def checkpoint(
    output: Annotated[
        Path | None, typer.Option("--out", help="write it to this file (default: print it)")
    ] = None,
) -> None:
    """Print a signed digest of every chain head, to keep outside the database."""
    from aria.service import checkpoints

    app = app_from()
    taken = run_service(checkpoints.take, app.context)
    app.close()
    if taken.signature is None:
        typer.echo(
            "warning: ARIA_AUDIT_KEY is not set, so this checkpoint is unsigned;"
            " keep it where nobody who can write the database can edit it",
            err=True,
        )
    if output is None:
        typer.echo(taken.to_json(), nl=False)
        return
    output.write_text(taken.to_json(), encoding="utf-8")
    out.print(f"wrote a checkpoint of {len(taken.heads)} chain heads to {output}", highlight=False)


@audit_app.command("export")
def export(
    output: Annotated[Path, typer.Option("--out", help="the file to write (- for stdout)")],
    file_format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    account: Account = None,
    owner: Owner = None,
    firm: Firm = None,
    since: Since = None,
    until: Until = None,
) -> None:
    """Export every matching decision, with its inputs' hash, as CSV or JSON."""
    from aria.audit.filters import DecisionFilter
    from aria.reports.spreadsheet import csv_text

    if file_format not in ("csv", "json"):
        raise fail("--format: use csv or json")
    filters = DecisionFilter(
        account=account,
        owner=owner,
        firm=firm,
        start=parse_time(since, "--from"),
        end=parse_time(until, "--to"),
    )
    app = app_from()
    rows = [_decision_row(d) for d in _decisions(app.context, filters, None)]
    app.close()
    if file_format == "json":
        text = json.dumps(rows, indent=2) + "\n"
    else:
        text = csv_text(_decision_row_columns(), rows)
    if str(output) == "-":
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"wrote {len(rows)} decisions to {output}", highlight=False)


def _decision_row_columns() -> tuple[str, ...]:
    return (
        "decision_id",
        "created_at",
        "account_id",
        "request_id",
        "seq",
        "status",
        "symbol",
        "side",
        "lots",
        "risk_amount",
        "binding",
        "reject_codes",
        "input_hash",
    )


def report(
    output: Annotated[Path, typer.Option("--out", help="the HTML file to write")],
    account: Annotated[str | None, typer.Option(help="one account: its compliance review")] = None,
    owner: Annotated[
        str | None, typer.Option(help="every account of this owner: a portfolio report")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--from", help="from this time (ISO; UTC when no offset; default: the opening)"
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--to", help="up to this time (ISO; UTC when no offset; default: now)"),
    ] = None,
) -> None:
    """Write a self-contained HTML report: one account's compliance review over its life (or
    --from/--to), or with --owner every account of an owner on one page."""
    if (account is None) == (owner is None):
        raise fail("give --account ID for one account's review or --owner NAME for a portfolio")
    if owner is not None and (since is not None or until is not None):
        raise fail("--from/--to narrow one account's review; a portfolio is as of now")
    app = app_from()
    if owner is not None:
        from aria.reports.portfolio import portfolio_report

        page = run_service(portfolio_report, app.context, owner)
        what = f"the portfolio report of {owner}"
    else:
        from aria.reports.compliance import compliance_report

        page = run_service(
            compliance_report,
            app.context,
            account,
            parse_time(since, "--from"),
            parse_time(until, "--to"),
        )
        what = f"the compliance report of {account}"
    app.close()
    output.write_text(page, encoding="utf-8")
    out.print(f"wrote {what} to {output}", highlight=False)


@keys_app.command("create")
def create_key(
    name: Annotated[str, typer.Option(help="what the key is for")],
    scope: Annotated[list[str], typer.Option(help="size, read or admin (repeatable)")],
    owner: Annotated[
        str | None, typer.Option(help="restrict the key to this owner's accounts")
    ] = None,
) -> None:
    """Issue an API key; the key is shown once, only its hash is stored."""
    from aria.service import keys as key_service

    app = app_from()
    issued = run_service(key_service.create_key, app.context, name, scope, owner)
    app.close()
    out.print(
        f"key {issued.id} ({', '.join(issued.scopes)}{', owner ' + owner if owner else ''}):",
        highlight=False,
    )
    typer.echo(issued.token)
    out.print("store it now: ARIA keeps only its hash", style="dim")


@keys_app.command("list")
def list_keys() -> None:
    """List API keys (never their secrets)."""
    from aria.service import keys as key_service

    app = app_from()
    keys = run_service(key_service.list_keys, app.context)
    app.close()
    table = Table(title="API keys")
    for column in ("Id", "Name", "Scopes", "Owner", "Created", "Revoked"):
        table.add_column(column)
    for key_id, name, scopes, owner, created, revoked in keys:
        table.add_row(key_id, name, ", ".join(scopes), owner or "—", created, revoked or "—")
    out.print(table)


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Revoke an API key."""
    from aria.service import keys as key_service

    app = app_from()
    run_service(key_service.revoke_key, app.context, key_id)
    app.close()
    out.print(f"revoked {key_id}", highlight=False)
