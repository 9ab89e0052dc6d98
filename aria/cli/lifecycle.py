"""``aria accounts promote``, ``reset``, ``archive`` and ``unarchive``: an account's life
through its firm's phases, each recorded with who and why."""

from __future__ import annotations

from typing import Annotated

import typer

from aria.cli.firms import out
from aria.cli.ops import app_from
from aria.cli.trading import run_service, validated

AccountArg = Annotated[str, typer.Argument(metavar="ID")]
Reason = Annotated[str, typer.Option(help="why (recorded)")]
Actor = Annotated[str, typer.Option(help="who (recorded)")]


def promote(
    account_id: AccountArg,
    reason: Reason,
    to: Annotated[
        str | None, typer.Option("--to", help="the phase expected next; any other is refused")
    ] = None,
    size: Annotated[
        str | None, typer.Option(help="the new phase's account size; default: the same")
    ] = None,
    actor: Actor = "cli",
) -> None:
    """Move an account to its plan's next phase (fresh anchors, that phase's rules)."""
    from aria.service import accounts as account_service
    from aria.service.commands import Promote

    command = validated(Promote, {"actor": actor, "reason": reason, "to_phase": to, "size": size})
    app = app_from()
    account = run_service(account_service.promote, app.context, account_id, command)
    out.print(
        f"{account.id}: promoted to {account.phase} ({account.initial_balance:,});"
        f" {account.trading.status.value}",
        highlight=False,
    )
    app.close()


def _change(use_case: str, account_id: str, reason: str, actor: str, done: str) -> None:
    from aria.service import accounts as account_service
    from aria.service.commands import Lifecycle

    call = getattr(account_service, use_case)
    command = validated(Lifecycle, {"actor": actor, "reason": reason})
    app = app_from()
    account = run_service(call, app.context, account_id, command)
    halt = f" ({account.trading.halt.value})" if account.trading.halt else ""
    out.print(f"{account.id}: {done}; {account.trading.status.value}{halt}", highlight=False)
    app.close()


def reset(account_id: AccountArg, reason: Reason, actor: Actor = "cli") -> None:
    """Record the firm's reset of an evaluation: fresh anchors, trading active again."""
    _change("reset_evaluation", account_id, reason, actor, "evaluation reset")


def archive(account_id: AccountArg, reason: Reason, actor: Actor = "cli") -> None:
    """Archive an account: its history stays, sizing refuses it."""
    _change("archive", account_id, reason, actor, "archived")


def unarchive(account_id: AccountArg, reason: Reason, actor: Actor = "cli") -> None:
    """Bring an archived account back with the trading state it had when archived."""
    _change("unarchive", account_id, reason, actor, "unarchived")
