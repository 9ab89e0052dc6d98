"""``aria notify add|list|remove|test|outbox|deliver``: where alerts and rule events are sent."""

from __future__ import annotations

import logging
import time
from typing import Annotated

import typer
from rich.table import Table

from aria.cli.firms import err, fail, out

notify_app = typer.Typer(
    help="Notifications of alerts and rule events (webhooks, apprise).", no_args_is_help=True
)


@notify_app.command("add")
def add(
    owner: Annotated[
        str | None, typer.Option(help="whose accounts' events (omit with --all-owners)")
    ] = None,
    all_owners: Annotated[
        bool, typer.Option("--all-owners", help="every owner's events (an administrator's)")
    ] = False,
    webhook: Annotated[str | None, typer.Option(help="an http(s) URL to POST to")] = None,
    secret: Annotated[
        str | None, typer.Option(help="the webhook's signing secret (default: generated)")
    ] = None,
    apprise_url: Annotated[
        str | None,
        typer.Option("--apprise", help="an apprise URL: ntfy://, tgram://, discord://, mailto://…"),
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option(help="an event kind to send (repeatable; default: alerts)")
    ] = None,
) -> None:
    """Subscribe a webhook or an apprise channel to an owner's events."""
    from aria.cli.ops import app_from
    from aria.cli.trading import run_service
    from aria.service import notifications

    if (owner is None) == (not all_owners):
        raise fail("give --owner NAME or --all-owners")
    if (webhook is None) == (apprise_url is None):
        raise fail("give one channel: --webhook URL or --apprise URL")
    if secret is not None and webhook is None:
        raise fail("--secret signs webhooks only")
    command = notifications.NewSubscription(
        owner=owner,
        channel="webhook" if webhook is not None else "apprise",
        target=webhook or apprise_url or "",
        kinds=tuple(kind or ()),
        secret=secret,
    )
    app = app_from()
    created = run_service(notifications.add_subscription, app.context, command)
    app.close()
    sub = created.subscription
    typer.echo(sub.id)
    out.print(
        f"{sub.channel} for {sub.owner or 'every owner'}: {', '.join(sub.kinds)}", highlight=False
    )
    if created.secret and secret is None:
        out.print("signing secret (shown once; ARIA signs each delivery with it):")
        typer.echo(created.secret)


@notify_app.command("list")
def list_subscriptions(
    owner: Annotated[str | None, typer.Option(help="only this owner's")] = None,
) -> None:
    """List subscriptions (never their secrets)."""
    from aria.cli.ops import app_from
    from aria.cli.trading import run_service
    from aria.service import notifications

    app = app_from()
    found = run_service(notifications.list_subscriptions, app.context, owner)
    app.close()
    table = Table(title="Notification subscriptions")
    for column in ("Id", "Owner", "Channel", "Target", "Kinds", "Created"):
        table.add_column(column, overflow="fold")
    for sub in found:
        table.add_row(
            sub.id,
            sub.owner or "every owner",
            sub.channel,
            sub.shown_target,
            ", ".join(sub.kinds),
            sub.created_at.isoformat(timespec="seconds"),
        )
    out.print(table)


@notify_app.command("remove")
def remove(subscription_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Remove a subscription; what it had not delivered is marked failed."""
    from aria.cli.ops import app_from
    from aria.cli.trading import run_service
    from aria.service import notifications

    app = app_from()
    run_service(notifications.remove_subscription, app.context, subscription_id)
    app.close()
    out.print(f"removed {subscription_id}", highlight=False)


@notify_app.command("test")
def test(subscription_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Send a test notification to one subscription now and print the outcome."""
    from aria.cli.ops import app_from
    from aria.cli.trading import run_service
    from aria.notifications.senders import dispatcher
    from aria.service import notifications

    app = app_from()
    delivery, sent = run_service(
        notifications.send_test, app.context, dispatcher(app.context), subscription_id
    )
    app.close()
    if not sent.ok:
        raise fail(f"test notification to {subscription_id} failed: {sent.error}", 1)
    out.print(
        f"delivered a test notification to {subscription_id}"
        f" (idempotency key {delivery.idempotency_key})",
        highlight=False,
    )


@notify_app.command("outbox")
def outbox(
    status: Annotated[
        list[str] | None,
        typer.Option(help="pending, sending, delivered or failed (default: all but delivered)"),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 200,
) -> None:
    """Notifications not delivered yet (or those in the given statuses)."""
    from aria.cli.ops import app_from
    from aria.cli.trading import run_service
    from aria.service import notifications

    statuses = tuple(status or ("pending", "sending", "failed"))
    app = app_from()
    found = run_service(notifications.outbox, app.context, statuses, limit)
    app.close()
    table = Table(title="Notification outbox")
    for column in ("Kind", "Account", "Subscription", "Status", "Attempts", "Next", "Last error"):
        table.add_column(column, overflow="fold")
    for entry in found:
        table.add_row(
            entry.kind,
            entry.account_id,
            entry.subscription_id,
            entry.status,
            str(entry.attempts),
            entry.next_attempt_at.isoformat(timespec="seconds"),
            entry.last_error or "",
        )
    out.print(table)


@notify_app.command("deliver")
def deliver(
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False,
    interval: Annotated[
        float, typer.Option(min=0.1, max=3600, help="seconds between passes")
    ] = 5.0,
) -> None:
    """Send the notifications due, in a loop (the scheduler's ``notify`` job does the same)."""
    from aria.cli.ops import app_from
    from aria.notifications.senders import deliver as deliver_due

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = app_from()
    try:
        while True:
            report = deliver_due(app.context)
            if once:
                out.print(f"notify: {report}", highlight=False)
                return
            if not report.claimed:
                time.sleep(interval)
    except KeyboardInterrupt:
        err.print("stopped", style="dim")
    finally:
        app.close()
