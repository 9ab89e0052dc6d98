"""The FastAPI application: routes, error mapping, metrics, and (optionally) the scheduler."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from aria import __version__, dashboard
from aria.api import errors, static
from aria.api.deps import known_query
from aria.api.metrics import Measure, Metrics
from aria.api.routes import accounts, audit, calendar, health, market, notifications, sizing
from aria.api.routes import reports as report_routes
from aria.api.security import RateLimit
from aria.service.context import Context

log = logging.getLogger("aria.api")
DEFAULT_RATE, DEFAULT_BURST = 100.0, 200  # requests a second per key, and the burst


def create_app(
    context: Context,
    *,
    on_start: Callable[[], None] | None = None,
    on_stop: Callable[[], None] | None = None,
    heartbeat_limit: float | None = None,
    rate_limit: RateLimit | None = None,
) -> FastAPI:
    """The API over ``context``; ``on_start``/``on_stop`` run with the server (the scheduler)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if on_start:
            on_start()
        try:
            yield
        finally:
            if on_stop:
                on_stop()

    app = FastAPI(
        title="ARIA",
        version=__version__,
        description="Sizes trades across prop-firm accounts without breaching their rules.",
        lifespan=lifespan,
        dependencies=[Depends(known_query)],
        docs_url=None,  # served by static.install_docs, from this server
        redoc_url=None,
    )
    app.state.context = context
    app.state.rate_limit = rate_limit or RateLimit(DEFAULT_RATE, DEFAULT_BURST)
    app.state.metrics = Metrics(context)
    app.state.heartbeat_limit = heartbeat_limit
    app.state.write_probe = health.WriteProbe()
    errors.install(app)
    static.install_docs(app)
    app.add_middleware(static.JsonBodies)
    for module in (sizing, accounts, market, audit, health, calendar, notifications):
        app.include_router(module.router)
    app.include_router(report_routes.router)
    dashboard.install(app)  # pages, live stream and static files under /dashboard
    # Added last, so outermost: the time includes reading the body and every other layer.
    app.add_middleware(Measure, metrics=app.state.metrics)
    return app
