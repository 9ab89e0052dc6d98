"""``aria init``, ``aria db`` and ``aria jobs``: the database, its roles and the scheduler."""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from aria.cli.firms import err, fail, failed, out

if TYPE_CHECKING:
    from aria.bootstrap import App

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
jobs_app = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)


def app_from(migrate: bool = False, check_schema: bool = True) -> App:
    """Build ARIA from the environment, turning storage problems into one clear line."""
    from aria.bootstrap import build
    from aria.settings import Settings
    from storage.errors import StorageError

    url = ""
    try:
        settings = Settings()
        url = settings.database_url
        return build(settings, migrate=migrate, check_schema=check_schema)
    except StorageError as exc:
        raise failed(exc, _masked(str(exc), url)) from None
    except Exception as exc:  # a bad URL, an unreachable server
        raise fail(f"cannot open the database: {_masked(str(exc), url)}") from None


def _masked(message: str, url: str) -> str:
    from storage.engine import scrub_url

    # A driver's message may quote the URL: the password must not reach a terminal or a log.
    return scrub_url(message, url) if url else message


def init() -> None:
    """Create (or upgrade) the database and check the catalogs load."""
    from storage.engine import display_url

    app = app_from(migrate=True)
    out.print(
        f"database ready at {display_url(app.settings.database_url)}"
        f" — {len(app.context.catalog.firms)} firms,"
        f" {len(app.context.instruments.instruments)} instruments",
        highlight=False,
    )
    app.close()


@db_app.command("upgrade")
def upgrade() -> None:
    """Migrate the database schema to the code's revision."""
    app = app_from(migrate=True)
    from storage.schema import current_revision

    out.print(f"schema at revision {current_revision(app.engine)}", highlight=False)
    app.close()


@db_app.command("roles")
def roles(
    owner: Annotated[str, typer.Option(help="the role that owns the tables and migrates them")],
    app_role: Annotated[str, typer.Option("--app", help="the role ARIA runs as")],
    password_env: Annotated[
        str | None,
        typer.Option(help="environment variable holding the application role's password"),
    ] = None,
    owner_password_env: Annotated[
        str | None, typer.Option(help="environment variable holding the owner's password")
    ] = None,
    schema: Annotated[str, typer.Option(help="the schema holding ARIA's tables")] = "public",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the SQL instead of running it")
    ] = False,
) -> None:
    """Set up PostgreSQL's two roles (idempotent): run as a superuser, again after upgrades.

    Connects to ARIA_MIGRATION_DATABASE_URL if set, else ARIA_DATABASE_URL. Then run ARIA
    with ARIA_DATABASE_URL as the application role and ARIA_MIGRATION_DATABASE_URL as the owner.
    """
    from aria.settings import Settings
    from storage.engine import make_engine
    from storage.errors import StorageError
    from storage.roles import RolePlan, apply_roles, plan_roles

    def password(variable: str | None) -> str | None:
        if variable is None:
            return None
        value = os.environ.get(variable)
        if not value:
            raise fail(f"the environment variable {variable} is not set")
        return value

    settings = Settings()
    plan = RolePlan(
        owner=owner,
        app=app_role,
        schema=schema,
        owner_password=password(owner_password_env),
        app_password=password(password_env),
    )
    engine = make_engine(settings.migration_database_url or settings.database_url)
    try:
        with engine.begin() as connection:
            statements = (plan_roles if dry_run else apply_roles)(connection, plan)
    except StorageError as exc:
        raise failed(exc) from None
    except Exception as exc:  # refused by the server: not a superuser, unreachable, …
        raise fail(f"cannot set the roles up: {str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()
    if dry_run:
        for statement in statements:
            # A password is not printed back: the script shows where it goes.
            shown = (
                statement.split(" PASSWORD ")[0] + " PASSWORD '…'"
                if " PASSWORD " in statement
                else statement
            )
            out.print(shown + ";", highlight=False, markup=False)
        return
    out.print(
        f"roles ready: {owner} owns the tables of {schema}; {app_role} may read and append"
        " to the audit tables, never change them",
        highlight=False,
    )


@jobs_app.command("list")
def list_jobs() -> None:
    """Show every job with its last run and when it is due next."""
    from jobs.schedule import JOBS

    app = app_from()
    with app.context.unit() as uow:
        runs = uow.jobs.last_runs()
        beat = uow.jobs.last_beat("scheduler")
    table = Table(title="Jobs")
    for column in ("Job", "Every", "Last slot", "Last run", "Status", "Next due", "What it does"):
        table.add_column(column, overflow="fold")
    now = dt.datetime.now(dt.UTC)
    for spec in JOBS:
        every = dt.timedelta(**spec.trigger_args)
        run = runs.get(spec.id)
        due = (
            "now"
            if run is None
            else (max(run.claimed_at + every, now)).isoformat(timespec="seconds")
        )
        table.add_row(
            spec.id,
            str(every),
            run.run_key if run else "—",
            run.claimed_at.isoformat(timespec="seconds") if run else "never",
            run.status if run else "—",
            due,
            spec.description,
        )
    out.print(table)
    out.print(
        f"scheduler heartbeat: {beat.isoformat(timespec='seconds') if beat else 'never'}",
        highlight=False,
    )
    app.close()


@jobs_app.command("once")
def once(
    job_id: Annotated[str, typer.Argument(metavar="NAME", help="a job id from 'aria jobs list'")],
) -> None:
    """Run one job now, in this process."""
    from jobs.schedule import job
    from jobs.tasks import run_job

    try:
        job(job_id)
    except KeyError as exc:
        raise fail(str(exc.args[0])) from None
    app = app_from()
    report = run_job(app.context, job_id)
    out.print(job_line(job_id, report), highlight=False)
    app.close()


def job_line(job_id: str, report: object) -> str:
    """What one job run did, as a line a person reads (not a Python repr)."""
    done, skipped = getattr(report, "done", None), getattr(report, "skipped", None)
    if not isinstance(done, int) or not isinstance(skipped, int):
        return f"{job_id}: ran" + ("" if report is None else f": {report}")
    line = f"{job_id}: ran; {done} done, {skipped} skipped (nothing new to do)"
    if not skipped:
        line = f"{job_id}: ran; {done} done"
    details = getattr(report, "details", None) or {}
    if isinstance(details, dict) and details:
        line += " (" + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in details.items()) + ")"
    return line


@jobs_app.command("run")
def run() -> None:
    """Start the scheduler process (one per database); Ctrl-C stops it."""
    from aria.bootstrap import tune_for_serving
    from jobs.runner import blocking

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = app_from()
    tune_for_serving()
    scheduler = blocking(app.context)
    err.print("scheduler started; Ctrl-C to stop", style="dim")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        app.close()
