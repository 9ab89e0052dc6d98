"""``aria serve``: the HTTP API, with the scheduler in the same process unless told otherwise."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from aria.cli.firms import err
from aria.cli.ops import app_from


class _RedactKeys(logging.Filter):
    """Keep API keys out of the logs, whatever a library logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "aria_" in message and "Bearer" in message:
            record.msg, record.args = message.split("Bearer", 1)[0] + "Bearer [redacted]", ()
        return True


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    no_scheduler: Annotated[
        bool,
        typer.Option(
            "--no-scheduler", help="run the API only (the jobs then run in `aria jobs run`)"
        ),
    ] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning")] = "info",
) -> None:
    """Serve the API (and the scheduler, for a single-process install)."""
    import uvicorn

    from aria.api.app import create_app
    from aria.api.security import RateLimit
    from aria.bootstrap import tune_for_serving
    from jobs.runner import background
    from jobs.schedule import HEARTBEAT_SECONDS

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactKeys())
    app = app_from()
    tune_for_serving()
    scheduler = None if no_scheduler else background(app.context)
    api = create_app(
        app.context,
        on_start=scheduler.start if scheduler else None,
        on_stop=(lambda: scheduler.shutdown(wait=False)) if scheduler else None,
        # With or without its own scheduler, the API reports when no scheduler beats: the
        # jobs of a multi-process install run in ``aria jobs run``, on the same database.
        heartbeat_limit=HEARTBEAT_SECONDS * 4,
        rate_limit=RateLimit(app.settings.rate_limit, app.settings.rate_burst),
    )
    err.print(
        f"ARIA on http://{host}:{port} ({'API only' if no_scheduler else 'API and scheduler'})",
        style="dim",
    )
    try:
        uvicorn.run(
            api,
            host=host,
            port=port,
            log_level=log_level.lower(),
            access_log=False,
            # A dashboard's live stream never ends by itself: stop waiting for it after this.
            timeout_graceful_shutdown=5,
        )
    finally:
        app.close()
