"""``aria serve``: the HTTP API, with the scheduler in the same process unless told otherwise.

With ``--workers N`` the API runs in N processes on one port (uvicorn's supervisor starts
them, each from :func:`worker`); the parent checks the schema once and runs the scheduler,
so the jobs run once whatever N is.

Several processes never reserve more than an account's headroom between them: on
PostgreSQL each sizing locks its accounts' rows; on SQLite each write transaction begins
``IMMEDIATE``, taking the database's one write lock before its first read, so a second
process waits and then reads what the first committed. On SQLite that is also why more
processes do not size faster: they take turns at the one writer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from aria.cli.firms import err
from aria.cli.ops import app_from

if TYPE_CHECKING:
    from fastapi import FastAPI

    from aria.bootstrap import App

# How the parent hands its ``--log-level`` to the worker processes (they read the rest of
# their settings from the same environment as the parent).
LOG_LEVEL_VARIABLE = "ARIA_SERVE_LOG_LEVEL"


class _RedactKeys(logging.Filter):
    """Keep API keys out of the logs, whatever a library logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "aria_" in message and "Bearer" in message:
            record.msg, record.args = message.split("Bearer", 1)[0] + "Bearer [redacted]", ()
        return True


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactKeys())


def _api(
    app: App,
    on_start: Callable[[], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> FastAPI:
    from aria.api.app import create_app
    from aria.api.security import RateLimit
    from jobs.schedule import HEARTBEAT_SECONDS

    return create_app(
        app.context,
        # With or without its own scheduler, the API reports when no scheduler beats: the
        # jobs of a multi-process install run in ``aria jobs run``, on the same database.
        heartbeat_limit=HEARTBEAT_SECONDS * 4,
        rate_limit=RateLimit(app.settings.rate_limit, app.settings.rate_burst),
        on_start=on_start,
        on_stop=on_stop,
    )


def worker() -> FastAPI:
    """The API of one process of ``aria serve --workers N`` (uvicorn calls it in each).

    Its settings come from the environment; the parent has checked the schema already and
    runs the scheduler, so this process only serves.
    """
    from aria.bootstrap import tune_for_serving

    _configure_logging(os.environ.get(LOG_LEVEL_VARIABLE, "info"))
    app = app_from(check_schema=False)
    tune_for_serving()
    return _api(app, on_stop=app.close)


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    no_scheduler: Annotated[
        bool,
        typer.Option(
            "--no-scheduler", help="run the API only (the jobs then run in `aria jobs run`)"
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(min=1, help="processes serving the API on this port (one scheduler)"),
    ] = 1,
    log_level: Annotated[str, typer.Option(help="debug, info, warning")] = "info",
) -> None:
    """Serve the API (and the scheduler, for a single-process install)."""
    import uvicorn

    from aria.bootstrap import tune_for_serving
    from jobs.runner import background

    _configure_logging(log_level)
    app = app_from()
    tune_for_serving()
    scheduler = None if no_scheduler else background(app.context)
    parts = "API only" if no_scheduler else "API and scheduler"
    processes = f", {workers} API processes" if workers > 1 else ""
    err.print(f"ARIA on http://{host}:{port} ({parts}{processes})", style="dim")
    try:
        if workers == 1:
            target: FastAPI | str = _api(
                app,
                on_start=scheduler.start if scheduler else None,
                on_stop=(lambda: scheduler.shutdown(wait=False)) if scheduler else None,
            )
        else:
            # Each worker builds its own API from this import string (uvicorn needs one to
            # start several); the scheduler stays here, in the parent.
            target = f"{__name__}:worker"
            os.environ[LOG_LEVEL_VARIABLE] = log_level
            if scheduler:
                scheduler.start()
        uvicorn.run(
            target,
            factory=workers > 1,
            workers=workers,
            host=host,
            port=port,
            log_level=log_level.lower(),
            access_log=False,
            # A dashboard's live stream never ends by itself: stop waiting for it after this.
            timeout_graceful_shutdown=5,
        )
    finally:
        if scheduler and workers > 1:
            scheduler.shutdown(wait=False)
        app.close()
