"""The ``aria`` command line."""

from __future__ import annotations

import typer

from aria.cli import audit as audit_commands
from aria.cli import calendar as calendar_commands
from aria.cli import demo as demo_commands
from aria.cli import firms as firms_commands
from aria.cli import lifecycle as lifecycle_commands
from aria.cli import market as market_commands
from aria.cli import notify as notify_commands
from aria.cli import ops as ops_commands
from aria.cli import serve as serve_commands
from aria.cli import simulate as simulate_commands
from aria.cli import sizing as sizing_commands
from aria.cli import trading as trading_commands

app = typer.Typer(
    name="aria",
    help="ARIA — sizes trades across prop-firm accounts without breaching their rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(firms_commands.firms_app, name="firms")
app.add_typer(firms_commands.rules_app, name="rules")
app.command("decide")(sizing_commands.decide)
app.command("schema")(sizing_commands.schema)
app.command("presets")(sizing_commands.presets)
app.command("init")(ops_commands.init)
app.add_typer(ops_commands.db_app, name="db")
app.add_typer(ops_commands.jobs_app, name="jobs")
app.command("serve")(serve_commands.serve)
app.command("size")(trading_commands.size)
app.add_typer(trading_commands.accounts_app, name="accounts")
for _name in ("promote", "reset", "archive", "unarchive"):
    trading_commands.accounts_app.command(_name)(getattr(lifecycle_commands, _name))
app.add_typer(trading_commands.state_app, name="state")
app.add_typer(market_commands.bars_app, name="bars")
app.command("instruments")(market_commands.instruments)
app.add_typer(audit_commands.audit_app, name="audit")
app.command("report")(audit_commands.report)
app.add_typer(audit_commands.keys_app, name="keys")
app.command("demo")(demo_commands.demo)
app.command("simulate")(simulate_commands.simulate)
app.add_typer(calendar_commands.calendar_app, name="calendar")
app.add_typer(notify_commands.notify_app, name="notify")


def main() -> None:
    """Entry point of the ``aria`` script."""
    app()
